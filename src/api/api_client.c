#include "build_config.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_client.h"
#include "api/api_wait.h"
#include "web/etag.h"
#include "base/jsonw.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/query.h"
#include "model/queue_hint.h"
#include "store/store.h"
#include "model/resource.h"
#include "base/utf8.h"
#include "api/validate.h"
#include "base/banned.h"

#define RESOURCE_PATH "/api/v1/generation-requests/"
/* Retry-After of a create refused at the owner's pending limit: a slot frees
 * when a worker claims one of its requests. */
#define API_LIMIT_RETRY_AFTER 5
#define IDEM_STUCK_SECONDS 60       /* a 'processing' key older than this was abandoned */

/* "client:OWNER", or "status-token:OWNER" for the bearer of a request's token. */
static void actor_of(const struct call *c, char *out, size_t size)
{
	snprintf(out, size, "%s:%s", c->who.role == ROLE_STATUS_TOKEN ? "status-token" : "client",
		 c->who.owner);
}

/* What the caller may see of a request: a status token's view leaves out
 * the client's metadata (SPEC "Status tokens"). */
static unsigned view_flags(const struct call *c)
{
	return c->who.role == ROLE_STATUS_TOKEN ? RESOURCE_NO_METADATA : 0;
}

/* Host names as nginx passes them: letters, digits, '.', '-', ':', '[', ']'. */
static int host_is_plain(const char *h)
{
	if (!h || !*h || strlen(h) > 255)
		return 0;
	for (; *h; h++) {
		char ch = *h;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':' ||
		      ch == '[' || ch == ']'))
			return 0;
	}
	return 1;
}

/*
 * Location (relative) and Operation-Location (absolute) of a request. The
 * absolute form comes from [server] base_url, or else from the Host nginx saw
 * (Debian's fastcgi_params pass $host, without the port) and SERVER_PORT.
 */
static void add_location(struct call *c, const struct uuid *id)
{
	char ids[UUID_STR_LEN + 1];
	const char *base = c->cfg->base_url;
	const char *host = http_param(c->req, "HTTP_HOST");
	const char *port = http_param(c->req, "SERVER_PORT");
	const char *https = http_param(c->req, "HTTPS");
	int tls = https && *https;

	uuid_format(id, ids);
	http_add_header(c->resp, "Location", RESOURCE_PATH "%s", ids);
	if (base && *base) {
		http_add_header(c->resp, "Operation-Location", "%s" RESOURCE_PATH "%s", base, ids);
		return;
	}
	if (!host_is_plain(host))
		return;
	int default_port = !port || !*port || strchr(host, ':') ||
			   !strcmp(port, tls ? "443" : "80") || strspn(port, "0123456789") != strlen(port);
	http_add_header(c->resp, "Operation-Location", "%s://%s%s%s" RESOURCE_PATH "%s",
			tls ? "https" : "http", host, default_port ? "" : ":",
			default_port ? "" : port, ids);
}

static int fetch_queue_head(void *store, const char *entity_type, unsigned cap,
			    struct uuid *ids, unsigned *count)
{
	return store_pending_head(store, entity_type, cap, ids, count);
}

/* Retry-After for a request still in flight, from the queue or its progress. */
static void add_retry_after(struct call *c, const struct gen_request *r)
{
	unsigned ahead = 0;
	if (lifecycle_is_terminal(r->status))
		return;
	if (r->status == GEN_PENDING &&
	    queue_hint_ahead(c->queues, fetch_queue_head, c->store, r->entity_type,
			     &r->id, c->now, &ahead))
		ahead = 0; /* only a hint: a failed read is no reason to fail the answer */
	http_add_header(c->resp, "Retry-After", "%d",
			lifecycle_retry_after(r->status, ahead, r->generated_count,
					      r->failed_count, r->requested_count,
					      r->started_at, c->now));
}

