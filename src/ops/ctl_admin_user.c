#include "build_config.h"

#include <stdio.h>
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

/* An admin password read from stdin, in bytes. */
#define PASSWORD_MAX 1024

static int cmd_admin_user_set(struct ctl *c, int argc, char **argv)
{
	char password[PASSWORD_MAX + 2];
	char hash[256];

	if (argc != 3) {
		fprintf(stderr, "gentrackctl: usage: admin-user set NAME (password on stdin)\n");
		return CTL_USAGE;
	}
	if (!auth_owner_valid(argv[2])) {
		fprintf(stderr, "gentrackctl: admin names are 1-64 of A-Z a-z 0-9 . _ -\n");
		return CTL_USAGE;
	}
	if (!fgets(password, sizeof(password), stdin)) {
		fprintf(stderr, "gentrackctl: no password on stdin\n");
		return CTL_USAGE;
	}
	size_t n = strcspn(password, "\r\n");
	password[n] = '\0';
	if (n < 8 || n > PASSWORD_MAX) {
		fprintf(stderr, "gentrackctl: the password must be 8 to %d characters\n", PASSWORD_MAX);
		return CTL_USAGE;
	}
	if (auth_password_hash(password, n, hash, sizeof(hash)) < 0) {
		fprintf(stderr, "gentrackctl: cannot hash the password (out of memory?)\n");
		return CTL_STORE;
	}
	int64_t now;
	if (ctl_now(c, &now))
		return CTL_STORE;
	int rc = store_admin_user_set(c->store, argv[2], hash, now);
	if (rc)
		return ctl_store_failed(c, rc);
	printf("admin user %s set\n", argv[2]);
	return CTL_OK;
}

struct admin_list_out {
	struct jsonw *w;        /* NULL: a table for people */
	unsigned rows;
	int failed;             /* a row ran out of memory */
};

static int admin_list_row(void *ctx, const struct store_admin_row *row)
{
	struct admin_list_out *o = ctx;
	char created[TIME_RFC3339_LEN + 1], updated[TIME_RFC3339_LEN + 1];
	time_format_rfc3339(row->created_at, created);
	time_format_rfc3339(row->updated_at, updated);
	o->rows++;
	if (o->w) {
		jsonw_object_begin(o->w);
		jsonw_key(o->w, "name");
		jsonw_cstr(o->w, row->name);
		resource_render_time(o->w, "created_at", row->created_at);
		resource_render_time(o->w, "updated_at", row->updated_at);
		jsonw_object_end(o->w);
	} else {
		struct strbuf line = STRBUF_INIT;
		ctl_add_text(&line, row->name, 0, 24, TERMTEXT_ALL);
		strbuf_addf(&line, " created %.19sZ  password set %.19sZ\n", created, updated);
		if (ctl_print_text(&line) != CTL_OK)
			o->failed = 1;
		strbuf_release(&line);
	}
	return 0;
}

static int cmd_admin_user_list(struct ctl *c, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct admin_list_out o = { c->json ? &w : NULL, 0, 0 };
	int ret;
	(void)argv;
	if (argc != 2) {
		fprintf(stderr, "gentrackctl: usage: admin-user list\n");
		return CTL_USAGE;
	}
	if (c->json) {
		jsonw_init(&w, &sb);
		jsonw_array_begin(&w);
	}
	int rc = store_admin_user_list(c->store, admin_list_row, &o);
	if (rc) {
		ret = ctl_store_failed(c, rc);
		goto cleanup;
	}
	if (c->json) {
		jsonw_array_end(&w);
		ret = ctl_print_json(&sb);
	} else {
		if (!o.rows)
			printf("no admin users (add one: gentrackctl admin-user set NAME)\n");
		ret = o.failed ? CTL_STORE : CTL_OK;
	}
cleanup:
	strbuf_release(&sb);
	return ret;
}

static int cmd_admin_user_delete(struct ctl *c, int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "gentrackctl: usage: admin-user delete NAME\n");
		return CTL_USAGE;
	}
	int rc = store_admin_user_delete(c->store, argv[2]);
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: no admin user named %s\n", argv[2]);
		return CTL_USAGE;
	}
	if (rc)
		return ctl_store_failed(c, rc);
	printf("admin user %s deleted\n", argv[2]);
	return CTL_OK;
}

int ctl_cmd_admin_user(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return cmd_admin_user_set(c, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return cmd_admin_user_list(c, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "delete"))
		return cmd_admin_user_delete(c, argc, argv);
	fprintf(stderr, "gentrackctl: usage: admin-user set NAME | list | delete NAME\n");
	return CTL_USAGE;
}
