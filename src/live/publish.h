#ifndef GENTRACK_LIVE_PUBLISH_H
#define GENTRACK_LIVE_PUBLISH_H

#include "base/config.h"
#include "base/strbuf.h"
#include "base/uuid.h"
#include "model/resource.h"
#include "store/store.h"

/*
 * Live updates (SPEC "events"): nginx's Nchan holds every waiting stream;
 * gentrack publishes each committed change of a request to its channel, on
 * the unix socket of nginx's publisher location ([live] nchan_socket). The
 * store stays the truth: a publish that fails costs no change anything (it
 * is bounded by LIVE_PUBLISH_TIMEOUT_MS, counted and logged once a burst),
 * and the request is recorded in the store (store_republish_mark), from
 * where the gentrack-fcgi supervisor publishes its state again within a few
 * seconds of nginx answering (live/repair.h): a subscriber already waiting
 * sees the truth then, without a further change or a reconnect.
 *
 * With [live] peers (several app hosts), each change goes to this host's
 * Nchan and then to each peer's publisher server in turn, as every host's
 * nginx holds its own clients' streams; one that fails queues the request
 * for the repair, which publishes to all of them again.
 */
struct live;

/* libcurl's global set-up: once, before any thread or child starts. 0 or -1. */
int live_global_init(void);

/* The publisher of cfg's [live] section; NULL when it names no socket
 * (*enabled 0) or on allocation failure (*enabled 1). */
struct live *live_new(const struct config *cfg, int *enabled);
void live_free(struct live *l);

/* A store_change_fn (ctx: the struct live): reads each changed request and
 * publishes its state. */
void live_on_change(void *ctx, struct store *s, const struct uuid *ids, unsigned n);

/* The message of a request's state: the resource without its entities,
 * constraints and metadata, plus its "version" (the ETag's number). Appends
 * to out (check out->oom). */
void live_render(const struct gen_request *r, struct strbuf *out);

/*
 * Publishes r's state to its channel. 0, or -1: logged, counted in s for
 * /metrics and recorded in s for the repair.
 *
 * A final state is the stream's last event, but its streams are not ended
 * here: the supervisor ends them LIVE_END_SETTLE_S later (live_end, from
 * live/repair.c). Nchan 1.3.6 with several nginx workers crashes a worker
 * when a channel is deleted while a subscriber to it is arriving on another
 * worker (bench/RESULTS.md): the delete tears down the owner worker's
 * channel head while the other worker's head still waits for the owner's
 * answer, and the interprocess messages that cross then meet freed heads.
 * Subscribers arrive at a finished request's channel only for a moment
 * after the final state (a hand-over that read the request before it; later
 * ones get the final state from the handler itself). A delete 3 s later
 * still crashed Nchan in a harness (while the other workers were still
 * letting go of the clients that had left); 20 s later, and never, it did
 * not.
 */
int live_publish(struct live *l, struct store *s, const struct gen_request *r);
/*
 * The repair's publish of r's state (live/repair.h): the same, waiting up to
 * LIVE_REPAIR_TIMEOUT_MS, and only logged when it fails: the request is
 * still recorded, and /metrics counted its loss once already. `end`: r's
 * final state was reached LIVE_END_SETTLE_S ago or more; its streams are
 * ended on every endpoint after the publish.
 */
int live_republish(struct live *l, const struct gen_request *r, int end);
/*
 * Ends the streams of request id on this host's nginx (a channel DELETE),
 * for a final state reached LIVE_END_SETTLE_S ago or more; waits up to
 * LIVE_REPAIR_TIMEOUT_MS. 0 (ended, or no channel), or -1 (logged) when
 * nginx did not answer.
 */
int live_end(struct live *l, const struct uuid *id);
/*
 * Before a stream is handed to r's channel: makes sure the channel holds a
 * message, publishing r's state when nginx has none (it restarted, or
 * nothing was published since). Waits up to LIVE_HANDOVER_TIMEOUT_MS. 0, or
 * -1 when nginx did not answer.
 */
int live_prepare_channel(struct live *l, struct store *s, const struct gen_request *r);

/*
 * The long poll (GET .../{id}?wait=N, api/api_wait.h) waits in nginx for
 * the first message after a mark: the id of the newest message in the
 * request's channel on this host's nginx, "<seconds>:<tag>", which every
 * later message of that channel exceeds.
 */
#define LIVE_MARK_MAX 32
/* What live_channel_mark answers when this host's nginx has no channel. */
#define LIVE_NO_CHANNEL 1
/*
 * The mark of the channel of `id`: 0 with mark set; LIVE_NO_CHANNEL (nginx
 * restarted, nothing was published yet, or the streams were ended after a
 * final state); -1 when nginx did not answer in LIVE_HANDOVER_TIMEOUT_MS or
 * answered something else.
 */
int live_channel_mark(struct live *l, struct store *s, const struct uuid *id,
		      char mark[LIVE_MARK_MAX]);
/*
 * Starts the channel of r on this host's nginx with r's state (a final
 * state too, without ending anything) and sets mark to that message's id.
 * 0, or -1 as live_channel_mark.
 */
int live_channel_start(struct live *l, struct store *s, const struct gen_request *r,
		       char mark[LIVE_MARK_MAX]);

/* Publishes that failed since the process started. */
unsigned long long live_failures(const struct live *l);

#endif