static int require_json(struct call *c)
{
	struct problem p;
	if (validate_is_json_content_type(http_param(c->req, "CONTENT_TYPE")))
		return 0;
	handler_problem(c, problem_set(&p, 415, NULL, "the body must be application/json"));
	http_add_header(c->resp, "Accept-Post", "application/json");
	return -1;
}

static void answer_idempotent_replay(struct call *c, struct store_idem_result *res)
{
	c->resp->status = res->response_status;
	c->resp->content_type = "application/json";
	strbuf_addstr(&c->resp->body, res->response_body ? res->response_body : "");
	add_location(c, &res->request_id);
	http_add_header(c->resp, "Retry-After", "2");
	http_add_header(c->resp, "Idempotent-Replayed", "true");
}

/*
 * Looks the request's Idempotency-Key up (when it has one). 0 to go on, with
 * *claimed set when this request now holds a fresh key (NULL without a key);
 * -1 with the answer set (a replay, a mismatch, a key in use, a refusal).
 */
static int idempotency_begin(struct call *c, struct store_idem *idem,
			     struct store_idem **claimed)
{
	struct problem p;
	struct store_idem_result res;
	const char *idem_header = http_param(c->req, "HTTP_IDEMPOTENCY_KEY");

	*claimed = NULL;
	if (!idem_header)
		return 0;
	if (validate_idempotency_key(idem_header, &idem->key, &idem->key_len, &p) < 0) {
		handler_problem(c, &p);
		return -1;
	}
	idem->owner = c->who.owner;
	crypto_generichash(idem->body_hash, sizeof(idem->body_hash),
			   (const unsigned char *)c->req->body, c->req->body_len, NULL, 0);
	int rc = store_idem_begin(c->store, idem, c->now, c->cfg->idempotency_ttl,
				  IDEM_STUCK_SECONDS, &res);
	if (rc) {
		handler_store_problem(c, rc, "idempotency key");
		return -1;
	}
	switch (res.state) {
	case IDEM_NEW:
		*claimed = idem;
		return 0;
	case IDEM_MISMATCH:
		handler_problem(c, problem_set(&p, 422, "idempotency-key-reused",
					       "this Idempotency-Key was already used with another body"));
		return -1;
	case IDEM_IN_PROGRESS:
		handler_problem(c, problem_set(&p, 409, "idempotency-key-in-use",
					       "a request with this Idempotency-Key is still being handled"));
		return -1;
	case IDEM_REPLAY:
		answer_idempotent_replay(c, &res);
		free(res.response_body);
		return -1;
	}
	return -1;
}

/* The 202's body: the resource and, this once, its status token. */
static void render_created(const struct gen_request *r, const char *token, struct strbuf *sb)
{
	struct jsonw w;
	jsonw_init(&w, sb);
	jsonw_object_begin(&w);
	resource_render_members(r, NULL, 0, &w);
	jsonw_key(&w, "status_token");
	jsonw_string(&w, token, AUTH_KEY_LEN);
	jsonw_object_end(&w);
}

/*
 * The new row from the validated input (which it takes over), with a fresh
 * status token, rendered into the answer's body and into *replay (the same
 * without the token: an Idempotency-Key's replay cannot show it, as only its
 * hash is kept). The row is made here, so both are rendered before the
 * commit. 0, or -1 with the answer set.
 */
