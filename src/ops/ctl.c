/*
 * gentrackctl's dispatcher: the global options, the configuration, the store,
 * then the command named on the line. The commands live in ctl_*.c, a file
 * per group (see ctl_cmd.h).
 */
#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "base/termtext.h"
#include "base/utf8.h"
#include "model/auth.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "store/store.h"
#include "live/publish.h"
#include "base/banned.h"

void ctl_usage(FILE *out)
{
	fprintf(out,
		"usage: gentrackctl [--config FILE] [--json] COMMAND [ARGS]\n"
		"       (--config FILE, --json and --help go anywhere on the line, before a --)\n"
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
		"  list [--status S] [--entity-type T] [--priority P] [--limit N]\n"
		"                                           requests of every owner, newest first\n"
		"  cancel ID [--reason TEXT]                cancel a pending or processing request\n"
		"  queue list                               queues with pending or processing work or a pause\n"
		"  queue pause|resume TYPE --reason TEXT    stop (start again) the claims of an entity type\n"
		"  owner weight --owner O N                 O's weight in the fair share of the claims (1-100,\n"
		"                                           default 1), for requests created from now on\n"
		"  owner weights                            owners with a weight set\n"
		"  owner limit --owner O [--pending N|default] [--processing N|default]\n"
		"                                           O's own most pending, most processing\n"
		"                                           requests (0 = none; default = the config's)\n"
		"  owner limits                             the config's limits and the owners' own\n"
		"  webhook add --owner O --url URL [--name N] [--events completed,partial,failed,cancelled]\n"
		"              [--default]                  register a webhook endpoint (secret printed once);\n"
		"                                           the owner's first, or with --default, is its default\n"
		"  webhook list [--owner O]                 endpoints, enabled or disabled, deliveries waiting\n"
		"  webhook default --owner O --name N       make N the endpoint of the owner's requests naming none\n"
		"  webhook rotate --owner O [--name N] [--overlap 24h]\n"
		"                                           a new secret (printed once); the old one signs too\n"
		"                                           for the overlap\n"
		"  webhook remove --owner O [--name N]      delete an endpoint (its waiting deliveries die)\n"
		"  deliver [--follow] [--interval S]        send the due webhook deliveries (--follow: for ever)\n"
		"  watch ID [--interval S] [--timeout S]    follow a request to its end (a progress bar on a\n"
		"                                           terminal, a line per change otherwise, --json a\n"
		"                                           JSON line per change); exit status 0 completed,\n"
		"                                           3 partial, 4 failed, 5 cancelled, 6 timed out\n"
		"\n"
		"human output shows control characters in stored text escaped: \\n \\r \\t,\n"
		"\\u00XX for the others (\\u001b is ESC, \\u009b CSI), \\xHH for a byte that is\n"
		"not UTF-8, \\\\ for a backslash (not inside JSON); --json gives the exact text\n"
		"\n"
		"exit status: 0 ok, 1 usage error, 2 store error\n");
}

int ctl_store_failed(struct ctl *c, int rc)
{
	fprintf(stderr, "gentrackctl: %s\n",
		rc == STORE_UNAVAILABLE || rc == STORE_ERROR ? store_last_error(c->store)
							     : "unexpected store answer");
	return CTL_STORE;
}

void ctl_format_age(int64_t since, int64_t now, char *out, size_t size)
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

void ctl_actor(char *out, size_t size)
{
	const char *user = getenv("SUDO_USER");
	if (!user || !*user)
		user = getenv("USER");
	/* The audit trail says who, as far as the shell knows: at most 64 bytes
	 * of the name, whole characters (the actor column is utf8mb4). */
	if (!user || !*user)
		user = "unknown";
	snprintf(out, size, "cli:%.*s", (int)utf8_prefix_len(user, strlen(user), 64), user);
}

int ctl_now(struct ctl *c, int64_t *now)
{
	int rc = store_now(c->store, now);
	return rc ? ctl_store_failed(c, rc) : CTL_OK;
}

int ctl_print_json(struct strbuf *sb)
{
	if (sb->oom) {
		fprintf(stderr, "gentrackctl: out of memory\n");
		return CTL_STORE;
	}
	printf("%s\n", sb->buf);
	return CTL_OK;
}

void ctl_add_text(struct strbuf *sb, const char *s, unsigned flags, size_t width, size_t max)
{
	if (!s)
		s = "-";
	size_t cols = termtext_add(sb, s, strlen(s), flags, max);
	for (; cols < width; cols++)
		strbuf_addch(sb, ' ');
}

int ctl_print_text(struct strbuf *sb)
{
	if (sb->oom) {
		fprintf(stderr, "gentrackctl: out of memory\n");
		return CTL_STORE;
	}
	fwrite(sb->buf, 1, sb->len, stdout);
	return CTL_OK;
}

