#include "build_config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/auth.h"
#include "ops/ctl.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "ops/reaper.h"
#include "model/resource.h"
#include "store/store.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define PASSWORD_MAX 1024

struct ctl {
	const char *config_path;   /* --config, or NULL */
	struct config cfg;
	struct store *store;
	int json;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gentrackctl [--config FILE] [--json] COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  check-config                             parse the configuration and say which file\n"
		"  migrate                                  apply pending sql/NNN_*.sql migrations\n"
		"  key create --role client|worker --owner NAME\n"
		"                                           make an API key (printed once)\n"
		"  key list                                 list keys (prefix, role, owner, state)\n"
		"  key revoke ID                            revoke a key at once\n"
		"  admin-user set NAME                      set an admin password (read from stdin)\n"
		"  admin-user list                          list admin accounts\n"
		"  admin-user delete NAME                   delete an admin account\n"
		"  reap [--dry-run | --explain]             fail or retry stale generations (the timer's job)\n"
		"  prune --older-than AGE [--dry-run]       delete finished requests older than AGE (7d, 12h)\n"
		"  get ID                                   one request, its entities and audit trail\n"
		"  list [--status S] [--entity-type T] [--limit N]\n"
		"                                           requests of every owner, newest first\n"
		"  cancel ID [--reason TEXT]                cancel a pending or processing request\n"
		"\n"
		"exit status: 0 ok, 1 usage error, 2 store error\n");
}

static int store_failed(struct ctl *c, int rc)
{
	fprintf(stderr, "gentrackctl: %s\n",
		rc == STORE_UNAVAILABLE || rc == STORE_ERROR ? store_last_error(c->store)
							     : "unexpected store answer");
	return CTL_STORE;
}

/* Prints one JSON document built by fn-like code in sb, or reports OOM. */
static int print_json(struct strbuf *sb)
{
	if (sb->oom) {
		fprintf(stderr, "gentrackctl: out of memory\n");
		return CTL_STORE;
	}
	printf("%s\n", sb->buf);
	return CTL_OK;
}

/* ---- migrate ---- */