static int request_from_input(struct call *c, struct create_input *in, struct gen_request *r,
			      char token[AUTH_KEY_LEN + 1], struct strbuf *replay)
{
	struct problem p;
	if (uuid_v7_next(c->ids, c->now / 1000, &r->id) < 0) {
		handler_problem(c, problem_set(&p, 500, NULL, "clock out of range"));
		return -1;
	}
	memcpy(r->owner, c->who.owner, sizeof(r->owner));
	memcpy(r->entity_type, in->entity_type, sizeof(r->entity_type));
	r->requested_count = in->count;
	r->subject_key = in->subject_key;
	r->subject_key_len = in->subject_key_len;
	r->constraints_json = in->constraints_json;
	r->metadata_json = in->metadata_json;
	memcpy(r->webhook, in->webhook, sizeof(r->webhook));
	r->priority = in->priority;
	memset(in, 0, sizeof(*in)); /* r owns them now */
	r->status = GEN_PENDING;
	r->version = 1;
	r->requested_at = r->updated_at = c->now;
	auth_status_token_generate(token);
	auth_key_hash(token, AUTH_KEY_LEN, r->status_token_hash);
	r->status_token_expires_at = c->now + c->cfg->status_token_ttl * US_PER_S;
	resource_render(r, NULL, 0, replay);
	render_created(r, token, &c->resp->body);
	if (replay->oom || c->resp->body.oom) {
		handler_problem(c, problem_set(&p, 500, NULL, "out of memory"));
		return -1;
	}
	return 0;
}

/*
 * The endpoint the request will report to, into in->webhook: the one the
 * body names, if its owner has it, else the owner's default ("" for none).
 * A client names an endpoint, never a URL: the operator registers those.
 * 0, or -1 with the answer set (422 for a name the owner has not).
 */
static int pick_webhook(struct call *c, struct create_input *in)
{
	struct problem p;
	char named[sizeof(in->webhook)];
	memcpy(named, in->webhook, sizeof(named));
	int rc = store_webhook_resolve(c->store, c->who.owner, named[0] ? named : NULL, in->webhook);
	if (rc == STORE_NOT_FOUND) {
		handler_problem(c, problem_set(&p, 422, "unknown-webhook",
					       "you have no webhook endpoint of that name "
					       "(your operator registers them)"));
		return -1;
	}
	if (rc) {
		handler_store_problem(c, rc, "webhook endpoint");
		return -1;
	}
	return 0;
}

/* 409: one active generation per subject, naming the one there is. */
static void answer_duplicate(struct call *c, const struct gen_request *r,
			     const struct uuid *existing)
{
	struct problem p;
	char ids[UUID_STR_LEN + 1];
	uuid_format(existing, ids);
	problem_set(&p, 409, "active-request-exists",
		    "a %s request for this subject_key is already pending or processing",
		    r->entity_type);
	p.extra_key = "existing_request_id";
	memcpy(p.extra_value, ids, sizeof(ids));
	handler_problem(c, &p);
}

/*
 * 429: the owner has as many requests pending as its limit allows (README
 * "Per-owner limits"). A slot frees when a worker claims one of them, so
 * the client may try again in a few seconds.
 */
static void answer_limit(struct call *c)
{
	struct problem p;
	struct store_owner_limits l;
	int rc = store_owner_limits_get(c->store, c->who.owner, &l);
	if (rc) {
		handler_store_problem(c, rc, "owner limits");
		return;
	}
	const char *which = l.pending_own ? "max_pending, its own" : "max_pending_per_owner";
	/* The limit read again after the refusal: an operator may have just
	 * lifted it (then no value to name). */
	if (l.max_pending > 0)
		problem_set(&p, 429, "pending-limit-reached",
			    "owner %s has %lld pending requests, its limit (%s)", c->who.owner,
			    l.max_pending, which);
	else
		problem_set(&p, 429, "pending-limit-reached",
			    "owner %s was at its limit of pending requests (%s)", c->who.owner, which);
	p.extra_key = "limit";
	memcpy(p.extra_value, "max_pending", sizeof("max_pending"));
	if (l.max_pending > 0) {
		p.extra_int_key = "max";
		p.extra_int = l.max_pending;
	}
	handler_problem(c, &p);
	http_add_header(c->resp, "Retry-After", "%d", API_LIMIT_RETRY_AFTER);
}

