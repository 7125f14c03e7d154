#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_type.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "model/resource.h"
#include "worker/claim.h"
#include "base/banned.h"

/*
 * The messages name the field and give numbers only: what the server sent
 * as text is never copied into a log line.
 */

enum presence { OPTIONAL, REQUIRED };

/* The member `name`, or NULL; -1 with err set when it is required and absent. */
static int member(const json_t *root, const char *name, enum presence need, json_t **v,
		  char *err, size_t errlen)
{
	*v = json_object_get(root, name);
	if (!*v && need == REQUIRED) {
		snprintf(err, errlen, "%s: missing", name);
		return -1;
	}
	return 0;
}

/* An integer member in lo..hi into *out (untouched when optional and absent). */
static int take_int(const json_t *root, const char *name, enum presence need, json_int_t lo,
		    json_int_t hi, json_int_t *out, char *err, size_t errlen)
{
	json_t *v;
	if (member(root, name, need, &v, err, errlen) < 0)
		return -1;
	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "%s: must be an integer, not %s", name, json_type_name(v));
		return -1;
	}
	json_int_t n = json_integer_value(v);
	if (n < lo || n > hi) {
		snprintf(err, errlen, "%s: %lld is outside %lld..%lld", name, (long long)n,
			 (long long)lo, (long long)hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* An optional string member of min..max bytes, or null. */
static int check_string(const json_t *root, const char *name, size_t min, size_t max,
			char *err, size_t errlen)
{
	json_t *v = json_object_get(root, name);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: must be a string or null, not %s", name, json_type_name(v));
		return -1;
	}
	size_t n = json_string_length(v);
	if (n < min || n > max) {
		snprintf(err, errlen, "%s: %zu bytes, not %zu..%zu", name, n, min, max);
		return -1;
	}
	return 0;
}

/* An optional RFC 3339 time member, or null. */
static int check_time(const json_t *root, const char *name, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, name);
	int64_t us;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    time_parse_rfc3339(json_string_value(v), &us) < 0) {
		snprintf(err, errlen, "%s: must be an RFC 3339 time or null", name);
		return -1;
	}
	return 0;
}

/* An optional object member (constraints, metadata: the generator reads them). */
static int check_object(const json_t *root, const char *name, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, name);
	if (v && !json_is_object(v)) {
		snprintf(err, errlen, "%s: must be an object, not %s", name, json_type_name(v));
		return -1;
	}
	return 0;
}

static int take_id(const json_t *root, struct claim *out, char *err, size_t errlen)
{
	json_t *v;
	struct uuid id;
	if (member(root, "request_id", REQUIRED, &v, err, errlen) < 0)
		return -1;
	if (!json_is_string(v) || uuid_parse(json_string_value(v), json_string_length(v), &id) < 0) {
		snprintf(err, errlen, "request_id: must be a UUID");
		return -1;
	}
	uuid_format(&id, out->id);
	return 0;
}

/* entity_type and status: what was asked for, and a claimed request. */
static int check_type_and_status(const json_t *root, char *err, size_t errlen)
{
	json_t *v;
	if (member(root, "entity_type", REQUIRED, &v, err, errlen) < 0)
		return -1;
	if (!json_is_string(v) || !resource_entity_type_valid(json_string_value(v), json_string_length(v))) {
		snprintf(err, errlen, "entity_type: must be a string matching [a-z][a-z0-9_]{0,63}");
		return -1;
	}
	if (member(root, "status", REQUIRED, &v, err, errlen) < 0)
		return -1;
	if (!json_is_string(v) || strcmp(json_string_value(v), "processing") != 0) {
		snprintf(err, errlen, "status: must be \"processing\"");
		return -1;
	}
	return 0;
}

/*
 * pending_indexes: each one runs the generator once, so no index twice, none
 * outside the request, and no more of them than it asked for.
 */
