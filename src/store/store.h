#ifndef GENTRACK_STORE_H
#define GENTRACK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/auth.h"
#include "base/config.h"
#include "model/lifecycle.h"
#include "model/queue_state.h"
#include "model/resource.h"
#include "model/webhook.h"

/*
 * The MariaDB store: the only folder that includes mysql.h (src/store/engine.c,
 * the connection engine; one file per concern around it, each statement next
 * to the function that runs it). One connection per
 * process, opened lazily, every query a prepared statement prepared once per
 * connection and re-prepared after a reconnect. When the connection is lost
 * (server restarted, wait_timeout) the next call reconnects; a read that failed
 * on a dead connection is retried once on the new one.
 *
 * Functions return STORE_OK (0) or a negative domain code; the detail of an
 * unexpected error is logged and available from store_last_error().
 */
enum store_status {
	STORE_OK = 0,
	STORE_NOT_FOUND = -1,   /* no such row (or not the caller's) */
	STORE_CONFLICT = -2,    /* the row is not in a state that allows this */
	STORE_UNAVAILABLE = -3, /* cannot reach the server: 503 + Retry-After */
	STORE_ERROR = -4,       /* anything else: 500, logged */
	STORE_DUPLICATE = -5,   /* a unique key already holds this value */
	STORE_INVALID = -6,     /* a value the row does not allow (entity index out of range) */
	STORE_LIMIT = -7,       /* the owner is at its limit (max_pending): nothing written */
};

struct store;

/* Makes a store for cfg (borrowed, must outlive it). Does not connect. NULL on OOM. */
struct store *store_new(const struct config *cfg);
void store_free(struct store *s);
/* Connects now if not connected (the CLI wants errors up front). */
int store_connect(struct store *s);
/* One round trip: healthz. */
int store_ping(struct store *s);
const char *store_last_error(const struct store *s);
/*
 * How long one read or write on the connection may wait (default 30 s), and
 * so also a connect ([store] connect_timeout, if shorter): for a caller that
 * must not stall on a hung server, such as the gentrack-fcgi supervisor's
 * repair. Takes effect at the next connect.
 */
void store_set_io_timeout(struct store *s, unsigned seconds);

/*
 * The store's clock (store/clock.c): UTC_TIMESTAMP(6) of the server, in µs.
 * Every deadline is compared with, and every time stored from, this clock,
 * never one host's (SPEC §2): the transitions read it in the statement that
 * opens them (their locking read), the poll in its one statement, the
 * reaper once per run through this call.
 */
int store_now(struct store *s, int64_t *now);

/*
 * Tests only: a function called where an actor has decided from what it read
 * and not yet written, so a test can put a third actor there. NULL (the
 * default) in production. The hook may use other stores, never `s` itself.
 */
enum store_race_point {
	RACE_TIMEOUT,     /* store_timeout_apply: decided by the reaper or a status read */
	RACE_LOCKED,      /* a transition's row read under its lock, its write next */
};
typedef void (*store_race_fn)(void *ctx, enum store_race_point at);
void store_set_race_hook(struct store *s, store_race_fn fn, void *ctx);

/*
 * Called after each commit that changed what a client sees of requests
 * (a transition, an entity recorded): the ids, in the order the
 * transaction changed them, once each. The store is out of its transaction
 * then, and the listener may use it (to read the new state). NULL (the
 * default): nobody listens. Live updates (live/publish.h) listen.
 */
typedef void (*store_change_fn)(void *ctx, struct store *s, const struct uuid *ids, unsigned n);
void store_set_change_listener(struct store *s, store_change_fn fn, void *ctx);

/* ---- API keys (store/keys.c) ---- */

/*
 * The active (not revoked) key with this hash, and the store's clock read by
 * the same statement into *now (when not NULL). NOT_FOUND otherwise.
 */
int store_key_lookup(struct store *s, const unsigned char hash[AUTH_HASH_LEN],
		     struct principal *out, int64_t *now);
int store_key_insert(struct store *s, const unsigned char hash[AUTH_HASH_LEN],
		     const char *prefix, enum auth_role role, const char *owner,
		     int64_t now, long long *id);
struct store_key_row {
	long long id;
	char prefix[AUTH_KEY_SHOWN_PREFIX + 1];
	enum auth_role role;
	char owner[OWNER_MAX + 1];
	int64_t created_at;
	int64_t revoked_at;     /* TIME_NONE when active */
};
/* Calls fn for each key, oldest first; a non-zero return from fn stops. */
int store_key_list(struct store *s, int (*fn)(void *ctx, const struct store_key_row *row),
		   void *ctx);
/* NOT_FOUND if no such id; CONFLICT if already revoked. */
int store_key_revoke(struct store *s, long long id, int64_t now);

/* ---- webhook endpoints and the outbox of deliveries (store/webhooks.c) ---- */

/*
 * Registers an endpoint of `owner` (secret as webhook_secret_generate makes
 * it, stored as it is: the deliverer signs with it). STORE_DUPLICATE when
 * the owner has an endpoint of that name.
 */
int store_webhook_add(struct store *s, const char *owner, const char *name, const char *url,
		      const char *secret, const char *events, long long *id);
struct store_webhook_row {
	long long id;
	const char *owner, *name, *url, *events;   /* borrowed for the call */
	int64_t created_at;
	int64_t disabled_at;    /* TIME_NONE while enabled */
	unsigned long long pending;  /* deliveries waiting */
	int is_default;         /* the owner's default endpoint */
};
/* Calls fn for each endpoint (of `owner`, or all for NULL), by owner and name; non-zero stops. */
int store_webhook_list(struct store *s, const char *owner,
		       int (*fn)(void *ctx, const struct store_webhook_row *row), void *ctx);
/* Deletes an endpoint; its waiting deliveries become dead. NOT_FOUND. */
int store_webhook_remove(struct store *s, const char *owner, const char *name);
/*
 * Which endpoint a new request of `owner` reports to: `name` when the owner
 * has an endpoint of that name (NOT_FOUND when not: another owner's is not
 * the owner's), or with name NULL the owner's default, "" when it has none.
 * The name into out (which must not be `name`).
 */
int store_webhook_resolve(struct store *s, const char *owner, const char *name,
			  char out[WEBHOOK_NAME_MAX + 1]);
