#include "build_config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/termtext.h"
#include "base/timeutil.h"
#include "model/auth.h"
#include "model/webhook.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "ops/deliverer.h"
#include "ops/webhook_target.h"
#include "store/store.h"
#include "base/banned.h"

/* gentrackctl webhook add|list|default|rotate|remove, and deliver (issue 16, README "Webhooks"). */

#define DEFAULT_NAME "default"
#define ALL_EVENTS "completed,partial,failed,cancelled"

/* --owner and --name of the webhook commands, checked. */
static int owner_name_ok(const char *what, const char *owner, const char *name)
{
	if (!owner) {
		fprintf(stderr, "gentrackctl: webhook %s needs --owner NAME\n", what);
		return 0;
	}
	if (!auth_owner_valid(owner)) {
		fprintf(stderr, "gentrackctl: --owner must be 1-64 of A-Z a-z 0-9 . _ -\n");
		return 0;
	}
	if (!webhook_name_valid(name)) {
		fprintf(stderr, "gentrackctl: --name must be 1-64 of A-Z a-z 0-9 . _ -\n");
		return 0;
	}
	return 1;
}

/*
 * The --owner O [--name N] of the commands that take nothing else, checked;
 * *name keeps the caller's default when --name is absent (NULL: required).
 * 0, or -1 with the usage written to stderr.
 */
static int parse_owner_name(int argc, char **argv, const char *what, const char *usage,
			    const char **owner, const char **name)
{
	static const struct option options[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:n:", options, NULL)) != -1) {
		if (opt == 'o')
			*owner = optarg;
		else if (opt == 'n')
			*name = optarg;
		else
			return -1;
	}
	if (optind != argc || !*name) {
		fprintf(stderr, "gentrackctl: webhook %s needs %s\n", what, usage);
		return -1;
	}
	return owner_name_ok(what, *owner, *name) ? 0 : -1;
}

static int cmd_webhook_add(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "url", required_argument, NULL, 'u' },
		{ "events", required_argument, NULL, 'e' },
		{ "default", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *owner = NULL, *name = DEFAULT_NAME, *url = NULL, *events_arg = ALL_EVENTS;
	int make_default = 0, is_default = 0;
	char events[WEBHOOK_EVENTS_MAX + 1], err[512], secret[WEBHOOK_SECRET_LEN + 1];
	struct webhook_target t;
	long long id = 0;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:n:u:e:d", options, NULL)) != -1) {
		if (opt == 'o')
			owner = optarg;
		else if (opt == 'n')
			name = optarg;
		else if (opt == 'u')
			url = optarg;
		else if (opt == 'e')
			events_arg = optarg;
		else if (opt == 'd')
			make_default = 1;
		else
			return CTL_USAGE;
	}
	if (optind != argc || !url) {
		fprintf(stderr, "gentrackctl: webhook add needs --owner NAME --url URL "
			"[--name NAME] [--events %s] [--default]\n", ALL_EVENTS);
		return CTL_USAGE;
	}
	if (!owner_name_ok("add", owner, name))
		return CTL_USAGE;
	if (webhook_events_parse(events_arg, events) < 0) {
		fprintf(stderr, "gentrackctl: --events must name some of %s, comma-separated\n",
			ALL_EVENTS);
		return CTL_USAGE;
	}
	/* The same check the deliverer makes before each POST: refused now rather than dead later. */
	if (webhook_target_resolve(url, c->cfg.webhooks_allow_private, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "gentrackctl: --url refused: %s\n", err);
		return CTL_USAGE;
	}
	webhook_secret_generate(secret);
	int rc = store_webhook_add(c->store, owner, name, url, secret, events, &id);
	/* The owner's first endpoint is its default: a newcomer's requests report
	 * without naming it. A second one only when asked. */
	if (rc == STORE_OK)
		rc = store_webhook_set_default(c->store, owner, name, !make_default, &is_default);
	if (rc == STORE_DUPLICATE) {
		fprintf(stderr, "gentrackctl: %s already has a webhook named '%s' "
			"(webhook remove it first)\n", owner, name);
		ret = CTL_USAGE;
	} else if (rc) {
		ret = ctl_store_failed(c, rc);
	} else if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		struct jsonw w;
		jsonw_init(&w, &sb);
		jsonw_object_begin(&w);
		jsonw_key(&w, "id"); jsonw_int(&w, id);
		jsonw_key(&w, "owner"); jsonw_cstr(&w, owner);
		jsonw_key(&w, "name"); jsonw_cstr(&w, name);
		jsonw_key(&w, "url"); jsonw_cstr(&w, url);
		jsonw_key(&w, "events"); jsonw_cstr(&w, events);
		jsonw_key(&w, "default"); jsonw_bool(&w, is_default);
		jsonw_key(&w, "secret"); jsonw_cstr(&w, secret);
		jsonw_object_end(&w);
		ret = ctl_print_json(&sb);
		sodium_memzero(sb.buf, sb.len);
		strbuf_release(&sb);
	} else {
		/* The secret alone on stdout, so SECRET=$(gentrackctl webhook add ...) works. */
		printf("%s\n", secret);
		fprintf(stderr, "added webhook %s of %s (%s) for %s%s; its secret is shown only "
			"this once\n", name, owner, url, events,
			is_default ? ", the owner's default" : "");
		ret = CTL_OK;
	}
	sodium_memzero(secret, sizeof(secret));
	return ret;
}

