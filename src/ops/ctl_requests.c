#include "build_config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/termtext.h"
#include "base/timeutil.h"
#include "base/utf8.h"
#include "base/uuid.h"
#include "model/lifecycle.h"
#include "model/resource.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "store/store.h"
#include "base/banned.h"

static int parse_id(const char *text, struct uuid *id)
{
	if (uuid_parse(text, strlen(text), id) < 0) {
		fprintf(stderr, "gentrackctl: '%s' is not a request id (a UUID)\n", text);
		return -1;
	}
	return 0;
}

static void add_time_line(struct strbuf *sb, const char *label, int64_t t)
{
	char buf[TIME_RFC3339_LEN + 1];
	if (t == TIME_NONE)
		return;
	time_format_rfc3339(t, buf);
	strbuf_addf(sb, "%-17s %s\n", label, buf);
}

/* "label             value": value is stored text (NULL: "-"), shown escaped. */
static void add_field(struct strbuf *sb, const char *label, const char *value, unsigned flags)
{
	strbuf_addf(sb, "%-17s ", label);
	ctl_add_text(sb, value, flags, 0, TERMTEXT_ALL);
	strbuf_addch(sb, '\n');
}

static void add_request(struct strbuf *sb, const struct gen_request *r,
			const struct gen_entity_list *ents, int64_t now)
{
	char id[UUID_STR_LEN + 1], age[32];
	uuid_format(&r->id, id);
	ctl_format_age(r->requested_at, now, age, sizeof(age));
	strbuf_addf(sb, "%-17s %s\n", "request_id", id);
	strbuf_addf(sb, "%-17s %s\n", "status", lifecycle_status_name(r->status));
	add_field(sb, "entity_type", r->entity_type, 0);
	add_field(sb, "owner", r->owner, 0);
	add_field(sb, "subject_key", r->subject_key, 0);
	if (r->webhook[0])
		add_field(sb, "webhook", r->webhook, 0);
	strbuf_addf(sb, "%-17s %u generated, %u failed of %u\n", "entities", r->generated_count,
		    r->failed_count, r->requested_count);
	strbuf_addf(sb, "%-17s %u\n", "priority", r->priority);
	strbuf_addf(sb, "%-17s %u\n", "attempt", r->attempt);
	add_field(sb, "worker", r->worker_id, 0);
	strbuf_addf(sb, "%-17s %s\n", "age", age);
	add_time_line(sb, "requested_at", r->requested_at);
	add_time_line(sb, "started_at", r->started_at);
	add_time_line(sb, "lease_expires_at", r->lease_expires_at);
	add_time_line(sb, "completed_at", r->completed_at);
	add_time_line(sb, "cancelled_at", r->cancelled_at);
	if (r->failure_reason[0])
		add_field(sb, "failure_reason", r->failure_reason, 0);
	if (r->error_message)
		add_field(sb, "error_message", r->error_message, 0);
	add_field(sb, "constraints", r->constraints_json ? r->constraints_json : "{}", TERMTEXT_JSON);
	add_field(sb, "metadata", r->metadata_json ? r->metadata_json : "{}", TERMTEXT_JSON);
	for (size_t i = 0; ents && i < ents->count; i++) {
		strbuf_addf(sb, "entity %-10u ", ents->items[i].idx);
		ctl_add_text(sb, ents->items[i].json, TERMTEXT_JSON, 0, TERMTEXT_ALL);
		strbuf_addch(sb, '\n');
	}
}

/* s (stored text, NULL: "-") escaped and right-aligned in width columns. */
static void add_text_right(struct strbuf *sb, const char *s, size_t width)
{
	if (!s)
		s = "-";
	for (size_t cols = termtext_cols(s, strlen(s), 0); cols < width; cols++)
		strbuf_addch(sb, ' ');
	ctl_add_text(sb, s, 0, 0, TERMTEXT_ALL);
}

static int add_event(void *ctx, const struct store_event *e)
{
	struct strbuf *sb = ctx;
	char at[TIME_RFC3339_LEN + 1];
	time_format_rfc3339(e->at, at);
	strbuf_addf(sb, "  %s  ", at);
	ctl_add_text(sb, e->actor, 0, 24, TERMTEXT_ALL);
	strbuf_addch(sb, ' ');
	add_text_right(sb, e->from_status ? e->from_status : "(new)", 10);
	strbuf_addstr(sb, " -> ");
	ctl_add_text(sb, e->to_status, 0, 10, TERMTEXT_ALL);
	strbuf_addch(sb, ' ');
	ctl_add_text(sb, e->message ? e->message : "", 0, 0, TERMTEXT_ALL);
	strbuf_addch(sb, '\n');
	return 0;
}