void api_client_create(struct call *c)
{
	struct problem p;
	struct create_input in;
	struct gen_request r;
	struct store_idem idem;
	struct store_idem *idemp = NULL;
	struct uuid existing;
	struct strbuf replay;
	char actor[OWNER_MAX + 16];
	char token[AUTH_KEY_LEN + 1];
	int rc;

	gen_request_init(&r);
	strbuf_init(&replay);
	memset(&in, 0, sizeof(in));
	if (require_json(c) < 0)
		return;
	if (http_read_body(c->req, c->cfg->max_body, &p) < 0 ||
	    validate_create_body(c->req->body, c->req->body_len, (unsigned)c->cfg->max_count,
				 &in, &p) < 0) {
		handler_problem(c, &p);
		return;
	}
	if (idempotency_begin(c, &idem, &idemp) < 0)
		goto cleanup;
	if (pick_webhook(c, &in) < 0 || request_from_input(c, &in, &r, token, &replay) < 0)
		goto abandon;
	actor_of(c, actor, sizeof(actor));
	rc = store_request_create(c->store, &r, actor, idemp, replay.buf, &existing);
	if (rc == STORE_DUPLICATE) {
		answer_duplicate(c, &r, &existing);
		goto abandon;
	}
	if (rc == STORE_LIMIT) {
		answer_limit(c);
		goto abandon;
	}
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		goto abandon;
	}
	c->resp->status = 202;
	add_location(c, &r.id);
	add_retry_after(c, &r);
	goto cleanup;

abandon:
	/* Refused: the idempotency record we claimed must not outlive the refusal. */
	if (idemp && store_idem_abandon(c->store, idemp))
		log_warn("could not release an Idempotency-Key: %s", store_last_error(c->store));
cleanup:
	sodium_memzero(token, sizeof(token));
	strbuf_release(&replay);
	create_input_release(&in);
	gen_request_release(&r);
}

/* The resource with its entities as the answer, with ETag and Retry-After. */
static void render_resource(struct call *c, int status, const struct gen_request *r,
			    const struct gen_entity_list *entities)
{
	char tag[ETAG_MAX_LEN];
	c->resp->status = status;
	resource_render(r, entities, RESOURCE_ENTITIES | view_flags(c), &c->resp->body);
	etag_format(r->version, tag);
	http_add_header(c->resp, "ETag", "%s", tag);
	http_add_header(c->resp, "Cache-Control", "private, no-cache");
	add_retry_after(c, r);
}

/* The same, reading the entities first. */
static void answer_resource(struct call *c, int status, const struct gen_request *r)
{
	struct gen_entity_list entities = { 0 };
	int rc = store_request_entities(c->store, &r->id, &entities);
	if (rc)
		handler_store_problem(c, rc, "generation request");
	else
		render_resource(c, status, r, &entities);
	gen_entity_list_release(&entities);
}

/* 304 when the client's tag is the request's, with what a 200 would carry
 * besides the body. 1 when answered so, else 0. */
static int answer_not_modified(struct call *c, const struct gen_request *r,
			       const char *if_none_match)
{
	char tag[ETAG_MAX_LEN];
	etag_format(r->version, tag);
	if (!etag_none_match(if_none_match, tag))
		return 0;
	c->resp->status = 304;
	http_add_header(c->resp, "ETag", "%s", tag);
	http_add_header(c->resp, "Cache-Control", "private, no-cache");
	add_retry_after(c, r);
	return 1;
}

/*
 * A long poll (?wait=N, api/api_wait.h) on a request the client has at
 * version `known`: handed to nginx to wait, or answered at once from what
 * the store has after the channel's mark was taken. 1 when answered so; 0
 * when the caller answers its 304 now (no wait asked for, none possible
 * here, or this is the wait's end).
 */
