#ifndef GENTRACK_HTTP_H
#define GENTRACK_HTTP_H

#include <stddef.h>

#include "web/problem.h"
#include "base/strbuf.h"

/*
 * The FastCGI side of a request: the only module that includes fcgiapp.h.
 * A request's parameters and body live until http_request_finish(); nothing
 * from them may be kept across requests.
 */

struct http_request {
	void *fcgx;            /* FCGX_Request *, opaque outside http.c; NULL in a request a
	                        * test made itself (no body stream: a body reads as empty) */
	char **envp;           /* the parameters, "NAME=value", NULL-terminated; borrowed */
	const char *method;    /* REQUEST_METHOD, borrowed */
	char *path;            /* the raw path of REQUEST_URI without the query; owned */
	size_t path_len;
	const char *query;     /* the query of REQUEST_URI (else QUERY_STRING), "" when
	                        * absent; borrowed */
	char *body;            /* after http_read_body: owned, NUL-terminated */
	size_t body_len;
};

struct http_response {
	int status;
	const char *content_type;  /* static string */
	struct strbuf headers;     /* extra "Name: value\r\n" lines */
	struct strbuf body;
};

/* A FastCGI parameter (e.g. "HTTP_AUTHORIZATION"), or NULL. Borrowed. */
const char *http_param(const struct http_request *req, const char *name);

enum http_length {
	HTTP_LENGTH_OK = 0,
	HTTP_LENGTH_MALFORMED = -1,   /* 400 */
	HTTP_LENGTH_TOO_LARGE = -2,   /* 413 */
};

/*
 * A CONTENT_LENGTH value as the web server passes it: NULL or "" means 0;
 * otherwise ASCII digits only (leading zeros allowed; no sign, blank or
 * other byte), at most max. HTTP_LENGTH_OK with *len set, or
 * HTTP_LENGTH_MALFORMED (which wins over too large), or
 * HTTP_LENGTH_TOO_LARGE for any value over max, however long. Needs no
 * FastCGI request: http_read_body calls it, the unit test calls it alone.
 */
int http_parse_content_length(const char *value, size_t max, size_t *len);

/*
 * Reads the body, refusing one over `max` bytes (from CONTENT_LENGTH, before
 * reading) with 413, and a short or malformed one with 400. 0, or -1 with p set.
 */
int http_read_body(struct http_request *req, size_t max, struct problem *p);

void http_response_init(struct http_response *resp);
/* Empties the response for reuse, keeping its buffers. */
void http_response_reset(struct http_response *resp);
void http_response_release(struct http_response *resp);
/* Adds a header line; value must not contain CR or LF (the caller's values never do). */
void http_add_header(struct http_response *resp, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replaces the response with problem p (problem+json), adding Retry-After to 503. */
void http_set_problem(struct http_response *resp, const struct problem *p);

/* Whether the request is a HEAD: its route is the GET's, its answer has no body. */
int http_is_head(const struct http_request *req);

/* Writes len bytes somewhere; 0 or -1. */
typedef int http_put_fn(void *ctx, const char *bytes, size_t len);
/*
 * The CGI response of resp (Status, Content-Type and Content-Length, its
 * headers, a blank line, the body) through put. With head_only the body is
 * left out but Content-Length still gives its length, as HTTP wants the
 * answer to a HEAD. 204 and 304 have neither body nor Content-Length. Needs
 * no FastCGI request: http_send calls it, the unit test calls it alone. 0 or -1.
 */
int http_write_response(const struct http_response *resp, int head_only, http_put_fn *put,
			void *ctx);
/* Writes the answer to req to the FastCGI stream (no body for a HEAD). 0 or -1. */
int http_send(struct http_request *req, const struct http_response *resp);

/*
 * The accept loop's side of the request (used by the pool). http_listen opens
 * `addr` (a unix path or host:port) and returns the listening fd, or -1;
 * an empty addr means fd 0 (spawn-fcgi, systemd StandardInput=socket).
 */
int http_init(void);
int http_listen(const char *addr, char *err, size_t errlen);
/* Per-process request state on listening fd `fd`. NULL on OOM. */
struct http_request *http_request_new(int fd);
/* Waits for the next request. 0, or -1 when shutting down or on error. */
int http_request_accept(struct http_request *req);
/* Flushes and ends the current request, freeing what it owned. */
void http_request_finish(struct http_request *req);
void http_request_free(struct http_request *req);
/* Makes the accept loop return (async-signal-safe). */
void http_shutdown_pending(void);

#endif
