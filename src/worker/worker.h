#ifndef GENTRACK_WORKER_H
#define GENTRACK_WORKER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The loop of gentrack-worker: claim a request, run the generator once per
 * pending entity index, record each entity (or its failure), complete.
 *
 * From the claim to the complete call the lease is renewed at a third of
 * its length, on a thread of its own (worker/heartbeat.h), so that a slow
 * heartbeat delays neither the generator's timeout nor its pipes, and a
 * busy generator or a slow entity post delays no heartbeat. A 409 from a
 * heartbeat or an entity post means the request is no longer ours
 * (cancelled, reaped, claimed again): the generator is killed (at the next
 * tick of its loop, within 250 ms) and the request dropped, without
 * completing it.
 * With nothing pending (204) the loop sleeps a jittered poll interval.
 *
 * SIGTERM / SIGINT: no new claim; the running entity may finish within
 * grace_ms (and is then recorded; the request is completed if that was its
 * last entity), else it is killed and the request abandoned: its lease
 * expires and the reaper hands it out again. A second signal more than a
 * second after the first kills the generator at once. Then exit 0.
 *
 * concurrency > 1 forks that many loops (each with its own HTTP client and
 * worker id); the parent forwards SIGTERM / SIGINT, restarts a loop that
 * crashed, and returns once all have ended.
 */

struct worker_opts {
	const char *url;                 /* base URL of the service */
	const char *key;                 /* the worker key */
	const char *worker_id;           /* NULL = "hostname:pid" (per loop) */
	const char *const *entity_types; /* 1..8 types */
	size_t n_types;
	char *const *argv;               /* the generator command, NULL-terminated */
	long lease_seconds;              /* asked for at claim; 0 = server default */
	int64_t timeout_ms;              /* per entity */
	int64_t grace_ms;                /* for the running entity after SIGTERM */
	int64_t poll_ms;                 /* idle wait between claims (jittered +-50%) */
	int concurrency;                 /* loops, 1..64 */
	int once;                        /* one claim cycle, then return */
};

/*
 * Installs the SIGTERM / SIGINT handlers (and ignores SIGPIPE) and runs.
 * curl_global_init must have been called. Returns the exit status: 0 after
 * a clean stop (or --once), 1 when the server refuses the key or the claim
 * itself (wrong key, URL or entity types: nothing a retry fixes), or when
 * --once could not reach it within 30 s.
 */
int worker_main(const struct worker_opts *o);

#endif