/*
 * Makes endpoint `name` the owner's default (the one before stops being it).
 * With only_if_none, only when the owner has no default yet. *made (may be
 * NULL): 1 when it is now the default. NOT_FOUND when there is no such endpoint.
 */
int store_webhook_set_default(struct store *s, const char *owner, const char *name,
			      int only_if_none, int *made);
/*
 * Replaces the endpoint's secret with new_secret; the one it had keeps
 * signing (a second signature) for overlap_seconds more (0: stops at once).
 * NOT_FOUND.
 */
int store_webhook_rotate(struct store *s, const char *owner, const char *name,
			 const char *new_secret, long long overlap_seconds);

/* A delivery a deliverer holds the lease of. */
struct store_delivery {
	char id[WEBHOOK_MSG_ID_LEN + 16];  /* the webhook-id */
	long long endpoint_id;
	char event_type[64];
	char *payload;          /* owned */
	size_t payload_len;
	char *url;              /* owned */
	char *secret;           /* owned; wiped by store_delivery_release */
	char *previous_secret;  /* owned, likewise; NULL unless a rotation's overlap runs */
	int secret_oom;         /* the claim could not copy previous_secret */
	int endpoint_disabled;  /* disabled (410) since the delivery was written */
	unsigned attempts;      /* attempts made before this one */
	int64_t now;            /* the store's clock at the claim */
};
void store_delivery_release(struct store_delivery *d);
/*
 * Claims the most overdue pending delivery (FOR UPDATE SKIP LOCKED: several
 * deliverers never take the same one) and leases it to lease_owner for
 * lease_seconds. NOT_FOUND when none is due.
 */
int store_delivery_claim(struct store *s, const char *lease_owner, unsigned lease_seconds,
			 struct store_delivery *out);
enum store_delivery_outcome {
	DELIVERY_DELIVERED,     /* a 2xx */
	DELIVERY_RETRY,         /* again after retry_us */
	DELIVERY_DEAD,          /* no attempts left, or the endpoint is gone */
};
/*
 * Records one attempt of a delivery this lease_owner holds: http_status (0
 * for none), error (NULL for none); disable_endpoint after a 410;
 * duration_us the POST took (its row of webhook_attempts and the endpoint's
 * last result), or -1 when none was made (the endpoint was gone).
 * CONFLICT when the lease was lost (another deliverer may send it again).
 */
int store_delivery_finish(struct store *s, const struct store_delivery *d, const char *lease_owner,
			  enum store_delivery_outcome outcome, long long retry_us,
			  int http_status, const char *error, int disable_endpoint,
			  long long duration_us);

/* ---- webhooks in the admin console (store/webhooks.c, sql/019) ---- */

/* An endpoint as the Webhooks page shows it; strings borrowed for the call. */
struct store_webhook_status {
	long long id;
	const char *owner, *name, *url, *events;
	int64_t created_at;
	int64_t disabled_at;      /* TIME_NONE while enabled; set by a 410 */
	int64_t last_attempt_at;  /* TIME_NONE before the first attempt */
	int last_status;          /* of the last attempt, 0 when no answer came */
	const char *last_error;   /* NULL after a 2xx or before any attempt */
	unsigned failures;        /* failed attempts since the last 2xx */
	unsigned long long pending, dead;  /* its deliveries waiting, and dead */
};
/* Calls fn for each endpoint, by owner and name, at most `limit`; non-zero stops. */
int store_webhook_status_list(struct store *s, unsigned limit,
			      int (*fn)(void *ctx, const struct store_webhook_status *e),
			      void *ctx);

/* A delivery of the outbox; strings borrowed for the call. */
struct store_delivery_row {
	const char *id;           /* the webhook-id */
	struct uuid request_id;
	long long endpoint_id;
	const char *owner, *name; /* the endpoint's; NULL when it was removed */
	int endpoint_disabled;
	const char *event_type;
	const char *state;        /* "pending", "delivered" or "dead" */
	unsigned attempts;        /* since it was written or last redelivered */
	int64_t created_at, next_attempt_at;
	int64_t last_attempt_at;  /* TIME_NONE before the first */
	int last_status;          /* 0: none */
	const char *last_error;   /* NULL: none */
	const char *lease_owner;  /* NULL when no deliverer holds it */
	int64_t lease_expires_at;
	const char *payload;      /* store_delivery_get only; NULL in lists */
};
/*
 * Calls fn for deliveries of endpoint_id (0: any) in `state` (NULL: any),
 * dead ones first, then pending, then delivered, each the most recently
 * due or attempted first; at most `limit`. Non-zero from fn stops.
 */
int store_delivery_list(struct store *s, long long endpoint_id, const char *state,
			unsigned limit, int (*fn)(void *ctx, const struct store_delivery_row *d),
			void *ctx);
/* Calls fn for each delivery of request `id`, oldest first; non-zero stops. */
int store_request_deliveries(struct store *s, const struct uuid *id,
			     int (*fn)(void *ctx, const struct store_delivery_row *d), void *ctx);
/* Calls fn once with delivery `id` and its payload. NOT_FOUND. */
int store_delivery_get(struct store *s, const char *id,
		       int (*fn)(void *ctx, const struct store_delivery_row *d), void *ctx);
/* One attempt of a delivery; strings borrowed for the call. */
struct store_delivery_attempt {
	int64_t at;               /* when its POST started */
	long long duration_us;
	int http_status;          /* 0: no answer */
	const char *error;        /* NULL after a 2xx */
	const char *deliverer;
};
/* Calls fn for each attempt of delivery `id`, oldest first; non-zero stops. */
int store_delivery_attempts(struct store *s, const char *id,
			    int (*fn)(void *ctx, const struct store_delivery_attempt *a), void *ctx);
/* One operator action on a delivery or an endpoint (webhook_events). */
struct store_webhook_event {
	int64_t at;
	const char *actor, *action, *reason;  /* borrowed for the call */
};
/* The operator actions on delivery `id`, oldest first; non-zero from fn stops. */
int store_delivery_events(struct store *s, const char *id,
			  int (*fn)(void *ctx, const struct store_webhook_event *e), void *ctx);
