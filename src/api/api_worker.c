#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "api/api_worker.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "model/resource.h"
#include "api/validate.h"
#include "base/banned.h"

#define ACTOR_MAX (WORKER_ID_MAX + 8)

/* Reads and checks the JSON body of a worker call. 0, or -1 with the answer set. */
static int read_input(struct call *c, enum worker_call call, struct worker_input *in)
{
	struct problem p;
	const struct config *cfg = c->cfg;
	if (!validate_is_json_content_type(http_param(c->req, "CONTENT_TYPE"))) {
		handler_problem(c, problem_set(&p, 415, NULL, "the body must be application/json"));
		return -1;
	}
	if (http_read_body(c->req, cfg->max_body, &p) < 0 ||
	    validate_worker_body(c->req->body, c->req->body_len, call, cfg->max_lease, in, &p) < 0) {
		handler_problem(c, &p);
		return -1;
	}
	return 0;
}

static void actor_of(const struct worker_input *in, char *out, size_t size)
{
	snprintf(out, size, "worker:%s", in->worker_id);
}

/* 409 for a lease this worker does not hold: its signal to stop. */
static void lease_problem(struct call *c, int rc)
{
	struct problem p;
	if (rc == STORE_CONFLICT)
		handler_problem(c, problem_set(&p, 409, "lease-lost",
					       "this worker does not hold the request's lease "
					       "(cancelled, reaped or claimed again): stop working on it"));
	else
		handler_store_problem(c, rc, "generation request");
}

/*
 * Keeps the worker's row of the workers page current (store_worker_seen),
 * after the call's own work. A failure is logged, never the call's: the row
 * is an operator's view, the call's answer is the worker's truth.
 */
static void seen(struct call *c, const struct worker_input *in, struct store_worker_call *w)
{
	w->owner = c->who.owner;
	w->worker_id = in->worker_id;
	if (store_worker_seen(c->store, w))
		log_warn("worker %s: its row of the workers page was not updated: %s",
			 in->worker_id, store_last_error(c->store));
}

/*
 * After a call on one request: alive; holding nothing now after a lost lease
 * (409) or, with `last`, after a complete.
 */
static void seen_after(struct call *c, const struct worker_input *in, int rc, long long index,
		       int last)
{
	struct store_worker_call w = { .what = WORKER_SEEN_TOUCH, .held = &c->route.id,
				       .index = index };
	if (rc == STORE_CONFLICT || (rc == STORE_OK && last))
		w.what = WORKER_SEEN_IDLE;
	else if (rc)
		return;
	seen(c, in, &w);
}

/* Opens the answer of a call on one request: {"request_id": ..., then the caller's members. */
static void reply_begin(struct call *c, struct jsonw *w)
{
	char id[UUID_STR_LEN + 1];
	uuid_format(&c->route.id, id);
	jsonw_init(w, &c->resp->body);
	jsonw_object_begin(w);
	jsonw_key(w, "request_id");
	jsonw_cstr(w, id);
}

