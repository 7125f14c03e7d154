#ifndef GENTRACK_ADMIN_DETAIL_H
#define GENTRACK_ADMIN_DETAIL_H

#include "base/query.h"
#include "web/handler.h"

/*
 * One request's admin page, internal to src/admin/: GET shows it, and a form
 * post that changed nothing shows it again with why.
 */

/*
 * The whole page of r into c's answer (status and type already set), with
 * the redirect-back message of q (may be NULL) and then `message` (may be
 * NULL) on top, styled as a success when ok.
 */
void detail_page(struct call *c, const struct gen_request *r, const struct query *q,
		 int ok, const char *message);

#endif
