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

int ctl_cmd_owner(struct ctl *c, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "weight"))
		return weight_set(c, argc - 1, argv + 1);
	if (!strcmp(what, "weights") && argc == 2)
		return weight_list(c);
	fprintf(stderr, "gentrackctl: usage: owner weight --owner O N | owner weights\n");
	return CTL_USAGE;
}
