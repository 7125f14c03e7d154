#include "build_config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/termtext.h"
#include "base/timeutil.h"
#include "model/auth.h"
#include "model/resource.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "store/store.h"
#include "base/banned.h"

static int cmd_key_create(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role_name = NULL, *owner = NULL;
	enum auth_role role;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:o:", options, NULL)) != -1) {
		if (opt == 'r')
			role_name = optarg;
		else if (opt == 'o')
			owner = optarg;
		else
			return CTL_USAGE;
	}
	if (optind != argc || !role_name || !owner) {
		fprintf(stderr, "gentrackctl: key create needs --role client|worker and --owner NAME\n");
		return CTL_USAGE;
	}
	if (auth_role_parse(role_name, &role) < 0) {
		fprintf(stderr, "gentrackctl: --role must be client or worker, not '%s'\n", role_name);
		return CTL_USAGE;
	}
	if (!auth_owner_valid(owner)) {
		fprintf(stderr, "gentrackctl: --owner must be 1-64 of A-Z a-z 0-9 . _ -\n");
		return CTL_USAGE;
	}
	char key[AUTH_KEY_LEN + 1], prefix[AUTH_KEY_SHOWN_PREFIX + 1];
	unsigned char hash[AUTH_HASH_LEN];
	long long id = 0;
	auth_key_generate(key);
	auth_key_hash(key, AUTH_KEY_LEN, hash);
	memcpy(prefix, key, AUTH_KEY_SHOWN_PREFIX);
	prefix[AUTH_KEY_SHOWN_PREFIX] = '\0';
	int64_t now;
	if (ctl_now(c, &now))
		return CTL_STORE;
	int rc = store_key_insert(c->store, hash, prefix, role, owner, now, &id);
	if (rc)
		return ctl_store_failed(c, rc);
	if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		struct jsonw w;
		jsonw_init(&w, &sb);
		jsonw_object_begin(&w);
		jsonw_key(&w, "id"); jsonw_int(&w, id);
		jsonw_key(&w, "key"); jsonw_cstr(&w, key);
		jsonw_key(&w, "prefix"); jsonw_cstr(&w, prefix);
		jsonw_key(&w, "role"); jsonw_cstr(&w, auth_role_name(role));
		jsonw_key(&w, "owner"); jsonw_cstr(&w, owner);
		jsonw_object_end(&w);
		int ret = ctl_print_json(&sb);
		strbuf_release(&sb);
		return ret;
	}
	/* The key alone on stdout, so KEY=$(gentrackctl key create ...) works. */
	printf("%s\n", key);
	fprintf(stderr, "created %s key %lld for %s; it is shown only this once\n",
		auth_role_name(role), id, owner);
	return CTL_OK;
}

struct key_list_out {
	int json;
	struct jsonw *w;
	int failed;                  /* a row ran out of memory */
};

static int print_key_row(void *ctx, const struct store_key_row *k)
{
	struct key_list_out *o = ctx;
	char created[TIME_RFC3339_LEN + 1], revoked[TIME_RFC3339_LEN + 1] = "";
	time_format_rfc3339(k->created_at, created);
	if (k->revoked_at != TIME_NONE)
		time_format_rfc3339(k->revoked_at, revoked);
	if (o->json) {
		struct jsonw *w = o->w;
		jsonw_object_begin(w);
		jsonw_key(w, "id"); jsonw_int(w, k->id);
		jsonw_key(w, "prefix"); jsonw_cstr(w, k->prefix);
		jsonw_key(w, "role"); jsonw_cstr(w, auth_role_name(k->role));
		jsonw_key(w, "owner"); jsonw_cstr(w, k->owner);
		jsonw_key(w, "created_at"); jsonw_cstr(w, created);
		jsonw_key(w, "revoked_at"); jsonw_cstr(w, *revoked ? revoked : NULL);
		jsonw_object_end(w);
		return 0;
	}
	struct strbuf line = STRBUF_INIT;
	strbuf_addf(&line, "%-6lld ", k->id);
	ctl_add_text(&line, k->prefix, 0, 14, TERMTEXT_ALL);
	strbuf_addf(&line, " %-7s ", auth_role_name(k->role));
	ctl_add_text(&line, k->owner, 0, 20, TERMTEXT_ALL);
	strbuf_addf(&line, " %-28s %s\n", created, *revoked ? revoked : "active");
	if (ctl_print_text(&line) != CTL_OK)
		o->failed = 1;
	strbuf_release(&line);
	return 0;
}

static int cmd_key_list(struct ctl *c, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct key_list_out o = { c->json, &w, 0 };
	if (argc != 1)
		return CTL_USAGE;
	jsonw_init(&w, &sb);
	jsonw_array_begin(&w);
	if (!c->json)
		printf("%-6s %-14s %-7s %-20s %-28s %s\n", "ID", "PREFIX", "ROLE", "OWNER",
		       "CREATED", "REVOKED");
	int rc = store_key_list(c->store, print_key_row, &o);
	jsonw_array_end(&w);
	int ret = rc ? ctl_store_failed(c, rc) : c->json ? ctl_print_json(&sb)
		  : o.failed ? CTL_STORE : CTL_OK;
	strbuf_release(&sb);
	return ret;
}

static int cmd_key_revoke(struct ctl *c, int argc, char **argv)
{
	char *end;
	if (argc != 2) {
		fprintf(stderr, "gentrackctl: key revoke needs the key's ID (see key list)\n");
		return CTL_USAGE;
	}
	errno = 0;
	long long id = strtoll(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || id < 1) {
		fprintf(stderr, "gentrackctl: '%s' is not a key ID\n", argv[1]);
		return CTL_USAGE;
	}
	int64_t now;
	if (ctl_now(c, &now))
		return CTL_STORE;
	int rc = store_key_revoke(c->store, id, now);
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: no key with ID %lld\n", id);
		return CTL_USAGE;
	}
	if (rc == STORE_CONFLICT) {
		printf("key %lld was already revoked\n", id);
		return CTL_OK;
	}
	if (rc)
		return ctl_store_failed(c, rc);
	printf("revoked key %lld\n", id);
	return CTL_OK;
}

int ctl_cmd_key(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return cmd_key_create(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return cmd_key_list(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "revoke"))
		return cmd_key_revoke(c, argc - 1, argv + 1);
	ctl_usage(stderr);
	return CTL_USAGE;
}
