#include "build_config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/timeutil.h"
#include "model/resource.h"
#include "worker/options.h"
#include "base/banned.h"

#define KEY_MAX 4096
/* Without --grace the running entity may take its --timeout, up to this. */
#define GRACE_DEFAULT_MAX_MS 30000

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gentrack-worker [options] --entity-type T [--entity-type T]... -- COMMAND [ARGS...]\n"
		"\n"
		"Claims generation requests and runs COMMAND once per entity: the request\n"
		"JSON (with \"index\") on its stdin, one JSON object expected on its stdout.\n"
		"\n"
		"  --url URL          the service, e.g. https://gentrack.example (default $GENTRACK_URL)\n"
		"  --key KEY          the worker key (default $GENTRACK_WORKER_KEY; prefer the\n"
		"                     environment or --key-file: command lines are visible in ps)\n"
		"  --key-file FILE    read the worker key from FILE\n"
		"  --entity-type T    an entity type to work on (repeatable, 1 to %d)\n"
		"  --concurrency N    worker loops in parallel, 1..64 (default 1)\n"
		"  --lease S          lease asked for at claim (default: the server's)\n"
		"  --timeout S        per entity; the generator is killed after it (default 120)\n"
		"  --grace S          on SIGTERM, how long the running entity may still take\n"
		"                     (default the --timeout, at most 30)\n"
		"  --poll S           wait between claims when nothing is pending (default 2)\n"
		"  --worker-id ID     (default hostname:pid)\n"
		"  --once             one claim cycle, then exit\n"
		"  --config FILE      configuration, for [log] level (default $GENTRACK_CONFIG)\n"
		"  --log-level L      debug, info, warn or error\n"
		"\n"
		"Durations are seconds (\"1.5\") or take a unit (\"90s\", \"10m\", \"1h\").\n",
		WORKER_TYPES_MAX);
}

/* Seconds as a decimal ("0.5") or a duration ("10m") into milliseconds, 1 ms..max_s. */
static int parse_seconds(const char *s, double max_s, int64_t *ms)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v)) {
		int64_t secs;
		if (time_parse_duration(s, &secs) < 0)
			return -1;
		v = (double)secs;
	}
	if (v * 1000.0 < 1.0 || v > max_s)
		return -1;
	*ms = (int64_t)(v * 1000.0 + 0.5);
	return 0;
}

/* The first line of FILE, newline dropped; you own the result. NULL with err. */
static char *read_key_file(const char *path, char *err, size_t errlen)
{
	char buf[KEY_MAX + 2];
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		snprintf(err, errlen, "%s is empty", path);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	char *key = strdup(buf);
	if (!key)
		snprintf(err, errlen, "out of memory");
	return key;
}

/* The options that take a number or a duration. 0, or -1 after saying why. */
static int take_number(struct options *op, int opt, const char *arg, int *grace_set)
{
	struct worker_opts *o = &op->run;
	int64_t ms;
	char *end;
	long v;

	switch (opt) {
	case 'n':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < 1 || v > 64) {
			fprintf(stderr, "gentrack-worker: --concurrency must be 1..64, not '%s'\n", arg);
			return -1;
		}
		o->concurrency = (int)v;
		return 0;
	case 'l':
		if (parse_seconds(arg, 86400, &ms) < 0 || ms < 1000) {
			fprintf(stderr, "gentrack-worker: --lease must be 1 s..1 d, not '%s'\n", arg);
			return -1;
		}
		o->lease_seconds = (long)(ms / 1000);
		return 0;
	case 'T':
		if (parse_seconds(arg, 86400, &o->timeout_ms) < 0) {
			fprintf(stderr, "gentrack-worker: --timeout must be a duration up to 1 d, not '%s'\n", arg);
			return -1;
		}
		return 0;
	case 'g':
		if (parse_seconds(arg, 86400, &o->grace_ms) < 0) {
			fprintf(stderr, "gentrack-worker: --grace must be a duration up to 1 d, not '%s'\n", arg);
			return -1;
		}
		*grace_set = 1;
		return 0;
	case 'p':
		if (parse_seconds(arg, 3600, &o->poll_ms) < 0) {
			fprintf(stderr, "gentrack-worker: --poll must be a duration up to 1 h, not '%s'\n", arg);
			return -1;
		}
		return 0;
	}
	return -1;
}

