#ifndef GENTRACK_LIMITS_H
#define GENTRACK_LIMITS_H

#include <stdint.h>

/*
 * One home for the sizes every layer agrees on (the column widths of
 * sql/001_initial.sql) and for the time units. Buffers are sized from these
 * plus one byte for the NUL.
 */

/* time units: gentrack keeps times as int64 microseconds since the epoch */
#define US_PER_MS INT64_C(1000)
#define US_PER_S INT64_C(1000000)
#define US_PER_MIN (60 * US_PER_S)
#define US_PER_DAY (INT64_C(86400) * US_PER_S)

/* a generation request's fields */
#define OWNER_MAX 64           /* api_keys.owner, also admin user names */
#define ENTITY_TYPE_MAX 64     /* [a-z][a-z0-9_]{0,63} */
#define SUBJECT_KEY_MAX 255
/* A request's priority (SPEC, README "Priority"): higher is claimed first. */
#define PRIORITY_MIN 0
#define PRIORITY_MAX 9
#define PRIORITY_DEFAULT 5
/* An owner's weight in the fair share of the claims (owner_weights). */
#define OWNER_WEIGHT_MAX 100
/* An owner's most pending, most processing requests ([limits], owner_limits). */
#define OWNER_LIMIT_MAX 1000000
#define WEBHOOK_NAME_MAX 64      /* webhook_endpoints.name, generation_requests.webhook */
#define FAILURE_CODE_MAX 32    /* lease_expired, max_runtime_exceeded, ... */
#define IDEMPOTENCY_KEY_MAX 255
/* An unknown field or query parameter name is quoted in the 400's detail up
 * to this many bytes, cut on a character boundary. */
#define QUOTED_NAME_MAX 64
/* At the end of a request the child reads what is left of its input, up to
 * this much, to close the connection at once (web/http.c); past it, libfcgi's
 * lingering close. nginx's client_max_body_size is 1 MiB. */
#define HTTP_DRAIN_MAX (1024 * 1024 + 4096)

/* generation_events.message and generation_requests.error_message */
#define EVENT_MESSAGE_MAX 1024
/* A completion's message ("2 of 5 entities not generated; last error: ...")
 * quotes this much of the last entity error, cut on a character boundary. */
#define COMPLETION_ERROR_QUOTE_MAX 511
/* A client's cancel reason is the event message itself. */
#define CANCEL_REASON_MAX EVENT_MESSAGE_MAX
/* An operator's reason is prefixed ("marked failed by NAME: ..."): room for it. */
#define ADMIN_REASON_MAX 900

/* the worker API */
#define WORKER_ID_MAX 200
#define WORKER_TYPES_MAX 8     /* entity types one claim may ask for */
#define ENTITY_ERROR_MAX EVENT_MESSAGE_MAX
/*
 * The most a server can hand out, whatever its configuration: the ceilings
 * of [limits] max_count and max_lease (base/config.c) and the attempt the
 * worker API accepts (api/validate.c). gentrack-worker refuses a claim
 * answer past them (worker/claim.h).
 */
#define REQUESTED_COUNT_MAX 100000
#define LEASE_SECONDS_MAX 86400
#define ATTEMPT_MAX 1000000

/*
 * Admin sign-in (web/admin_cache.h per FastCGI child, web/login_limit.h and
 * web/verify_turn.h shared by the pool's children):
 * a verified password is remembered ADMIN_CACHE_TTL_S, so a page costs one
 * Argon2id a minute rather than one a request; failed sign-ins are counted
 * per address and per user name in windows of LOGIN_LIMIT_WINDOW_S, and past
 * the threshold the answer is 429 without running Argon2id.
 */
#define ADMIN_CACHE_SLOTS 8
#define ADMIN_CACHE_TTL_S 60
#define LOGIN_LIMIT_SLOTS 256
#define LOGIN_LIMIT_WINDOW_S 60
#define LOGIN_LIMIT_PER_ADDRESS 5
#define LOGIN_LIMIT_PER_USER 10
/*
 * Live updates (live/publish.h): a publish to nginx's Nchan waits at most
 * this long, so a slow or stopped nginx cannot hold up the change it tells
 * of; a burst of failures is logged once every LIVE_LOG_EVERY_S.
 */
#define LIVE_PUBLISH_TIMEOUT_MS 50
/* The hand-over of a stream (api/api_events.c) may wait longer: no change
 * waits on it, only the subscriber it is for. */
