#ifndef GENTRACK_LIFECYCLE_H
#define GENTRACK_LIFECYCLE_H

#include <stdint.h>

/*
 * The state machine of SPEC §2, pure: which transitions exist, who may make
 * them, what a worker's completion means, when a request's time is up, and
 * how long a poller should wait. The store applies transitions; this module
 * decides them.
 */
enum gen_status {
	GEN_PENDING,
	GEN_PROCESSING,
	GEN_COMPLETED,
	GEN_PARTIAL,
	GEN_FAILED,
	GEN_CANCELLED,
	GEN_STATUS_COUNT
};

enum gen_actor {
	ACTOR_CLIENT,
	ACTOR_WORKER,
	ACTOR_REAPER,
	ACTOR_ADMIN,
};

/* Failure reasons: stored as their code, shown with a sentence. */
enum gen_failure {
	FAIL_NONE,
	FAIL_LEASE_EXPIRED,     /* no heartbeat within the lease */
	FAIL_MAX_RUNTIME,       /* processing longer than stale_after */
	FAIL_NEVER_STARTED,     /* pending longer than pending_timeout */
	FAIL_GENERATOR,         /* every entity failed */
	FAIL_OPERATOR,          /* an admin marked it failed */
	FAIL_COUNT
};

/* "pending", ... ; NULL for an out-of-range value. */
const char *lifecycle_status_name(enum gen_status s);
/* 0 and *out set when name is exactly a status name, else -1. */
int lifecycle_status_parse(const char *name, enum gen_status *out);
int lifecycle_is_terminal(enum gen_status s);
/* Whether `actor` may move a request from `from` to `to` (SPEC §2 table). */
int lifecycle_can_transition(enum gen_status from, enum gen_status to, enum gen_actor actor);
/* A worker's complete: completed, partial or failed from the counts. */
enum gen_status lifecycle_completion_status(unsigned generated, unsigned requested);
/* "lease_expired", ...; NULL for FAIL_NONE. */
const char *lifecycle_failure_code(enum gen_failure f);
/* (generated + failed) / requested, in 0..1; 0 when requested is 0. */
double lifecycle_progress(unsigned generated, unsigned failed, unsigned requested);

/* What a request whose time may be up needs (the reaper's decision). */
struct lifecycle_timing {
	enum gen_status status;
	unsigned attempt;            /* attempts made so far */
	int64_t requested_at;        /* µs */
	int64_t started_at;          /* µs, meaningful when processing */
	int64_t lease_expires_at;    /* µs, meaningful when processing */
};
struct lifecycle_limits {
	int64_t stale_after;         /* seconds */
	int64_t pending_timeout;     /* seconds */
	unsigned max_attempts;
};
enum lifecycle_action { LC_NONE, LC_RETRY, LC_FAIL };
/*
 * Decides at `now` (µs): nothing, a retry (back to pending) or a failure with
 * *reason set. Running past stale_after fails even with attempts left: the
 * generation is too slow, not lost.
 */
enum lifecycle_action lifecycle_check_timeout(const struct lifecycle_timing *t,
					      const struct lifecycle_limits *l,
					      int64_t now, enum gen_failure *reason);
/*
 * The sentence stored in error_message for a reaper failure, e.g.
 * "Generation timed out after 10 minutes" (max runtime),
 * "Worker stopped sending heartbeats; lease expired on attempt 3 of 3",
 * "Never picked up by a worker within 60 minutes".
 */
void lifecycle_failure_message(enum gen_failure reason, const struct lifecycle_limits *l,
			       unsigned attempt, char *out, size_t size);

/* A timeout decided, with the sentence its transition carries. */
struct lifecycle_timeout {
	enum lifecycle_action action;
	enum gen_failure reason;     /* FAIL_NONE unless LC_FAIL */
	enum gen_status to;          /* GEN_PENDING for a retry, GEN_FAILED for a failure */
	/*
	 * The deadline the decision held against: the lease (a retry, or
	 * FAIL_LEASE_EXPIRED), the start (FAIL_MAX_RUNTIME) or the request
	 * (FAIL_NEVER_STARTED) was before this µs time. The store's write is
	 * fenced on it, so a heartbeat or a fresh retry meanwhile refuses it.
	 */
	int64_t cutoff;
	char message[256];           /* error_message (failures) and the event's message */
};
/*
 * The whole decision on a request whose time may be up, for the reaper and
 * for a client's status read alike: lifecycle_check_timeout(), the deadline
 * it held against and the message. out->action is LC_NONE when nothing is
 * due (terminal requests included). `now` is the store's clock, never a host's.
 */
enum lifecycle_action lifecycle_decide_timeout(const struct lifecycle_timing *t,
					       const struct lifecycle_limits *l, int64_t now,
					       struct lifecycle_timeout *out);

/*
 * Seconds a poller should wait before asking again (1..30), so thousands of
 * pollers pace themselves: for a pending request from the queue ahead of it,
 * for a processing one from the time per entity so far and what remains.
 */
int lifecycle_retry_after(enum gen_status status, unsigned queue_ahead,
			  unsigned generated, unsigned failed, unsigned requested,
			  int64_t started_at, int64_t now);

#endif