void api_worker_claim(struct call *c)
{
	struct worker_input in;
	struct store_claimed claimed;
	char actor[ACTOR_MAX];
	const char *types[WORKER_TYPES_MAX];

	if (read_input(c, WORKER_CLAIM, &in) < 0)
		return;
	for (size_t i = 0; i < in.n_types; i++)
		types[i] = in.entity_types[i];
	actor_of(&in, actor, sizeof(actor));
	struct store_claim claim = {
		.worker_id = in.worker_id, .actor = actor, .entity_types = types,
		.n_types = in.n_types,
		.lease_seconds = in.lease_seconds ? in.lease_seconds : c->cfg->default_lease,
	};
	struct strbuf typelist = STRBUF_INIT;
	for (size_t i = 0; i < in.n_types; i++)
		strbuf_addf(&typelist, "%s%s", i ? "," : "", types[i]);
	/* A list cut short by an allocation failure: no row rather than a wrong one. */
	if (typelist.oom)
		log_warn("worker %s: its row of the workers page was not updated: out of memory",
			 in.worker_id);
	int rc = store_claim_next(c->store, &claim, &claimed);
	if (rc == STORE_NOT_FOUND) {
		struct store_worker_call idle = { .what = WORKER_SEEN_IDLE,
						  .entity_types = typelist.buf, .index = -1 };
		if (!typelist.oom)
			seen(c, &in, &idle);
		c->resp->status = 204;
		goto cleanup;
	}
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	/* The resource, plus what the worker needs to do and by when. */
	const struct gen_request *r = &claimed.request;
	struct jsonw w;
	jsonw_init(&w, &c->resp->body);
	jsonw_object_begin(&w);
	resource_render_members(r, NULL, 0, &w);
	jsonw_key(&w, "remaining");
	jsonw_int(&w, r->requested_count - r->generated_count);
	resource_render_time(&w, "lease_expires_at", r->lease_expires_at);
	jsonw_key(&w, "lease_seconds");
	jsonw_int(&w, claim.lease_seconds);
	jsonw_key(&w, "pending_indexes");
	jsonw_array_begin(&w);
	for (unsigned i = 0; i < r->requested_count; i++)
		if (!store_claimed_is_generated(&claimed, i))
			jsonw_int(&w, i);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	c->resp->status = 200;
	struct store_worker_call holds = { .what = WORKER_SEEN_HOLDS,
					   .entity_types = typelist.buf, .held = &r->id,
					   .attempt = r->attempt,
					   .lease_seconds = claim.lease_seconds, .index = -1 };
	if (!typelist.oom)
		seen(c, &in, &holds);
	store_claimed_release(&claimed);
cleanup:
	strbuf_release(&typelist);
	worker_input_release(&in);
}

void api_worker_heartbeat(struct call *c)
{
	struct worker_input in;
	int64_t expires;
	long long secs;

	if (read_input(c, WORKER_HEARTBEAT, &in) < 0)
		return;
	struct store_lease lease = { in.worker_id, in.attempt };
	int rc = store_lease_extend(c->store, &c->route.id, &lease, in.lease_seconds, &expires,
				    &secs);
	seen_after(c, &in, rc, -1, 0);
	if (rc) {
		lease_problem(c, rc);
		goto cleanup;
	}
	struct jsonw w;
	reply_begin(c, &w);
	jsonw_key(&w, "status");
	jsonw_cstr(&w, "processing");
	resource_render_time(&w, "lease_expires_at", expires);
	jsonw_key(&w, "lease_seconds");
	jsonw_int(&w, secs);
	jsonw_object_end(&w);
	c->resp->status = 200;
cleanup:
	worker_input_release(&in);
}

void api_worker_entities(struct call *c)
{
	struct worker_input in;
	struct store_entity_result res;
	struct problem p;

	if (read_input(c, WORKER_ENTITY, &in) < 0)
		return;
	struct store_lease lease = { in.worker_id, in.attempt };
	struct store_entity e = { in.index, in.entity_json, in.error };
	int rc = store_entity_record(c->store, &c->route.id, &lease, &e, &res);
	seen_after(c, &in, rc, in.index, 0);
	if (rc == STORE_INVALID) {
		handler_problem(c, problem_set(&p, 400, "invalid-field",
					       "'index' %u is past the requested count", in.index));
		goto cleanup;
	}
	if (rc) {
		lease_problem(c, rc);
		goto cleanup;
	}
	struct jsonw w;
	reply_begin(c, &w);
	jsonw_key(&w, "index");
	jsonw_int(&w, in.index);
	jsonw_key(&w, "recorded");
	jsonw_bool(&w, res.recorded);
	jsonw_key(&w, "generated_count");
	jsonw_int(&w, res.generated_count);
	jsonw_key(&w, "failed_count");
	jsonw_int(&w, res.failed_count);
	jsonw_object_end(&w);
	c->resp->status = 200;
cleanup:
	worker_input_release(&in);
}

void api_worker_complete(struct call *c)
{
	struct worker_input in;
	struct gen_request r;
	char actor[ACTOR_MAX];

	gen_request_init(&r);
	if (read_input(c, WORKER_COMPLETE, &in) < 0)
		return;
	struct store_lease lease = { in.worker_id, in.attempt };
	actor_of(&in, actor, sizeof(actor));
	int rc = store_complete(c->store, &c->route.id, &lease, actor, &r);
	seen_after(c, &in, rc, -1, 1);
	if (rc) {
		lease_problem(c, rc);
		goto cleanup;
	}
	resource_render(&r, NULL, 0, &c->resp->body);
	c->resp->status = 200;
cleanup:
	gen_request_release(&r);
	worker_input_release(&in);
}