/* One event of the audit trail as a JSON object, for get --json. */
static int event_json(void *ctx, const struct store_event *e)
{
	struct jsonw *w = ctx;
	jsonw_object_begin(w);
	resource_render_time(w, "at", e->at);
	jsonw_key(w, "actor");
	jsonw_cstr(w, e->actor);
	jsonw_key(w, "from_status");
	jsonw_cstr(w, e->from_status);
	jsonw_key(w, "to_status");
	jsonw_cstr(w, e->to_status);
	jsonw_key(w, "message");
	jsonw_cstr(w, e->message);
	jsonw_object_end(w);
	return 0;
}

/*
 * get --json: the resource with its entities, plus what the human output
 * shows and the client API does not: owner, worker_id, lease_expires_at and
 * "events", the audit trail, oldest first. A store code, or STORE_OK.
 */
static int render_get(struct ctl *c, const struct gen_request *r,
		      const struct gen_entity_list *ents, struct strbuf *sb)
{
	struct jsonw w;
	jsonw_init(&w, sb);
	jsonw_object_begin(&w);
	resource_render_members(r, ents, RESOURCE_ENTITIES, &w);
	jsonw_key(&w, "owner");
	jsonw_cstr(&w, r->owner);
	jsonw_key(&w, "worker_id");
	jsonw_cstr(&w, r->worker_id);
	resource_render_time(&w, "lease_expires_at", r->lease_expires_at);
	jsonw_key(&w, "events");
	jsonw_array_begin(&w);
	int rc = store_request_events(c->store, &r->id, event_json, &w);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	return rc;
}

/* get's human output: built whole, then printed, so a store error prints no half. */
static int show_request(struct ctl *c, const struct gen_request *r,
			const struct gen_entity_list *ents)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t now;
	int ret;

	if (ctl_now(c, &now))
		return CTL_STORE;
	add_request(&sb, r, ents, now);
	strbuf_addstr(&sb, "audit trail\n");
	int rc = store_request_events(c->store, &r->id, add_event, &sb);
	ret = rc ? ctl_store_failed(c, rc) : ctl_print_text(&sb);
	strbuf_release(&sb);
	return ret;
}

int ctl_cmd_get(struct ctl *c, int argc, char **argv)
{
	struct uuid id;
	struct gen_request r;
	struct gen_entity_list ents = { 0 };
	int ret = CTL_OK;

	if (argc != 2) {
		fprintf(stderr, "gentrackctl: usage: get ID\n");
		return CTL_USAGE;
	}
	if (parse_id(argv[1], &id) < 0)
		return CTL_USAGE;
	gen_request_init(&r);
	/* An operator's read changes nothing: no lazy timeout here. */
	int rc = store_request_get(c->store, &id, NULL, &r);
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: no request %s\n", argv[1]);
		return CTL_USAGE;
	}
	if (rc == STORE_OK)
		rc = store_request_entities(c->store, &id, &ents);
	if (rc) {
		ret = ctl_store_failed(c, rc);
		goto cleanup;
	}
	if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		rc = render_get(c, &r, &ents, &sb);
		ret = rc ? ctl_store_failed(c, rc) : ctl_print_json(&sb);
		strbuf_release(&sb);
	} else {
		ret = show_request(c, &r, &ents);
	}
cleanup:
	gen_entity_list_release(&ents);
	gen_request_release(&r);
	return ret;
}

struct list_out {
	int json;
	struct jsonw *w;
	int64_t now;
	unsigned rows;
	struct strbuf line;          /* the human row being printed */
	int failed;                  /* a row ran out of memory */
};

