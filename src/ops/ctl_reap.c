#include "build_config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonw.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/termtext.h"
#include "base/timeutil.h"
#include "base/uuid.h"
#include "model/lifecycle.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "ops/reaper.h"
#include "store/store.h"
#include "base/banned.h"

#define REAP_MAX_BATCHES 200

struct reap_out {
	int dry_run;
	int json;
	struct jsonw *w;
};

static void report_transition(void *ctx, const struct store_stale *row,
			      enum lifecycle_action action, const char *message)
{
	struct reap_out *o = ctx;
	char id[UUID_STR_LEN + 1];
	const char *to = action == LC_RETRY ? "pending" : "failed";
	uuid_format(&row->id, id);
	if (o->json) {
		jsonw_object_begin(o->w);
		jsonw_key(o->w, "request_id"); jsonw_cstr(o->w, id);
		jsonw_key(o->w, "from"); jsonw_cstr(o->w, lifecycle_status_name(row->status));
		jsonw_key(o->w, "to"); jsonw_cstr(o->w, to);
		jsonw_key(o->w, "message"); jsonw_cstr(o->w, message);
		jsonw_object_end(o->w);
		return;
	}
	if (o->dry_run) {
		struct strbuf line = STRBUF_INIT;
		strbuf_addf(&line, "would move %s (", id);
		ctl_add_text(&line, row->entity_type, 0, 0, TERMTEXT_ALL);
		strbuf_addstr(&line, ", ");
		ctl_add_text(&line, row->owner, 0, 0, TERMTEXT_ALL);
		strbuf_addf(&line, ") %s -> %s: ", lifecycle_status_name(row->status), to);
		ctl_add_text(&line, message, 0, 0, TERMTEXT_ALL);
		strbuf_addch(&line, '\n');
		ctl_print_text(&line);
		strbuf_release(&line);
	} else
		log_debug("%s (%s, %s) %s -> %s: %s", id, row->entity_type, row->owner,
			 lifecycle_status_name(row->status), to, message);
}

/* How MariaDB runs the reaper's three queries now: each should be an index range. */
static int reap_explain(struct ctl *c)
{
	static const char *const names[] = { "expired leases", "past stale_after",
					     "past pending_timeout" };
	int64_t now;
	if (ctl_now(c, &now))
		return CTL_STORE;
	for (int k = STALE_LEASE; k <= STALE_PENDING; k++) {
		struct store_plan plan;
		int rc = store_explain_stale(c->store, (enum store_stale_kind)k, now, &plan);
		if (rc)
			return ctl_store_failed(c, rc);
		printf("%-21s access %-6s index %-20s ~%ld rows  %s\n", names[k], plan.access,
		       *plan.key ? plan.key : "(none)", plan.rows, plan.extra);
	}
	return CTL_OK;
}

/*
 * This host's name, printable ASCII, for its row of the reapers' last runs
 * (one row per host, so reapers on several hosts never write the same row).
 */
static void reaper_host(char *host, size_t size)
{
	if (gethostname(host, size) < 0 || !*host)
		snprintf(host, size, "localhost");
	host[size - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p <= ' ' || *p > '~')
			*p = '_';
}

