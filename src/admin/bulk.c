#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "admin/bulk.h"
#include "base/timeutil.h"
#include "model/lifecycle.h"
#include "model/resource.h"
#include "base/banned.h"

int bulk_pick_stuck(struct store *s, const void *filter, unsigned limit,
		    int (*fn)(void *ctx, const struct gen_request *r), void *ctx)
{
	struct store_stuck_filter f = *(const struct store_stuck_filter *)filter;
	f.limit = limit;
	return store_stuck_list(s, &f, fn, ctx);
}

int bulk_pick_finished(struct store *s, const void *filter, unsigned limit,
		       int (*fn)(void *ctx, const struct gen_request *r), void *ctx)
{
	struct store_finished_filter f = *(const struct store_finished_filter *)filter;
	f.limit = limit;
	return store_finished_list(s, &f, fn, ctx);
}

struct id_batch {
	struct uuid ids[BULK_BATCH];
	unsigned n;
};

static int collect_id(void *ctx, const struct gen_request *r)
{
	struct id_batch *b = ctx;
	if (b->n >= BULK_BATCH)
		return 1;
	b->ids[b->n++] = r->id;
	return 0;
}

int bulk_apply(struct store *s, const struct bulk_source *src, enum store_admin_action action,
	       const char *actor, const char *reason, unsigned long long expected,
	       unsigned *done, int *capped)
{
	struct id_batch batch;
	unsigned long long cap = expected;
	*done = 0;
	*capped = 0;
	if (cap > BULK_CAP)
		cap = BULK_CAP;
	for (int round = 0; round < BULK_MAX_BATCHES && *done < cap; round++) {
		batch.n = 0;
		int rc = src->pick(s, src->filter, BULK_BATCH, collect_id, &batch);
		if (rc)
			return rc;
		unsigned done_now = 0;
		for (unsigned i = 0; i < batch.n && *done < cap; i++) {
			struct gen_request r;
			/* One short transaction per request: no long lock on the table. */
			rc = store_admin_apply(s, &batch.ids[i], action, actor, reason, NULL, &r);
			gen_request_release(&r);
			if (rc == STORE_OK) {
				(*done)++;
				done_now++;
			} else if (rc != STORE_CONFLICT && rc != STORE_NOT_FOUND &&
				   rc != STORE_DUPLICATE) {
				/* DUPLICATE: a retry the owner's active request for
				 * the same subject refuses, as the single retry does. */
				return rc;
			}
		}
		/* A batch of only skipped requests would come back the same: stop. */
		if (batch.n < BULK_BATCH || !done_now)
			return STORE_OK;
	}
	*capped = expected > *done;
	return STORE_OK;
}

int bulk_retry_filter(const char *entity_type, const char *status, const char *failure_reason,
		      const char *after, const char *before, struct store_finished_filter *f,
		      char *err, size_t errsz)
{
	memset(f, 0, sizeof(*f));
	if (!entity_type || !resource_entity_type_valid(entity_type, strlen(entity_type))) {
		snprintf(err, errsz, "entity_type is required: [a-z][a-z0-9_]{0,63}");
		return -1;
	}
	f->entity_type = entity_type;
	if (!status || lifecycle_status_parse(status, &f->status) < 0 ||
	    (f->status != GEN_FAILED && f->status != GEN_PARTIAL)) {
		snprintf(err, errsz, "status is \"failed\" or \"partial\"");
		return -1;
	}
	if (failure_reason && *failure_reason) {
		int known = 0;
		for (int i = FAIL_NONE + 1; i < FAIL_COUNT; i++)
			if (!strcmp(failure_reason, lifecycle_failure_code((enum gen_failure)i)))
				known = 1;
		if (!known) {
			snprintf(err, errsz, "failure_reason is one of lease_expired, "
				 "max_runtime_exceeded, never_started, generator_failed, "
				 "operator_failed (or empty for any)");
			return -1;
		}
		f->failure_reason = failure_reason;
	}
	if (!after || time_parse_rfc3339(after, &f->after) < 0 ||
	    !before || time_parse_rfc3339(before, &f->before) < 0) {
		snprintf(err, errsz, "finished_after and finished_before are RFC 3339 times, "
			 "e.g. 2026-11-24T10:30:00Z");
		return -1;
	}
	if (f->after >= f->before) {
		snprintf(err, errsz, "finished_after must be before finished_before");
		return -1;
	}
	return 0;
}

int bulk_action_id_valid(const char *id)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789_-";
	size_t n = id ? strlen(id) : 0;
	return n >= 1 && n <= 64 && strspn(id, ok) == n;
}