/* Why store_delivery_redeliver refused (with STORE_CONFLICT or STORE_INVALID). */
enum store_redeliver_refusal {
	REDELIVER_OK,
	REDELIVER_PENDING,        /* CONFLICT: it is waiting already */
	REDELIVER_REMOVED,        /* INVALID: its endpoint was removed */
	REDELIVER_DISABLED,       /* INVALID: its endpoint is disabled: re-enable it first */
};
/*
 * Makes a dead or delivered delivery pending again, due now, its attempts
 * count reset (its attempts stay in webhook_attempts), the same id; and
 * records who and why in webhook_events, in one transaction. NOT_FOUND,
 * or CONFLICT / INVALID with *why set.
 */
int store_delivery_redeliver(struct store *s, const char *id, const char *actor,
			     const char *reason, enum store_redeliver_refusal *why);
/*
 * Enables endpoint `id` again after a 410, its failures reset; records who
 * and why. NOT_FOUND; CONFLICT when it is enabled.
 */
int store_webhook_enable(struct store *s, long long id, const char *actor, const char *reason);

/* ---- admin users (store/keys.c) ---- */
int store_admin_user_set(struct store *s, const char *name, const char *password_hash,
			 int64_t now);

/* ---- generation requests (store/requests.c) ---- */

/* The Idempotency-Key of a create, when the client sent one. */
struct store_idem {
	const char *owner;
	const char *key;
	size_t key_len;
	unsigned char body_hash[32];
};

/*
 * Inserts r (fully filled by the caller: id, times, status pending, version 1)
 * with its "created" event by `actor`, and, when idem is not NULL, records
 * `response_body` as the replay of that key, all in one transaction. The
 * row's fair-share tag is taken in the same transaction from the owner's
 * pending requests and the queue's (r->priority, r->owner, r->entity_type;
 * 0 when the configuration's claims_fair_share is off).
 * STORE_DUPLICATE when the owner already has an active request with this
 * entity type and subject key: *existing is then its id (nothing written).
 * STORE_LIMIT when the owner already has as many requests pending as its
 * limit allows (store_owner_limits_get: the owner's row in owner_limits,
 * else [limits] max_pending_per_owner; 0 = none): nothing written. Exact
 * under concurrency, on Galera too: a limited owner's creates pass its
 * gate row one at a time (sql/022).
 */
int store_request_create(struct store *s, const struct gen_request *r, const char *actor,
			 const struct store_idem *idem, const char *response_body,
			 struct uuid *existing);
/* The request `id` if owned by `owner` (NULL = any owner). Fills *out (release it). */
int store_request_get(struct store *s, const struct uuid *id, const char *owner,
		      struct gen_request *out);
/*
 * The request a status token reads, while the token is valid (the store's
 * clock): *out gets ROLE_STATUS_TOKEN, the request's owner and id, *now the
 * clock (when not NULL). NOT_FOUND for an unknown or expired token.
 */
int store_status_token_lookup(struct store *s, const unsigned char hash[AUTH_HASH_LEN],
			      struct principal *out, int64_t *now);
/* The generated entities of a request, by index. Appends to *out. */
int store_request_entities(struct store *s, const struct uuid *id,
			   struct gen_entity_list *out);

/* What a client's status poll finds, from one statement. */
enum store_poll_found {
	POLL_NO_KEY,       /* no such key, or revoked */
	POLL_NO_REQUEST,   /* the key is good; no request with that id of its owner */
	POLL_REQUEST,      /* the key and its owner's request (*out set) */
};
/*
 * The key with hash `key_hash` and, when its owner owns it, the request `id`
 * with its generated entities (the row's array, entities->array_json), in one
 * statement reading two rows. With a `known_version` (the poller's ETag; -1
 * for none) the statement reads only what a 304 needs: when that is still
 * the request's version, *out holds just its id, owner, entity type, status,
 * counts, attempt, version and the times the timeout check and Retry-After
 * read (no texts) and no entities are read: re-read the row to answer
 * anything but a 304. When the request moved past it, a second statement
 * reads the whole poll. A request whose array is not kept on its row (past
 * ENTITIES_ROW_MAX) has its entities read from the record, in
 * entities->items, by one more. *who and *now (the store's clock, read by
 * the same statement) are set unless POLL_NO_KEY; release *out and
 * *entities on OK.
 */
int store_poll(struct store *s, const unsigned char key_hash[AUTH_HASH_LEN],
	       const struct uuid *id, long long known_version, struct principal *who,
	       enum store_poll_found *found, struct gen_request *out,
	       struct gen_entity_list *entities, int64_t *now);

struct store_list_filter {
	const char *owner;          /* NULL = every owner (operators; subject_key ignored) */
	int has_status;
	enum gen_status status;
	const char *entity_type;    /* NULL = any */
	const char *subject_key;    /* NULL = any */
	int has_priority;
	unsigned priority;          /* PRIORITY_MIN..MAX when has_priority */
	int has_before;             /* keyset: only ids older than `before` */
	struct uuid before;
	unsigned limit;             /* rows wanted */
};
/* Newest first; fn gets each row (borrowed for the call); non-zero from fn stops. */
int store_request_list(struct store *s, const struct store_list_filter *f,
		       int (*fn)(void *ctx, const struct gen_request *r), void *ctx);
struct store_plan;
/* EXPLAINs the statement store_request_list runs for f, so tests can check its index. */
int store_explain_list(struct store *s, const struct store_list_filter *f,
		       struct store_plan *out);

/*
 * Cancels a pending or processing request of `owner` (NULL = any owner) with an
 * event by `actor` carrying `reason` (may be NULL), at the store's clock.
 * NOT_FOUND, or CONFLICT when already terminal (*out then holds the current
 * row either way on OK/CONFLICT).
 */
int store_request_cancel(struct store *s, const struct uuid *id, const char *owner,
			 const char *actor, const char *reason, struct gen_request *out);
/* The ids of the oldest `cap` pending requests of a type, oldest first, into head[]. */
int store_pending_head(struct store *s, const char *entity_type, unsigned cap,
		       struct uuid *head, unsigned *count);

