#include "build_config.h"

#include <sodium.h>
#include <stdio.h>

#include "web/admin_auth.h"
#include "web/basic_auth.h"
#include "base/log.h"
#include "base/banned.h"

void admin_auth_refuse(struct call *c, route_page *page, const char *realm,
		       const char *sentence)
{
	struct problem p;
	http_response_reset(c->resp);
	c->resp->status = 401;
	if (page) {
		page(c, 401, sentence);
	} else {
		/* Not http_set_problem: its challenge is Bearer, this one Basic. */
		c->resp->content_type = PROBLEM_CONTENT_TYPE;
		problem_render(problem_set(&p, 401, NULL, "%s", sentence), &c->resp->body);
	}
	http_add_header(c->resp, "WWW-Authenticate", "Basic realm=\"%s\", charset=\"UTF-8\"", realm);
}

int admin_auth_check(struct call *c, route_page *page)
{
	struct basic_credentials cred;
	char *hash = c->admin_hash;
	const char *header = http_param(c->req, "HTTP_AUTHORIZATION");
	int ok = 0;

	if (!header || basic_auth_parse(header, &cred) < 0) {
		/* A bearer key of a client or worker lands here too: not an admin. */
		admin_auth_refuse(c, page, BASIC_AUTH_REALM,
				  "the admin pages need an admin account's user name and password");
		return -1;
	}
	int rc = auth_owner_valid(cred.user)
		 ? store_admin_user_get(c->store, cred.user, hash, HANDLER_ADMIN_HASH_MAX)
		 : STORE_NOT_FOUND;
	if (rc && rc != STORE_NOT_FOUND) {
		basic_auth_clear(&cred);
		sodium_memzero(c->admin_hash, sizeof(c->admin_hash));
		handler_store_problem(c, rc, "admin account");
		return -1;
	}
	/* An unknown user is checked against a dummy hash: same time, same answer. */
	ok = basic_auth_verify(rc == STORE_OK ? hash : NULL, cred.password,
			       cred.password_len) == 0;
	if (ok)
		snprintf(c->admin, sizeof(c->admin), "%s", cred.user);
	basic_auth_clear(&cred);
	if (!ok) {
		/* The hash stays only for the admin who proved to know its password. */
		sodium_memzero(c->admin_hash, sizeof(c->admin_hash));
		log_warn("admin sign-in refused");
		admin_auth_refuse(c, page, BASIC_AUTH_REALM, "wrong user name or password");
		return -1;
	}
	return 0;
}
