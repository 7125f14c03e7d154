#include "build_config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "base/uuid.h"
#include "model/lifecycle.h"
#include "model/resource.h"
#include "base/banned.h"

/*
 * gentrackctl watch ID: follows one request until it ends, reading it from
 * the store once a second (an operator's tool beside the store: no nginx
 * needed). On a terminal one line redrawn in place, a progress bar; else a
 * line per change, for logs and scripts; with --json a JSON line per change.
 * The exit status says how it ended (ctl_cmd.h).
 */

#define BAR_WIDTH 10

void ctl_watch_line(const struct gen_request *r, int64_t now, int bar, struct strbuf *sb)
{
	unsigned done = r->generated_count + r->failed_count;
	int64_t since = r->started_at != TIME_NONE ? r->started_at : r->requested_at;
	/* A finished request's seconds stop at its end. */
	int64_t until = r->completed_at != TIME_NONE ? r->completed_at
			: r->cancelled_at != TIME_NONE ? r->cancelled_at : now;
	long long secs = since != TIME_NONE && until > since ? (long long)((until - since) / US_PER_S) : 0;

	if (bar) {
		unsigned filled = r->requested_count ? done * BAR_WIDTH / r->requested_count : 0;
		strbuf_addch(sb, '[');
		for (unsigned i = 0; i < BAR_WIDTH; i++)
			strbuf_addch(sb, i < filled ? '#' : '-');
		strbuf_addstr(sb, "] ");
	} else {
		char at[TIME_RFC3339_LEN + 1];
		time_format_rfc3339(now, at);
		strbuf_addf(sb, "%s ", at);
	}
	strbuf_addf(sb, "%u/%u %s, attempt %u, %lld s", done, r->requested_count,
		    lifecycle_status_name(r->status), r->attempt, secs);
	if (r->failed_count)
		strbuf_addf(sb, ", %u failed", r->failed_count);
	if (lifecycle_is_terminal(r->status) && r->failure_reason[0])
		strbuf_addf(sb, ": %s", r->failure_reason);
}

int ctl_watch_exit_status(enum gen_status s)
{
	switch (s) {
	case GEN_COMPLETED: return CTL_OK;
	case GEN_PARTIAL: return CTL_WATCH_PARTIAL;
	case GEN_FAILED: return CTL_WATCH_FAILED;
	case GEN_CANCELLED: return CTL_WATCH_CANCELLED;
	default: return CTL_WATCH_TIMEOUT;
	}
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One change shown: a line (or the redrawn bar), or a JSON line. */
static int show_change(struct ctl *c, const struct gen_request *r, int64_t now, int tty)
{
	struct strbuf sb = STRBUF_INIT;
	if (c->json) {
		resource_render(r, NULL, RESOURCE_NO_CONSTRAINTS | RESOURCE_NO_METADATA, &sb);
		strbuf_addch(&sb, '\n');
	} else {
		/* \r and "erase to the end of the line": the bar redrawn in place. */
		if (tty)
			strbuf_addstr(&sb, "\r\033[K");
		ctl_watch_line(r, now, tty, &sb);
		if (!tty || lifecycle_is_terminal(r->status))
			strbuf_addch(&sb, '\n');
	}
	int ret = ctl_print_text(&sb);
	fflush(stdout);
	strbuf_release(&sb);
	return ret;
}

/* Seconds for --interval and --timeout: 1..86400. */
static int parse_seconds(const char *opt, const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > 86400) {
		fprintf(stderr, "gentrackctl: watch: %s takes 1..86400 seconds, not '%s'\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_watch_args(int argc, char **argv, struct uuid *id, long *interval, long *timeout)
{
	const char *ids = NULL;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--interval") || !strcmp(argv[i], "--timeout")) && i + 1 < argc) {
			if (parse_seconds(argv[i], argv[i + 1], argv[i][2] == 'i' ? interval : timeout) < 0)
				return -1;
			i++;
		} else if (!ids && argv[i][0] != '-') {
			ids = argv[i];
		} else {
			ids = NULL;
			break;
		}
	}
	if (!ids) {
		fprintf(stderr, "gentrackctl: usage: watch ID [--interval S] [--timeout S]\n");
		return -1;
	}
	if (uuid_parse(ids, strlen(ids), id) < 0) {
		fprintf(stderr, "gentrackctl: '%s' is not a request id (a UUID)\n", ids);
		return -1;
	}
	return 0;
}

int ctl_cmd_watch(struct ctl *c, int argc, char **argv)
{
	struct uuid id;
	long interval = 1, timeout = 0;
	uint64_t shown = 0;
	int tty = !c->json && isatty(STDOUT_FILENO);

	if (parse_watch_args(argc, argv, &id, &interval, &timeout) < 0)
		return CTL_USAGE;
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	int64_t start = time_mono_ms();
	for (;;) {
		struct gen_request r;
		int64_t now;
		gen_request_init(&r);
		int rc = store_request_get(c->store, &id, NULL, &r);
		if (rc == STORE_OK)
			rc = store_now(c->store, &now);
		if (rc) {
			gen_request_release(&r);
			if (rc == STORE_NOT_FOUND) {
				char ids[UUID_STR_LEN + 1];
				uuid_format(&id, ids);
				fprintf(stderr, "gentrackctl: no request %s\n", ids);
				return CTL_USAGE;
			}
			return ctl_store_failed(c, rc);
		}
		int ret = CTL_OK;
		/* The bar's seconds move on a terminal; elsewhere only changes print. */
		if (r.version != shown || tty)
			ret = show_change(c, &r, now, tty);
		shown = r.version;
		enum gen_status status = r.status;
		gen_request_release(&r);
		if (ret != CTL_OK)
			return ret;
		if (lifecycle_is_terminal(status))
			return ctl_watch_exit_status(status);
		if (timeout && time_mono_ms() - start >= timeout * 1000) {
			if (tty)
				putchar('\n');
			fprintf(stderr, "gentrackctl: watch: still %s after %ld s\n",
				lifecycle_status_name(status), timeout);
			return CTL_WATCH_TIMEOUT;
		}
		if (time_nap_ms(interval * 1000, &interrupted) < 0) {
			if (tty)
				putchar('\n');
			return CTL_WATCH_TIMEOUT;
		}
	}
}
