#include "build_config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "web/http.h"
#include "base/limits.h"
#include "base/number.h"
#include "base/banned.h"

#define LISTEN_BACKLOG 1024

const char *http_param(const struct http_request *req, const char *name)
{
	return FCGX_GetParam(name, req->envp);
}

int http_parse_content_length(const char *value, size_t max, size_t *len)
{
	size_t n = 0;
	int over = 0;

	if (!value)
		value = "";
	/* Every byte is looked at, so a malformed value is 400 even when it is also huge. */
	for (const char *c = value; *c; c++) {
		if (*c < '0' || *c > '9')
			return HTTP_LENGTH_MALFORMED;
		size_t d = (size_t)(*c - '0');
		if (over)
			continue;
		/* Past max the value is refused anyway: stop counting before it could wrap. */
		if (n > max / 10 || (n == max / 10 && d > max % 10))
			over = 1;
		else
			n = n * 10 + d;
	}
	if (over)
		return HTTP_LENGTH_TOO_LARGE;
	*len = n;
	return HTTP_LENGTH_OK;
}

int http_read_body(struct http_request *req, size_t max, struct problem *p)
{
	FCGX_Request *r = req->fcgx;
	size_t len = 0;

	switch (http_parse_content_length(http_param(req, "CONTENT_LENGTH"), max, &len)) {
	case HTTP_LENGTH_OK:
		break;
	case HTTP_LENGTH_MALFORMED:
		problem_set(p, 400, "invalid-request", "malformed Content-Length");
		return -1;
	default:
		problem_set(p, 413, NULL, "request body is larger than %zu bytes", max);
		return -1;
	}
	req->body = malloc(len + 1);
	if (!req->body) {
		problem_set(p, 500, NULL, "out of memory");
		return -1;
	}
	size_t got = 0;
	while (r && got < len) {
		int n = FCGX_GetStr(req->body + got, (int)(len - got), r->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req->body[got] = '\0';
	req->body_len = got;
	if (got != len) {
		problem_set(p, 400, "invalid-request", "request body shorter than Content-Length");
		return -1;
	}
	return 0;
}

void http_response_init(struct http_response *resp)
{
	resp->status = 200;
	resp->content_type = NULL;
	strbuf_init(&resp->headers);
	strbuf_init(&resp->body);
}

void http_response_reset(struct http_response *resp)
{
	resp->status = 200;
	resp->content_type = NULL;
	strbuf_reset(&resp->headers);
	strbuf_reset(&resp->body);
	resp->headers.oom = 0;
	resp->body.oom = 0;
}

void http_response_release(struct http_response *resp)
{
	strbuf_release(&resp->headers);
	strbuf_release(&resp->body);
}

void http_add_header(struct http_response *resp, const char *name, const char *fmt, ...)
{
	va_list ap;
	strbuf_addstr(&resp->headers, name);
	strbuf_add(&resp->headers, ": ", 2);
	va_start(ap, fmt);
	/* What a status answer's headers are made of (a constant, a tag, a
	 * Retry-After) without printf; anything else through it. */
	if (!strchr(fmt, '%')) {
		strbuf_addstr(&resp->headers, fmt);
	} else if (!strcmp(fmt, "%s")) {
		const char *v = va_arg(ap, const char *);
		strbuf_addstr(&resp->headers, v ? v : "(null)");
	} else if (!strcmp(fmt, "%d")) {
		strbuf_add_i64(&resp->headers, va_arg(ap, int));
	} else {
		strbuf_vaddf(&resp->headers, fmt, ap);
	}
	va_end(ap);
	strbuf_add(&resp->headers, "\r\n", 2);
}

void http_set_problem(struct http_response *resp, const struct problem *p)
{
	http_response_reset(resp);
	resp->status = p->status;
	resp->content_type = PROBLEM_CONTENT_TYPE;
	problem_render(p, &resp->body);
	if (p->status == 503)
		http_add_header(resp, "Retry-After", "5");
	if (p->status == 401)
		http_add_header(resp, "WWW-Authenticate", "Bearer realm=\"gentrack\"");
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	default: return problem_status_title(status);
	}
}

int http_is_head(const struct http_request *req)
{
	return req->method && !strcmp(req->method, "HEAD");
}

int http_write_response(const struct http_response *resp, int head_only, http_put_fn *put,
			void *ctx)
{
	static const char oom_body[] =
		"{\"type\":\"urn:gentrack:problem:internal-error\",\"title\":\"Internal Server Error\","
		"\"status\":500,\"detail\":\"out of memory\"}";
	char line[256];
	int status = resp->status;
	const char *ctype = resp->content_type ? resp->content_type : "application/json";
	const char *body = resp->body.buf;
	size_t body_len = resp->body.len;
	const char *extra = resp->headers.buf;
	size_t extra_len = resp->headers.len;

	if (resp->body.oom || resp->headers.oom) {
		status = 500;
		ctype = PROBLEM_CONTENT_TYPE;
		body = oom_body;
		body_len = sizeof(oom_body) - 1;
		extra_len = 0;
	}
	int no_body = status == 204 || status == 304;
	/* FCGX_FPrintF does not know %zu: format here, write with put. The
	 * lines of every answer, without printf: three digits and a phrase,
	 * a type and a number. */
	const char *reason = reason_phrase(status);
	size_t n = 0, reason_len = strlen(reason);
	if (status < 100 || status > 999 || reason_len > sizeof(line) - 8 - 3 - 1 - 2)
		return -1;
	memcpy(line, "Status: ", 8);
	n = 8;
	n += number_u64_format((uint64_t)status, line + n);
	line[n++] = ' ';
	memcpy(line + n, reason, reason_len);
	n += reason_len;
	line[n++] = '\r';
	line[n++] = '\n';
	if (put(ctx, line, n) < 0)
		return -1;
	if (!no_body) {
		/* For HEAD too: the length of the body a GET would get. */
		size_t ctype_len = strlen(ctype);
		if (ctype_len > sizeof(line) - 14 - 18 - NUMBER_U64_DIGITS - 2)
			return -1;
		memcpy(line, "Content-Type: ", 14);
		n = 14;
		memcpy(line + n, ctype, ctype_len);
		n += ctype_len;
		memcpy(line + n, "\r\nContent-Length: ", 18);
		n += 18;
		n += number_u64_format((uint64_t)body_len, line + n);
		line[n++] = '\r';
		line[n++] = '\n';
		if (put(ctx, line, n) < 0)
			return -1;
	}
	if (extra_len && put(ctx, extra, extra_len) < 0)
		return -1;
	if (put(ctx, "\r\n", 2) < 0)
		return -1;
	if (!no_body && !head_only && body_len && put(ctx, body, body_len) < 0)
		return -1;
	return 0;
}

static int fcgx_put(void *ctx, const char *bytes, size_t len)
{
	if (len > INT_MAX)
		return -1;
	return FCGX_PutStr(bytes, (int)len, ctx) < 0 ? -1 : 0;
}

int http_send(struct http_request *req, const struct http_response *resp)
{
	FCGX_Request *r = req->fcgx;
	/* nginx drops the body of a HEAD answer itself, but the application sends
	 * none: another front end might pass it on, where it would be read as
	 * the start of the next response. */
	return http_write_response(resp, http_is_head(req), fcgx_put, r->out);
}

int http_init(void)
{
	return FCGX_Init() ? -1 : 0;
}

/* Whether a unix socket at path answers: then another instance owns it. */
static int unix_socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	int used = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return used;
}

