#include "build_config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/limits.h"
#include "base/strbuf.h"
#include "model/queue_state.h"
#include "model/resource.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "store/store.h"
#include "base/banned.h"

/*
 * gentrackctl queue list | pause TYPE --reason TEXT | resume TYPE --reason
 * TEXT: the admin queues page from a shell (README "Pausing a queue"),
 * recorded as cli:$USER, its table with the same rows and columns (last
 * hour, workers). Pausing a paused queue (resuming a running one) changes
 * nothing and exits 1, saying so.
 */

#define QUEUE_LIST_MAX 1000

struct queue_out {
	struct ctl *c;
	struct jsonw *w;
	struct strbuf line;
	int64_t now;
	int failed;
};

/* A time of the last hour as the queues page shows it: "55.0 s", "312 s", "14 min"; "-": none. */
static void format_duration(int64_t us, char *out, size_t size)
{
	if (us < 0)
		snprintf(out, size, "-");
	else if (us < 100 * US_PER_S)
		snprintf(out, size, "%.1f s", (double)us / US_PER_S);
	else if (us < 10 * US_PER_MIN)
		snprintf(out, size, "%.0f s", (double)us / US_PER_S);
	else
		ctl_format_age(0, us, out, size);
}

static void queue_row_out(struct queue_out *o, const struct queue_state *q)
{
	char oldest[32], p50[32], p95[32];
	if (o->c->json) {
		queue_state_render(q, o->now, o->w);
		return;
	}
	ctl_format_age(q->oldest_pending_at, o->now, oldest, sizeof(oldest));
	format_duration(q->hour.p50_us, p50, sizeof(p50));
	format_duration(q->hour.p95_us, p95, sizeof(p95));
	struct strbuf *l = &o->line;
	strbuf_reset(l);
	ctl_add_text(l, q->entity_type, 0, 24, 64);
	strbuf_addf(l, "  %8llu  %8s  %10llu  %12llu  %10llu  %9llu  %8s  %8s  %7u  ", q->pending,
		    oldest, q->processing, q->hour.completed, q->hour.partial, q->hour.failed, p50,
		    p95, q->hour.workers);
	if (q->paused) {
		char since[32];
		ctl_format_age(q->paused_at, o->now, since, sizeof(since));
		strbuf_addstr(l, "paused by ");
		ctl_add_text(l, q->paused_by, 0, 0, 72);
		strbuf_addf(l, ", %s ago: ", since);
		ctl_add_text(l, q->pause_reason, 0, 0, 60);
	} else {
		strbuf_addstr(l, "running");
	}
	strbuf_addch(l, '\n');
	if (ctl_print_text(l) != CTL_OK)
		o->failed = 1;
}

static int queue_list(struct ctl *c)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct queue_out o = { c, &w, STRBUF_INIT, 0, 0 };
	unsigned n = 0;
	int ret = ctl_now(c, &o.now);
	if (ret)
		return ret;
	/* cap + 1: store_queue_table's slot for a named type, unused here. */
	struct queue_state *rows = calloc(QUEUE_LIST_MAX + 1, sizeof(*rows));
	if (!rows) {
		fprintf(stderr, "gentrackctl: out of memory\n");
		return CTL_STORE;
	}
	int rc = store_queue_table(c->store, o.now, NULL, rows, QUEUE_LIST_MAX, &n);
	if (rc) {
		ret = ctl_store_failed(c, rc);
		goto cleanup;
	}
	jsonw_init(&w, &sb);
	jsonw_object_begin(&w);
	jsonw_key(&w, "items");
	jsonw_array_begin(&w);
	if (!c->json)
		printf("%-24s  %8s  %8s  %10s  %12s  %10s  %9s  %8s  %8s  %7s  %s\n", "ENTITY TYPE",
		       "PENDING", "OLDEST", "PROCESSING", "COMPLETED 1H", "PARTIAL 1H", "FAILED 1H",
		       "P50 1H", "P95 1H", "WORKERS", "STATE");
	for (unsigned i = 0; i < n; i++)
		queue_row_out(&o, &rows[i]);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	ret = c->json ? ctl_print_json(&sb) : o.failed ? CTL_STORE : CTL_OK;
cleanup:
	free(rows);
	strbuf_release(&sb);
	strbuf_release(&o.line);
	return ret;
}

static int queue_change(struct ctl *c, int pause, int argc, char **argv)
{
	static const struct option options[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = pause ? "pause" : "resume";
	const char *reason = NULL;
	char actor[96];
	struct queue_state q;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:", options, NULL)) != -1) {
		if (opt != 'r')
			return CTL_USAGE;
		reason = optarg;
	}
	if (optind + 1 != argc || !reason || !*reason || strlen(reason) > ADMIN_REASON_MAX) {
		fprintf(stderr, "gentrackctl: usage: queue %s TYPE --reason TEXT (1 to %d bytes)\n",
			verb, ADMIN_REASON_MAX);
		return CTL_USAGE;
	}
	const char *type = argv[optind];
	if (!resource_entity_type_valid(type, strlen(type))) {
		fprintf(stderr, "gentrackctl: an entity type is [a-z][a-z0-9_]{0,63}\n");
		return CTL_USAGE;
	}
	ctl_actor(actor, sizeof(actor));
	int rc = pause ? store_queue_pause(c->store, type, actor, reason)
		 : store_queue_resume(c->store, type, actor, reason);
	if (rc == STORE_OK || rc == STORE_CONFLICT) {
		int rc2 = store_queue_get(c->store, type, &q);
		if (rc2)
			return ctl_store_failed(c, rc2);
	}
	if (rc == STORE_CONFLICT) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "gentrackctl: the %s queue is %s", type,
			    pause ? "already paused (by " : "not paused");
		if (pause) {
			ctl_add_text(&sb, q.paused_by, 0, 0, 72);
			strbuf_addch(&sb, ')');
		}
		fprintf(stderr, "%s; nothing changed\n", sb.oom ? "" : sb.buf);
		strbuf_release(&sb);
		return CTL_USAGE;
	}
	if (rc)
		return ctl_store_failed(c, rc);
	if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		struct jsonw w;
		int64_t now;
		int ret = ctl_now(c, &now);
		if (ret)
			return ret;
		jsonw_init(&w, &sb);
		queue_state_render(&q, now, &w);
		ret = ctl_print_json(&sb);
		strbuf_release(&sb);
		return ret;
	}
	printf("%s %s (%llu pending)\n", pause ? "paused" : "resumed", type, q.pending);
	return CTL_OK;
}

int ctl_cmd_queue(struct ctl *c, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "list") && argc == 2)
		return queue_list(c);
	if (!strcmp(what, "pause"))
		return queue_change(c, 1, argc - 1, argv + 1);
	if (!strcmp(what, "resume"))
		return queue_change(c, 0, argc - 1, argv + 1);
	fprintf(stderr, "gentrackctl: usage: queue list | queue pause|resume TYPE --reason TEXT\n");
	return CTL_USAGE;
}