/* Reached only when the file parsed: config_load reports errors itself. */
static int cmd_check_config(struct ctl *c, int argc, char **argv)
{
	int required;
	if (argc != 1)
		return CTL_USAGE;
	printf("configuration OK: %s\n", c->config_path ? c->config_path
			: config_pick_path(NULL, &required));
	/* Who may read /metrics is easy to get wrong behind a local TLS terminator. */
	printf("/metrics: admins%s%s\n", *c->cfg.metrics_token ? ", the metrics token" : "",
	       c->cfg.metrics_allow_loopback ? ", and anyone from loopback (allow_loopback)"
					     : "; loopback is not trusted");
	return CTL_OK;
}

/*
 * The options of the commands that take a value, so that a value is never
 * read as a global option (`cancel ID --reason --json` cancels with the
 * reason "--json"). Keep in step with the commands' getopt tables.
 */
static const char *const command_value_options[] = {
	"--role", "--owner", "--older-than", "--status", "--entity-type", "--limit", "--reason",
	"--interval", "--timeout", "--priority", "-r", "-o", "-s", "-t", "-l", "-p",
};

static int takes_value(const char *arg)
{
	for (size_t i = 0; i < sizeof(command_value_options) / sizeof(command_value_options[0]); i++)
		if (!strcmp(arg, command_value_options[i]))
			return 1;
	return 0;
}

enum { GLOBAL_GO, GLOBAL_HELP, GLOBAL_BAD };

/*
 * Takes --config FILE (--config=FILE, -c FILE), --json (-j) and --help (-h)
 * out of argv wherever they stand, as systemctl does, up to a "--"; the
 * program name, the command and its own arguments stay, in their order, in
 * argv[0..*argc). GLOBAL_BAD after saying why.
 */
static int take_global_options(int *argc, char **argv, struct ctl *c, const char **config_path)
{
	int n = *argc, k = 1, help = 0;
	for (int i = 1; i < n; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			while (i < n)
				argv[k++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			c->json = 1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help = 1;
		} else if (!strcmp(a, "--config") || !strcmp(a, "-c")) {
			if (i + 1 >= n) {
				fprintf(stderr, "gentrackctl: %s needs a file\n", a);
				return GLOBAL_BAD;
			}
			*config_path = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			*config_path = a + 9;
		} else if (!strncmp(a, "-c", 2) && a[2]) {
			*config_path = a + 2;
		} else {
			argv[k++] = argv[i];
			if (takes_value(a) && i + 1 < n)
				argv[k++] = argv[++i];
		}
	}
	argv[k] = NULL;
	*argc = k;
	return help ? GLOBAL_HELP : GLOBAL_GO;
}

struct command {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
};

static const struct command commands[] = {
	{ "check-config", cmd_check_config },
	{ "migrate", ctl_cmd_migrate },
	{ "key", ctl_cmd_key },
	{ "admin-user", ctl_cmd_admin_user },
	{ "reap", ctl_cmd_reap },
	{ "prune", ctl_cmd_prune },
	{ "get", ctl_cmd_get },
	{ "list", ctl_cmd_list },
	{ "cancel", ctl_cmd_cancel },
	{ "watch", ctl_cmd_watch },
	{ "queue", ctl_cmd_queue },
	{ "webhook", ctl_cmd_webhook },
	{ "deliver", ctl_cmd_deliver },
	{ "owner", ctl_cmd_owner },
};

int ctl_main(int argc, char **argv)
{
	struct ctl c = { .json = 0 };
	const char *config_path = NULL;
	char err[512];
	int ret = CTL_USAGE, live_on = 0;
	struct live *live = NULL;

	log_init("gentrackctl");
	switch (take_global_options(&argc, argv, &c, &config_path)) {
	case GLOBAL_HELP: ctl_usage(stdout); return CTL_OK;
	case GLOBAL_BAD: ctl_usage(stderr); return CTL_USAGE;
	default: break;
	}
	if (argc < 2) {
		ctl_usage(stderr);
		return CTL_USAGE;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "gentrackctl: unknown command '%s'\n", argv[1]);
		ctl_usage(stderr);
		return CTL_USAGE;
	}
	if (config_load(&c.cfg, config_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "gentrackctl: %s\n", err);
		return CTL_USAGE;
	}
	log_set_level((enum log_level)log_level_parse(c.cfg.log_level));
	if (auth_init() < 0 || live_global_init() < 0) {
		fprintf(stderr, "gentrackctl: cannot initialise libsodium or libcurl\n");
		goto cleanup;
	}
	c.store = store_new(&c.cfg);
	live = live_new(&c.cfg, &live_on);
	if (!c.store || (live_on && !live)) {
		fprintf(stderr, "gentrackctl: out of memory\n");
		ret = CTL_STORE;
		goto cleanup;
	}
	/* What an operator or the reaper changes reaches live streams too. */
	if (live)
		store_set_change_listener(c.store, live_on_change, live);
	c.config_path = config_path;
	ret = cmd->fn(&c, argc - 1, argv + 1);
cleanup:
	store_free(c.store);
	live_free(live);
	config_release(&c.cfg);
	return ret;
}