struct webhook_list_out {
	int json;
	struct jsonw *w;
	int failed;
};

static int print_webhook_row(void *ctx, const struct store_webhook_row *r)
{
	struct webhook_list_out *o = ctx;
	char created[TIME_RFC3339_LEN + 1], disabled[TIME_RFC3339_LEN + 1] = "";
	time_format_rfc3339(r->created_at, created);
	if (r->disabled_at != TIME_NONE)
		time_format_rfc3339(r->disabled_at, disabled);
	if (o->json) {
		struct jsonw *w = o->w;
		jsonw_object_begin(w);
		jsonw_key(w, "id"); jsonw_int(w, r->id);
		jsonw_key(w, "owner"); jsonw_cstr(w, r->owner);
		jsonw_key(w, "name"); jsonw_cstr(w, r->name);
		jsonw_key(w, "url"); jsonw_cstr(w, r->url);
		jsonw_key(w, "events"); jsonw_cstr(w, r->events);
		jsonw_key(w, "default"); jsonw_bool(w, r->is_default);
		jsonw_key(w, "created_at"); jsonw_cstr(w, created);
		jsonw_key(w, "disabled_at"); jsonw_cstr(w, *disabled ? disabled : NULL);
		jsonw_key(w, "pending_deliveries"); jsonw_int(w, (long long)r->pending);
		jsonw_object_end(w);
		return 0;
	}
	struct strbuf line = STRBUF_INIT;
	ctl_add_text(&line, r->owner, 0, 16, TERMTEXT_ALL);
	strbuf_addstr(&line, " ");
	ctl_add_text(&line, r->name, 0, 16, TERMTEXT_ALL);
	strbuf_addf(&line, " %-7s %-9s %-7llu ", r->is_default ? "yes" : "-",
		    *disabled ? "disabled" : "enabled", r->pending);
	ctl_add_text(&line, r->events, 0, 35, TERMTEXT_ALL);
	strbuf_addstr(&line, " ");
	ctl_add_text(&line, r->url, 0, 0, TERMTEXT_ALL);
	strbuf_addstr(&line, "\n");
	if (ctl_print_text(&line) != CTL_OK)
		o->failed = 1;
	strbuf_release(&line);
	return 0;
}

static int cmd_webhook_list(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *owner = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
		if (opt == 'o')
			owner = optarg;
		else
			return CTL_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "gentrackctl: webhook list takes only [--owner NAME]\n");
		return CTL_USAGE;
	}
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct webhook_list_out o = { c->json, &w, 0 };
	jsonw_init(&w, &sb);
	jsonw_array_begin(&w);
	if (!c->json)
		printf("%-16s %-16s %-7s %-9s %-7s %-35s %s\n", "OWNER", "NAME", "DEFAULT", "STATE",
		       "PENDING", "EVENTS", "URL");
	int rc = store_webhook_list(c->store, owner, print_webhook_row, &o);
	jsonw_array_end(&w);
	int ret = rc ? ctl_store_failed(c, rc) : c->json ? ctl_print_json(&sb)
		  : o.failed ? CTL_STORE : CTL_OK;
	strbuf_release(&sb);
	return ret;
}

static int cmd_webhook_remove(struct ctl *c, int argc, char **argv)
{
	const char *owner = NULL, *name = DEFAULT_NAME;
	if (parse_owner_name(argc, argv, "remove", "--owner NAME [--name NAME]", &owner, &name))
		return CTL_USAGE;
	int rc = store_webhook_remove(c->store, owner, name);
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: %s has no webhook named '%s'\n", owner, name);
		return CTL_USAGE;
	}
	if (rc)
		return ctl_store_failed(c, rc);
	printf("removed webhook %s of %s; its waiting deliveries are dead\n", name, owner);
	return CTL_OK;
}

static int cmd_webhook_default(struct ctl *c, int argc, char **argv)
{
	const char *owner = NULL, *name = NULL;
	if (parse_owner_name(argc, argv, "default", "--owner NAME --name NAME", &owner, &name))
		return CTL_USAGE;
	int rc = store_webhook_set_default(c->store, owner, name, 0, NULL);
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: %s has no webhook named '%s'\n", owner, name);
		return CTL_USAGE;
	}
	if (rc)
		return ctl_store_failed(c, rc);
	printf("%s's requests that name no webhook now report to %s (from their create on)\n",
	       owner, name);
	return CTL_OK;
}