/* ---- Idempotency-Key (store/idem.c) ---- */
enum store_idem_state {
	IDEM_NEW,          /* the key is ours now: go on and create */
	IDEM_IN_PROGRESS,  /* the first request with this key is still running */
	IDEM_MISMATCH,     /* the key was used with another body */
	IDEM_REPLAY,       /* done: replay response_status / response_body / request_id */
};
struct store_idem_result {
	enum store_idem_state state;
	int response_status;
	char *response_body;       /* owned when IDEM_REPLAY */
	struct uuid request_id;
};
/*
 * Claims the key for a new request, or says why not. A record older than
 * `ttl_s` is forgotten; one left 'processing' by a crashed handler for longer
 * than `stuck_s` is taken over.
 */
int store_idem_begin(struct store *s, const struct store_idem *idem, int64_t now,
		     int64_t ttl_s, int64_t stuck_s, struct store_idem_result *out);
/* Forgets a key we claimed whose request was refused (nothing stays written). */
int store_idem_abandon(struct store *s, const struct store_idem *idem);

/* ---- workers (store/work.c; the audit trail in store/events.c) ---- */

struct store_claim {
	const char *worker_id;          /* as the worker named itself */
	const char *actor;              /* "worker:<worker_id>", for the event */
	const char *const *entity_types;
	size_t n_types;                 /* 1..8 */
	long long lease_seconds;        /* from the store's clock at the claim */
};
struct store_claimed {
	struct gen_request request;     /* the row after the claim */
	unsigned char *generated;       /* owned bitmap: indexes already generated */
};
/*
 * Claims the next pending request of the given types that are not paused
 * (store_queue_pause) for this worker: the highest priority, then the lowest
 * fair-share tag (given at create: store_request_create), then the oldest:
 * processing, attempt + 1, its lease, the failed entities of earlier attempts
 * dropped, an event. Concurrent claims never get the same request.
 * An owner at its processing limit (store_owner_limits_get; exact under
 * concurrency: sql/022) is passed over, its requests left pending; past
 * 8 such owners in one claim, NOT_FOUND.
 * NOT_FOUND when nothing of those types is pending, or only paused ones. On OK release *out with store_claimed_release.
 */
int store_claim_next(struct store *s, const struct store_claim *c, struct store_claimed *out);
struct store_plan;
/* EXPLAINs the claim's pick for these types, so tests can check its index. */
int store_explain_claim(struct store *s, const char *const *types, size_t n,
			struct store_plan *out);
int store_claimed_is_generated(const struct store_claimed *cl, unsigned idx);
void store_claimed_release(struct store_claimed *cl);

/* ---- the workers seen (store/workers.c, sql/013_workers.sql) ---- */

/* What one worker call tells about its worker, for store_worker_seen. */
struct store_worker_call {
	const char *owner;              /* of the worker's key */
	const char *worker_id;
	const char *entity_types;       /* a claim's, comma-separated; NULL keeps the row's */
	enum {
		WORKER_SEEN_TOUCH,      /* last_seen only (and held_index when >= 0) */
		WORKER_SEEN_HOLDS,      /* a claim handed out `held` */
		WORKER_SEEN_IDLE        /* it holds nothing now (a 204, complete, lost lease) */
	} what;
	const struct uuid *held;        /* HOLDS */
	unsigned attempt;               /* HOLDS */
	long long lease_seconds;        /* HOLDS */
	long long index;                /* an entity call's index, else -1 */
};
/* Records a worker call on the worker's own row (one upsert), from the store's clock. */
int store_worker_seen(struct store *s, const struct store_worker_call *w);

/* One worker seen, borrowed for the duration of the callback. */
struct store_worker {
	const char *owner;
	const char *worker_id;
	const char *entity_types;
	int64_t first_seen, last_seen;  /* µs, the store's clock */
	int holds;                      /* 0: idle, then held_* are unset */
	struct uuid held;
	unsigned held_attempt;
	int64_t held_since;
	long long held_index;           /* -1 before its first entity call */
	const char *held_status;        /* the held request's status now ("" if gone) */
	long long lease_seconds;
	int lost;                       /* holds, and silent past its lease + a grace */
	unsigned long long done_hour;   /* its completes to completed/partial, last hour */
	unsigned long long failed_hour; /* and to failed */
};
/* Seconds past its lease before a silent worker holding a request counts as lost. */
#define STORE_WORKER_LOST_GRACE 2
/*
 * Every worker seen in the last hour (from `now`, the store's clock), the
 * most recently seen first, at most `limit`: fn per worker (non-zero stops).
 */
int store_worker_list(struct store *s, unsigned limit,
		      int (*fn)(void *ctx, const struct store_worker *w), void *ctx);
/* An idle worker not seen for this long no longer counts as serving its types. */
#define STORE_WORKER_IDLE_SECONDS 300
/*
 * The entity types (comma-separated, as its last claim named them; borrowed
 * for the call) of each worker serving at `now` (µs, the store's clock):
 * one holding a request and seen within its lease (+ the lost grace), or an
 * idle one seen in the last STORE_WORKER_IDLE_SECONDS. Never one unseen for
 * an hour (a range of ix_last_seen).
 */
int store_workers_serving(struct store *s, int64_t now,
			  int (*fn)(void *ctx, const char *entity_types), void *ctx);

/* Who claims to hold a lease: the worker and the attempt it was given (1 or more). */
struct store_lease {
	const char *worker_id;
	unsigned attempt;
};

/*
 * Extends the lease of a request this worker holds by `lease_seconds` (0 = the
 * claim's) from the store's clock. NOT_FOUND; CONFLICT when it does not hold
 * it (cancelled, reaped, claimed again, another attempt): the worker must stop.
 */
int store_lease_extend(struct store *s, const struct uuid *id, const struct store_lease *lease,
		       long long lease_seconds, int64_t *expires_at, long long *used_seconds);

struct store_entity {
	unsigned index;
	const char *entity_json;        /* a generated entity, or NULL ... */
	const char *error;              /* ... and the failure instead */
};
struct store_entity_result {
	int recorded;                   /* 0: that index was recorded before (a retry) */
	unsigned generated_count;
	unsigned failed_count;
};
/* Records one entity or failure. INVALID when the index is out of range. */
int store_entity_record(struct store *s, const struct uuid *id, const struct store_lease *lease,
			const struct store_entity *e, struct store_entity_result *out);
