#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "ops/reaper.h"
#include "base/banned.h"


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

/* One batch of one kind: each row decided and, unless dry_run, transitioned. */
static int reap_batch(struct store *s, const struct store_stale_batch *batch,
		      const struct lifecycle_limits *l, int64_t now, int dry_run,
		      reaper_report_fn report, void *ctx, struct reaper_summary *out)
{
	for (unsigned i = 0; i < batch->count; i++) {
		const struct store_stale *row = &batch->rows[i];
		struct lifecycle_timeout d;
		int rc = store_timeout_reap(s, row, l, now, dry_run, &d);
		if (rc == STORE_CONFLICT) {
			out->raced++;
			continue;
		}
		if (rc)
			return rc;
		if (d.action == LC_NONE)
			continue;
		count(out, row, d.action);
		if (report)
			report(ctx, row, d.action, d.message);
	}
	return STORE_OK;
}

int reaper_run(struct store *s, const struct config *cfg, int64_t now, int dry_run,
	       unsigned max_batches, reaper_report_fn report, void *ctx,
	       struct reaper_summary *out)
{
	/* Too long first: a slow generation fails even when its lease also lapsed. */
	static const enum store_stale_kind kinds[] = { STALE_RUNTIME, STALE_LEASE, STALE_PENDING };
	struct lifecycle_limits l = store_timeout_limits(cfg);
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
			if (rc == STORE_OK)
				rc = reap_batch(s, batch, &l, now, dry_run, report, ctx, out);
			if (rc)
				break;
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
