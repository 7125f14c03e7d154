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
 * and the next change or the next subscriber puts the channel right.
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

/* Publishes r's state to its channel. 0, or -1 (counted in s for /metrics,
 * and logged). */
int live_publish(struct live *l, struct store *s, const struct gen_request *r);
/*
 * Before a stream is handed to r's channel: makes sure the channel holds a
 * message, publishing r's state when nginx has none (it restarted, or
 * nothing was published since). Waits up to LIVE_HANDOVER_TIMEOUT_MS. 0, or
 * -1 when nginx did not answer.
 */
int live_prepare_channel(struct live *l, struct store *s, const struct gen_request *r);

/* Publishes that failed since the process started. */
unsigned long long live_failures(const struct live *l);

#endif