/* "NNN_name.sql" → version NNN; -1 for any other file name. */
static long migration_version(const char *name)
{
	size_t n = strlen(name);
	if (n < 9 || strcmp(name + n - 4, ".sql") || name[3] != '_')
		return -1;
	for (int i = 0; i < 3; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

static int migration_filter(const struct dirent *d)
{
	return migration_version(d->d_name) >= 0;
}

/* The whole file, NUL-terminated (you own it), or NULL after saying why on stderr. */
static char *read_file(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "gentrackctl: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&sb, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (bad || sb.oom) {
		fprintf(stderr, "gentrackctl: cannot read %s\n", path);
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static int cmd_migrate(struct ctl *c, int argc, char **argv)
{
	struct dirent **files = NULL;
	struct strbuf applied_json = STRBUF_INIT;
	struct jsonw w;
	int nfiles, applied = 0, ret = CTL_OK, rc;
	const char *dir = c->cfg.migrations_dir;

	if (argc != 1) {
		usage(stderr);
		return CTL_USAGE;
	}
	nfiles = scandir(dir, &files, migration_filter, alphasort);
	if (nfiles < 0) {
		fprintf(stderr, "gentrackctl: cannot read migrations from %s: %s\n", dir,
			strerror(errno));
		return CTL_USAGE;
	}
	if ((rc = store_migrations_init(c->store))) {
		ret = store_failed(c, rc);
		goto cleanup;
	}
	jsonw_init(&w, &applied_json);
	jsonw_object_begin(&w);
	jsonw_key(&w, "applied");
	jsonw_array_begin(&w);
	for (int i = 0; i < nfiles; i++) {
		const char *name = files[i]->d_name;
		unsigned version = (unsigned)migration_version(name);
		char path[4096];
		rc = store_migration_applied(c->store, version);
		if (rc < 0) {
			ret = store_failed(c, rc);
			goto cleanup;
		}
		if (rc == 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		char *sql = read_file(path);
		if (!sql) {
			ret = CTL_USAGE;
			goto cleanup;
		}
		/* The name without ".sql" is what schema_migrations records. */
		char label[256];
		snprintf(label, sizeof(label), "%.*s", (int)(strlen(name) - 4), name);
		rc = store_migration_apply(c->store, version, label, sql, time_now_us());
		free(sql);
		if (rc) {
			fprintf(stderr, "gentrackctl: migration %s failed\n", name);
			ret = store_failed(c, rc);
			goto cleanup;
		}
		applied++;
		jsonw_cstr(&w, label);
		if (!c->json)
			printf("applied %s\n", label);
	}
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	if (c->json)
		ret = print_json(&applied_json);
	else if (!applied)
		printf("nothing to apply: the schema is up to date (%d migrations)\n", nfiles);
cleanup:
	for (int i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	strbuf_release(&applied_json);
	return ret;
}

/* ---- key ---- */

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
	int rc = store_key_insert(c->store, hash, prefix, role, owner, time_now_us(), &id);
	if (rc)
		return store_failed(c, rc);
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
		int ret = print_json(&sb);
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
	printf("%-6lld %-14s %-7s %-20s %-28s %s\n", k->id, k->prefix, auth_role_name(k->role),
	       k->owner, created, *revoked ? revoked : "active");
	return 0;
}

static int cmd_key_list(struct ctl *c, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct key_list_out o = { c->json, &w };
	if (argc != 1)
		return CTL_USAGE;
	jsonw_init(&w, &sb);
	jsonw_array_begin(&w);
	if (!c->json)
		printf("%-6s %-14s %-7s %-20s %-28s %s\n", "ID", "PREFIX", "ROLE", "OWNER",
		       "CREATED", "REVOKED");
	int rc = store_key_list(c->store, print_key_row, &o);
	jsonw_array_end(&w);
	int ret = rc ? store_failed(c, rc) : c->json ? print_json(&sb) : CTL_OK;
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
	int rc = store_key_revoke(c->store, id, time_now_us());
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: no key with ID %lld\n", id);
		return CTL_USAGE;
	}
	if (rc == STORE_CONFLICT) {
		printf("key %lld was already revoked\n", id);
		return CTL_OK;
	}
	if (rc)
		return store_failed(c, rc);
	printf("revoked key %lld\n", id);
	return CTL_OK;
}

static int cmd_key(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return cmd_key_create(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return cmd_key_list(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "revoke"))
		return cmd_key_revoke(c, argc - 1, argv + 1);
	usage(stderr);
	return CTL_USAGE;
}

/* ---- admin-user ---- */

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
	int rc = store_admin_user_set(c->store, argv[2], hash, time_now_us());
	if (rc)
		return store_failed(c, rc);
	printf("admin user %s set\n", argv[2]);
	return CTL_OK;
}

struct admin_list_out {
	struct jsonw *w;        /* NULL: a table for people */
	unsigned rows;
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
		printf("%-24s created %.19sZ  password set %.19sZ\n", row->name, created, updated);
	}
	return 0;
}

static int cmd_admin_user_list(struct ctl *c, int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	struct admin_list_out o = { c->json ? &w : NULL, 0 };
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
		ret = store_failed(c, rc);
		goto cleanup;
	}
	if (c->json) {
		jsonw_array_end(&w);
		ret = print_json(&sb);
	} else {
		if (!o.rows)
			printf("no admin users (add one: gentrackctl admin-user set NAME)\n");
		ret = CTL_OK;
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
		return store_failed(c, rc);
	printf("admin user %s deleted\n", argv[2]);
	return CTL_OK;
}

static int cmd_admin_user(struct ctl *c, int argc, char **argv)
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

/* ---- reap ---- */

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
	if (o->dry_run)
		printf("would move %s (%s, %s) %s -> %s: %s\n", id, row->entity_type, row->owner,
		       lifecycle_status_name(row->status), to, message);
	else
		log_debug("%s (%s, %s) %s -> %s: %s", id, row->entity_type, row->owner,
			 lifecycle_status_name(row->status), to, message);
}

/* How MariaDB runs the reaper's three queries now: each should be an index range. */
static int reap_explain(struct ctl *c)
{
	static const char *const names[] = { "expired leases", "past stale_after",
					     "past pending_timeout" };
	int64_t now = time_now_us();
	for (int k = STALE_LEASE; k <= STALE_PENDING; k++) {
		struct store_plan plan;
		int rc = store_explain_stale(c->store, (enum store_stale_kind)k, now, &plan);
		if (rc)
			return store_failed(c, rc);
		printf("%-21s access %-6s index %-20s ~%ld rows  %s\n", names[k], plan.access,
		       *plan.key ? plan.key : "(none)", plan.rows, plan.extra);
	}
	return CTL_OK;
}

