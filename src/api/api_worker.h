#ifndef GENTRACK_API_WORKER_H
#define GENTRACK_API_WORKER_H

#include "web/handler.h"

/* The worker API of SPEC §3: c->who is an authenticated worker. */
void api_worker_claim(struct call *c);
void api_worker_heartbeat(struct call *c);
void api_worker_entities(struct call *c);
void api_worker_complete(struct call *c);

#endif
