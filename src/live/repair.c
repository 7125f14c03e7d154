#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "live/repair.h"
#include "live/publish.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "model/lifecycle.h"
#include "store/store.h"
#include "base/banned.h"

struct live_repair {
	const struct config *cfg;
	struct live *live;
	struct store *store;   /* made at the first round: in the supervisor only */
	int64_t next_ms;       /* time_mono_ms() of the next round */
	struct store_live_end ended; /* the last request whose streams were ended */
	int ended_set;         /* ended holds a cursor (after the first round) */
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
 * *now is the store's time, read at the first final state of the round.
 * 1 to go on with the batch; 0 to end the round, nginx not taking it (the
 * rest would wait for nothing); -1 the store failed.
 */
static int repair_one(struct live_repair *r, const struct store_republish *due, int64_t *now)
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
	/* A final state's streams are ended only once it is settled
	 * (live/publish.h): then with this publish; before, by the end round
	 * once the row is gone (it skips the requests waiting here). */
	int end = 0;
	if (lifecycle_is_terminal(req.status)) {
		if (*now == TIME_NONE && store_now(r->store, now))
			goto cleanup;
		end = *now - req.updated_at >= (int64_t)LIVE_END_SETTLE_S * US_PER_S;
	}
	if (live_republish(r->live, &req, end) < 0) {
		ret = 0;
		goto cleanup;
	}
	/* 0 (kept: a newer loss or change) is fine: it is due in the next round. */
	ret = store_republish_done(r->store, &due->id, due->failed_at, req.version) >= 0 ? 1 : -1;
cleanup:
	gen_request_release(&req);
	return ret;
}

/* The republish part of a round. 0, or -1 when the store failed. */
static int repair_round(struct live_repair *r)
{
	struct store_republish due[LIVE_REPAIR_BATCH];
	int64_t start = time_mono_ms(), now = TIME_NONE;
	unsigned n;

	do {
		if (store_republish_due(r->store, due, LIVE_REPAIR_BATCH, &n))
			return -1;
		for (unsigned i = 0; i < n; i++) {
			int rc = repair_one(r, &due[i], &now);
			if (rc < 0)
				return -1;
			if (rc == 0 || time_mono_ms() - start >= LIVE_REPAIR_BUDGET_MS)
				return 0;
		}
	} while (n == LIVE_REPAIR_BATCH);
	return 0;
}

/*
 * The end part of a round: the streams of every request that reached its
 * final state LIVE_END_SETTLE_S ago or more, since the last round's, ended
 * on this host's nginx (each host's supervisor ends its own nginx's), in
 * order. When nginx does not answer, the round stops there and the next
 * one starts again from that request. 0, or -1 when the store failed.
 */
static int end_round(struct live_repair *r)
{
	struct store_live_end ended[LIVE_REPAIR_BATCH];
	int64_t start = time_mono_ms();
	unsigned n;

	if (!r->ended_set) {
		int64_t now;
		if (store_now(r->store, &now))
			return -1;
		memset(&r->ended, 0, sizeof(r->ended));
		r->ended.ended_at = now - (int64_t)(LIVE_END_SETTLE_S + LIVE_END_LOOKBACK_S) * US_PER_S;
		r->ended_set = 1;
	}
	do {
		if (store_live_ended(r->store, &r->ended, (int64_t)LIVE_END_SETTLE_S * US_PER_S, ended,
				     LIVE_REPAIR_BATCH, &n))
			return -1;
		for (unsigned i = 0; i < n; i++) {
			if (live_end(r->live, &ended[i].id) < 0)
				return 0;
			r->ended = ended[i];
			if (time_mono_ms() - start >= LIVE_END_BUDGET_MS)
				return 0;
		}
	} while (n == LIVE_REPAIR_BATCH);
	return 0;
}

void live_repair_tick(void *ctx)
{
	struct live_repair *r = ctx;
	int64_t start = time_mono_ms();

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
	if (repair_round(r) == 0 && end_round(r) == 0)
		return;
	r->next_ms = time_mono_ms() + LIVE_REPAIR_BACKOFF_S * 1000;
}
