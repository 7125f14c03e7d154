/*
 * claim: the worker's check of a claim answer (issue 20 item 4), field by
 * field. A good answer (as gentrack-fcgi writes it) parses; each bad field
 * is refused with a message that names it. What the worker then does (no
 * generator run) is tests/unit/test_worker.c's.
 */
#include "build_config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "worker/claim.h"
#include "unit.h"

#define ID "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f"

/* The answer api_worker_claim writes, with one member replaced (or added). */
static json_t *answer_with(const char *name, const char *value_json)
{
	json_t *a = json_loads(
		"{\"request_id\":\"" ID "\",\"entity_type\":\"problem\",\"subject_key\":\"topic-42\","
		"\"status\":\"processing\",\"requested_count\":5,\"generated_count\":2,"
		"\"failed_count\":0,\"progress\":0.4,\"attempt\":2,"
		"\"requested_at\":\"2026-11-24T10:30:00.123456Z\","
		"\"started_at\":\"2026-11-24T10:30:01.002000Z\",\"completed_at\":null,"
		"\"cancelled_at\":null,\"failure_reason\":null,\"error_message\":null,"
		"\"constraints\":{\"level\":3},\"metadata\":{},\"remaining\":3,"
		"\"lease_expires_at\":\"2026-11-24T10:31:01.002000Z\",\"lease_seconds\":60,"
		"\"pending_indexes\":[1,3,4]}",
		0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	if (name && !value_json) {
		json_object_del(a, name);
	} else if (name) {
		json_error_t jerr;
		json_t *v = json_loads(value_json, JSON_DECODE_ANY, &jerr);
		if (!v)
			fprintf(stderr, "bad test value %s: %s\n", value_json, jerr.text);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		json_object_set_new(a, name, v);
	}
	return a;
}

static void test_a_good_answer_parses(void)
{
	json_t *a = answer_with(NULL, NULL);
	struct claim c;
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(claim_parse(a, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.id, ID);
	CU_ASSERT_EQUAL(c.attempt, 2);
	CU_ASSERT_EQUAL(c.requested_count, 5);
	CU_ASSERT_EQUAL(c.lease_seconds, 60);
	CU_ASSERT_EQUAL_FATAL(c.n_pending, 3);
	CU_ASSERT_EQUAL(c.pending[0], 1);
	CU_ASSERT_EQUAL(c.pending[1], 3);
	CU_ASSERT_EQUAL(c.pending[2], 4);
	claim_release(&c);
	CU_ASSERT_PTR_NULL(c.pending);
	json_decref(a);
}

/* What a server may leave out, or add. */
static void test_optional_members_may_be_absent_or_new(void)
{
	static const char *const optional[] = {
		"lease_seconds", "generated_count", "failed_count", "remaining", "progress",
		"subject_key", "failure_reason", "error_message", "requested_at", "started_at",
		"completed_at", "cancelled_at", "lease_expires_at", "constraints", "metadata",
	};
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		json_t *a = answer_with(optional[i], NULL);
		struct claim c;
		char err[256] = "";
		int rc = claim_parse(a, &c, err, sizeof(err));
		if (rc)
			fprintf(stderr, "without %s: %s\n", optional[i], err);
		CU_ASSERT_EQUAL(rc, 0);
		if (!strcmp(optional[i], "lease_seconds"))
			CU_ASSERT_EQUAL(c.lease_seconds, 0);
		claim_release(&c);
		json_decref(a);
	}
	json_t *a = answer_with("some_new_member", "[1, {\"x\": null}]");
	struct claim c;
	char err[256];
	CU_ASSERT_EQUAL(claim_parse(a, &c, err, sizeof(err)), 0);
	claim_release(&c);
	json_decref(a);
	/* Nothing pending (every entity already generated): nothing to run. */
	a = answer_with("pending_indexes", "[]");
	CU_ASSERT_EQUAL(claim_parse(a, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.n_pending, 0);
	claim_release(&c);
	json_decref(a);
}

struct bad {
	const char *name;      /* the member replaced */
	const char *value;     /* its JSON, NULL: removed */
	const char *says;      /* the start of the message */
};

static const struct bad bad_answers[] = {
	/* the fields the worker acts on */
	{ "request_id", NULL, "request_id: missing" },
	{ "request_id", "\"../../admin/api/stuck\"", "request_id: must be a UUID" },
	{ "request_id", "42", "request_id: must be a UUID" },
	{ "request_id", "\"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f \"", "request_id: must be a UUID" },
	{ "attempt", NULL, "attempt: missing" },
	{ "attempt", "0", "attempt: 0 is outside 1..1000000" },
	{ "attempt", "4294967297", "attempt: 4294967297 is outside 1..1000000" },
	{ "attempt", "1.5", "attempt: must be an integer" },
	{ "attempt", "\"1\"", "attempt: must be an integer" },
	{ "lease_seconds", "9223372036854775807", "lease_seconds: 9223372036854775807 is outside 1..86400" },
	{ "lease_seconds", "0", "lease_seconds: 0 is outside" },
	{ "lease_seconds", "-60", "lease_seconds: -60 is outside" },
	{ "lease_seconds", "null", "lease_seconds: must be an integer" },
	{ "requested_count", NULL, "requested_count: missing" },
	{ "requested_count", "0", "requested_count: 0 is outside 1..100000" },
	{ "requested_count", "100001", "requested_count: 100001 is outside 1..100000" },
	{ "pending_indexes", NULL, "pending_indexes: missing" },
	{ "pending_indexes", "{}", "pending_indexes: must be an array" },
	{ "pending_indexes", "[1,1]", "pending_indexes: index 1 is listed twice" },
	{ "pending_indexes", "[0,1,2,3,4,0]", "pending_indexes: 6 indexes for a requested_count of 5" },
	{ "pending_indexes", "[5]", "pending_indexes[0]: 5 is outside 0..4" },
	{ "pending_indexes", "[0,-1]", "pending_indexes[1]: -1 is outside 0..4" },
	{ "pending_indexes", "[0,\"1\"]", "pending_indexes[1]: must be an integer" },
	{ "pending_indexes", "[2.0]", "pending_indexes[0]: must be an integer" },
	{ "entity_type", NULL, "entity_type: missing" },
	{ "entity_type", "\"Problem\"", "entity_type: must be" },
	{ "status", NULL, "status: missing" },
	{ "status", "\"cancelled\"", "status: must be \"processing\"" },
	/* the rest, handed to the generator */
	{ "generated_count", "6", "generated_count: 6 is outside 0..5" },
	{ "failed_count", "-1", "failed_count: -1 is outside 0..5" },
	{ "failed_count", "4", "failed_count: 2 generated and 4 failed of 5" },
	{ "remaining", "9", "remaining: 9 is outside 0..5" },
	{ "progress", "1.5", "progress: must be a number from 0 to 1" },
	{ "progress", "\"0.4\"", "progress: must be a number" },
	{ "subject_key", "\"\"", "subject_key: 0 bytes" },
	{ "subject_key", "7", "subject_key: must be a string or null" },
	{ "error_message", "[]", "error_message: must be a string or null" },
	{ "failure_reason", "\"this is far longer than any failure code can be\"", "failure_reason: 47 bytes, not 0..32" },
	{ "requested_at", "\"yesterday\"", "requested_at: must be an RFC 3339 time" },
	{ "lease_expires_at", "17", "lease_expires_at: must be an RFC 3339 time" },
	{ "constraints", "\"{}\"", "constraints: must be an object, not a string" },
	{ "metadata", "[]", "metadata: must be an object, not an array" },
	{ "metadata", "null", "metadata: must be an object, not null" },
};

static void test_each_bad_field_is_refused_by_name(void)
{
	for (size_t i = 0; i < sizeof(bad_answers) / sizeof(bad_answers[0]); i++) {
		const struct bad *b = &bad_answers[i];
		json_t *a = answer_with(b->name, b->value);
		struct claim c;
		char err[256] = "";
		int rc = claim_parse(a, &c, err, sizeof(err));
		if (rc != -1 || strncmp(err, b->says, strlen(b->says)) != 0)
			fprintf(stderr, "%s = %s: rc %d, \"%s\", expected \"%s...\"\n", b->name,
				b->value ? b->value : "(absent)", rc, err, b->says);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_EQUAL(strncmp(err, b->says, strlen(b->says)), 0);
		/* Refused: nothing to free, nothing half filled. */
		CU_ASSERT_PTR_NULL(c.pending);
		CU_ASSERT_EQUAL(c.n_pending, 0);
		CU_ASSERT_EQUAL(c.id[0], '\0');
		json_decref(a);
	}
}

static void test_not_an_object_is_refused(void)
{
	json_t *a = json_loads("[1]", 0, NULL);
	struct claim c;
	char err[256];
	CU_ASSERT_EQUAL(claim_parse(a, &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "the answer is not a JSON object");
	CU_ASSERT_EQUAL(claim_parse(NULL, &c, err, sizeof(err)), -1);
	json_decref(a);
}

/* The largest request: every index once, in any order, parses; one more is refused. */
static void test_the_largest_request(void)
{
	json_t *a = answer_with("requested_count", "100000");
	json_t *pending = json_array();
	for (json_int_t k = 99999; k >= 0; k--)
		json_array_append_new(pending, json_integer(k));
	json_object_set_new(a, "pending_indexes", pending);
	json_object_set_new(a, "remaining", json_integer(100000));
	json_object_set_new(a, "generated_count", json_integer(0));
	struct claim c;
	char err[256] = "";
	CU_ASSERT_EQUAL(claim_parse(a, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.n_pending, 100000);
	CU_ASSERT_EQUAL(c.pending[0], 99999);
	CU_ASSERT_EQUAL(c.pending[99999], 0);
	claim_release(&c);
	json_array_append_new(pending, json_integer(12345));
	CU_ASSERT_EQUAL(claim_parse(a, &c, err, sizeof(err)), -1);
	json_decref(a);
}

/* The heartbeat's lease_seconds has the claim's bounds. */
static void test_lease_bounds(void)
{
	CU_ASSERT_TRUE(claim_lease_valid(1));
	CU_ASSERT_TRUE(claim_lease_valid(86400));
	CU_ASSERT_FALSE(claim_lease_valid(0));
	CU_ASSERT_FALSE(claim_lease_valid(86401));
	CU_ASSERT_FALSE(claim_lease_valid(-1));
	CU_ASSERT_FALSE(claim_lease_valid((json_int_t)INT64_MAX));
}

static const struct unit_case cases[] = {
	{ "a good answer parses", test_a_good_answer_parses },
	{ "optional members may be absent, new ones are ignored",
	  test_optional_members_may_be_absent_or_new },
	{ "each bad field is refused by name", test_each_bad_field_is_refused_by_name },
	{ "an answer that is not an object is refused", test_not_an_object_is_refused },
	{ "the largest request parses, one index more does not", test_the_largest_request },
	{ "lease_seconds bounds", test_lease_bounds },
	{ NULL, NULL },
};

UNIT_MAIN("claim", cases)
