#ifndef GENTRACK_GENERATOR_H
#define GENTRACK_GENERATOR_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * Runs a generator command once: the contract of SPEC §1 "gentrack-worker".
 *
 * The command is argv (no shell; argv[0] is looked up in PATH) in a process
 * group of its own, with `input` on its stdin (then EOF), stdout captured up
 * to `max_output` bytes and the last `max_stderr` bytes of stderr kept as the
 * error text. One poll() loop serves the three pipes, so a child that prints
 * 100 MB or never reads its stdin blocks nothing and costs at most the caps.
 *
 * The run succeeds when the child exits 0 and its stdout is exactly one JSON
 * object. Everything else fails with a sentence in `error`:
 *	"exit status 3: <stderr>"          "killed by signal 9: <stderr>"
 *	"timed out after 30 s"             "output too large (more than 1048576 bytes)"
 *	"invalid JSON on stdout: ..."      "not a JSON object (got array)"
 *	"cannot run 'x': No such file or directory"
 * A child that is stopped (timeout, output too large, abort) gets SIGTERM on
 * its whole process group, then SIGKILL after `kill_grace_ms`; the call
 * returns only once the child has been reaped.
 *
 * While the child runs, `tick(tick_ctx)` is called about every `tick_ms`
 * and soon after a signal interrupts the wait; a non-zero return aborts the
 * run (the child is killed as above). The worker looks there for a lost
 * lease and a stop; its heartbeats run on a thread of their own, so that
 * nothing slow ever runs inside this loop.
 *
 * SIGPIPE is ignored for the duration of the call (a child that closes its
 * stdin early must not kill the caller) and restored afterwards; the child
 * starts with default signal dispositions and an empty signal mask. On
 * Linux the child gets SIGTERM if the calling process dies.
 */

#define GENERATOR_MAX_OUTPUT_DEFAULT (1024 * 1024)
#define GENERATOR_MAX_STDERR_DEFAULT 2048
#define GENERATOR_KILL_GRACE_DEFAULT_MS 2000

/* Non-zero to abort the run. */
typedef int (*generator_tick_fn)(void *ctx);

struct generator_opts {
	char *const *argv;       /* borrowed; NULL-terminated, argv[0] non-NULL */
	const char *input;       /* borrowed; bytes for stdin (may be NULL) */
	size_t input_len;
	int64_t timeout_ms;      /* 0 = no timeout */
	size_t max_output;       /* stdout cap; 0 = GENERATOR_MAX_OUTPUT_DEFAULT */
	size_t max_stderr;       /* stderr kept; 0 = GENERATOR_MAX_STDERR_DEFAULT */
	int64_t kill_grace_ms;   /* SIGTERM..SIGKILL; 0 = GENERATOR_KILL_GRACE_DEFAULT_MS */
	int tick_ms;             /* 0 = no tick */
	generator_tick_fn tick;  /* may be NULL */
	void *tick_ctx;
};

enum generator_status {
	GENERATOR_OK,            /* entity holds the object */
	GENERATOR_FAILED,        /* the generator failed; error says why */
	GENERATOR_ABORTED,       /* tick asked to stop; the child was killed */
	GENERATOR_ERROR,         /* could not run it at all (pipe, fork, memory) */
};

struct generator_result {
	enum generator_status status;
	json_t *entity;          /* owned (a new reference) when GENERATOR_OK, else NULL */
	char *error;             /* owned, valid UTF-8: why it failed; NULL when ok
	                            (or when even that message could not be allocated) */
	int exit_code;           /* exit status, or -signal, or -1 when it never ran */
	int64_t elapsed_ms;      /* from fork to reap */
};

void generator_result_init(struct generator_result *r);
/* Frees entity and error; the result may be reused. */
void generator_result_release(struct generator_result *r);

/*
 * Runs the command once and fills r (initialised first; an earlier result in
 * it is released). 0 when r->status is GENERATOR_OK, else -1.
 */
int generator_run(const struct generator_opts *o, struct generator_result *r);


#endif