static int cmd_reap(struct ctl *c, int argc, char **argv)
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
	jsonw_init(&w, &sb);
	jsonw_object_begin(&w);
	jsonw_key(&w, "transitions");
	jsonw_array_begin(&w);
	int rc = reaper_run(c->store, &c->cfg, time_now_us(), o.dry_run, REAP_MAX_BATCHES,
			    report_transition, &o, &sum);
	jsonw_array_end(&w);
	if (rc) {
		strbuf_release(&sb);
		return store_failed(c, rc);
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
		ret = print_json(&sb);
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

static int cmd_prune(struct ctl *c, int argc, char **argv)
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
	int64_t now = time_now_us();
	int64_t cutoff = now - seconds * INT64_C(1000000);
	unsigned total = 0, keys = 0, n;
	int rc = STORE_OK;
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
	if (rc)
		return store_failed(c, rc);
	if (c->json)
		printf("{\"dry_run\":%s,\"requests\":%u,\"idempotency_keys\":%u}\n",
		       dry_run ? "true" : "false", total, keys);
	else if (dry_run)
		printf("would prune: %u%s finished requests older than %s\n", total,
		       total >= STORE_STALE_BATCH ? " or more" : "", age);
	else
		printf("pruned: %u finished requests older than %s (with their entities and events), "
		       "%u expired idempotency keys\n", total, age, keys);
	return CTL_OK;
}

/* ---- get, list, cancel ---- */

static int parse_id(const char *text, struct uuid *id)
{
	if (uuid_parse(text, strlen(text), id) < 0) {
		fprintf(stderr, "gentrackctl: '%s' is not a request id (a UUID)\n", text);
		return -1;
	}
	return 0;
}

/* "12 min", "3 h", "2 d": ages at a glance, in minutes below two hours. */
static void format_age(int64_t since, int64_t now, char *out, size_t size)
{
	if (since == TIME_NONE) {
		snprintf(out, size, "-");
		return;
	}
	long long min = (long long)((now - since) / INT64_C(60000000));
	if (min < 120)
		snprintf(out, size, "%lld min", min < 0 ? 0 : min);
	else if (min < 48 * 60)
		snprintf(out, size, "%lld h", min / 60);
	else
		snprintf(out, size, "%lld d", min / 1440);
}

static void print_time_line(const char *label, int64_t t)
{
	char buf[TIME_RFC3339_LEN + 1];
	if (t == TIME_NONE)
		return;
	time_format_rfc3339(t, buf);
	printf("%-17s %s\n", label, buf);
}

static void print_request(const struct gen_request *r, const struct gen_entity_list *ents,
			  int64_t now)
{
	char id[UUID_STR_LEN + 1], age[32];
	uuid_format(&r->id, id);
	format_age(r->requested_at, now, age, sizeof(age));
	printf("%-17s %s\n", "request_id", id);
	printf("%-17s %s\n", "status", lifecycle_status_name(r->status));
	printf("%-17s %s\n", "entity_type", r->entity_type);
	printf("%-17s %s\n", "owner", r->owner);
	printf("%-17s %s\n", "subject_key", r->subject_key ? r->subject_key : "-");
	printf("%-17s %u generated, %u failed of %u\n", "entities", r->generated_count,
	       r->failed_count, r->requested_count);
	printf("%-17s %u\n", "attempt", r->attempt);
	printf("%-17s %s\n", "worker", r->worker_id ? r->worker_id : "-");
	printf("%-17s %s\n", "age", age);
	print_time_line("requested_at", r->requested_at);
	print_time_line("started_at", r->started_at);
	print_time_line("lease_expires_at", r->lease_expires_at);
	print_time_line("completed_at", r->completed_at);
	print_time_line("cancelled_at", r->cancelled_at);
	if (r->failure_reason[0])
		printf("%-17s %s\n", "failure_reason", r->failure_reason);
	if (r->error_message)
		printf("%-17s %s\n", "error_message", r->error_message);
	printf("%-17s %s\n", "constraints", r->constraints_json ? r->constraints_json : "{}");
	printf("%-17s %s\n", "metadata", r->metadata_json ? r->metadata_json : "{}");
	for (size_t i = 0; ents && i < ents->count; i++)
		printf("entity %-10u %s\n", ents->items[i].idx, ents->items[i].json);
}

static int print_event(void *ctx, const struct store_event *e)
{
	char at[TIME_RFC3339_LEN + 1];
	(void)ctx;
	time_format_rfc3339(e->at, at);
	printf("  %s  %-24s %10s -> %-10s %s\n", at, e->actor,
	       e->from_status ? e->from_status : "(new)", e->to_status,
	       e->message ? e->message : "");
	return 0;
}

