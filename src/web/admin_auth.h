#ifndef GENTRACK_ADMIN_AUTH_H
#define GENTRACK_ADMIN_AUTH_H

#include "web/handler.h"

/*
 * The admin accounts' side of authentication, below the handlers: HTTP Basic
 * credentials (web/basic_auth.h) checked against admin_users (Argon2id), as
 * the dispatcher does for ROUTE_AUTH_ADMIN and ROUTE_AUTH_OPERATOR routes.
 * The admin pages themselves (and their CSRF tokens) live in src/admin/.
 */

/*
 * Checks the request's Basic credentials. 0 with c->admin and c->admin_hash
 * set; or -1 with the answer set: a 401 (see admin_auth_refuse) for missing,
 * malformed or wrong credentials, a store problem when the accounts cannot be
 * read.
 */
int admin_auth_check(struct call *c, route_page *page);

/*
 * Answers 401 with a Basic challenge of `realm`: problem+json saying
 * `sentence` when page is NULL, else page(c, 401, sentence).
 */
void admin_auth_refuse(struct call *c, route_page *page, const char *realm,
		       const char *sentence);

#endif
