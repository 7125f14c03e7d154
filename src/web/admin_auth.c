#include "build_config.h"

#include <sodium.h>
#include <stdio.h>

#include "web/admin_auth.h"
#include "web/basic_auth.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/banned.h"

void admin_auth_init(struct admin_auth *a)
{
	admin_cache_init(&a->cache, ADMIN_CACHE_TTL_S * US_PER_S);
	login_limit_init(&a->own, LOGIN_LIMIT_WINDOW_S * US_PER_S);
	a->limit = &a->own;
	/* A failure leaves the turn without results: one Argon2id a sign-in. */
	if (verify_turn_init(&a->own_turn, ADMIN_CACHE_TTL_S * US_PER_S) < 0)
		log_warn("no random key for the sign-in results: each sign-in is checked");
	a->turn = &a->own_turn;
	a->per_address = LOGIN_LIMIT_PER_ADDRESS;
	a->per_user = LOGIN_LIMIT_PER_USER;
}

void admin_auth_share(struct admin_auth *a, struct login_limit *limit,
		      struct verify_turn *turn)
{
	a->limit = limit ? limit : &a->own;
	a->turn = turn ? turn : &a->own_turn;
}

void admin_auth_release(struct admin_auth *a)
{
	admin_cache_release(&a->cache);
	verify_turn_release(&a->own_turn);
}

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

/* 429 for a sign-in past its failures: wait_us more to wait. No challenge:
 * a browser would only prompt again, and the answer would not change. */
static void refuse_too_many(struct call *c, route_page *page, int64_t wait_us, int busy)
{
	const char *sentence = busy ? "another sign-in is being checked; retry in a second"
			       : "too many failed sign-ins from this address or for this user; retry later";
	struct problem p;
	long long secs = (long long)((wait_us + US_PER_S - 1) / US_PER_S);

	http_response_reset(c->resp);
	c->resp->status = 429;
	if (page) {
		page(c, 429, busy ? "Another sign-in is being checked. Reload in a second."
			     : "Too many failed sign-ins from this address or for this user. "
			       "Wait a minute, then sign in again.");
	} else {
		c->resp->content_type = PROBLEM_CONTENT_TYPE;
		problem_render(problem_set(&p, 429, busy ? "sign-in-busy" : "too-many-sign-ins",
					   "%s", sentence),
			       &c->resp->body);
	}
	http_add_header(c->resp, "Retry-After", "%lld", secs < 1 ? 1 : secs);
}

/* The limiter's keys of this request: its address and the user name it gave. */
static void limit_keys(const struct call *c, const char *user,
		       char addr_key[LOGIN_LIMIT_KEY_MAX + 1], char user_key[LOGIN_LIMIT_KEY_MAX + 1])
{
	const char *addr = http_param(c->req, "REMOTE_ADDR");
	snprintf(addr_key, LOGIN_LIMIT_KEY_MAX + 1, "a:%s", addr ? addr : "");
	snprintf(user_key, LOGIN_LIMIT_KEY_MAX + 1, "u:%s", user);
}

/*
 * Asks for the pool's Argon2id turn for `digest`. While another child checks
 * the same credential (the same admin's other page, at the same moment), it
 * waits for that result in short naps rather than refuse the admin's own
 * page; at most the lease, after which the turn is free anyway. A guesser's
 * other credentials are never SAME, so they still get BUSY at once.
 */
static enum verify_turn_answer take_turn(struct admin_auth *a,
					 const unsigned char digest[VERIFY_TURN_DIGEST_LEN],
					 int64_t now_us, int64_t *checked_at_us)
{
	const int64_t lease_us = ADMIN_VERIFY_LEASE_S * US_PER_S;
	int64_t start_ms = time_mono_ms(), waited_ms = 0;
	enum verify_turn_answer answer;

	answer = verify_turn_begin(a->turn, digest, now_us, lease_us, checked_at_us);
	while (answer == VERIFY_TURN_SAME && waited_ms < ADMIN_VERIFY_LEASE_S * 1000) {
		(void)time_nap_ms(ADMIN_VERIFY_POLL_MS, NULL);
		waited_ms = time_mono_ms() - start_ms;
		/* The request's clock, moved on by the monotonic time waited. */
		answer = verify_turn_begin(a->turn, digest, now_us + waited_ms * 1000, lease_us,
					   checked_at_us);
	}
	return answer;
}