static int wait_for_change(struct call *c, unsigned wait_s, uint64_t known)
{
	char mark[LIVE_MARK_MAX];
	struct gen_request r;

	if (!wait_s || !c->live || api_wait_is_over(c))
		return 0;
	/* nginx without an answer: the plain GET's 304, as without Nchan. */
	int live = live_channel_mark(c->live, c->store, &c->route.id, mark);
	if (live < 0)
		return 0;
	gen_request_init(&r);
	int rc = store_request_get(c->store, &c->route.id, c->who.owner, &r);
	if (rc == STORE_OK && live == LIVE_NO_CHANNEL && r.version == known) {
		/* The channel starts with the state now, and the mark is its
		 * message: a change published before that message would be
		 * before the mark, so the row is read once more below. */
		if (live_channel_start(c->live, c->store, &r, mark) < 0) {
			gen_request_release(&r);
			return 0;
		}
		gen_request_release(&r);
		gen_request_init(&r);
		rc = store_request_get(c->store, &c->route.id, c->who.owner, &r);
	}
	if (rc)
		handler_store_problem(c, rc, "generation request");
	else if (r.version != known)
		answer_resource(c, 200, &r);
	else
		api_wait_hand_over(c, &r.id, wait_s, mark);
	gen_request_release(&r);
	return 1;
}

/* A 304 when the client has the request's version: at once, or the long
 * poll's wait for a change. 1 when answered so, else 0. */
static int answer_unchanged(struct call *c, const struct gen_request *r,
			    const char *if_none_match, unsigned wait_s)
{
	/* Only a tag that names one version waits: "*" or a list of tags is
	 * answered as a plain GET. */
	if (etag_single_version(if_none_match) == (long long)r->version &&
	    wait_for_change(c, wait_s, r->version))
		return 1;
	return answer_not_modified(c, r, if_none_match);
}

/* The status read of a status token's bearer (checked by the dispatcher):
 * the plain statements, as the token is not the hot path a key's poll is. */
static void get_by_token(struct call *c, unsigned wait_s)
{
	struct gen_request r;
	gen_request_init(&r);
	int rc = store_request_get(c->store, &c->route.id, c->who.owner, &r);
	if (rc == STORE_OK)
		rc = store_request_check_timeout(c->store, c->cfg, c->now, &r, c->who.owner);
	if (rc < 0)
		handler_store_problem(c, rc, "generation request");
	else if (!answer_unchanged(c, &r, http_param(c->req, "HTTP_IF_NONE_MATCH"), wait_s))
		answer_resource(c, 200, &r);
	gen_request_release(&r);
}

/*
 * The status poll: key, request and entities in one statement (store_poll),
 * two rows read by primary or unique key (the entities are kept on the
 * request's row, already rendered), so what thousands of pollers cost is one
 * round trip each. The 401/403/404 answers are the same as for any other
 * endpoint.
 */
void api_client_get(struct call *c)
{
	struct gen_request r;
	struct gen_entity_list entities = { 0 };
	enum store_poll_found found;
	unsigned char hash[AUTH_HASH_LEN];
	const char *if_none_match = http_param(c->req, "HTTP_IF_NONE_MATCH");
	long long known_version = etag_single_version(if_none_match);
	unsigned wait_s;

	/* Before anything is read: a refused wait changes nothing (not even
	 * a timed-out request's transition). */
	if (api_wait_seconds(c, &wait_s) < 0)
		return;
	if (c->who.role == ROLE_STATUS_TOKEN) {
		get_by_token(c, wait_s);
		return;
	}
	if (handler_bearer_hash(c, hash) < 0)
		return;
	int64_t now;
	int rc = store_poll(c->store, hash, &c->route.id, known_version, &c->who, &found,
			    &r, &entities, &now);
	sodium_memzero(hash, sizeof(hash));
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		return;
	}
	if (found == POLL_NO_KEY) {
		handler_unknown_key(c);
		goto cleanup;
	}
	/* The poll's own statement read the store's clock: deadlines and hints use it. */
	c->now = now;
	if (handler_require_role(c, ROLE_CLIENT) < 0)
		goto cleanup;
	if (found == POLL_NO_REQUEST) {
		handler_store_problem(c, STORE_NOT_FOUND, "generation request");
		goto cleanup;
	}
	/* No poller watches a dead generation: a request whose time is up gets
	 * the reaper's transition now, not at the next timer tick. */
	rc = store_request_check_timeout(c->store, c->cfg, c->now, &r, c->who.owner);
	if (rc < 0) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	/* Unchanged: no body to send (now, or when the wait ends). */
	if (answer_unchanged(c, &r, if_none_match, wait_s))
		goto cleanup;
	/* A transition just made (rc 1) re-read the row but not the entities. */
	if (rc == 1) {
		gen_entity_list_release(&entities);
		answer_resource(c, 200, &r);
		goto cleanup;
	}
	/* The statement read only a 304's part of a row at the poller's version;
	 * an ETag that names the version is a 304 above, so this is belt and
	 * braces: the whole row, then. */
	if (known_version >= 0 && (uint64_t)known_version == r.version) {
		gen_entity_list_release(&entities);
		gen_request_release(&r);
		rc = store_request_get(c->store, &c->route.id, c->who.owner, &r);
		if (rc)
			handler_store_problem(c, rc, "generation request");
		else
			answer_resource(c, 200, &r);
		goto cleanup;
	}
	render_resource(c, 200, &r, &entities);