/* What must hold once the whole command line is read. 0, or -1 after saying why. */
static int check_parsed(const struct options *op, int argc)
{
	const struct worker_opts *o = &op->run;
	if (optind >= argc) {
		fprintf(stderr, "gentrack-worker: no generator command given (after --)\n");
		usage(stderr);
		return -1;
	}
	if (!o->n_types) {
		fprintf(stderr, "gentrack-worker: give at least one --entity-type\n");
		return -1;
	}
	if (!o->url || !*o->url) {
		fprintf(stderr, "gentrack-worker: no --url (or $GENTRACK_URL)\n");
		return -1;
	}
	if (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8)) {
		fprintf(stderr, "gentrack-worker: --url must start with http:// or https://\n");
		return -1;
	}
	return 0;
}

int options_parse(struct options *op, int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'K' },
		{ "entity-type", required_argument, NULL, 't' },
		{ "concurrency", required_argument, NULL, 'n' },
		{ "lease", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "grace", required_argument, NULL, 'g' },
		{ "poll", required_argument, NULL, 'p' },
		{ "worker-id", required_argument, NULL, 'w' },
		{ "once", no_argument, NULL, '1' },
		{ "config", required_argument, NULL, 'c' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct worker_opts *o = &op->run;
	int opt, grace_set = 0;

	memset(op, 0, sizeof(*op));
	o->url = getenv("GENTRACK_URL");
	o->key = getenv("GENTRACK_WORKER_KEY");
	o->entity_types = op->types;
	o->timeout_ms = 120000;
	o->poll_ms = 2000;
	o->concurrency = 1;

	/* '+': stop at the first non-option, the generator command. */
	while ((opt = getopt_long(argc, argv, "+h", long_options, NULL)) != -1) {
		switch (opt) {
		case 'u': o->url = optarg; break;
		case 'k': o->key = optarg; break;
		case 'K': op->key_file = optarg; break;
		case 'w': o->worker_id = optarg; break;
		case '1': o->once = 1; break;
		case 'c': op->config_path = optarg; break;
		case 'L': op->log_level = optarg; break;
		case 't':
			if (o->n_types == WORKER_TYPES_MAX ||
			    !resource_entity_type_valid(optarg, strlen(optarg))) {
				fprintf(stderr, "gentrack-worker: --entity-type: '%s' is not [a-z][a-z0-9_]{0,63}, or more than %d types\n",
					optarg, WORKER_TYPES_MAX);
				return OPTIONS_BAD;
			}
			op->types[o->n_types++] = optarg;
			break;
		case 'n': case 'l': case 'T': case 'g': case 'p':
			if (take_number(op, opt, optarg, &grace_set) < 0)
				return OPTIONS_BAD;
			break;
		case 'h': usage(stdout); return OPTIONS_HELP;
		default: usage(stderr); return OPTIONS_BAD;
		}
	}
	if (check_parsed(op, argc) < 0)
		return OPTIONS_BAD;
	o->argv = argv + optind;
	if (!grace_set)
		o->grace_ms = o->timeout_ms < GRACE_DEFAULT_MAX_MS ? o->timeout_ms : GRACE_DEFAULT_MAX_MS;
	return OPTIONS_GO;
}

int options_load(struct options *op)
{
	struct worker_opts *o = &op->run;
	char err[512];

	if (op->key_file) {
		op->key_owned = read_key_file(op->key_file, err, sizeof(err));
		if (!op->key_owned) {
			fprintf(stderr, "gentrack-worker: %s\n", err);
			return -1;
		}
		o->key = op->key_owned;
	}
	if (!o->key || !*o->key) {
		fprintf(stderr, "gentrack-worker: no worker key: set $GENTRACK_WORKER_KEY, or use --key-file or --key\n");
		return -1;
	}
	int required = 0;
	config_pick_path(op->config_path, &required);
	if (required) {
		if (config_load(&op->cfg, op->config_path, err, sizeof(err)) < 0) {
			fprintf(stderr, "gentrack-worker: %s\n", err);
			return -1;
		}
		op->cfg_loaded = 1;
		if (!op->log_level)
			op->log_level = op->cfg.log_level;
	}
	if (op->log_level) {
		int lv = log_level_parse(op->log_level);
		if (lv < 0) {
			fprintf(stderr, "gentrack-worker: --log-level must be debug, info, warn or error\n");
			return -1;
		}
		log_set_level((enum log_level)lv);
	}
	return 0;
}

void options_release(struct options *op)
{
	if (op->cfg_loaded)
		config_release(&op->cfg);
	op->cfg_loaded = 0;
	free(op->key_owned);
	op->key_owned = NULL;
	op->run.key = NULL;
}