static int list_row_out(void *ctx, const struct gen_request *r)
{
	struct list_out *o = ctx;
	char id[UUID_STR_LEN + 1], age[32], counts[40];
	o->rows++;
	if (o->json) {
		jsonw_raw(o->w, "", 0);
		resource_render(r, NULL, 0, o->w->sb);
		return 0;
	}
	uuid_format(&r->id, id);
	ctl_format_age(r->requested_at, o->now, age, sizeof(age));
	snprintf(counts, sizeof(counts), "%u+%u/%u", r->generated_count, r->failed_count,
		 r->requested_count);
	struct strbuf *l = &o->line;
	strbuf_reset(l);
	strbuf_addf(l, "%-36s  %-10s  %u  ", id, lifecycle_status_name(r->status), r->priority);
	ctl_add_text(l, r->entity_type, 0, 16, 16);
	strbuf_addstr(l, "  ");
	ctl_add_text(l, r->owner, 0, 16, 16);
	strbuf_addf(l, "  %8s  %7u  %-9s  ", age, r->attempt, counts);
	ctl_add_text(l, r->worker_id, 0, 0, 24);
	strbuf_addch(l, '\n');
	if (ctl_print_text(l) != CTL_OK)
		o->failed = 1;
	return 0;
}

int ctl_cmd_list(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "status", required_argument, NULL, 's' },
		{ "entity-type", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },
		{ "priority", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_list_filter f = { .owner = NULL, .limit = 50 };
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	int opt;
	char *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:t:l:p:", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (lifecycle_status_parse(optarg, &f.status) < 0) {
				fprintf(stderr, "gentrackctl: unknown status '%s' (pending, processing, "
					"completed, partial, failed, cancelled)\n", optarg);
				return CTL_USAGE;
			}
			f.has_status = 1;
			break;
		case 't':
			f.entity_type = optarg;
			break;
		case 'p': {
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < PRIORITY_MIN || v > PRIORITY_MAX) {
				fprintf(stderr, "gentrackctl: --priority must be %d..%d\n",
					PRIORITY_MIN, PRIORITY_MAX);
				return CTL_USAGE;
			}
			f.has_priority = 1;
			f.priority = (unsigned)v;
			break;
		}
		case 'l': {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 10000) {
				fprintf(stderr, "gentrackctl: --limit must be 1..10000\n");
				return CTL_USAGE;
			}
			f.limit = (unsigned)v;
			break;
		}
		default:
			return CTL_USAGE;
		}
	}
	if (optind != argc)
		return CTL_USAGE;
	int64_t now;
	if (ctl_now(c, &now))
		return CTL_STORE;
	struct list_out o = { .json = c->json, .w = &w, .now = now, .line = STRBUF_INIT };
	jsonw_init(&w, &sb);
	jsonw_array_begin(&w);
	if (!c->json)
		printf("%-36s  %-10s  %s  %-16s  %-16s  %8s  %7s  %-9s  %s\n", "ID", "STATUS", "P",
		       "TYPE", "OWNER", "AGE", "ATTEMPT", "GEN+FAIL", "WORKER");
	int rc = store_request_list(c->store, &f, list_row_out, &o);
	jsonw_array_end(&w);
	int ret = rc ? ctl_store_failed(c, rc) : c->json ? ctl_print_json(&sb)
		  : o.failed ? CTL_STORE : CTL_OK;
	strbuf_release(&sb);
	strbuf_release(&o.line);
	return ret;
}

int ctl_cmd_cancel(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	struct uuid id;
	struct gen_request r;
	char actor[96];
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:", options, NULL)) != -1) {
		if (opt != 'r')
			return CTL_USAGE;
		reason = optarg;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "gentrackctl: usage: cancel ID [--reason TEXT]\n");
		return CTL_USAGE;
	}
	if (parse_id(argv[optind], &id) < 0)
		return CTL_USAGE;
	ctl_actor(actor, sizeof(actor));
	gen_request_init(&r);
	int rc = store_request_cancel(c->store, &id, NULL, actor, reason, &r);
	int ret = CTL_OK;
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: no request %s\n", argv[optind]);
		ret = CTL_USAGE;
	} else if (rc == STORE_CONFLICT) {
		fprintf(stderr, "gentrackctl: %s is already %s; nothing cancelled\n", argv[optind],
			lifecycle_status_name(r.status));
		ret = CTL_USAGE;
	} else if (rc) {
		ret = ctl_store_failed(c, rc);
	} else if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		resource_render(&r, NULL, 0, &sb);
		ret = ctl_print_json(&sb);
		strbuf_release(&sb);
	} else {
		printf("cancelled %s\n", argv[optind]);
	}
	gen_request_release(&r);
	return ret;
}
