#ifndef GENTRACK_OPTIONS_H
#define GENTRACK_OPTIONS_H

#include "base/config.h"
#include "base/limits.h"
#include "worker/worker.h"

/*
 * gentrack-worker's command line (see `gentrack-worker --help`) and what it
 * points to: $GENTRACK_URL and $GENTRACK_WORKER_KEY as defaults, the key
 * from --key-file, and a configuration only when one is named (--config or
 * $GENTRACK_CONFIG: a worker host may have none) for its [log] level.
 *
 * Messages go to stderr as "gentrack-worker: ..." and the caller exits 1;
 * --help prints the usage on stdout.
 */

struct options {
	struct worker_opts run;        /* for worker_main; borrows argv and the fields below */
	const char *types[WORKER_TYPES_MAX];
	const char *config_path;       /* --config, or NULL */
	const char *key_file;          /* --key-file, or NULL */
	const char *log_level;         /* --log-level, or NULL */
	char *key_owned;               /* the key read from key_file */
	struct config cfg;             /* valid when cfg_loaded */
	int cfg_loaded;
};

enum { OPTIONS_GO = 0, OPTIONS_HELP = 1, OPTIONS_BAD = -1 };

/*
 * Parses argv into op (which needs no initialisation) and checks it: the
 * generator command after the options, at least one entity type, an http(s)
 * URL. OPTIONS_GO, OPTIONS_HELP (usage printed: exit 0) or OPTIONS_BAD
 * (said why: exit 1); op holds nothing to release unless OPTIONS_GO.
 */
int options_parse(struct options *op, int argc, char **argv);

/*
 * After OPTIONS_GO: reads the key file, checks that there is a key, loads
 * the configuration if one is named and sets the log level. 0, or -1 after
 * saying why. Release op either way.
 */
int options_load(struct options *op);

void options_release(struct options *op);

#endif
