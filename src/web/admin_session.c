#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "web/admin_session.h"
#include "base/cookie.h"
#include "base/log.h"
#include "base/banned.h"

#define COOKIE_ATTRIBUTES "; Path=/admin; HttpOnly; SameSite=Strict"
#define COOKIE_ID_LEN 43   /* ADMIN_SESSION_ID_LEN bytes in base64url, no padding */
_Static_assert(COOKIE_ID_LEN < HANDLER_SESSION_COOKIE_MAX &&
	       COOKIE_ID_LEN + 1 == sodium_base64_ENCODED_LEN(ADMIN_SESSION_ID_LEN,
						sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	       "the cookie's id fits call_session.cookie");

/* The id the request's cookie carries, decoded. 0, or -1 for none or a malformed one. */
static int cookie_id(const struct call *c, unsigned char id[ADMIN_SESSION_ID_LEN])
{
	const char *v;
	size_t len, bin_len = 0;
	if (cookie_get(http_param(c->req, "HTTP_COOKIE"), ADMIN_SESSION_COOKIE, &v, &len) < 0 ||
	    len != COOKIE_ID_LEN)
		return -1;
	if (sodium_base642bin(id, ADMIN_SESSION_ID_LEN, v, len, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    bin_len != ADMIN_SESSION_ID_LEN) {
		sodium_memzero(id, ADMIN_SESSION_ID_LEN);
		return -1;
	}
	return 0;
}

/* What the store keeps of an id: a dump of the table gives no cookie. */
static void id_hash_of(const unsigned char id[ADMIN_SESSION_ID_LEN],
		       unsigned char hash[ADMIN_SESSION_HASH_LEN])
{
	crypto_generichash(hash, ADMIN_SESSION_HASH_LEN, id, ADMIN_SESSION_ID_LEN, NULL, 0);
}

/* A new session of c->admin from now; a failure is logged, the page goes on without. */
static void session_open(struct call *c, int64_t now)
{
	unsigned char id[ADMIN_SESSION_ID_LEN];
	struct call_session *s = &c->session;

	randombytes_buf(id, sizeof(id));
	id_hash_of(id, s->id_hash);
	s->expires = now + ADMIN_SESSION_TTL_S * US_PER_S;
	int rc = store_admin_session_open(c->store, s->id_hash, c->admin, now, s->expires,
					  ADMIN_SESSIONS_KEPT);
	if (rc) {
		log_error("admin %s: no page session opened (its forms will be refused): %s",
			  c->admin, store_last_error(c->store));
		sodium_memzero(id, sizeof(id));
		sodium_memzero(s, sizeof(*s));
		return;
	}
	sodium_bin2base64(s->cookie, sizeof(s->cookie), id, sizeof(id),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(id, sizeof(id));
	s->state = CALL_SESSION_OPENED;
	log_info("admin %s: page session opened", c->admin);
}

int admin_session_load(struct call *c, int may_open)
{
	unsigned char id[ADMIN_SESSION_ID_LEN];
	struct call_session *s = &c->session;
	int64_t now = TIME_NONE, expires = TIME_NONE;
	int rc;

	memset(s, 0, sizeof(*s));
	if (cookie_id(c, id) == 0) {
		id_hash_of(id, s->id_hash);
		sodium_memzero(id, sizeof(id));
		rc = store_admin_session_get(c->store, s->id_hash, c->admin, &now, &expires);
	} else {
		rc = store_now(c->store, &now);
	}
	if (rc) {
		sodium_memzero(s, sizeof(*s));
		s->state = CALL_SESSION_UNREAD;
		return rc;
	}
	c->now = now;
	if (expires != TIME_NONE) {
		s->state = CALL_SESSION_LIVE;
		s->expires = expires;
		return STORE_OK;
	}
	sodium_memzero(s, sizeof(*s));
	if (may_open)
		session_open(c, now);
	return STORE_OK;
}

/* Secure where the site is https: its base_url says so, or the web server (HTTPS=on). */
static const char *secure_attribute(const struct call *c)
{
	const char *https = http_param(c->req, "HTTPS");
	int tls = (c->cfg && c->cfg->base_url && !strncmp(c->cfg->base_url, "https://", 8)) ||
		  (https && *https && strcmp(https, "off"));
	return tls ? "; Secure" : "";
}

void admin_session_send(struct call *c)
{
	if (c->session.state != CALL_SESSION_OPENED)
		return;
	http_add_header(c->resp, "Set-Cookie", "%s=%s; Max-Age=%d" COOKIE_ATTRIBUTES "%s",
			ADMIN_SESSION_COOKIE, c->session.cookie, ADMIN_SESSION_TTL_S,
			secure_attribute(c));
}

int admin_session_end(struct call *c)
{
	unsigned char id[ADMIN_SESSION_ID_LEN], hash[ADMIN_SESSION_HASH_LEN];
	if (cookie_id(c, id) < 0)
		return STORE_OK;
	id_hash_of(id, hash);
	sodium_memzero(id, sizeof(id));
	int rc = store_admin_session_end(c->store, hash);
	if (rc)
		log_error("admin sign-out: the session was not ended: %s", store_last_error(c->store));
	else
		log_info("admin sign-out: page session ended");
	return rc;
}

void admin_session_forget(struct call *c)
{
	http_add_header(c->resp, "Set-Cookie", "%s=; Max-Age=0" COOKIE_ATTRIBUTES "%s",
			ADMIN_SESSION_COOKIE, secure_attribute(c));
}