static int take_pending(const json_t *root, struct claim *out, char *err, size_t errlen)
{
	json_t *arr;
	unsigned char *seen = NULL;
	size_t requested = (size_t)out->requested_count;
	int ret = -1;

	if (member(root, "pending_indexes", REQUIRED, &arr, err, errlen) < 0)
		return -1;
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "pending_indexes: must be an array, not %s", json_type_name(arr));
		return -1;
	}
	size_t n = json_array_size(arr);
	if (n > requested) {
		snprintf(err, errlen, "pending_indexes: %zu indexes for a requested_count of %zu", n,
			 requested);
		return -1;
	}
	if (n == 0)
		return 0;
	seen = calloc((requested + 7) / 8, 1);
	out->pending = malloc(n * sizeof(*out->pending));
	if (!seen || !out->pending) {
		snprintf(err, errlen, "pending_indexes: out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_integer(v)) {
			snprintf(err, errlen, "pending_indexes[%zu]: must be an integer, not %s", i,
				 json_type_name(v));
			goto cleanup;
		}
		json_int_t k = json_integer_value(v);
		if (k < 0 || (size_t)k >= requested) {
			snprintf(err, errlen, "pending_indexes[%zu]: %lld is outside 0..%zu", i,
				 (long long)k, requested - 1);
			goto cleanup;
		}
		if (seen[k / 8] & (1u << (k % 8))) {
			snprintf(err, errlen, "pending_indexes: index %lld is listed twice", (long long)k);
			goto cleanup;
		}
		seen[k / 8] |= (unsigned char)(1u << (k % 8));
		out->pending[i] = (long)k;
	}
	out->n_pending = n;
	ret = 0;
cleanup:
	free(seen);
	return ret;
}

/* The counts beside requested_count, and progress. */
static int check_counts(const json_t *root, json_int_t requested, char *err, size_t errlen)
{
	json_int_t generated = 0, failed = 0, remaining = 0;
	if (take_int(root, "generated_count", OPTIONAL, 0, requested, &generated, err, errlen) < 0 ||
	    take_int(root, "failed_count", OPTIONAL, 0, requested, &failed, err, errlen) < 0 ||
	    take_int(root, "remaining", OPTIONAL, 0, requested, &remaining, err, errlen) < 0)
		return -1;
	if (generated + failed > requested) {
		snprintf(err, errlen, "failed_count: %lld generated and %lld failed of %lld",
			 (long long)generated, (long long)failed, (long long)requested);
		return -1;
	}
	json_t *v = json_object_get(root, "progress");
	if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)) {
		snprintf(err, errlen, "progress: must be a number from 0 to 1");
		return -1;
	}
	return 0;
}

/* What the worker does not act on, but hands to the generator. */
static int check_rest(const json_t *root, char *err, size_t errlen)
{
	static const char *const times[] = {
		"requested_at", "started_at", "completed_at", "cancelled_at", "lease_expires_at",
	};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (check_time(root, times[i], err, errlen) < 0)
			return -1;
	if (check_string(root, "subject_key", 1, SUBJECT_KEY_MAX, err, errlen) < 0 ||
	    check_string(root, "failure_reason", 0, FAILURE_CODE_MAX, err, errlen) < 0 ||
	    check_string(root, "error_message", 0, EVENT_MESSAGE_MAX, err, errlen) < 0 ||
	    check_object(root, "constraints", err, errlen) < 0 ||
	    check_object(root, "metadata", err, errlen) < 0)
		return -1;
	return 0;
}

int claim_parse(const json_t *answer, struct claim *out, char *err, size_t errlen)
{
	json_int_t attempt = 0, requested = 0, lease = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(answer)) {
		snprintf(err, errlen, "the answer is not a JSON object");
		return -1;
	}
	if (take_id(answer, out, err, errlen) < 0 ||
	    check_type_and_status(answer, err, errlen) < 0 ||
	    take_int(answer, "attempt", REQUIRED, 1, ATTEMPT_MAX, &attempt, err, errlen) < 0 ||
	    take_int(answer, "requested_count", REQUIRED, 1, REQUESTED_COUNT_MAX, &requested, err,
		     errlen) < 0 ||
	    take_int(answer, "lease_seconds", OPTIONAL, 1, LEASE_SECONDS_MAX, &lease, err, errlen) < 0)
		goto fail;
	out->attempt = (long)attempt;
	out->requested_count = (long)requested;
	out->lease_seconds = (long)lease;
	if (take_pending(answer, out, err, errlen) < 0 ||
	    check_counts(answer, requested, err, errlen) < 0 || check_rest(answer, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	claim_release(out);
	return -1;
}

void claim_release(struct claim *c)
{
	free(c->pending);
	memset(c, 0, sizeof(*c));
}

int claim_lease_valid(json_int_t seconds)
{
	return seconds >= 1 && seconds <= LEASE_SECONDS_MAX;
}
