#ifndef GENTRACK_API_WORKER_H
#define GENTRACK_API_WORKER_H

#include "web/app.h"

/* The worker API of SPEC §3: c->who is an authenticated worker. */
void api_worker_claim(struct app_call *c);
void api_worker_heartbeat(struct app_call *c);
void api_worker_entities(struct app_call *c);
void api_worker_complete(struct app_call *c);

#endif