/*
 * Ends the attempt: completed, partial or failed (generator_failed) from the
 * counts (SPEC §2), with an event by `actor`. *out is the final row.
 */
int store_complete(struct store *s, const struct uuid *id, const struct store_lease *lease,
		   const char *actor, struct gen_request *out);

/* One row of the audit trail; strings borrowed for the callback only. */
struct store_event {
	int64_t at;
	const char *actor;
	const char *from_status;    /* NULL for the creation */
	const char *to_status;
	const char *message;        /* may be NULL */
};
/* The audit trail of a request, oldest first; non-zero from fn stops. */
int store_request_events(struct store *s, const struct uuid *id,
			 int (*fn)(void *ctx, const struct store_event *e), void *ctx);

/* ---- the reaper and the timeouts (store/reap.c) ---- */

#define STORE_STALE_BATCH 500

enum store_stale_kind {
	STALE_LEASE,      /* processing, lease expired before the cutoff */
	STALE_RUNTIME,    /* processing, started before the cutoff */
	STALE_PENDING,    /* pending, requested before the cutoff */
};
/* What the reaper needs of a row to decide, and to say what it did. */
struct store_stale {
	struct uuid id;
	enum gen_status status;
	unsigned attempt;
	uint64_t version;
	int64_t requested_at, started_at, lease_expires_at;
	char owner[OWNER_MAX + 1];
	char entity_type[ENTITY_TYPE_MAX + 1];
};
struct store_stale_batch {
	struct store_stale rows[STORE_STALE_BATCH];
	unsigned count;
};
/* Up to `limit` (at most STORE_STALE_BATCH) rows of one kind, oldest deadline first. */
int store_stale_list(struct store *s, enum store_stale_kind kind, int64_t cutoff,
		     unsigned limit, struct store_stale_batch *out);

/* How MariaDB runs a query: EXPLAIN's access type, key, row estimate, Extra. */
struct store_plan {
	char access[32];   /* "range", "ref", ... ; "ALL" is a table scan */
	char key[64];      /* the index used, "" for none */
	long rows;
	char extra[128];
};
/* EXPLAINs the reaper's query for `kind`, so tests can check it uses an index. */
int store_explain_stale(struct store *s, enum store_stale_kind kind, int64_t cutoff,
			struct store_plan *out);

/*
 * One timeout transition, conditional on every fact the decision used: the
 * status, attempt and version read, and the deadline itself (the lease, the
 * start or the request still before `cutoff`, lifecycle_timeout.cutoff).
 */
struct store_timeout {
	const struct uuid *id;
	enum gen_status from;
	unsigned attempt;
	uint64_t version;
	int retry;                  /* 1: back to pending; 0: failed */
	enum gen_failure reason;    /* when failing: lease, runtime or never started */
	int64_t cutoff;             /* the deadline column must still be before this */
	const char *message;        /* error_message and the event's message */
	const char *actor;
	int64_t now;                /* the store's clock the decision read */
};
/*
 * OK, or CONFLICT when the row changed meanwhile (a heartbeat, an entity, a
 * cancel, a retry...) or the model does not allow the transition from
 * t->from (then nothing was written).
 */
int store_timeout_apply(struct store *s, const struct store_timeout *t);

/* The actor of the timeout transitions, in the audit trail. */
#define STORE_REAPER_ACTOR "reaper"
/* The limits lifecycle_decide_timeout() needs, from the configuration. */
struct lifecycle_limits store_timeout_limits(const struct config *cfg);
/*
 * Decides row's timeout at `now` (the store's clock) into *d (lifecycle_decide_timeout) and,
 * unless dry_run or nothing is due (d->action LC_NONE), makes that
 * transition with store_timeout_apply(). OK, CONFLICT (raced: nothing
 * written), or a store code. The reaper's batches and a status read both
 * come here.
 */
int store_timeout_reap(struct store *s, const struct store_stale *row,
		       const struct lifecycle_limits *l, int64_t now, int dry_run,
		       struct lifecycle_timeout *d);
/*
 * For a client's status read: if r's time is up at `now` (the store's clock
 * the poll read), makes the reaper's transition now and re-reads r (of
 * `owner`). 1 when r changed, 0 when not, or a negative store code.
 */
int store_request_check_timeout(struct store *s, const struct config *cfg, int64_t now,
				struct gen_request *r, const char *owner);

/* ---- prune (store/ops.c) ---- */

/*
 * Deletes up to `limit` terminal requests last changed before `cutoff`, with
 * their entities, events and idempotency keys, in one transaction. With
 * dry_run only counts. *deleted: how many.
 */
int store_prune_batch(struct store *s, int64_t cutoff, unsigned limit, int dry_run,
		      unsigned *deleted);
/* Forgets up to `limit` Idempotency-Key records made before `cutoff`. */
int store_prune_idempotency(struct store *s, int64_t cutoff, unsigned limit, unsigned *deleted);
/* Forgets up to `limit` workers last seen before `cutoff` (the workers page's rows). */
int store_prune_workers(struct store *s, int64_t cutoff, unsigned limit, unsigned *deleted);

/* ---- the admin page (store/keys.c, ops.c, events.c) and metrics (store/metrics.c) ---- */

/* The Argon2id hash of admin `name`'s password into hash (size bytes). NOT_FOUND. */
int store_admin_user_get(struct store *s, const char *name, char *hash, size_t size);
struct store_admin_row {
	char name[OWNER_MAX + 1];
	int64_t created_at, updated_at;
};
/* Every admin account, by name; non-zero from fn stops. */
int store_admin_user_list(struct store *s,
			  int (*fn)(void *ctx, const struct store_admin_row *row), void *ctx);
/* NOT_FOUND when there is no such account. */
int store_admin_user_delete(struct store *s, const char *name);

/*
 * Admin page sessions (store/sessions.c, sql/007_admin_sessions.sql), named
 * by the hash of their id (ADMIN_SESSION_HASH_LEN bytes). Times are the
 * store's clock.
 *
 * store_admin_session_get reads the store's clock into *now and, in the same
 * statement, the expiry of session id_hash of admin `name` into *expires:
 * TIME_NONE when there is none, it expired, or it is another admin's.
 */