int ctl_cmd_reap(struct ctl *c, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct reaper_summary sum;
	struct reap_out o = { 0, c->json, &w };

	if (argc == 2 && !strcmp(argv[1], "--explain"))
		return reap_explain(c);
	if (argc == 2 && !strcmp(argv[1], "--dry-run"))
		o.dry_run = 1;
	else if (argc != 1) {
		fprintf(stderr, "gentrackctl: usage: reap [--dry-run | --explain]\n");
		return CTL_USAGE;
	}
	/* Deadlines are the store's: this host's clock may be minutes off. */
	int64_t now;
	int rc = store_now(c->store, &now);
	if (rc)
		return ctl_store_failed(c, rc);
	jsonw_init(&w, &sb);
	jsonw_object_begin(&w);
	jsonw_key(&w, "transitions");
	jsonw_array_begin(&w);
	rc = reaper_run(c->store, &c->cfg, now, o.dry_run, REAP_MAX_BATCHES,
			report_transition, &o, &sum);
	jsonw_array_end(&w);
	/* The run counts for /metrics (the "reaper has not run" alert) only once it
	 * went through, and a dry run is no run. */
	if (rc == STORE_OK && !o.dry_run) {
		char host[256];
		reaper_host(host, sizeof(host));
		rc = store_reaper_ran(c->store, host);
	}
	if (rc) {
		strbuf_release(&sb);
		return ctl_store_failed(c, rc);
	}
	int ret = CTL_OK;
	if (c->json) {
		jsonw_key(&w, "dry_run"); jsonw_bool(&w, o.dry_run);
		jsonw_key(&w, "failed"); jsonw_int(&w, sum.failed);
		jsonw_key(&w, "retried"); jsonw_int(&w, sum.retried);
		jsonw_key(&w, "expired_pending"); jsonw_int(&w, sum.expired_pending);
		jsonw_key(&w, "changed_meanwhile"); jsonw_int(&w, sum.raced);
		jsonw_key(&w, "more"); jsonw_bool(&w, sum.more);
		jsonw_object_end(&w);
		ret = ctl_print_json(&sb);
	} else {
		printf("%s: %u failed, %u retried, %u expired-pending%s\n",
		       o.dry_run ? "would reap" : "reaped", sum.failed, sum.retried,
		       sum.expired_pending, sum.more ? " (more left: run again)" : "");
	}
	strbuf_release(&sb);
	return ret;
}

/* ---- prune ---- */

#define PRUNE_MAX_BATCHES 10000

int ctl_cmd_prune(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "older-than", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *age = NULL;
	int dry_run = 0, opt;
	int64_t seconds;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:n", options, NULL)) != -1) {
		if (opt == 'o')
			age = optarg;
		else if (opt == 'n')
			dry_run = 1;
		else
			return CTL_USAGE;
	}
	if (optind != argc || !age || time_parse_duration(age, &seconds) < 0 || seconds < 1) {
		fprintf(stderr, "gentrackctl: usage: prune --older-than AGE [--dry-run] "
			"(AGE like 7d, 12h, 90m)\n");
		return CTL_USAGE;
	}
	/* Ages are the store's: its clock stamped the rows. */
	int64_t now;
	int rc = store_now(c->store, &now);
	if (rc)
		return ctl_store_failed(c, rc);
	int64_t cutoff = now - seconds * INT64_C(1000000);
	unsigned total = 0, keys = 0, workers = 0, n;
	for (unsigned b = 0; b < PRUNE_MAX_BATCHES; b++) {
		rc = store_prune_batch(c->store, cutoff, STORE_STALE_BATCH, dry_run, &n);
		total += n;
		if (rc || n < STORE_STALE_BATCH || dry_run)
			break;
	}
	/* Idempotency keys are forgotten after their own TTL, whatever the age asked. */
	int64_t key_cutoff = now - c->cfg.idempotency_ttl * INT64_C(1000000);
	for (unsigned b = 0; rc == STORE_OK && !dry_run && b < PRUNE_MAX_BATCHES; b++) {
		rc = store_prune_idempotency(c->store, key_cutoff, STORE_STALE_BATCH, &n);
		keys += n;
		if (n < STORE_STALE_BATCH)
			break;
	}
	/* A worker silent for longer than the age asked is gone: the workers
	 * page shows the last hour, and a worker that comes back is seen anew. */
	for (unsigned b = 0; rc == STORE_OK && !dry_run && b < PRUNE_MAX_BATCHES; b++) {
		rc = store_prune_workers(c->store, cutoff, STORE_STALE_BATCH, &n);
		workers += n;
		if (n < STORE_STALE_BATCH)
			break;
	}
	if (rc)
		return ctl_store_failed(c, rc);
	if (c->json)
		printf("{\"dry_run\":%s,\"requests\":%u,\"idempotency_keys\":%u,\"workers\":%u}\n",
		       dry_run ? "true" : "false", total, keys, workers);
	else if (dry_run)
		printf("would prune: %u%s finished requests older than %s\n", total,
		       total >= STORE_STALE_BATCH ? " or more" : "", age);
	else
		printf("pruned: %u finished requests older than %s (with their entities and events), "
		       "%u expired idempotency keys, %u workers not seen since\n", total, age, keys,
		       workers);
	return CTL_OK;
}
