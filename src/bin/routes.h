#ifndef GENTRACK_ROUTES_H
#define GENTRACK_ROUTES_H

#include "web/router.h"

/*
 * The service's route table: every endpoint of SPEC §3 with its method,
 * path pattern, the credential it needs and its handler. It names the
 * handlers, so it sits above them (src/api/, src/admin/); the dispatcher
 * (web/dispatch.h) walks it without knowing any handler.
 */
extern const struct route_table routes_table;

#endif
