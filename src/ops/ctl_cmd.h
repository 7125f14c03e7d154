#ifndef GENTRACK_CTL_CMD_H
#define GENTRACK_CTL_CMD_H

#include <stdio.h>

#include "base/config.h"
#include "base/strbuf.h"
#include "store/store.h"

/*
 * Inside gentrackctl (ops/ctl*.c only): what ctl.c, the dispatcher, hands
 * each command, the helpers they share, and the commands, a file per group:
 * ctl_migrate.c, ctl_keys.c, ctl_admin_user.c, ctl_reap.c (reap, prune),
 * ctl_requests.c (get, list, cancel), ctl_queues.c (queue list, pause,
 * resume), ctl_webhooks.c (webhook add, list, default, rotate, remove; deliver),
 * ctl_owners.c (owner weight, weights). Each command takes its own argv
 * (argv[0] is its name) and returns CTL_OK, CTL_USAGE or CTL_STORE.
 */

struct ctl {
	const char *config_path;   /* --config, or NULL */
	struct config cfg;
	struct store *store;
	int json;                  /* --json: one JSON document on stdout */
};

/* The usage text of gentrackctl, to out. */
void ctl_usage(FILE *out);
/* Says what the store answered rc on stderr; CTL_STORE. */
int ctl_store_failed(struct ctl *c, int rc);
/*
 * The store's clock into *now: every time gentrackctl stores or compares
 * comes from the store, never this host (SPEC §2). CTL_OK, or CTL_STORE said.
 */
int ctl_now(struct ctl *c, int64_t *now);
/* Prints the JSON document in sb with a newline: CTL_OK, or CTL_STORE when sb ran out of memory. */
int ctl_print_json(struct strbuf *sb);
/*
 * Human output of stored text (issue 20): appends s (NULL: "-") to sb as
 * base/termtext.h shows it, control characters escaped, so that what a
 * client stored cannot drive the operator's terminal. Cut to max columns
 * (TERMTEXT_ALL: no cut), then padded with blanks to width (0: none).
 * flags: TERMTEXT_JSON for JSON text. --json output never goes through this.
 */
void ctl_add_text(struct strbuf *sb, const char *s, unsigned flags, size_t width, size_t max);
/* Prints sb as it is: CTL_OK, or CTL_STORE when sb ran out of memory. */
int ctl_print_text(struct strbuf *sb);
/* "12 min", "3 h", "2 d": ages at a glance, in minutes below two hours; "-" for TIME_NONE. */
void ctl_format_age(int64_t since, int64_t now, char *out, size_t size);
/* The audit trail's actor of this shell's user: "cli:" and $SUDO_USER or $USER. */
void ctl_actor(char *out, size_t size);

int ctl_cmd_migrate(struct ctl *c, int argc, char **argv);
int ctl_cmd_key(struct ctl *c, int argc, char **argv);
int ctl_cmd_admin_user(struct ctl *c, int argc, char **argv);
int ctl_cmd_reap(struct ctl *c, int argc, char **argv);
int ctl_cmd_prune(struct ctl *c, int argc, char **argv);
int ctl_cmd_get(struct ctl *c, int argc, char **argv);
int ctl_cmd_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_cancel(struct ctl *c, int argc, char **argv);
int ctl_cmd_watch(struct ctl *c, int argc, char **argv);
int ctl_cmd_queue(struct ctl *c, int argc, char **argv);
int ctl_cmd_webhook(struct ctl *c, int argc, char **argv);
int ctl_cmd_deliver(struct ctl *c, int argc, char **argv);
int ctl_cmd_owner(struct ctl *c, int argc, char **argv);

/*
 * watch's exit status, by how the request ended: CTL_OK for completed, and
 * these (documented in the usage and the README); CTL_WATCH_TIMEOUT also
 * when interrupted before the end.
 */
enum { CTL_WATCH_PARTIAL = 3, CTL_WATCH_FAILED = 4, CTL_WATCH_CANCELLED = 5, CTL_WATCH_TIMEOUT = 6 };
int ctl_watch_exit_status(enum gen_status s);
/*
 * One line of watch: "[######----] 6/10 processing, attempt 1, 42 s" with a
 * bar (on a terminal), else the store's time first; seconds since the
 * request started (or was made), at `now` or at its end. Appends to sb.
 */
void ctl_watch_line(const struct gen_request *r, int64_t now, int bar, struct strbuf *sb);

#endif
