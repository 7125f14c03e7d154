#ifndef GENTRACK_CLAIM_H
#define GENTRACK_CLAIM_H

#include <stddef.h>
#include <jansson.h>

#include "base/uuid.h"

/*
 * The claim answer (SPEC §3 "Worker": the resource plus remaining,
 * lease_expires_at, lease_seconds and pending_indexes), checked field by
 * field before gentrack-worker acts on it (issue 20 item 4): a worker must
 * not run a generator more often than the request asks, overflow a lease, or
 * send back an attempt other than the one it was given, whatever a server
 * (or something posing as one) answers.
 *
 * Required, with their bounds (base/limits.h):
 *   request_id       a canonical UUID
 *   entity_type      [a-z][a-z0-9_]{0,63}
 *   status           "processing"
 *   attempt          1..ATTEMPT_MAX
 *   requested_count  1..REQUESTED_COUNT_MAX
 *   pending_indexes  an array of at most requested_count integers, each in
 *                    [0, requested_count), none twice
 * Checked when present (null allowed where the resource allows it):
 *   lease_seconds    1..LEASE_SECONDS_MAX
 *   generated_count, failed_count   0..requested_count, their sum too
 *   remaining        0..requested_count
 *   progress         a number in 0..1
 *   subject_key      a string of 1..SUBJECT_KEY_MAX bytes, or null
 *   failure_reason   a string of at most FAILURE_CODE_MAX bytes, or null
 *   error_message    a string of at most EVENT_MESSAGE_MAX bytes, or null
 *   requested_at, started_at, completed_at, cancelled_at, lease_expires_at
 *                    an RFC 3339 time, or null
 *   constraints, metadata           a JSON object
 * Members it does not know are left alone (a newer server may add some).
 */

struct claim {
	char id[UUID_STR_LEN + 1];  /* request_id, canonical (lower case) */
	long attempt;               /* 1..ATTEMPT_MAX */
	long requested_count;       /* 1..REQUESTED_COUNT_MAX */
	long lease_seconds;         /* 1..LEASE_SECONDS_MAX; 0 when the answer had none */
	size_t n_pending;           /* <= requested_count */
	long *pending;              /* n_pending unique indexes in [0, requested_count),
	                               in the answer's order; NULL when n_pending is 0 */
};

/*
 * Checks answer (borrowed) and fills *out: 0, you then own out (claim_release);
 * or -1 with err naming the field and what is wrong with it
 * ("pending_indexes: index 2 is listed twice"), *out left empty.
 */
int claim_parse(const json_t *answer, struct claim *out, char *err, size_t errlen);
void claim_release(struct claim *c);

/* Whether a lease_seconds the server granted (claim or heartbeat) may be used. */
int claim_lease_valid(json_int_t seconds);

#endif