int store_admin_session_get(struct store *s, const unsigned char *id_hash, const char *name,
			    int64_t *now, int64_t *expires);
/*
 * Opens session id_hash for admin `name` from now until expires, first
 * deleting that admin's expired sessions and all but the newest keep - 1 of
 * the others (so the admin has at most `keep`).
 */
int store_admin_session_open(struct store *s, const unsigned char *id_hash, const char *name,
			     int64_t now, int64_t expires, unsigned keep);
/* Ends session id_hash (STORE_OK too when there is none). */
int store_admin_session_end(struct store *s, const unsigned char *id_hash);

/*
 * Requests by status, of every owner, requested since `since`: a range per
 * status, so its cost follows the rows since then. For all time, read the
 * counters (store_metric_requests): counting rows would read every one
 * (since TIME_NONE does, for the tests that must see the rows themselves).
 */
int store_status_counts(struct store *s, int64_t since,
			unsigned long long counts[GEN_STATUS_COUNT]);

/*
 * Stuck requests as of `as_of`: processing and started before
 * processing_cutoff (half of stale_after ago) or with a lease expired before
 * as_of; pending and requested before pending_cutoff. Each also older than
 * age_cutoff (its start, or its request when pending; as_of for no limit).
 */
struct store_stuck_filter {
	int64_t as_of;
	int64_t processing_cutoff;
	int64_t pending_cutoff;
	int64_t age_cutoff;
	const char *entity_type;    /* NULL = any */
	int has_status;
	enum gen_status status;
	int has_priority;
	unsigned priority;          /* PRIORITY_MIN..MAX when has_priority */
	unsigned limit;             /* rows wanted by store_stuck_list */
};
/* Oldest first; fn gets each row (borrowed for the call); non-zero from fn stops. */
int store_stuck_list(struct store *s, const struct store_stuck_filter *f,
		     int (*fn)(void *ctx, const struct gen_request *r), void *ctx);
int store_stuck_count(struct store *s, const struct store_stuck_filter *f,
		      unsigned long long *count);

/*
 * Finished requests for a bulk retry: of one status (failed or partial) and
 * one entity type, completed (failed) at or after `after` and before
 * `before`, with one failure reason or any. Read through
 * ix_status_type_completed (sql/014_bulk_retry.sql).
 */
struct store_finished_filter {
	enum gen_status status;     /* GEN_FAILED or GEN_PARTIAL */
	const char *entity_type;    /* borrowed; required */
	const char *failure_reason; /* borrowed; NULL = any */
	int64_t after;              /* completed_at >= after (µs) */
	int64_t before;             /* completed_at < before (µs) */
	unsigned limit;             /* rows wanted by store_finished_list */
};
/* Oldest finished first; fn gets each row (borrowed for the call); non-zero from fn stops. */
int store_finished_list(struct store *s, const struct store_finished_filter *f,
			int (*fn)(void *ctx, const struct gen_request *r), void *ctx);
int store_finished_count(struct store *s, const struct store_finished_filter *f,
			 unsigned long long *count);
/* EXPLAINs store_finished_list's statement for f, so tests can check its index. */
int store_explain_finished(struct store *s, const struct store_finished_filter *f,
			   struct store_plan *out);

/* One row of the recent activity: an event with its request. Borrowed for the callback. */
struct store_activity {
	struct uuid request_id;
	int64_t at;
	struct store_event event;
	const char *entity_type;
};
/* The `limit` latest events of every request, newest first. */
int store_recent_events(struct store *s, unsigned limit,
			int (*fn)(void *ctx, const struct store_activity *a), void *ctx);

enum store_admin_action { ADMIN_FAIL, ADMIN_CANCEL, ADMIN_RETRY };
/*
 * An operator's transition (SPEC §2), one row lock and a conditional update
 * with an event by `actor` (e.g. "admin:alice") carrying `reason`:
 *   fail    pending/processing → failed, operator_failed, reason as error_message
 *   cancel  pending/processing → cancelled
 *   retry   failed/partial/cancelled → pending, generated entities kept, failed
 *           ones dropped, requested_at reset to now (a fresh pending_timeout)
 * When `expect` is not NULL the request must still be in that status (what the
 * operator saw). NOT_FOUND; CONFLICT when the status does not allow it;
 * DUPLICATE when a retry meets another active request of the owner with the
 * same subject. Nothing is written unless OK. *out holds the current row after
 * OK, CONFLICT and DUPLICATE (release it); it is initialised in every case.
 * Times are the store's clock, read under the lock.
 */
int store_admin_apply(struct store *s, const struct uuid *id, enum store_admin_action action,
		      const char *actor, const char *reason, const enum gen_status *expect,
		      struct gen_request *out);

/*
 * Records a bulk action by its id before it runs. OK when the id is new;
 * DUPLICATE when it was seen: *affected is then what that run changed, or -1
 * while it is still running.
 */
int store_action_begin(struct store *s, const char *action_id, const char *actor,
		       const char *kind, int64_t now, long long *affected);
int store_action_finish(struct store *s, const char *action_id, unsigned affected);

/*
 * /metrics reads counters, never the history (sql/005_counters.sql): each
 * transition bumps its counter in its own transaction, prune counts what it
 * deletes, so these only go up and a scrape reads a few hundred rows at most.
 */

/* Transitions by actor kind ("client", "worker", "reaper", "admin") and target status, all time. */
int store_metric_transitions(struct store *s,
			     int (*fn)(void *ctx, const char *actor_kind, const char *to,
				       unsigned long long n), void *ctx);

/* Requests by status, derived from the counters: into it, less out of it, less pruned. */
struct store_request_counts {
	unsigned long long in_status[GEN_STATUS_COUNT];  /* in the store now */
	unsigned long long pruned[GEN_STATUS_COUNT];     /* deleted by prune, all time */
};
int store_metric_requests(struct store *s, struct store_request_counts *out);
/*
 * Conflicts by operation ("claim", "create", ...), all time: transactions
 * that lost a certification (Galera) or a lock and were run again, or given
 * up after store/retry.c's bounded attempts.
 */
int store_metric_conflicts(struct store *s,
			   int (*fn)(void *ctx, const char *operation, unsigned long long n),
			   void *ctx);
