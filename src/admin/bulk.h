#ifndef GENTRACK_ADMIN_BULK_H
#define GENTRACK_ADMIN_BULK_H

#include <stddef.h>

#include "store/store.h"

/*
 * The bulk actions' common run (SPEC §3 "A bulk action is bound to its
 * filter, previews how many it will touch, runs in capped batches"): the
 * bulk cancel of stuck requests and the bulk retry by filter pick their
 * requests differently and apply them the same way, one request at a time
 * through store_admin_apply, as the single action does.
 */

#define BULK_BATCH 100           /* requests per batch */
#define BULK_MAX_BATCHES 10      /* so one bulk action touches at most 1,000 */
#define BULK_CAP (BULK_BATCH * BULK_MAX_BATCHES)

/*
 * Where a bulk action's requests come from: pick calls fn for at most
 * `limit` matching requests (the ones not yet changed come first again on
 * the next call, as the store's lists are filtered by status).
 */
struct bulk_source {
	int (*pick)(struct store *s, const void *filter, unsigned limit,
		    int (*fn)(void *ctx, const struct gen_request *r), void *ctx);
	const void *filter;          /* borrowed: the pick's filter */
};

/* A source over store_stuck_list (filter: a struct store_stuck_filter). */
int bulk_pick_stuck(struct store *s, const void *filter, unsigned limit,
		    int (*fn)(void *ctx, const struct gen_request *r), void *ctx);
/* A source over store_finished_list (filter: a struct store_finished_filter). */
int bulk_pick_finished(struct store *s, const void *filter, unsigned limit,
		       int (*fn)(void *ctx, const struct gen_request *r), void *ctx);

/*
 * Applies `action` as `actor` with `reason` to the source's requests, in
 * batches, never more than `expected` (what the preview counted) nor
 * BULK_CAP. A request another actor changed meanwhile is skipped. STORE_OK
 * with *done (how many changed) and *capped (1 when expected was not
 * reached), or a store error with *done so far.
 */
int bulk_apply(struct store *s, const struct bulk_source *src, enum store_admin_action action,
	       const char *actor, const char *reason, unsigned long long expected,
	       unsigned *done, int *capped);

/*
 * The bulk retry's filter from its fields (borrowed; `f` borrows them
 * too): entity_type [a-z][a-z0-9_]{0,63}; status "failed" or "partial";
 * failure_reason one of SPEC §2's codes, or NULL / "" for any; finished_after
 * and finished_before RFC 3339, after < before. 0, or -1 with the reason in
 * err (a sentence for a 400).
 */
int bulk_retry_filter(const char *entity_type, const char *status, const char *failure_reason,
		      const char *after, const char *before, struct store_finished_filter *f,
		      char *err, size_t errsz);

/*
 * Whether a client-chosen action id (the JSON twin's) is 1..64 of
 * [A-Za-z0-9_-], what admin_actions.action_id holds.
 */
int bulk_action_id_valid(const char *id);

#endif
