#ifndef GENTRACK_API_CLIENT_H
#define GENTRACK_API_CLIENT_H

#include "web/app.h"

/* The client API of SPEC §3: c->who is an authenticated client. */
void api_client_create(struct app_call *c);
void api_client_get(struct app_call *c);
void api_client_list(struct app_call *c);
void api_client_cancel(struct app_call *c);

#endif