/*
 * The webhook deliverers, all time (counted as each attempt is recorded):
 * attempts' outcomes, the POSTs made, and how late the most overdue pending
 * delivery is now (store clock; 0 when none is due).
 */
struct store_webhook_metrics {
	unsigned long long delivered;   /* a 2xx */
	unsigned long long retried;     /* failed, tried again later */
	unsigned long long dead;        /* given up: no attempts left, address refused, endpoint gone */
	unsigned long long disabled;    /* a 410 Gone: dead, and its endpoint disabled */
	unsigned long long attempts;    /* POSTs made (a delivery to a gone endpoint makes none) */
	int64_t oldest_due_age_us;
};
int store_metric_webhooks(struct store *s, struct store_webhook_metrics *out);
/* One publish of live updates lost (of request id; NULL: not known), and
 * how many were, all time, for /metrics. */
int store_count_live_failure(struct store *s, const struct uuid *id);
int store_metric_live_failures(struct store *s, unsigned long long *out);

/*
 * Live updates' repair (store/republish.c, sql/009_live_republish.sql): the
 * requests whose latest publish was lost, one row each, with the store's
 * time of the last loss.
 */
struct store_republish {
	struct uuid id;
	int64_t failed_at;   /* µs, store clock: the fence of store_republish_done */
};
/* Request id's publish was lost: records it, or moves its failed_at to now. */
int store_republish_mark(struct store *s, const struct uuid *id);
/* Up to cap recorded requests into out, oldest loss first; *n how many. */
int store_republish_due(struct store *s, struct store_republish *out, unsigned cap,
			unsigned *n);
/*
 * The state of id at `version` was published again: forgets it, if no loss
 * was recorded since failed_at (read by store_republish_due) and the request
 * is still at that version. 1 forgotten, 0 kept (it is due again), or a
 * negative code.
 */
int store_republish_done(struct store *s, const struct uuid *id, int64_t failed_at,
			 uint64_t version);
/* The request id no longer exists (pruned): forgets it, fenced as above. */
int store_republish_gone(struct store *s, const struct uuid *id, int64_t failed_at);
/* How many requests wait for a republish now, for /metrics. */
int store_republish_pending(struct store *s, unsigned long long *out);
/*
 * The end of the streams of finished requests (live/repair.c): a request
 * that reached a final state, and when (updated_at, store clock, µs).
 */
struct store_live_end {
	struct uuid id;
	int64_t ended_at;
};
/*
 * Up to cap requests into out (*n how many) that reached their final state
 * at least settle_us ago and after `after` (a cursor: the last row of the
 * previous call; its id all zero to start at a time), oldest first; not
 * those recorded for the repair (store_republish_mark).
 */
int store_live_ended(struct store *s, const struct store_live_end *after, int64_t settle_us,
		     struct store_live_end *out, unsigned cap, unsigned *n);

#define STORE_HIST_BUCKETS 10
enum store_hist {
	HIST_CLAIM_LATENCY,        /* made pending → claimed, every claim so far */
	HIST_GENERATION_DURATION,  /* claimed → completed by the worker, every attempt */
};
struct store_histogram {
	long long bounds_ms[STORE_HIST_BUCKETS];    /* ascending upper bounds, the store's */
	unsigned long long count;
	long long sum_ms;
	unsigned long long le[STORE_HIST_BUCKETS];  /* cumulative: how many <= bounds_ms[k] */
};
/* A cumulative histogram over every value observed so far (kept at each claim and complete). */
int store_metric_histogram(struct store *s, enum store_hist which, struct store_histogram *out);

/*
 * By entity type (a queue), for the shipped alerts (sql/012_alert_metrics.sql).
 * Every fn gets strings borrowed for the call; non-zero from fn stops.
 *
 * A queue (an entity type ever seen) from its counters: the transitions into
 * each status, all time (kept across prune), and the requests pending and
 * processing now. fn gets each queue, borrowed for the call, by type.
 */
struct store_queue {
	char entity_type[ENTITY_TYPE_MAX + 1];
	unsigned long long transitions[GEN_STATUS_COUNT];
	unsigned long long pending, processing;
};
int store_metric_queues(struct store *s, int (*fn)(void *ctx, const struct store_queue *q),
			void *ctx);
/*
 * The requested_at (store clock, µs) of the oldest pending request of each
 * entity type that has one; types with nothing pending are not called.
 */
int store_metric_oldest_pending(struct store *s,
				int (*fn)(void *ctx, const char *entity_type, int64_t requested_at),
				void *ctx);
/* Records, on the store's clock, that `gentrackctl reap` finished a run on `host`. */
int store_reaper_ran(struct store *s, const char *host);
/*
 * The store's clock (as store_now) and, in the same statement, the newest
 * run store_reaper_ran recorded on any host (TIME_NONE when none), µs.
 */
int store_metric_clock(struct store *s, int64_t *now, int64_t *last_reap);
/* ---- queues: pause and resume (store/queues.c, sql/011_queue_pauses.sql) ---- */

/*
 * Pauses the claims of entity_type (store_claim_next skips it from the
 * commit on) with a queue event by `actor` carrying `reason`, at the store's
 * clock. CONFLICT when it is already paused: the first pause's who, when and
 * why stay, nothing is written.
 */
int store_queue_pause(struct store *s, const char *entity_type, const char *actor,
		      const char *reason);
/* Resumes it, with a queue event. CONFLICT when it is not paused (nothing written). */
int store_queue_resume(struct store *s, const char *entity_type, const char *actor,
		       const char *reason);

/*
 * The queues with pending or processing requests or a pause, by entity type
 * (only entity_type's when not NULL), at most `limit`; fn gets each
 * (borrowed for the call); non-zero from fn stops.
 */
int store_queue_list(struct store *s, const char *entity_type, unsigned limit,
		     int (*fn)(void *ctx, const struct queue_state *q), void *ctx);
/* The queue of entity_type into *out: zero counts and not paused when it has neither. */
int store_queue_get(struct store *s, const char *entity_type, struct queue_state *out);

