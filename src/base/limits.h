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
#define FAILURE_CODE_MAX 32    /* lease_expired, max_runtime_exceeded, ... */
#define IDEMPOTENCY_KEY_MAX 255

/* generation_events.message and generation_requests.error_message */
#define EVENT_MESSAGE_MAX 1024
/* A client's cancel reason is the event message itself. */
#define CANCEL_REASON_MAX EVENT_MESSAGE_MAX
/* An operator's reason is prefixed ("marked failed by NAME: ..."): room for it. */
#define ADMIN_REASON_MAX 900

/* the worker API */
#define WORKER_ID_MAX 200
#define WORKER_TYPES_MAX 8     /* entity types one claim may ask for */
#define ENTITY_ERROR_MAX EVENT_MESSAGE_MAX

/*
 * Admin sign-in (web/admin_cache.h per FastCGI child, web/login_limit.h
 * shared by the pool's children):
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
/* At most one Argon2id check at a time in the pool; a child that dies in
 * one frees the pool's turn after this long. */
#define ADMIN_VERIFY_LEASE_S 5

/*
 * The admin detail page indents stored JSON (constraints, metadata,
 * entities) only up to this depth and while the indented text stays within
 * GROWTH times the stored text plus SLACK bytes; beyond, it shows the stored
 * text as it is, so a page costs a few times what the create did (issue 20).
 */
#define ADMIN_JSON_INDENT_DEPTH 32
#define ADMIN_JSON_INDENT_GROWTH 8
#define ADMIN_JSON_INDENT_SLACK 1024

/* The [metrics] token: long enough that guessing it is hopeless (a wrong one
 * is not counted as a failed sign-in), short enough for one header line. */
#define METRICS_TOKEN_MIN 32
#define METRICS_TOKEN_MAX 512

#endif
