#include "build_config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/limits.h"
#include "base/strbuf.h"
#include "model/auth.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "store/store.h"
#include "base/banned.h"

/*
 * gentrackctl owner weight --owner O N | owner weights: an owner's weight
 * in the fair share of the claims (README "Claim order").
 * gentrackctl owner limit --owner O [--pending N|default]
 * [--processing N|default] | owner limits: an owner's own limits on its
 * pending and processing requests (README "Per-owner limits").
 */

static int weight_set(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *owner = NULL;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
		if (opt != 'o')
			return CTL_USAGE;
		owner = optarg;
	}
	char *end = NULL;
	long n = optind + 1 == argc ? strtol(argv[optind], &end, 10) : 0;
	if (!owner || !end || *end || end == argv[optind] || n < 1 || n > OWNER_WEIGHT_MAX) {
		fprintf(stderr, "gentrackctl: usage: owner weight --owner O N (N from 1 to %d)\n",
			OWNER_WEIGHT_MAX);
		return CTL_USAGE;
	}
	if (!auth_owner_valid(owner)) {
		fprintf(stderr, "gentrackctl: --owner must be 1-64 of A-Z a-z 0-9 . _ -\n");
		return CTL_USAGE;
	}
	int rc = store_owner_weight_set(c->store, owner, (unsigned)n);
	if (rc)
		return ctl_store_failed(c, rc);
	if (c->json)
		printf("{\"owner\":\"%s\",\"weight\":%ld}\n", owner, n);
	else
		printf("owner %s: weight %ld (for requests created from now on)\n", owner, n);
	return CTL_OK;
}

struct weights_out {
	struct jsonw *w;
	int json;
};

static int weight_row(void *ctx, const char *owner, unsigned weight)
{
	struct weights_out *o = ctx;
	if (o->json) {
		jsonw_object_begin(o->w);
		jsonw_key(o->w, "owner");
		jsonw_cstr(o->w, owner);
		jsonw_key(o->w, "weight");
		jsonw_int(o->w, weight);
		jsonw_object_end(o->w);
	} else {
		printf("%-64s  %6u\n", owner, weight);
	}
	return 0;
}

static int weight_list(struct ctl *c)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct weights_out o = { &w, c->json };

	jsonw_init(&w, &sb);
	jsonw_object_begin(&w);
	jsonw_key(&w, "items");
	jsonw_array_begin(&w);
	if (!c->json)
		printf("%-64s  %6s\n", "OWNER", "WEIGHT");
	int rc = store_owner_weight_list(c->store, weight_row, &o);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	int ret = rc ? ctl_store_failed(c, rc) : c->json ? ctl_print_json(&sb) : CTL_OK;
	strbuf_release(&sb);
	return ret;
}

/* ---- limits ---- */

#define LIMIT_USAGE \
	"gentrackctl: usage: owner limit --owner O [--pending N|default] " \
	"[--processing N|default] (N from 0 = none to 1000000)\n"

/* "default", or 0..OWNER_LIMIT_MAX in decimal digits only. 0, or -1. */
static int limit_arg(const char *arg, enum store_limit_change *change, long long *value)
{
	if (!strcmp(arg, "default")) {
		*change = STORE_LIMIT_DEFAULT;
		*value = 0;
		return 0;
	}
	size_t len = strlen(arg);
	if (len < 1 || len > 7 || strspn(arg, "0123456789") != len)
		return -1;
	*value = strtoll(arg, NULL, 10);
	*change = STORE_LIMIT_VALUE;
	return *value <= OWNER_LIMIT_MAX ? 0 : -1;
}

/* One limit as a person reads it: "10 (own)", "none (default)". */
static void limit_text(char *out, size_t size, long long v, int own)
{
	if (v > 0)
		snprintf(out, size, "%lld (%s)", v, own ? "own" : "default");
	else
		snprintf(out, size, "none (%s)", own ? "own" : "default");
}

static void limit_json(struct jsonw *w, const char *owner, const struct store_owner_limits *l)
{
	jsonw_object_begin(w);
	jsonw_key(w, "owner");
	jsonw_cstr(w, owner);
	jsonw_key(w, "max_pending");
	jsonw_int(w, l->max_pending);
	jsonw_key(w, "max_pending_source");
	jsonw_cstr(w, l->pending_own ? "owner" : "default");
	jsonw_key(w, "max_processing");
	jsonw_int(w, l->max_processing);
	jsonw_key(w, "max_processing_source");
	jsonw_cstr(w, l->processing_own ? "owner" : "default");
	jsonw_object_end(w);
}

