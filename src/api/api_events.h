#ifndef GENTRACK_API_EVENTS_H
#define GENTRACK_API_EVENTS_H

#include "web/handler.h"

/*
 * GET /api/v1/generation-requests/{id}/events (SPEC "events"): checks the
 * caller and the request, then hands the connection to nginx's Nchan with
 * X-Accel-Redirect, so no FastCGI child holds it. A request already
 * finished gets its final state from here and the stream ends.
 */
void api_client_events(struct call *c);

#endif