int admin_auth_check(struct admin_auth *a, struct call *c, route_page *page)
{
	struct basic_credentials cred;
	char addr_key[LOGIN_LIMIT_KEY_MAX + 1], user_key[LOGIN_LIMIT_KEY_MAX + 1];
	char *hash = c->admin_hash;
	const char *header = http_param(c->req, "HTTP_AUTHORIZATION");
	int ok = 0;

	if (!header || basic_auth_parse(header, &cred) < 0) {
		/* A bearer key of a client or worker lands here too: not an admin. */
		admin_auth_refuse(c, page, BASIC_AUTH_REALM,
				  "the admin pages need an admin account's user name and password");
		return -1;
	}
	/*
	 * Before the cache: a right password must not get through where a
	 * guess would get 429, or the cache would answer guesses for free.
	 */
	limit_keys(c, cred.user, addr_key, user_key);
	int64_t wait_a = login_limit_wait(a->limit, addr_key, a->per_address, c->now);
	int64_t wait_u = login_limit_wait(a->limit, user_key, a->per_user, c->now);
	if (wait_a > 0 || wait_u > 0) {
		basic_auth_clear(&cred);
		sodium_memzero(c->admin_hash, sizeof(c->admin_hash));
		refuse_too_many(c, page, wait_a > wait_u ? wait_a : wait_u, 0);
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
	const char *stored = rc == STORE_OK ? hash : NULL;
	if (admin_cache_hit(&a->cache, cred.user, cred.password, cred.password_len, stored,
			    c->now)) {
		ok = 1;
	} else {
		unsigned char digest[VERIFY_TURN_DIGEST_LEN];
		int64_t checked_at = 0;
		verify_turn_digest(a->turn, cred.user, cred.password, cred.password_len, stored,
				   digest);
		switch (take_turn(a, digest, c->now, &checked_at)) {
		case VERIFY_TURN_SAME:
		case VERIFY_TURN_BUSY:
			/* One Argon2id at a time in the pool: a burst of guesses from
			 * many addresses, before their limits answer, cannot pin every
			 * child. */
			sodium_memzero(digest, sizeof(digest));
			basic_auth_clear(&cred);
			sodium_memzero(c->admin_hash, sizeof(c->admin_hash));
			refuse_too_many(c, page, US_PER_S, 1);
			return -1;
		case VERIFY_TURN_PASSED:
			/* Remembered from when that check began: no longer than its own. */
			ok = 1;
			admin_cache_put(&a->cache, cred.user, cred.password, cred.password_len,
					stored, checked_at);
			log_info("admin %s signed in: the pool's check of this password passed",
				 cred.user);
			break;
		case VERIFY_TURN_FAILED:
			/* Counted below as this request's own failure. */
			ok = 0;
			break;
		case VERIFY_TURN_YOURS:
			/* An unknown user is checked against a dummy hash: same time, same answer. */
			ok = basic_auth_verify(stored, cred.password, cred.password_len) == 0;
			verify_turn_end(a->turn, digest, ok);
			if (ok) {
				admin_cache_put(&a->cache, cred.user, cred.password,
						cred.password_len, stored, c->now);
				log_info("admin %s signed in: password verified, remembered for %d s",
					 cred.user, ADMIN_CACHE_TTL_S);
			}
			break;
		}
		sodium_memzero(digest, sizeof(digest));
	}
	if (ok)
		snprintf(c->admin, sizeof(c->admin), "%s", cred.user);
	basic_auth_clear(&cred);
	if (!ok) {
		login_limit_fail(a->limit, addr_key, c->now);
		login_limit_fail(a->limit, user_key, c->now);
		/* The hash stays only for the admin who proved to know its password. */
		sodium_memzero(c->admin_hash, sizeof(c->admin_hash));
		log_warn("admin sign-in refused");
		admin_auth_refuse(c, page, BASIC_AUTH_REALM, "wrong user name or password");
		return -1;
	}
	return 0;
}
