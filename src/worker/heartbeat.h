#ifndef GENTRACK_HEARTBEAT_H
#define GENTRACK_HEARTBEAT_H

#include <stddef.h>
#include <stdint.h>

#include "worker/wclient.h"

/*
 * The lease's timer: heartbeats for one claimed request, on a thread of
 * their own with an HTTP client of their own, from the claim until
 * heartbeat_stop. The generator's timeout, its pipes and the entity posts
 * run on the caller's thread, so neither side waits for the other: a
 * heartbeat the server answers late delays no timeout and no pipe, and a
 * generator (or an entity post) that takes its time delays no heartbeat.
 *
 * A thread rather than a libcurl multi handle driven from the generator's
 * poll loop: the thread reuses wclient as it is (blocking calls, their
 * retries and backoff), and heartbeats go on during the entity posts and
 * the complete call too, where no poll loop runs. What the two threads
 * share is three numbers under one mutex (the lease, the state, a stop).
 *
 * Schedule: the first heartbeat a third of the lease after the claim, then
 * a third of the lease (as the last answer granted it) after each one was
 * *sent*, so that a slow answer does not push the next one back (an answer
 * later than that is followed at once by the next heartbeat). After a
 * transient failure (retried by wclient within a third of the lease) the
 * next try comes a sixth of the lease later, at most 5 s. A 409 ends the
 * heartbeats: HEARTBEAT_LOST, and the caller kills the generator. 401 / 403:
 * HEARTBEAT_DENIED, and the heartbeats go on (the caller exits after this
 * request).
 *
 * The thread blocks every signal, so SIGTERM and SIGINT still interrupt the
 * caller's poll() at once.
 */

enum heartbeat_state {
	HEARTBEAT_ALIVE,    /* the lease is held (as far as we know) */
	HEARTBEAT_LOST,     /* a 409: the request is no longer ours */
	HEARTBEAT_DENIED,   /* a 401 / 403: the key is wrong or revoked */
};

struct heartbeat_opts {
	const struct wclient_opts *client; /* borrowed; for the thread's own client */
	const char *id;                    /* the request_id; copied */
	long attempt;                      /* the claim's attempt */
	int64_t lease_ms;                  /* the lease the claim granted, > 0 */
};

struct heartbeat;

/*
 * Makes the thread's client and starts it. NULL with a message in err when
 * the client or the thread cannot be made. You own the result: end it with
 * heartbeat_stop.
 */
struct heartbeat *heartbeat_start(const struct heartbeat_opts *o, char *err, size_t errlen);

/* What the heartbeats learnt so far. */
enum heartbeat_state heartbeat_state(struct heartbeat *h);

/* The lease length the server granted last (the claim's until a heartbeat answered). */
int64_t heartbeat_lease_ms(struct heartbeat *h);

/*
 * Ends the heartbeats: a heartbeat under way is cancelled (within about a
 * second, wclient_cancel), the thread joined, everything freed. h may be NULL.
 */
void heartbeat_stop(struct heartbeat *h);

#endif