int http_listen(const char *addr, char *err, size_t errlen)
{
	if (!addr || !*addr) {
		int listening = 0;
		socklen_t len = sizeof(listening);
		if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
			snprintf(err, errlen,
				 "no listen address configured and fd 0 is not a listening socket "
				 "(use --listen, [server] listen, spawn-fcgi or a systemd socket)");
			return -1;
		}
		return 0;
	}
	int is_path = strchr(addr, '/') != NULL;
	if (!is_path && addr[0] == ':') {
		/* ":9000" would listen on every interface: say which one. */
		snprintf(err, errlen, "listen address '%s' has no host: use 127.0.0.1%s", addr, addr);
		return -1;
	}
	/* FCGX_OpenSocket unlinks an existing path, stealing a running instance's socket. */
	if (is_path && unix_socket_in_use(addr)) {
		snprintf(err, errlen, "socket %s is in use by another process", addr);
		return -1;
	}
	int fd = FCGX_OpenSocket(addr, LISTEN_BACKLOG);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
		return -1;
	}
	return fd;
}

struct http_request *http_request_new(int fd)
{
	struct http_request *req = calloc(1, sizeof(*req));
	FCGX_Request *r = calloc(1, sizeof(*r));
	if (!req || !r || FCGX_InitRequest(r, fd, FCGI_FAIL_ACCEPT_ON_INTR)) {
		free(req);
		free(r);
		return NULL;
	}
	req->fcgx = r;
	return req;
}