static int cmd_get(struct ctl *c, int argc, char **argv)
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
		ret = store_failed(c, rc);
		goto cleanup;
	}
	if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		resource_render(&r, &ents, RESOURCE_ENTITIES, &sb);
		ret = print_json(&sb);
		strbuf_release(&sb);
	} else {
		print_request(&r, &ents, time_now_us());
		printf("audit trail\n");
		rc = store_request_events(c->store, &id, print_event, NULL);
		if (rc)
			ret = store_failed(c, rc);
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
	format_age(r->requested_at, o->now, age, sizeof(age));
	snprintf(counts, sizeof(counts), "%u+%u/%u", r->generated_count, r->failed_count,
		 r->requested_count);
	printf("%-36s  %-10s  %-16.16s  %-16.16s  %8s  %7u  %-9s  %.24s\n", id,
	       lifecycle_status_name(r->status), r->entity_type, r->owner, age, r->attempt, counts,
	       r->worker_id ? r->worker_id : "-");
	return 0;
}

static int cmd_list(struct ctl *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "status", required_argument, NULL, 's' },
		{ "entity-type", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_list_filter f = { .owner = NULL, .limit = 50 };
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	int opt;
	char *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:t:l:", options, NULL)) != -1) {
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
	struct list_out o = { c->json, &w, time_now_us(), 0 };
	jsonw_init(&w, &sb);
	jsonw_array_begin(&w);
	if (!c->json)
		printf("%-36s  %-10s  %-16s  %-16s  %8s  %7s  %-9s  %s\n", "ID", "STATUS", "TYPE",
		       "OWNER", "AGE", "ATTEMPT", "GEN+FAIL", "WORKER");
	int rc = store_request_list(c->store, &f, list_row_out, &o);
	jsonw_array_end(&w);
	int ret = rc ? store_failed(c, rc) : c->json ? print_json(&sb) : CTL_OK;
	strbuf_release(&sb);
	return ret;
}

static int cmd_cancel(struct ctl *c, int argc, char **argv)
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
	const char *user = getenv("SUDO_USER");
	if (!user || !*user)
		user = getenv("USER");
	/* The audit trail says who, as far as the shell knows. */
	snprintf(actor, sizeof(actor), "cli:%.64s", user && *user ? user : "unknown");
	gen_request_init(&r);
	int rc = store_request_cancel(c->store, &id, NULL, actor, reason, time_now_us(), &r);
	int ret = CTL_OK;
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "gentrackctl: no request %s\n", argv[optind]);
		ret = CTL_USAGE;
	} else if (rc == STORE_CONFLICT) {
		fprintf(stderr, "gentrackctl: %s is already %s; nothing cancelled\n", argv[optind],
			lifecycle_status_name(r.status));
		ret = CTL_USAGE;
	} else if (rc) {
		ret = store_failed(c, rc);
	} else if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		resource_render(&r, NULL, 0, &sb);
		ret = print_json(&sb);
		strbuf_release(&sb);
	} else {
		printf("cancelled %s\n", argv[optind]);
	}
	gen_request_release(&r);
	return ret;
}

/* Reached only when the file parsed: config_load reports errors itself. */
static int cmd_check_config(struct ctl *c, int argc, char **argv)
{
	int required;
	if (argc != 1)
		return CTL_USAGE;
	printf("configuration OK: %s\n", c->config_path ? c->config_path
			: config_pick_path(NULL, &required));
	return CTL_OK;
}

struct command {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
};

static const struct command commands[] = {
	{ "check-config", cmd_check_config },
	{ "migrate", cmd_migrate },
	{ "key", cmd_key },
	{ "admin-user", cmd_admin_user },
	{ "reap", cmd_reap },
	{ "prune", cmd_prune },
	{ "get", cmd_get },
	{ "list", cmd_list },
	{ "cancel", cmd_cancel },
};

int ctl_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .json = 0 };
	const char *config_path = NULL;
	char err[512];
	int opt, ret = CTL_USAGE;

	log_init("gentrackctl");
	/* '+': stop at the command, its options are its own. */
	while ((opt = getopt_long(argc, argv, "+c:jh", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'j': c.json = 1; break;
		case 'h': usage(stdout); return CTL_OK;
		default: usage(stderr); return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "gentrackctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return CTL_USAGE;
	}
	if (config_load(&c.cfg, config_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "gentrackctl: %s\n", err);
		return CTL_USAGE;
	}
	log_set_level((enum log_level)log_level_parse(c.cfg.log_level));
	if (auth_init() < 0) {
		fprintf(stderr, "gentrackctl: cannot initialise libsodium\n");
		goto cleanup;
	}
	c.store = store_new(&c.cfg);
	if (!c.store) {
		fprintf(stderr, "gentrackctl: out of memory\n");
		ret = CTL_STORE;
		goto cleanup;
	}
	c.config_path = config_path;
	ret = cmd->fn(&c, argc - optind, argv + optind);
cleanup:
	store_free(c.store);
	config_release(&c.cfg);
	return ret;
}