cleanup:
	gen_entity_list_release(&entities);
	gen_request_release(&r);
}

void api_client_cancel(struct call *c)
{
	struct problem p;
	struct gen_request r;
	char *reason = NULL;
	char actor[OWNER_MAX + 16];

	gen_request_init(&r);
	if (c->who.role == ROLE_STATUS_TOKEN && !c->cfg->token_allow_cancel) {
		handler_problem(c, problem_set(&p, 403, "token-may-not-cancel",
					       "this site's status tokens read requests but do not "
					       "cancel them ([tokens] allow_cancel is off)"));
		return;
	}
	if (http_read_body(c->req, c->cfg->max_body, &p) < 0) {
		handler_problem(c, &p);
		return;
	}
	if (c->req->body_len && require_json(c) < 0)
		return;
	if (validate_reason_body(c->req->body, c->req->body_len, &reason, &p) < 0) {
		handler_problem(c, &p);
		return;
	}
	actor_of(c, actor, sizeof(actor));
	int rc = store_request_cancel(c->store, &c->route.id, c->who.owner, actor, reason, &r);
	if (rc == STORE_CONFLICT) {
		handler_problem(c, problem_set(&p, 409, "already-finished",
					       "the request is already %s and cannot be cancelled",
					       lifecycle_status_name(r.status)));
		goto cleanup;
	}
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	answer_resource(c, 200, &r);
cleanup:
	free(reason);
	gen_request_release(&r);
}

/* ---- list ---- */

static const char *const list_params[] = {
	"status", "entity_type", "subject_key", "priority", "limit", "cursor", NULL,
};

struct list_page {
	struct jsonw *w;
	unsigned wanted;        /* items to render; one more row means a next page */
	unsigned seen;
	struct uuid last;
};

static int list_item(void *ctx, const struct gen_request *r)
{
	struct list_page *pg = ctx;
	if (pg->seen++ >= pg->wanted)
		return 1;
	/* resource_render writes a whole value: count it as the array's next element. */
	jsonw_raw(pg->w, "", 0);
	resource_render(r, NULL, 0, pg->w->sb);
	pg->last = r->id;
	return 0;
}

/* Validates the query into f. 0, or -1 with p set. */
static int list_filter_parse(struct call *c, const struct query *q,
			     struct store_list_filter *f, struct problem *p)
{
	const struct config *cfg = c->cfg;
	const char *v;