#define LIVE_HANDOVER_TIMEOUT_MS 1000
#define LIVE_LOG_EVERY_S 10
/*
 * The repair of lost publishes (live/repair.h), in the gentrack-fcgi
 * supervisor: every LIVE_REPAIR_EVERY_S it republishes up to
 * LIVE_REPAIR_BATCH requests at a time, for at most LIVE_REPAIR_BUDGET_MS,
 * each publish waiting at most LIVE_REPAIR_TIMEOUT_MS (longer than a
 * change's: nobody waits on it, but the supervisor's loop does).
 */
#define LIVE_REPAIR_EVERY_S 2
#define LIVE_REPAIR_BATCH 64
#define LIVE_REPAIR_BUDGET_MS 500
#define LIVE_REPAIR_TIMEOUT_MS 250
/* Its store connection's read, write and connect timeout: a hung MariaDB
 * stalls the supervisor a few seconds a round, not 30 s a query. */
#define LIVE_REPAIR_STORE_TIMEOUT_S 2
/* After a store failure, the repair waits this long before its next round. */
#define LIVE_REPAIR_BACKOFF_S 10
/*
 * The streams of a finished request are ended (a channel DELETE, from the
 * same supervisor tick) once its final state is LIVE_END_SETTLE_S old.
 * Nchan (live/publish.h) must by then have no subscriber arriving at the
 * channel (a hand-over waits at most LIVE_HANDOVER_TIMEOUT_MS) and should
 * have torn down the other workers' subscriptions of the clients that
 * left on the final state: its IPC subscriber asks every 5 s, a worker
 * lets go 5 s after its last subscriber came, and collects its channel
 * head 5 s later. A supervisor that starts ends those of the
 * LIVE_END_LOOKBACK_S before too, for at most LIVE_END_BUDGET_MS a round.
 */
#define LIVE_END_SETTLE_S 20
#define LIVE_END_LOOKBACK_S 30
#define LIVE_END_BUDGET_MS 500
/* At most one Argon2id check at a time in the pool; a child that dies in
 * one frees the pool's turn after this long. A sign-in with the same
 * credentials as the one being checked waits for its result (at most the
 * lease), looking every ADMIN_VERIFY_POLL_MS. */
#define ADMIN_VERIFY_LEASE_S 5
#define ADMIN_VERIFY_POLL_MS 10

/*
 * The admin pages' session (web/admin_session.h, sql/007_admin_sessions.sql):
 * a sign-in opens one, with a random id of ADMIN_SESSION_ID_LEN bytes in a
 * cookie and its BLAKE2b hash in the store, for ADMIN_SESSION_TTL_S; the
 * CSRF tokens of the forms expire with it. Each sign-in keeps at most
 * ADMIN_SESSIONS_KEPT sessions of that admin (the newest), so a script
 * without a cookie jar, opening one per page, cannot grow the table.
 */
#define ADMIN_SESSION_ID_LEN 32
#define ADMIN_SESSION_HASH_LEN 32
#define ADMIN_SESSION_TTL_S (12 * 3600)
#define ADMIN_SESSIONS_KEPT 16

/*
 * The admin detail page indents stored JSON (constraints, metadata,
 * entities) only up to this depth and while the indented text stays within
 * GROWTH times the stored text plus SLACK bytes; beyond, it shows the stored
 * text as it is, so a page costs a few times what the create did (issue 20).
 */
#define ADMIN_JSON_INDENT_DEPTH 32
#define ADMIN_JSON_INDENT_GROWTH 8
#define ADMIN_JSON_INDENT_SLACK 1024

/*
 * A request's generated entities are also kept on its row, as the one JSON
 * array a status poll sends (generation_requests.entities_json,
 * sql/010_entities_on_row.sql), while that array stays within this many
 * bytes; past it the row says NULL and a poll reads generation_entities
 * instead (an entity is capped only by [server] max_body and a request by
 * [limits] max_count, so the array has no bound of its own). The store's
 * sessions set group_concat_max_len to it (store/engine.c), as the array
 * is built with GROUP_CONCAT. A plain number: the engine pastes it into SQL.
 */
#define ENTITIES_ROW_MAX 1048576

/* The [metrics] token: long enough that guessing it is hopeless (a wrong one
 * is not counted as a failed sign-in), short enough for one header line. */
#define METRICS_TOKEN_MIN 32
#define METRICS_TOKEN_MAX 512

#endif