/*
 * The queue table of the admin pages, their twin and `gentrackctl queue
 * list`, into rows (room for cap + 1, the caller's), by entity type: the
 * queues of store_queue_list (at most cap), then each type that finished
 * something in the hour before `now` while there is room, each with q->hour
 * (what finished, p50 and p95, the workers serving it at `now`); and in the
 * extra slot, `also` (a valid type, or NULL) whatever it has. *n: the rows
 * read (0 on an error). A store code.
 */
int store_queue_table(struct store *s, int64_t now, const char *also,
		      struct queue_state *rows, unsigned cap, unsigned *n);

/* One pause or resume; strings borrowed for the callback only. */
struct store_queue_event {
	const char *entity_type;
	int64_t at;
	const char *actor;
	const char *action;         /* "pause" or "resume" */
	const char *reason;         /* may be NULL */
};
/* The `limit` latest pauses and resumes of every queue, newest first. */
int store_queue_events(struct store *s, unsigned limit,
		       int (*fn)(void *ctx, const struct store_queue_event *e), void *ctx);
/* Each paused entity type (borrowed for the call); non-zero from fn stops. */
int store_queue_paused_types(struct store *s, int (*fn)(void *ctx, const char *entity_type),
			     void *ctx);

/*
 * What each queue finished in [since, until) (µs, the store's clock): how
 * many completed, partial and failed, and the median and 95th percentile of
 * completed_at - started_at over those that started (interpolated, as
 * PERCENTILE_CONT; -1 when none did). Types that finished nothing in the
 * window are not called. A range of ix_completed_window (sql/015) over the
 * window: its cost follows what finished in it, not the history.
 */
struct store_queue_activity {
	const char *entity_type;            /* borrowed for the call */
	unsigned long long completed, partial, failed;
	int64_t p50_us, p95_us;
};
int store_queue_activity(struct store *s, int64_t since, int64_t until,
			 int (*fn)(void *ctx, const struct store_queue_activity *a), void *ctx);
/* EXPLAINs its read of generation_requests, so tests can check its index. */
int store_explain_queue_activity(struct store *s, int64_t since, int64_t until,
				 struct store_plan *out);

/* ---- charts: per-bucket counts over a window (store/charts.c, sql/015) ---- */

/*
 * A window of n buckets of bucket_us each from `start` (µs, the store's
 * clock), of every entity type (entity_type NULL) or of one.
 */
struct store_chart_window {
	const char *entity_type;            /* borrowed; NULL: every type */
	int64_t start;
	int64_t bucket_us;
	unsigned n;
};
/* The counts per bucket: arrays of the window's n each, the caller's. */
struct store_chart_counts {
	unsigned long long *completed, *partial, *failed;  /* by completed_at */
	unsigned long long *created;                       /* by requested_at */
};
/*
 * Fills out's arrays (zeroed first) with the requests that finished
 * (completed, partial, failed) and that were requested in each bucket.
 * Two statements, each a range of an index over the window only.
 */
int store_chart_counts(struct store *s, const struct store_chart_window *w,
		       struct store_chart_counts *out);
/* The four statements of store_chart_counts. */
enum store_chart_count {
	STORE_CHART_FINISHED_ALL, STORE_CHART_FINISHED_TYPE,
	STORE_CHART_CREATED_ALL, STORE_CHART_CREATED_TYPE,
};
/* EXPLAINs the finished (created: the new) statement of w, so tests can check its index. */
int store_explain_chart(struct store *s, const struct store_chart_window *w, int created,
			struct store_plan *out);
/*
 * Whether entity_type is a type the store knows: it has requests (in any
 * status: until prune took them all), or it is paused. 1, 0, or a negative
 * code.
 */
int store_entity_type_known(struct store *s, const char *entity_type);

/* ---- fair share across owners (store/shares.c, sql/021) ---- */
/*
 * Sets an owner's weight, 1..OWNER_WEIGHT_MAX (without a row: 1). An owner
 * of weight 3 is served three claims to one of an owner of weight 1 while
 * both have work pending at one priority; it applies to the owner's
 * requests created from now on. STORE_ERROR for a weight out of range.
 */
int store_owner_weight_set(struct store *s, const char *owner, unsigned weight);
/* Calls fn for each owner with a weight row, by name; non-zero from fn stops. */
int store_owner_weight_list(struct store *s,
			    int (*fn)(void *ctx, const char *owner, unsigned weight), void *ctx);

/* ---- per-owner limits (store/limits.c, sql/022) ---- */
/* An owner's limits: its own (owner_limits) or the configuration's. */
struct store_owner_limits {
	long long max_pending;      /* effective: 0 = no limit */
	long long max_processing;   /* effective: 0 = no limit */
	int pending_own;            /* 1: max_pending is the owner's override */
	int processing_own;         /* 1: max_processing is the owner's override */
};
/* What store_owner_limit_set changes in one of the two limits. */
enum store_limit_change {
	STORE_LIMIT_KEEP,           /* leave it as it is */
	STORE_LIMIT_DEFAULT,        /* back to the configuration's (NULL) */
	STORE_LIMIT_VALUE,          /* the owner's own value (0 = no limit) */
};
/*
 * Sets an owner's limits: each kept, back to the default, or given a value
 * 0..OWNER_LIMIT_MAX (0 = no limit for this owner). A row with both back to
 * the default is deleted. STORE_ERROR for a value out of range. Applies to
 * the creates and claims that start afterwards.
 */
int store_owner_limit_set(struct store *s, const char *owner,
			  enum store_limit_change pending, long long max_pending,
			  enum store_limit_change processing, long long max_processing);
/* The limits that apply to owner now, into *out. */
int store_owner_limits_get(struct store *s, const char *owner, struct store_owner_limits *out);
/* Calls fn for each owner with a row in owner_limits, by name, with its
 * effective limits; non-zero from fn stops. */
int store_owner_limit_list(struct store *s,
			   int (*fn)(void *ctx, const char *owner,
				     const struct store_owner_limits *l), void *ctx);

/* ---- migrations (store/migrate.c) ---- */
/* Creates schema_migrations if missing. */
int store_migrations_init(struct store *s);
/* Whether `version` was applied: 1, 0, or a negative code. */
int store_migration_applied(struct store *s, unsigned version);
/* Runs a migration file's SQL (several statements) and records it. */
int store_migration_apply(struct store *s, unsigned version, const char *name,
			  const char *sql, int64_t now);

#endif
