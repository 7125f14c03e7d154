#include "build_config.h"

#include <stdlib.h>

#include "live/repair.h"
#include "live/publish.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "store/store.h"
#include "base/banned.h"

struct live_repair {
	const struct config *cfg;
	struct live *live;
	struct store *store;   /* made at the first round: in the supervisor only */
	int64_t next_ms;       /* time_mono_ms() of the next round */
};

struct live_repair *live_repair_new(const struct config *cfg)
{
	int enabled = 0;
	struct live_repair *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->cfg = cfg;
	r->live = live_new(cfg, &enabled);
	if (!r->live) {
		if (enabled)
			log_error("out of memory starting the live updates' repair");
		free(r);
		return NULL;
	}
	return r;
}

void live_repair_free(struct live_repair *r)
{
	if (!r)
		return;
	store_free(r->store);
	live_free(r->live);
	free(r);
}

/*
 * One row: the request's state now to its channel, then the row forgotten.
 * 1 to go on with the batch; 0 to end the round, nginx not taking it (the
 * rest would wait for nothing); -1 the store failed.
 */
static int repair_one(struct live_repair *r, const struct store_republish *due)
{
	struct gen_request req;
	int ret = -1;

	gen_request_init(&req);
	int rc = store_request_get(r->store, &due->id, NULL, &req);
	if (rc == STORE_NOT_FOUND) {
		ret = store_republish_gone(r->store, &due->id, due->failed_at) >= 0 ? 1 : -1;
		goto cleanup;
	}
	if (rc)
		goto cleanup;
	if (live_republish(r->live, &req) < 0) {
		ret = 0;
		goto cleanup;
	}
	/* 0 (kept: a newer loss or change) is fine: it is due in the next round. */
	ret = store_republish_done(r->store, &due->id, due->failed_at, req.version) >= 0 ? 1 : -1;
cleanup:
	gen_request_release(&req);
	return ret;
}

void live_repair_tick(void *ctx)
{
	struct live_repair *r = ctx;
	struct store_republish due[LIVE_REPAIR_BATCH];
	int64_t start = time_mono_ms();
	unsigned n;

	if (start < r->next_ms)
		return;
	r->next_ms = start + LIVE_REPAIR_EVERY_S * 1000;
	if (!r->store) {
		r->store = store_new(r->cfg);
		if (!r->store) {
			log_error("out of memory starting the live updates' repair");
			return;
		}
		/* The supervisor's loop waits on every query of ours. */
		store_set_io_timeout(r->store, LIVE_REPAIR_STORE_TIMEOUT_S);
	}
	/* The store logs its failures once per burst. One that fails (down,
	 * hung: each query may have waited LIVE_REPAIR_STORE_TIMEOUT_S, twice
	 * with the reconnect) is left alone for LIVE_REPAIR_BACKOFF_S, so that
	 * the supervisor spends most of its time supervising. */
	do {
		if (store_republish_due(r->store, due, LIVE_REPAIR_BATCH, &n))
			goto store_failed;
		for (unsigned i = 0; i < n; i++) {
			int rc = repair_one(r, &due[i]);
			if (rc < 0)
				goto store_failed;
			if (rc == 0 || time_mono_ms() - start >= LIVE_REPAIR_BUDGET_MS)
				return;
		}
	} while (n == LIVE_REPAIR_BATCH);
	return;
store_failed:
	r->next_ms = time_mono_ms() + LIVE_REPAIR_BACKOFF_S * 1000;
}
