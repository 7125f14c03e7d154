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
 * 1 to go on with the batch, 0 to end the round (nginx did not take it, or
 * the store failed: the rest would fare no better).
 */
static int repair_one(struct live_repair *r, const struct store_republish *due)
{
	struct gen_request req;
	int go_on = 0;

	gen_request_init(&req);
	int rc = store_request_get(r->store, &due->id, NULL, &req);
	if (rc == STORE_NOT_FOUND) {
		go_on = store_republish_gone(r->store, &due->id, due->failed_at) >= 0;
		goto cleanup;
	}
	if (rc)
		goto cleanup;
	if (live_republish(r->live, &req) < 0)
		goto cleanup;
	/* 0 (kept: a newer loss or change) is fine: it is due in the next round. */
	go_on = store_republish_done(r->store, &due->id, due->failed_at, req.version) >= 0;
cleanup:
	gen_request_release(&req);
	return go_on;
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
	}
	/* A connection that failed is tried again here, every round; the store
	 * logs a failure once per burst. */
	do {
		if (store_republish_due(r->store, due, LIVE_REPAIR_BATCH, &n))
			return;
		for (unsigned i = 0; i < n; i++) {
			if (!repair_one(r, &due[i]))
				return;
			if (time_mono_ms() - start >= LIVE_REPAIR_BUDGET_MS)
				return;
		}
	} while (n == LIVE_REPAIR_BATCH);
}