static void limit_line(const char *owner, const struct store_owner_limits *l)
{
	char pending[48], processing[48];
	limit_text(pending, sizeof(pending), l->max_pending, l->pending_own);
	limit_text(processing, sizeof(processing), l->max_processing, l->processing_own);
	printf("%-64s  %-18s  %-18s\n", owner, pending, processing);
}

static int limit_set(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "pending", required_argument, NULL, 'p' },
		{ "processing", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	enum store_limit_change pending = STORE_LIMIT_KEEP, processing = STORE_LIMIT_KEEP;
	long long max_pending = 0, max_processing = 0;
	const char *owner = NULL;
	int opt, bad = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
		if (opt == 'o')
			owner = optarg;
		else if (opt == 'p')
			bad |= limit_arg(optarg, &pending, &max_pending);
		else if (opt == 'P')
			bad |= limit_arg(optarg, &processing, &max_processing);
		else
			bad = -1;
	}
	if (bad || !owner || optind != argc ||
	    (pending == STORE_LIMIT_KEEP && processing == STORE_LIMIT_KEEP)) {
		fputs(LIMIT_USAGE, stderr);
		return CTL_USAGE;
	}
	if (!auth_owner_valid(owner)) {
		fprintf(stderr, "gentrackctl: --owner must be 1-64 of A-Z a-z 0-9 . _ -\n");
		return CTL_USAGE;
	}
	struct store_owner_limits l;
	int rc = store_owner_limit_set(c->store, owner, pending, max_pending, processing,
				       max_processing);
	if (rc == STORE_OK)
		rc = store_owner_limits_get(c->store, owner, &l);
	if (rc)
		return ctl_store_failed(c, rc);
	if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		struct jsonw w;
		jsonw_init(&w, &sb);
		limit_json(&w, owner, &l);
		int ret = ctl_print_json(&sb);
		strbuf_release(&sb);
		return ret;
	}
	char p[48], q[48];
	limit_text(p, sizeof(p), l.max_pending, l.pending_own);
	limit_text(q, sizeof(q), l.max_processing, l.processing_own);
	printf("owner %s: max_pending %s, max_processing %s\n", owner, p, q);
	return CTL_OK;
}

static int limit_row(void *ctx, const char *owner, const struct store_owner_limits *l)
{
	struct weights_out *o = ctx;
	if (o->json)
		limit_json(o->w, owner, l);
	else
		limit_line(owner, l);
	return 0;
}

static int limit_list(struct ctl *c)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct weights_out o = { &w, c->json };

	jsonw_init(&w, &sb);
	jsonw_object_begin(&w);
	jsonw_key(&w, "defaults");
	jsonw_object_begin(&w);
	jsonw_key(&w, "max_pending_per_owner");
	jsonw_int(&w, c->cfg.max_pending_per_owner);
	jsonw_key(&w, "max_processing_per_owner");
	jsonw_int(&w, c->cfg.max_processing_per_owner);
	jsonw_object_end(&w);
	jsonw_key(&w, "items");
	jsonw_array_begin(&w);
	if (!c->json) {
		struct store_owner_limits d = { c->cfg.max_pending_per_owner,
						c->cfg.max_processing_per_owner, 0, 0 };
		printf("%-64s  %-18s  %-18s\n", "OWNER", "MAX_PENDING", "MAX_PROCESSING");
		limit_line("(everyone else)", &d);
	}
	int rc = store_owner_limit_list(c->store, limit_row, &o);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	int ret = rc ? ctl_store_failed(c, rc) : c->json ? ctl_print_json(&sb) : CTL_OK;
	strbuf_release(&sb);
	return ret;
}

int ctl_cmd_owner(struct ctl *c, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "weight"))
		return weight_set(c, argc - 1, argv + 1);
	if (!strcmp(what, "weights") && argc == 2)
		return weight_list(c);
	if (!strcmp(what, "limit"))
		return limit_set(c, argc - 1, argv + 1);
	if (!strcmp(what, "limits") && argc == 2)
		return limit_list(c);
	fprintf(stderr, "gentrackctl: usage: owner weight --owner O N | owner weights | "
		"owner limit --owner O [--pending N|default] [--processing N|default] | "
		"owner limits\n");
	return CTL_USAGE;
}
