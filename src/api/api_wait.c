#include "build_config.h"

#include <string.h>

#include "api/api_wait.h"
#include "base/query.h"
#include "base/uuid.h"
#include "base/banned.h"

/* nginx's internal locations (nginx/live-subscriber.conf): the one that
 * waits, and the one that hands a finished wait back to the application. */
#define WAIT_PATH "/_gentrack/wait/"
#define WAITED_PATH "/_gentrack/waited/"

int api_wait_seconds(struct call *c, unsigned *seconds)
{
	struct problem p;
	struct query q;
	char err[128];
	unsigned long long n;
	int rc = -1;

	*seconds = 0;
	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		handler_problem(c, problem_set(&p, 400, "invalid-query", "%s", err));
		return -1;
	}
	const char *v = query_get(&q, "wait");
	if (!v) {
		rc = 0;
	} else if (query_count(&q, "wait") > 1) {
		handler_problem(c, problem_set(&p, 400, "invalid-query",
					       "query parameter 'wait' is repeated"));
	} else if (query_uint(v, API_WAIT_MIN_S, API_WAIT_MAX_S, &n) < 0) {
		handler_problem(c, problem_set(&p, 400, "invalid-query",
					       "wait must be a whole number of seconds from %d to %d",
					       API_WAIT_MIN_S, API_WAIT_MAX_S));
	} else {
		*seconds = (unsigned)n;
		rc = 0;
	}
	query_release(&q);
	return rc;
}

int api_wait_is_over(const struct call *c)
{
	/* nginx's $document_uri: the location the request went through last.
	 * A client's request to the API never has this one (it is internal). */
	const char *uri = http_param(c->req, "DOCUMENT_URI");
	return uri && strncmp(uri, WAITED_PATH, strlen(WAITED_PATH)) == 0;
}

void api_wait_hand_over(struct call *c, const struct uuid *id, unsigned seconds,
			const char mark[LIVE_MARK_MAX])
{
	char sid[UUID_STR_LEN + 1];

	uuid_format(id, sid);
	/* Nothing of the client's request goes with it (the location asks
	 * Nchan without the client's headers or query): the second pass reads
	 * the client's own again. No other header either, as nginx carries
	 * some (Cache-Control, Content-Type) over to the second pass's answer:
	 * hence 204, which has no Content-Type. */
	c->resp->status = 204;
	http_add_header(c->resp, "X-Accel-Redirect", WAIT_PATH "%s/%u/%s", sid, seconds, mark);
}
