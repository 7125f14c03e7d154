#ifndef GENTRACK_WCLIENT_H
#define GENTRACK_WCLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * The client side of the worker API (SPEC §3 "Worker"), over one reused
 * libcurl easy handle (so one kept-alive connection).
 *
 * Every call is a JSON POST with the worker key as a bearer token. Transient
 * failures (no connection, timeouts, 429, 502, 503, 504) are retried with
 * capped exponential backoff and full jitter: before retry k the client
 * sleeps a random time in [0, min(cap, base * 2^k)], but at least what a
 * Retry-After header asked for. Each call has a time budget: retrying stops
 * (WCLIENT_UNAVAILABLE) when the next attempt would start past it.
 *
 * A 409 means the worker does not hold the request (cancelled, reaped,
 * claimed again): WCLIENT_CONFLICT, stop working on it. 401 and 403 mean a
 * wrong key: WCLIENT_DENIED. Any other answer that is not a success (400,
 * 404, 413, 500, a 200 without a JSON body, ...) is a bug somewhere: it is
 * logged and the call returns WCLIENT_REJECTED; the request is not repeated.
 *
 * Retries, rejections and their reasons are logged through log.h, one line
 * each. Not thread-safe: one client per process (or thread); only
 * wclient_cancel may be called from another thread.
 */

enum wclient_rc {
	WCLIENT_OK = 0,
	WCLIENT_NO_CONTENT = 1,     /* claim: 204, nothing pending */
	WCLIENT_CONFLICT = -1,      /* 409: the lease is not ours: stop */
	WCLIENT_REJECTED = -2,      /* another failure answer: logged, not retried */
	WCLIENT_DENIED = -3,        /* 401 / 403: the key is wrong or revoked */
	WCLIENT_UNAVAILABLE = -4,   /* transient failures outlasted the budget */
	WCLIENT_STOPPED = -5,       /* *stop was raised during an interruptible call,
	                               or the client was cancelled */
};

#define WCLIENT_BACKOFF_BASE_MS 500
#define WCLIENT_BACKOFF_CAP_MS 30000
/* After *stop is raised, a non-interruptible call retries for this long at most. */
#define WCLIENT_STOP_BUDGET_MS 5000
/* A budget argument meaning "until it works or *stop is raised". */
#define WCLIENT_FOREVER (-1)

struct wclient_opts {
	const char *base_url;      /* "http://host:port" (a trailing '/' is fine) */
	const char *key;           /* the worker key; visible ASCII */
	const char *worker_id;     /* sent as worker_id; visible ASCII, at most 200 bytes */
	const volatile sig_atomic_t *stop; /* may be NULL; see WCLIENT_STOPPED */
	long connect_timeout_ms;   /* 0 = 10 s */
	long request_timeout_ms;   /* one attempt, 0 = 30 s */
	int backoff_base_ms;       /* 0 = WCLIENT_BACKOFF_BASE_MS */
	int backoff_cap_ms;        /* 0 = WCLIENT_BACKOFF_CAP_MS */
};

struct wclient;

/*
 * The strings of opts are copied. NULL with a message in err on a bad
 * option or when libcurl cannot start (call curl_global_init first).
 */
struct wclient *wclient_new(const struct wclient_opts *opts, char *err, size_t errlen);
void wclient_free(struct wclient *c);

/*
 * From any thread: the call under way on c, if any, ends with
 * WCLIENT_STOPPED as soon as libcurl calls back (mid-transfer: within about
 * a second; mid-backoff: within TIME_NAP_SLICE_MS), and so does every later
 * call. For a client that another thread drives (the heartbeat's, which its
 * owner stops when the request is done).
 */
void wclient_cancel(struct wclient *c);

/*
 * POST /api/v1/worker/claim. Retries transient failures within budget_ms
 * (WCLIENT_FOREVER: until they pass), and gives up at once when *stop is
 * raised, even mid-transfer (WCLIENT_STOPPED). On WCLIENT_OK *out is the
 * claimed resource (a new reference: you own it). lease_seconds 0 = the
 * server's default.
 */
int wclient_claim(struct wclient *c, const char *const *entity_types, size_t n_types,
		  long lease_seconds, int64_t budget_ms, json_t **out);

/*
 * The three calls on a claimed request (id: its request_id, attempt: its
 * attempt from the claim). budget_ms bounds the retries (WCLIENT_FOREVER:
 * none); once *stop is raised at most WCLIENT_STOP_BUDGET_MS more. out may
 * be NULL; on WCLIENT_OK *out is the answer object (a new reference).
 */
int wclient_heartbeat(struct wclient *c, const char *id, long attempt, int64_t budget_ms,
		      json_t **out);
/* Exactly one of entity (borrowed) and error (borrowed, UTF-8) is non-NULL. */
int wclient_entity(struct wclient *c, const char *id, long attempt, long index,
		   const json_t *entity, const char *error, int64_t budget_ms, json_t **out);
int wclient_complete(struct wclient *c, const char *id, long attempt, int64_t budget_ms,
		     json_t **out);

/* The HTTP status of the last answer, 0 when none came. */
long wclient_last_status(const struct wclient *c);
/* A sentence about the last failure ("503: store unavailable"); "" after a success. */
const char *wclient_last_error(const struct wclient *c);

/*
 * The backoff before retry `retry` (0 for the first): full jitter over
 * min(cap, base * 2^retry) using `rnd` (uniform over 0..UINT32_MAX), but at
 * least retry_after_ms. Exposed for tests.
 */
int64_t wclient_backoff_ms(int retry, int base_ms, int cap_ms, int64_t retry_after_ms, uint32_t rnd);

#endif