/* The longest --overlap: a week is plenty to roll a secret out. */
#define ROTATE_OVERLAP_MAX (7 * 86400)

static int cmd_webhook_rotate(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "overlap", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *owner = NULL, *name = DEFAULT_NAME, *overlap_arg = "24h";
	char secret[WEBHOOK_SECRET_LEN + 1];
	int64_t overlap = 0;
	int opt, ret;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:n:l:", options, NULL)) != -1) {
		if (opt == 'o')
			owner = optarg;
		else if (opt == 'n')
			name = optarg;
		else if (opt == 'l')
			overlap_arg = optarg;
		else
			return CTL_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "gentrackctl: webhook rotate needs --owner NAME [--name NAME] "
			"[--overlap 24h]\n");
		return CTL_USAGE;
	}
	if (!owner_name_ok("rotate", owner, name))
		return CTL_USAGE;
	if (time_parse_duration(overlap_arg, &overlap) < 0 || overlap > ROTATE_OVERLAP_MAX) {
		fprintf(stderr, "gentrackctl: --overlap must be a duration up to 7d (90s, 10m, 24h; "
			"0: the old secret stops at once)\n");
		return CTL_USAGE;
	}
	webhook_secret_generate(secret);
	int rc = store_webhook_rotate(c->store, owner, name, secret, (long long)overlap);
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: %s has no webhook named '%s'\n", owner, name);
		ret = CTL_USAGE;
	} else if (rc) {
		ret = ctl_store_failed(c, rc);
	} else if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		struct jsonw w;
		jsonw_init(&w, &sb);
		jsonw_object_begin(&w);
		jsonw_key(&w, "owner"); jsonw_cstr(&w, owner);
		jsonw_key(&w, "name"); jsonw_cstr(&w, name);
		jsonw_key(&w, "overlap_seconds"); jsonw_int(&w, (long long)overlap);
		jsonw_key(&w, "secret"); jsonw_cstr(&w, secret);
		jsonw_object_end(&w);
		ret = ctl_print_json(&sb);
		sodium_memzero(sb.buf, sb.len);
		strbuf_release(&sb);
	} else {
		/* The secret alone on stdout, as for add. */
		printf("%s\n", secret);
		if (overlap)
			fprintf(stderr, "rotated the secret of webhook %s of %s; deliveries carry "
				"signatures of both secrets for %lld s, then of this one only; it is "
				"shown only this once\n", name, owner, (long long)overlap);
		else
			fprintf(stderr, "rotated the secret of webhook %s of %s; the old one signs "
				"nothing more; this one is shown only this once\n", name, owner);
		ret = CTL_OK;
	}
	sodium_memzero(secret, sizeof(secret));
	return ret;
}

int ctl_cmd_webhook(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return cmd_webhook_add(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return cmd_webhook_list(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "default"))
		return cmd_webhook_default(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "rotate"))
		return cmd_webhook_rotate(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "remove"))
		return cmd_webhook_remove(c, argc - 1, argv + 1);
	ctl_usage(stderr);
	return CTL_USAGE;
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

int ctl_cmd_deliver(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int follow = 0, opt;
	long interval_ms = 1000;
	char *end, host[128] = "", lease_owner[192];

	optind = 1;
	while ((opt = getopt_long(argc, argv, "fi:", options, NULL)) != -1) {
		if (opt == 'f') {
			follow = 1;
		} else if (opt == 'i') {
			errno = 0;
			double v = strtod(optarg, &end);
			if (errno || end == optarg || *end || v < 0.01 || v > 3600) {
				fprintf(stderr, "gentrackctl: --interval must be seconds, 0.01 to 3600\n");
				return CTL_USAGE;
			}
			interval_ms = (long)(v * 1000);
		} else {
			return CTL_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gentrackctl: deliver takes only [--follow] [--interval S]\n");
		return CTL_USAGE;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(lease_owner, sizeof(lease_owner), "deliverer:%s:%ld", host, (long)getpid());
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	struct deliverer_counts n = { 0, 0, 0 };
	int rc;
	for (;;) {
		rc = deliverer_pass(c->store, &c->cfg, lease_owner, &stopping, &n);
		/* --follow outlives a store that went away: the next pass tries again. */
		if (!follow || stopping || time_nap_ms(interval_ms, &stopping) < 0)
			break;
	}
	printf("delivered: %llu delivered, %llu to retry, %llu dead\n", n.delivered, n.retried,
	       n.dead);
	return rc && !follow ? CTL_STORE : CTL_OK;
}
