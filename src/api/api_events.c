#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "api/api_events.h"
#include "base/limits.h"
#include "live/publish.h"
#include "model/lifecycle.h"
#include "store/store.h"
#include "base/banned.h"

/* nginx's internal subscriber location (nginx/live-subscriber.conf). */
#define SUBSCRIBER_PATH "/_gentrack/sub/"
/* The id of the last event this handler sends itself: "final-" and the version. */
#define FINAL_ID_PREFIX "final-"

/* The Last-Event-ID the client resumes from: header, or ?last_event_id= for
 * a client that cannot set the header. NULL when none. */
static const char *last_event_id(const struct call *c)
{
	const char *h = http_param(c->req, "HTTP_LAST_EVENT_ID");
	if (h && *h)
		return h;
	const char *qs = c->req->query;
	if (!qs)
		return NULL;
	for (const char *p = qs; (p = strstr(p, "last_event_id=")); p++)
		if (p == qs || p[-1] == '&')
			return p + strlen("last_event_id=");
	return NULL;
}

/* Nchan's own message ids, "<seconds>:<tag>": the only kind handed on to it. */
static int is_nchan_id(const char *s, size_t *len)
{
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 20 || s[digits] != ':')
		return 0;
	size_t tag = strspn(s + digits + 1, "0123456789");
	if (tag == 0 || tag > 10)
		return 0;
	*len = digits + 1 + tag;
	return s[*len] == '\0' || s[*len] == '&';
}

/* The final state as the whole stream: one event, then the end. */
static void answer_final(struct call *c, const struct gen_request *r, const char *resume)
{
	char id[sizeof(FINAL_ID_PREFIX) + 24];
	snprintf(id, sizeof(id), FINAL_ID_PREFIX "%llu", (unsigned long long)r->version);
	http_add_header(c->resp, "Cache-Control", "no-store");
	if (resume && strncmp(resume, id, strlen(id)) == 0 &&
	    (resume[strlen(id)] == '\0' || resume[strlen(id)] == '&')) {
		/* The client has this very event: 204 tells EventSource to stop. */
		c->resp->status = 204;
		return;
	}
	c->resp->status = 200;
	c->resp->content_type = "text/event-stream";
	strbuf_addf(&c->resp->body, "id: %s\ndata: ", id);
	live_render(r, &c->resp->body);
	strbuf_addstr(&c->resp->body, "\n\n");
}

/* A stream held by nginx, its channel holding the current state first. */
static void answer_subscribe(struct call *c, const struct gen_request *r, const char *resume)
{
	struct problem p;
	char sid[UUID_STR_LEN + 1];
	size_t n = 0;

	/* 503 carries Retry-After (http_set_problem). */
	if (live_prepare_channel(c->live, c->store, r) < 0) {
		handler_problem(c, problem_set(&p, 503, "live-updates-unavailable",
					       "nginx's live updates do not answer; poll the request "
					       "instead, or retry in a few seconds"));
		return;
	}
	uuid_format(&r->id, sid);
	c->resp->status = 200;
	if (resume && is_nchan_id(resume, &n))
		http_add_header(c->resp, "X-Accel-Redirect", SUBSCRIBER_PATH "%s?last_event_id=%.*s",
				sid, (int)n, resume);
	else
		http_add_header(c->resp, "X-Accel-Redirect", SUBSCRIBER_PATH "%s", sid);
	http_add_header(c->resp, "X-Accel-Buffering", "no");
}

void api_client_events(struct call *c)
{
	struct problem p;
	struct gen_request r;

	if (!c->live) {
		handler_problem(c, problem_set(&p, 501, "live-updates-not-configured",
					       "live updates need nginx's Nchan module (Debian package "
					       "libnginx-mod-nchan) and [live] nchan_socket in "
					       "gentrack.conf; poll the request instead"));
		return;
	}
	gen_request_init(&r);
	int rc = store_request_get(c->store, &c->route.id, c->who.owner, &r);
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	/* As a status read does: a request whose time is up moves now. */
	rc = store_request_check_timeout(c->store, c->cfg, c->now, &r, c->who.owner);
	if (rc < 0) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	const char *resume = last_event_id(c);
	if (lifecycle_is_terminal(r.status))
		answer_final(c, &r, resume);
	else
		answer_subscribe(c, &r, resume);
cleanup:
	gen_request_release(&r);
}
