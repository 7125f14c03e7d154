#ifndef GENTRACK_REAPER_H
#define GENTRACK_REAPER_H

#include <stdint.h>

#include "base/config.h"
#include "model/lifecycle.h"
#include "model/resource.h"
#include "store/store.h"

/*
 * The reaper's batch runs: finds requests whose time is up (SPEC §2, §4) and
 * makes the transition lifecycle_decide_timeout() decides, through
 * store_timeout_reap(), each conditional on what it read (status, attempt,
 * version) and on the deadline itself,
 * so several reapers (and a status read doing the same on the spot, with
 * store_request_check_timeout()) never change a request twice.
 */
#define REAPER_ACTOR STORE_REAPER_ACTOR

struct reaper_summary {
	unsigned failed;            /* processing → failed */
	unsigned retried;           /* processing → pending */
	unsigned expired_pending;   /* pending → failed (never_started) */
	unsigned raced;             /* changed by someone else first: left alone */
	int more;                   /* stopped at the batch cap with rows left */
};

/* Called for each transition made (or, in a dry run, that would be made). */
typedef void (*reaper_report_fn)(void *ctx, const struct store_stale *row,
				 enum lifecycle_action action, const char *message);

/*
 * One pass over every kind of stale row at `now` (the store's clock,
 * store_now(), read once for the run), in batches of at most
 * STORE_STALE_BATCH, at most `max_batches` per kind. dry_run decides and
 * reports but changes nothing (one batch per kind). 0, or a store code.
 */
int reaper_run(struct store *s, const struct config *cfg, int64_t now, int dry_run,
	       unsigned max_batches, reaper_report_fn report, void *ctx,
	       struct reaper_summary *out);

#endif
