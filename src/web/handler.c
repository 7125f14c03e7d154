#include "build_config.h"

#include "web/handler.h"
#include "base/log.h"
#include "base/banned.h"

void handler_problem(struct call *c, const struct problem *p)
{
	http_set_problem(c->resp, p);
}

void handler_store_problem(struct call *c, int rc, const char *what)
{
	struct problem p;
	switch (rc) {
	case STORE_NOT_FOUND:
		problem_set(&p, 404, NULL, "no %s with that id", what);
		break;
	case STORE_CONFLICT:
		problem_set(&p, 409, NULL, "the %s changed meanwhile; try again", what);
		break;
	case STORE_UNAVAILABLE:
		problem_set(&p, 503, NULL, "the store is unavailable; try again shortly");
		break;
	default:
		/* The detail goes to the log; the client gets no SQL text. */
		log_error("%s: %s", what, store_last_error(c->store));
		problem_set(&p, 500, NULL, "internal error");
		break;
	}
	http_set_problem(c->resp, &p);
}

int handler_bearer_hash(struct call *c, unsigned char hash[AUTH_HASH_LEN])
{
	struct problem p;
	const char *header = http_param(c->req, "HTTP_AUTHORIZATION");
	const char *key;
	size_t len;

	if (!header || !*header) {
		handler_problem(c, problem_set(&p, 401, NULL,
					       "an Authorization: Bearer <key> header is required"));
		return -1;
	}
	if (auth_parse_bearer(header, &key, &len) < 0) {
		handler_problem(c, problem_set(&p, 401, NULL,
					       "the Authorization header is not a gentrack Bearer key"));
		return -1;
	}
	auth_key_hash(key, len, hash);
	return 0;
}

void handler_unknown_key(struct call *c)
{
	struct problem p;
	handler_problem(c, problem_set(&p, 401, NULL, "unknown or revoked key"));
}

int handler_require_role(struct call *c, enum auth_role role)
{
	struct problem p;
	if (c->who.role == role)
		return 0;
	handler_problem(c, problem_set(&p, 403, NULL, "this endpoint needs a %s key, not a %s key",
				       auth_role_name(role), auth_role_name(c->who.role)));
	return -1;
}
