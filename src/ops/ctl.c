/*
 * gentrackctl's dispatcher: the global options, the configuration, the store,
 * then the command named on the line. The commands live in ctl_*.c, a file
 * per group (see ctl_cmd.h).
 */
#include "build_config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "model/auth.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "store/store.h"
#include "base/banned.h"

void ctl_usage(FILE *out)
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

int ctl_store_failed(struct ctl *c, int rc)
{
	fprintf(stderr, "gentrackctl: %s\n",
		rc == STORE_UNAVAILABLE || rc == STORE_ERROR ? store_last_error(c->store)
							     : "unexpected store answer");
	return CTL_STORE;
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
	{ "migrate", ctl_cmd_migrate },
	{ "key", ctl_cmd_key },
	{ "admin-user", ctl_cmd_admin_user },
	{ "reap", ctl_cmd_reap },
	{ "prune", ctl_cmd_prune },
	{ "get", ctl_cmd_get },
	{ "list", ctl_cmd_list },
	{ "cancel", ctl_cmd_cancel },
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
		case 'h': ctl_usage(stdout); return CTL_OK;
		default: ctl_usage(stderr); return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		ctl_usage(stderr);
		return CTL_USAGE;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "gentrackctl: unknown command '%s'\n", argv[optind]);
		ctl_usage(stderr);
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