	for (size_t i = 0; i < q->count; i++) {
		int known = 0;
		for (const char *const *n = list_params; *n; n++)
			known |= !strcmp(*n, q->params[i].name);
		/* The name is quoted whole-character, at most QUOTED_NAME_MAX bytes. */
		const char *name = q->params[i].name;
		int shown = (int)utf8_prefix_len(name, strlen(name), QUOTED_NAME_MAX);
		if (!known) {
			problem_set(p, 400, "invalid-query", "unknown query parameter '%.*s'",
				    shown, name);
			return -1;
		}
		if (query_count(q, name) > 1) {
			problem_set(p, 400, "invalid-query", "query parameter '%.*s' is repeated",
				    shown, name);
			return -1;
		}
	}
	memset(f, 0, sizeof(*f));
	f->owner = c->who.owner;
	f->limit = (unsigned)cfg->list_limit;
	if ((v = query_get(q, "status"))) {
		if (lifecycle_status_parse(v, &f->status) < 0) {
			problem_set(p, 400, "invalid-query",
				    "unknown status filter; use pending, processing, completed, "
				    "partial, failed or cancelled");
			return -1;
		}
		f->has_status = 1;
	}
	if ((v = query_get(q, "entity_type"))) {
		if (!resource_entity_type_valid(v, strlen(v))) {
			problem_set(p, 400, "invalid-query",
				    "entity_type must match [a-z][a-z0-9_]{0,63}");
			return -1;
		}
		f->entity_type = v;
	}
	if ((v = query_get(q, "subject_key"))) {
		size_t n = strlen(v);
		if (n < 1 || n > SUBJECT_KEY_MAX) {
			problem_set(p, 400, "invalid-query", "subject_key must be 1 to %d bytes",
				    SUBJECT_KEY_MAX);
			return -1;
		}
		f->subject_key = v;
	}
	unsigned long long limit;
	if ((v = query_get(q, "priority"))) {
		if (query_uint(v, PRIORITY_MIN, PRIORITY_MAX, &limit) < 0) {
			problem_set(p, 400, "invalid-query", "priority must be an integer from %d to %d",
				    PRIORITY_MIN, PRIORITY_MAX);
			return -1;
		}
		f->has_priority = 1;
		f->priority = (unsigned)limit;
	}
	if ((v = query_get(q, "limit"))) {
		if (query_uint(v, 1, (unsigned long long)cfg->list_max, &limit) < 0) {
			problem_set(p, 400, "invalid-query", "limit must be an integer from 1 to %d",
				    cfg->list_max);
			return -1;
		}
		f->limit = (unsigned)limit;
	}
	if ((v = query_get(q, "cursor"))) {
		size_t bin_len = 0;
		if (sodium_base642bin(f->before.b, sizeof(f->before.b), v, strlen(v), NULL,
				      &bin_len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
		    bin_len != sizeof(f->before.b)) {
			problem_set(p, 400, "invalid-cursor",
				    "cursor is not one this service returned");
			return -1;
		}
		f->has_before = 1;
	}
	return 0;
}

void api_client_list(struct call *c)
{
	struct problem p;
	struct query q = { 0 };
	struct store_list_filter f;
	struct jsonw w;
	char err[160];

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		handler_problem(c, problem_set(&p, 400, "invalid-query", "%s", err));
		return;
	}
	if (list_filter_parse(c, &q, &f, &p) < 0) {
		handler_problem(c, &p);
		goto cleanup;
	}
	struct list_page pg = { .w = &w, .wanted = f.limit };
	f.limit += 1;
	jsonw_init(&w, &c->resp->body);
	jsonw_object_begin(&w);
	jsonw_key(&w, "items");
	jsonw_array_begin(&w);
	int rc = store_request_list(c->store, &f, list_item, &pg);
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	jsonw_array_end(&w);
	jsonw_key(&w, "next_cursor");
	if (pg.seen > pg.wanted) {
		char cursor[32];
		sodium_bin2base64(cursor, sizeof(cursor), pg.last.b, sizeof(pg.last.b),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		jsonw_cstr(&w, cursor);
	} else {
		jsonw_null(&w);
	}
	jsonw_object_end(&w);
	c->resp->status = 200;
	http_add_header(c->resp, "Cache-Control", "private, no-cache");
cleanup:
	query_release(&q);
}
