#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "ops/reaper.h"
#include "base/banned.h"


static struct lifecycle_limits limits_of(const struct config *cfg)
{
	return (struct lifecycle_limits){
		.stale_after = cfg->stale_after,
		.pending_timeout = cfg->pending_timeout,
		.max_attempts = (unsigned)cfg->max_attempts,
	};
}

/* Decides for one row; fills the transition and its message. LC_NONE: nothing due. */
static enum lifecycle_action decide(const struct store_stale *row,
				    const struct lifecycle_limits *l, int64_t now,
				    struct store_timeout *t, char *message, size_t size)
{
	struct lifecycle_timing timing = {
		.status = row->status, .attempt = row->attempt,
		.requested_at = row->requested_at, .started_at = row->started_at,
		.lease_expires_at = row->lease_expires_at,
	};
	enum gen_failure reason;
	enum lifecycle_action a = lifecycle_check_timeout(&timing, l, now, &reason);
	if (a == LC_NONE)
		return a;
	if (a == LC_RETRY)
		snprintf(message, size,
			 "Worker stopped sending heartbeats; lease expired on attempt %u of %u, retrying",
			 row->attempt, l->max_attempts);
	else
		lifecycle_failure_message(reason, l, row->attempt, message, size);
	*t = (struct store_timeout){
		.id = &row->id, .from = row->status, .attempt = row->attempt,
		.retry = a == LC_RETRY, .failure_code = lifecycle_failure_code(reason),
		.message = message, .actor = REAPER_ACTOR, .now = now,
	};
	return a;
}

static void count(struct reaper_summary *out, const struct store_stale *row,
		  enum lifecycle_action a)
{
	if (a == LC_RETRY)
		out->retried++;
	else if (row->status == GEN_PENDING)
		out->expired_pending++;
	else
		out->failed++;
}

int reaper_run(struct store *s, const struct config *cfg, int64_t now, int dry_run,
	       unsigned max_batches, reaper_report_fn report, void *ctx,
	       struct reaper_summary *out)
{
	/* Too long first: a slow generation fails even when its lease also lapsed. */
	static const enum store_stale_kind kinds[] = { STALE_RUNTIME, STALE_LEASE, STALE_PENDING };
	struct lifecycle_limits l = limits_of(cfg);
	struct store_stale_batch *batch = malloc(sizeof(*batch));
	int rc = STORE_OK;

	memset(out, 0, sizeof(*out));
	if (!batch)
		return STORE_ERROR;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && rc == STORE_OK; k++) {
		int64_t cutoff = kinds[k] == STALE_RUNTIME ? now - cfg->stale_after * US_PER_S
				 : kinds[k] == STALE_PENDING ? now - cfg->pending_timeout * US_PER_S
				 : now;
		for (unsigned b = 0; b < max_batches; b++) {
			rc = store_stale_list(s, kinds[k], cutoff, STORE_STALE_BATCH, batch);
			if (rc)
				break;
			for (unsigned i = 0; i < batch->count && rc == STORE_OK; i++) {
				const struct store_stale *row = &batch->rows[i];
				struct store_timeout t;
				char message[256];
				enum lifecycle_action a = decide(row, &l, now, &t, message, sizeof(message));
				if (a == LC_NONE)
					continue;
				if (!dry_run) {
					int r = store_timeout_apply(s, &t);
					if (r == STORE_CONFLICT) {
						out->raced++;
						continue;
					}
					if (r) {
						rc = r;
						break;
					}
				}
				count(out, row, a);
				if (report)
					report(ctx, row, a, message);
			}
			/* A short batch was the last; a dry run changes nothing to page past. */
			if (batch->count < STORE_STALE_BATCH || dry_run)
				break;
			if (b + 1 == max_batches)
				out->more = 1;
		}
	}
	free(batch);
	return rc;
}

int reaper_check_request(struct store *s, const struct config *cfg, int64_t now,
			 struct gen_request *r, const char *owner)
{
	struct lifecycle_limits l = limits_of(cfg);
	struct store_stale row = {
		.id = r->id, .status = r->status, .attempt = r->attempt,
		.requested_at = r->requested_at, .started_at = r->started_at,
		.lease_expires_at = r->lease_expires_at,
	};
	struct store_timeout t;
	char message[256];

	if (lifecycle_is_terminal(r->status) ||
	    decide(&row, &l, now, &t, message, sizeof(message)) == LC_NONE)
		return 0;
	int rc = store_timeout_apply(s, &t);
	/* A conflict means someone else moved it: the re-read shows what they did. */
	if (rc && rc != STORE_CONFLICT)
		return rc;
	if (rc == STORE_OK)
		log_info("request timed out on a status read: %s", message);
	gen_request_release(r);
	rc = store_request_get(s, &row.id, owner, r);
	return rc ? rc : 1;
}
