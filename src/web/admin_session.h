#ifndef GENTRACK_ADMIN_SESSION_H
#define GENTRACK_ADMIN_SESSION_H

#include "web/handler.h"

/*
 * The admin pages' session: what ties the CSRF tokens of a page's forms
 * (admin/csrf.h) to one sign-in in one browser, so that signing out voids
 * them. A random id of ADMIN_SESSION_ID_LEN bytes in the cookie
 * ADMIN_SESSION_COOKIE (HttpOnly, SameSite=Strict, Path=/admin, Secure on
 * an https site), stored only as its BLAKE2b hash with the admin's name and
 * an expiry, ADMIN_SESSION_TTL_S after the sign-in (store/sessions.c).
 *
 * It is not a credential: every request still needs the admin's Basic
 * password (web/admin_auth.h), and nothing but the pages' forms reads it.
 * The JSON twins refuse any request that carries a cookie.
 */
#define ADMIN_SESSION_COOKIE "gentrack_session"

/*
 * For an admin page whose Basic credentials passed (c->admin set): reads
 * the store's clock into c->now and, in the same statement, the session the
 * request's cookie names, if it is a live one of c->admin (c->session LIVE).
 * Else, with may_open (a GET or HEAD: a form post never opens one), opens a
 * new session (c->session OPENED; admin_session_send sends its cookie).
 * STORE_OK when c->now was read from the store, whether or not a session
 * could be opened (a page without one still shows; its forms are refused);
 * else the store's failure, with c->now left alone and c->session UNREAD.
 */
int admin_session_load(struct call *c, int may_open);
/* Adds the Set-Cookie of a session this request opened (none otherwise). */
void admin_session_send(struct call *c);
/*
 * /admin/logout: ends the session the request's cookie names, whoever's it
 * is (knowing its id is owning it). STORE_OK also when there is none.
 */
int admin_session_end(struct call *c);
/* Adds the Set-Cookie that makes the browser drop its session cookie. */
void admin_session_forget(struct call *c);

#endif
