#ifndef GENTRACK_API_CLIENT_H
#define GENTRACK_API_CLIENT_H

#include "web/handler.h"

/* The client API of SPEC §3: c->who is an authenticated client. */
void api_client_create(struct call *c);
void api_client_get(struct call *c);
void api_client_list(struct call *c);
void api_client_cancel(struct call *c);

#endif
