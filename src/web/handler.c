#include "build_config.h"

#include <string.h>

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
		if (auth_scheme_token(header, "Bearer", &key, &len) == 0 &&
		    auth_bearer_kind(key, len) == BEARER_STATUS_TOKEN) {
			handler_problem(c, problem_set(&p, 403, NULL,
						       "a status token reads (and cancels) its own "
						       "request only; this endpoint needs a key"));
			return -1;
		}
		handler_problem(c, problem_set(&p, 401, NULL,
					       "the Authorization header is not a gentrack Bearer key"));
		return -1;
	}
	auth_key_hash(key, len, hash);
	return 0;
}

/* The value of `token=` in a query string, up to the next '&'; NULL if none. */
static const char *query_token(const char *qs, size_t *len)
{
	for (const char *p = qs; p && (p = strstr(p, "token=")); p++) {
		if (p != qs && p[-1] != '&')
			continue;
		p += strlen("token=");
		*len = strcspn(p, "&");
		return p;
	}
	return NULL;
}

int handler_key_or_token_hash(struct call *c, enum auth_bearer *kind,
			      unsigned char hash[AUTH_HASH_LEN])
{
	struct problem p;
	const char *header = http_param(c->req, "HTTP_AUTHORIZATION");
	const char *tok = NULL;
	size_t len = 0;

	if (header && *header) {
		if (auth_scheme_token(header, "Bearer", &tok, &len) < 0)
			tok = NULL;
	} else {
		tok = query_token(c->req->query, &len);
		/* A key never goes in a URL: URLs end up in logs and histories. */
		if (tok && auth_bearer_kind(tok, len) != BEARER_STATUS_TOKEN)
			tok = NULL;
		if (!tok) {
			handler_problem(c, problem_set(&p, 401, NULL,
						       "an Authorization: Bearer <key> header (or a "
						       "status token as ?token=) is required"));
			return -1;
		}
	}
	*kind = tok ? auth_bearer_kind(tok, len) : BEARER_NONE;
	if (*kind == BEARER_NONE) {
		handler_problem(c, problem_set(&p, 401, NULL,
					       "the Authorization header is not a gentrack Bearer key "
					       "or status token"));
		return -1;
	}
	auth_key_hash(tok, len, hash);
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
