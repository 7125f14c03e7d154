#ifndef GENTRACK_LIVE_REPAIR_H
#define GENTRACK_LIVE_REPAIR_H

#include "base/config.h"

/*
 * The repair of lost publishes (issue 13): a publish that fails records its
 * request in the store (live/publish.h); the repair publishes the state the
 * store has now for each recorded request, oldest loss first, and forgets
 * the row only when nginx took it and no newer loss was recorded meanwhile.
 * So a subscriber already connected sees the truth within
 * LIVE_REPAIR_EVERY_S (plus a batch's time) of nginx answering again, with
 * no further change to the request: the stream's delay is bounded, not
 * "until the next change".
 *
 * The same rounds end the streams of finished requests (live/publish.h):
 * every request whose final state is LIVE_END_SETTLE_S old or more, since
 * the last round's, has its channel deleted on this host's nginx, in order
 * (while nginx does not answer, the rounds start again from the first not
 * ended). A request waiting for the repair is left to it: it publishes a
 * final state and, once it is that old, ends the streams on every host.
 *
 * It runs in the gentrack-fcgi supervisor (pool_run's tick): the children
 * block in accept and gentrackctl runs once. On several hosts (Galera),
 * every supervisor repairs the same rows: harmless, as each publishes the
 * store's current state and the deletes are fenced on failed_at.
 *
 * Its store connection is opened at the first tick, in the supervisor only,
 * after the children were forked; a child forked later inherits the socket
 * but never uses it (the children make their own stores).
 */
struct live_repair;

/* A repair for cfg (borrowed, must outlive it); NULL when live updates are
 * off in cfg or on allocation failure. Connects nothing yet. */
struct live_repair *live_repair_new(const struct config *cfg);
void live_repair_free(struct live_repair *r);

/*
 * One round when LIVE_REPAIR_EVERY_S have passed since the last, else
 * nothing: batches of LIVE_REPAIR_BATCH for at most LIVE_REPAIR_BUDGET_MS,
 * stopping at the first publish nginx does not take (the rest would wait
 * for nothing); then the streams to end, for at most LIVE_END_BUDGET_MS
 * (the rest in the next round). Store errors are logged by the store and end the round;
 * the next one comes after LIVE_REPAIR_BACKOFF_S, and a hung store costs
 * the supervisor at most about 2 x LIVE_REPAIR_STORE_TIMEOUT_S per round.
 * A pool_tick_fn (ctx: the struct live_repair).
 */
void live_repair_tick(void *ctx);

#endif