int http_request_accept(struct http_request *req)
{
	FCGX_Request *r = req->fcgx;
	if (FCGX_Accept_r(r) < 0)
		return -1;
	req->envp = r->envp;
	req->method = FCGX_GetParam("REQUEST_METHOD", r->envp);
	if (!req->method)
		req->method = "GET";
	const char *uri = FCGX_GetParam("REQUEST_URI", r->envp);
	if (!uri)
		uri = FCGX_GetParam("DOCUMENT_URI", r->envp);
	if (!uri)
		uri = "/";
	size_t n = strcspn(uri, "?");
	/* The query of the URI the path comes from, the client's: after an
	 * internal redirect (a long poll handed back by nginx, api/api_wait.h)
	 * QUERY_STRING holds the redirect's arguments instead. */
	if (FCGX_GetParam("REQUEST_URI", r->envp))
		req->query = uri[n] == '?' ? uri + n + 1 : "";
	else
		req->query = FCGX_GetParam("QUERY_STRING", r->envp);
	if (!req->query)
		req->query = "";
	req->path = malloc(n + 1);
	if (!req->path) {
		FCGX_Finish_r(r);
		return -1;
	}
	memcpy(req->path, uri, n);
	req->path[n] = '\0';
	req->path_len = n;
	return 0;
}

/*
 * Reads what is left of the request's input (a GET's empty stdin record, a
 * body not read), at most HTTP_DRAIN_MAX bytes. 1 when its end was reached:
 * nginx then has nothing more to send on this connection, and closing it at
 * once is safe (no unread data, so no reset, on TCP as on a unix socket).
 */
static int input_drained(FCGX_Request *r)
{
	char trash[4096];
	size_t left = HTTP_DRAIN_MAX;

	while (!FCGX_HasSeenEOF(r->in) && left) {
		int n = FCGX_GetStr(trash, (int)sizeof(trash), r->in);
		if (n <= 0)
			break;
		left -= (size_t)n < left ? (size_t)n : left;
	}
	return FCGX_HasSeenEOF(r->in) == EOF && !FCGX_GetError(r->in);
}

void http_request_finish(struct http_request *req)
{
	FCGX_Request *r = req->fcgx;
	/*
	 * libfcgi closes a connection by shutting down its sending side and
	 * waiting (up to 2 s) for nginx to close first, reading what comes: a
	 * poll, a sleep and a wake-up, and a read per request, with the child
	 * held until nginx has done with the answer. That only guards against
	 * input still unread at the close; with all of it read, close at once
	 * (a detached request's close skips the wait).
	 */
	if (!r->keepConnection && input_drained(r))
		r->detached = 1;
	FCGX_Finish_r(r);
	free(req->path);
	free(req->body);
	req->path = NULL;
	req->body = NULL;
	req->body_len = 0;
	req->path_len = 0;
	req->method = NULL;
	req->query = NULL;
	req->envp = NULL;
}

void http_request_free(struct http_request *req)
{
	if (!req)
		return;
	free(req->path);
	free(req->body);
	FCGX_Free(req->fcgx, 0);
	free(req->fcgx);
	free(req);
}

void http_shutdown_pending(void)
{
	FCGX_ShutdownPending();
}
