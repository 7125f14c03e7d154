#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/validate.h"
#include "unit.h"

#define MAX_COUNT 10

/* ---- content type, entity type ---- */

static void test_content_type(void)
{
	CU_ASSERT_TRUE(validate_is_json_content_type("application/json"));
	CU_ASSERT_TRUE(validate_is_json_content_type("application/json; charset=utf-8"));
	CU_ASSERT_TRUE(validate_is_json_content_type("application/json;charset=UTF-8"));
	CU_ASSERT_TRUE(validate_is_json_content_type("APPLICATION/JSON"));
	CU_ASSERT_TRUE(validate_is_json_content_type("Application/Json ; charset=utf-8"));
	CU_ASSERT_FALSE(validate_is_json_content_type("text/plain"));
	CU_ASSERT_FALSE(validate_is_json_content_type("application/jsonx"));
	CU_ASSERT_FALSE(validate_is_json_content_type("application/json-patch+json"));
	CU_ASSERT_FALSE(validate_is_json_content_type("application/x-www-form-urlencoded"));
	CU_ASSERT_FALSE(validate_is_json_content_type("application/jso"));
	CU_ASSERT_FALSE(validate_is_json_content_type("text/json"));
	CU_ASSERT_FALSE(validate_is_json_content_type(""));
	CU_ASSERT_FALSE(validate_is_json_content_type(NULL));
}

static int entity_ok(const char *s)
{
	return resource_entity_type_valid(s, strlen(s));
}

static void test_entity_type(void)
{
	char name[80];
	CU_ASSERT_TRUE(entity_ok("a"));
	CU_ASSERT_TRUE(entity_ok("a_1"));
	CU_ASSERT_TRUE(entity_ok("problem"));
	CU_ASSERT_TRUE(entity_ok("z9"));
	memset(name, 'a', 64);
	name[64] = '\0';
	CU_ASSERT_TRUE(entity_ok(name));
	name[64] = 'a';
	name[65] = '\0';
	CU_ASSERT_FALSE(entity_ok(name));
	CU_ASSERT_FALSE(entity_ok("Problem"));
	CU_ASSERT_FALSE(entity_ok("probLem"));
	CU_ASSERT_FALSE(entity_ok("1problem"));
	CU_ASSERT_FALSE(entity_ok("_problem"));
	CU_ASSERT_FALSE(entity_ok(""));
	CU_ASSERT_FALSE(entity_ok("a-b"));
	CU_ASSERT_FALSE(entity_ok("a b"));
	CU_ASSERT_FALSE(entity_ok("a.b"));
	CU_ASSERT_FALSE(entity_ok("caf\xc3\xa9"));
	/* The length is what counts, not a NUL. */
	CU_ASSERT_TRUE(resource_entity_type_valid("abc-def", 3));
	CU_ASSERT_FALSE(resource_entity_type_valid("ab\0c", 4));
}

/* ---- create bodies ---- */

static int create(const char *body, struct create_input *in, struct problem *p)
{
	memset(p, 0, sizeof(*p));
	return validate_create_body(body, strlen(body), MAX_COUNT, in, p);
}

/* A refused body: 400, a detail naming `field`, and nothing left to release. */
static void expect_refused(const char *body, const char *field)
{
	struct create_input in;
	struct problem p;
	int rc = create(body, &in, &p);
	CU_ASSERT_EQUAL(rc, -1);
	if (rc == 0) {
		fprintf(stderr, "accepted: %s\n", body);
		create_input_release(&in);
		return;
	}
	CU_ASSERT_EQUAL(p.status, 400);
	CU_ASSERT(strlen(p.detail) > 0);
	if (field && !strstr(p.detail, field)) {
		CU_FAIL("detail does not name the field");
		fprintf(stderr, "body %s: detail \"%s\" lacks \"%s\"\n", body, p.detail, field);
	}
	CU_ASSERT_PTR_NULL(in.subject_key);
	CU_ASSERT_PTR_NULL(in.constraints_json);
	CU_ASSERT_PTR_NULL(in.metadata_json);
}

static void test_create_minimal(void)
{
	struct create_input in;
	struct problem p;
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\": \"problem\"}", &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.entity_type, "problem");
	CU_ASSERT_EQUAL(in.count, 1);
	CU_ASSERT_PTR_NULL(in.subject_key);
	CU_ASSERT_EQUAL(in.subject_key_len, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in.constraints_json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in.metadata_json);
	CU_ASSERT_STRING_EQUAL(in.constraints_json, "{}");
	CU_ASSERT_STRING_EQUAL(in.metadata_json, "{}");
	create_input_release(&in);
	CU_ASSERT_PTR_NULL(in.constraints_json);

	/* Explicit nulls are the defaults. */
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\",\"count\":null,\"subject_key\":null,"
				     "\"constraints\":null,\"metadata\":null}", &in, &p), 0);
	CU_ASSERT_EQUAL(in.count, 1);
	CU_ASSERT_PTR_NULL(in.subject_key);
	CU_ASSERT_STRING_EQUAL(in.constraints_json, "{}");
	CU_ASSERT_STRING_EQUAL(in.metadata_json, "{}");
	create_input_release(&in);
}

/* "webhook": a name only (which endpoint is the store's to say), checked for its syntax. */
static void test_create_webhook(void)
{
	struct create_input in;
	struct problem p;
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\"}", &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.webhook, "");
	create_input_release(&in);
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\",\"webhook\":null}", &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.webhook, "");
	create_input_release(&in);
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\",\"webhook\":\"audit.v2_x-1\"}", &in,
				     &p), 0);
	CU_ASSERT_STRING_EQUAL(in.webhook, "audit.v2_x-1");
	create_input_release(&in);
	char longest[200];
	snprintf(longest, sizeof(longest), "{\"entity_type\":\"a\",\"webhook\":\"%.64s\"}",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CU_ASSERT_EQUAL_FATAL(create(longest, &in, &p), 0);
	CU_ASSERT_EQUAL(strlen(in.webhook), 64);
	create_input_release(&in);
	expect_refused("{\"entity_type\":\"a\",\"webhook\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "webhook");
	expect_refused("{\"entity_type\":\"a\",\"webhook\":\"\"}", "webhook");
	expect_refused("{\"entity_type\":\"a\",\"webhook\":\"https://evil.example/\"}", "webhook");
	expect_refused("{\"entity_type\":\"a\",\"webhook\":{\"url\":\"http://x/\"}}", "webhook");
	expect_refused("{\"entity_type\":\"a\",\"webhook\":5}", "webhook");
	/* A NUL inside is refused by the parser already (and checked again here). */
	expect_refused("{\"entity_type\":\"a\",\"webhook\":\"ok\\u0000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", NULL);
}

/* "priority": an integer 0..9, 5 when absent or null; anything else a 400 naming it. */
static void test_create_priority(void)
{
	struct create_input in;
	struct problem p;
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\"}", &in, &p), 0);
	CU_ASSERT_EQUAL(in.priority, 5);
	create_input_release(&in);
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\",\"priority\":null}", &in, &p), 0);
	CU_ASSERT_EQUAL(in.priority, 5);
	create_input_release(&in);
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\",\"priority\":0}", &in, &p), 0);
	CU_ASSERT_EQUAL(in.priority, 0);
	create_input_release(&in);
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\",\"priority\":9}", &in, &p), 0);
	CU_ASSERT_EQUAL(in.priority, 9);
	create_input_release(&in);
	expect_refused("{\"entity_type\":\"a\",\"priority\":10}", "priority");
	expect_refused("{\"entity_type\":\"a\",\"priority\":-1}", "priority");
	expect_refused("{\"entity_type\":\"a\",\"priority\":4294967301}", "priority");
	expect_refused("{\"entity_type\":\"a\",\"priority\":5.5}", "priority");
	expect_refused("{\"entity_type\":\"a\",\"priority\":\"high\"}", "priority");
	expect_refused("{\"entity_type\":\"a\",\"priority\":true}", "priority");
}

static void test_create_full(void)
{
	struct create_input in;
	struct problem p;
	const char *body =
		"{\"entity_type\": \"problem\", \"count\": 5, \"subject_key\": \"topic-42\",\n"
		" \"constraints\": {\"difficulty\": \"hard\", \"tags\": [\"a\", 1, null],"
		" \"nested\": {\"x\": true}},\n"
		" \"metadata\": {\"source\": \"unit\"}}";
	CU_ASSERT_EQUAL_FATAL(create(body, &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.entity_type, "problem");
	CU_ASSERT_EQUAL(in.count, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in.subject_key);
	CU_ASSERT_STRING_EQUAL(in.subject_key, "topic-42");
	CU_ASSERT_EQUAL(in.subject_key_len, 8);
	/* Compact re-encoding, order kept. */
	CU_ASSERT_STRING_EQUAL(in.constraints_json,
			       "{\"difficulty\":\"hard\",\"tags\":[\"a\",1,null],"
			       "\"nested\":{\"x\":true}}");
	CU_ASSERT_STRING_EQUAL(in.metadata_json, "{\"source\":\"unit\"}");
	create_input_release(&in);

	/* count at both ends of 1..max_count */
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\",\"count\":10}", &in, &p), 0);
	CU_ASSERT_EQUAL(in.count, 10);
	create_input_release(&in);
	CU_ASSERT_EQUAL_FATAL(create("{\"entity_type\":\"a\",\"count\":1}", &in, &p), 0);
	CU_ASSERT_EQUAL(in.count, 1);
	create_input_release(&in);
}

static void test_create_max_count_is_a_parameter(void)
{
	struct create_input in;
	struct problem p;
	const char *body = "{\"entity_type\":\"a\",\"count\":50}";
	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL(validate_create_body(body, strlen(body), 50, &in, &p), 0);
	CU_ASSERT_EQUAL(in.count, 50);
	create_input_release(&in);
	CU_ASSERT_EQUAL(validate_create_body(body, strlen(body), 49, &in, &p), -1);
	CU_ASSERT_EQUAL(p.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.detail, "49"));
}

static void test_create_not_an_object(void)
{
	expect_refused("", NULL);
	expect_refused("{", NULL);
	expect_refused("{\"entity_type\": \"a\",}", NULL);
	expect_refused("{'entity_type': 'a'}", NULL);
	expect_refused("{\"entity_type\": \"a\"} trailing", NULL);
	expect_refused("[{\"entity_type\": \"a\"}]", "object");
	expect_refused("\"problem\"", NULL);
	expect_refused("42", NULL);
	expect_refused("null", NULL);
}

static void test_create_count(void)
{
	expect_refused("{\"entity_type\":\"a\",\"count\":0}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":11}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":-1}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":\"5\"}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":1e9}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":5.0}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":true}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":[5]}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":4294967297}", "count");
	expect_refused("{\"entity_type\":\"a\",\"count\":9223372036854775807}", "count");
	/* The 11 refusal says what the range is. */
	struct create_input in;
	struct problem p;
	CU_ASSERT_EQUAL(create("{\"entity_type\":\"a\",\"count\":11}", &in, &p), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.detail, "10"));
}

static void test_create_entity_type(void)
{
	char body[200];
	char name[70];
	expect_refused("{\"count\": 1}", "entity_type");
	expect_refused("{}", "entity_type");
	expect_refused("{\"entity_type\":\"Problem\"}", "entity_type");
	expect_refused("{\"entity_type\":\"\"}", "entity_type");
	expect_refused("{\"entity_type\":\"a-b\"}", "entity_type");
	expect_refused("{\"entity_type\":42}", "entity_type");
	expect_refused("{\"entity_type\":null}", "entity_type");
	expect_refused("{\"entity_type\":[\"a\"]}", "entity_type");
	expect_refused("{\"entity_type\":\"a\\u0000b\"}", NULL);
	memset(name, 'a', 65);
	name[65] = '\0';
	snprintf(body, sizeof(body), "{\"entity_type\":\"%s\"}", name);
	expect_refused(body, "entity_type");

	struct create_input in;
	struct problem p;
	name[64] = '\0';
	snprintf(body, sizeof(body), "{\"entity_type\":\"%s\"}", name);
	CU_ASSERT_EQUAL_FATAL(create(body, &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.entity_type, name);
	create_input_release(&in);
}

/* {"entity_type":"a","subject_key":"<key>"} with key = n copies of `unit` + tail. */
static char *subject_body(const char *unit, size_t n, const char *tail)
{
	size_t ulen = strlen(unit);
	size_t tlen = strlen(tail);
	char *key = malloc(ulen * n + tlen + 1);
	if (!key)
		return NULL;
	for (size_t i = 0; i < n; i++)
		memcpy(key + i * ulen, unit, ulen);
	memcpy(key + ulen * n, tail, tlen + 1);
	size_t size = strlen(key) + 64;
	char *body = malloc(size);
	if (body)
		snprintf(body, size, "{\"entity_type\":\"a\",\"subject_key\":\"%s\"}", key);
	free(key);
	return body;
}

static void test_create_subject_key(void)
{
	struct create_input in;
	struct problem p;
	char *body = subject_body("k", 255, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	CU_ASSERT_EQUAL(create(body, &in, &p), 0);
	CU_ASSERT_EQUAL(in.subject_key_len, 255);
	CU_ASSERT_EQUAL(strlen(in.subject_key), 255);
	create_input_release(&in);
	free(body);

	body = subject_body("k", 256, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	expect_refused(body, "subject_key");
	free(body);

	/* The limit is in bytes: 127 two-byte characters + 1 = 255 bytes. */
	body = subject_body("\xc3\xa9", 127, "k");
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	CU_ASSERT_EQUAL(create(body, &in, &p), 0);
	CU_ASSERT_EQUAL(in.subject_key_len, 255);
	create_input_release(&in);
	free(body);
	body = subject_body("\xc3\xa9", 128, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	expect_refused(body, "subject_key");
	free(body);

	expect_refused("{\"entity_type\":\"a\",\"subject_key\":\"\"}", "subject_key");
	expect_refused("{\"entity_type\":\"a\",\"subject_key\":42}", "subject_key");
	expect_refused("{\"entity_type\":\"a\",\"subject_key\":{}}", "subject_key");
	expect_refused("{\"entity_type\":\"a\",\"subject_key\":true}", "subject_key");
}

static void test_create_objects(void)
{
	expect_refused("{\"entity_type\":\"a\",\"constraints\":[1,2]}", "constraints");
	expect_refused("{\"entity_type\":\"a\",\"constraints\":\"{}\"}", "constraints");
	expect_refused("{\"entity_type\":\"a\",\"constraints\":1}", "constraints");
	expect_refused("{\"entity_type\":\"a\",\"metadata\":[]}", "metadata");
	expect_refused("{\"entity_type\":\"a\",\"metadata\":\"x\"}", "metadata");
	expect_refused("{\"entity_type\":\"a\",\"metadata\":false}", "metadata");
}

static void test_create_unknown_and_duplicate(void)
{
	expect_refused("{\"entity_type\":\"a\",\"colour\":\"red\"}", "colour");
	expect_refused("{\"entity_type\":\"a\",\"Count\":2}", "Count");
	expect_refused("{\"entity_type\":\"a\",\"entity_type\":\"b\"}", "entity_type");
	expect_refused("{\"entity_type\":\"a\",\"count\":1,\"count\":10}", "count");
	/* Duplicates inside constraints are refused too (one parse, one rule). */
	expect_refused("{\"entity_type\":\"a\",\"constraints\":{\"x\":1,\"x\":2}}", NULL);
}

/*
 * Issue 20: an unknown field's name is quoted up to 64 bytes, cut between
 * characters: k ASCII bytes before 2-, 3- and 4-byte ones move the limit
 * across each byte of one.
 */
static void test_create_unknown_field_quoted_whole(void)
{
	static const char *const wide[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	char name[200], body[256], want[128];
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		for (size_t k = 0; k < cl; k++) {
			size_t len = k;
			memset(name, 'a', k);
			for (int i = 0; i < 40; i++, len += cl)
				memcpy(name + len, wide[w], cl);
			name[len] = '\0';
			snprintf(body, sizeof(body), "{\"entity_type\":\"a\",\"%s\":1}", name);
			size_t shown = k + (64 - k) / cl * cl;
			snprintf(want, sizeof(want), "unknown field '%.*s'", (int)shown, name);
			struct create_input in;
			struct problem p;
			CU_ASSERT_EQUAL_FATAL(create(body, &in, &p), -1);
			CU_ASSERT_STRING_EQUAL(p.detail, want);
		}
	}
}

static void test_create_invalid_utf8(void)
{
	expect_refused("{\"entity_type\":\"a\",\"subject_key\":\"\xff\"}", NULL);
	expect_refused("{\"entity_type\":\"a\",\"subject_key\":\"\xc3\"}", NULL);
	expect_refused("{\"entity_type\":\"a\",\"subject_key\":\"\xed\xa0\x80\"}", NULL);
	expect_refused("{\"entity_type\":\"a\",\"constraints\":{\"k\":\"\xc0\xaf\"}}", NULL);
	/* A lone surrogate escape is not a character either. */
	expect_refused("{\"entity_type\":\"a\",\"subject_key\":\"\\ud800\"}", NULL);
}

static void test_create_sql_injection_verbatim(void)
{
	struct create_input in;
	struct problem p;
	const char *body =
		"{\"entity_type\":\"a\","
		"\"subject_key\":\"x'; DROP TABLE generation_requests; --\","
		"\"constraints\":{\"q\":\"1' OR '1'='1\",\"b\":\"\\\\\\\" ;\"}}";
	CU_ASSERT_EQUAL_FATAL(create(body, &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.subject_key, "x'; DROP TABLE generation_requests; --");
	CU_ASSERT_EQUAL(in.subject_key_len, strlen("x'; DROP TABLE generation_requests; --"));
	json_t *c = json_loads(in.constraints_json, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "q")), "1' OR '1'='1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "b")), "\\\" ;");
	json_decref(c);
	create_input_release(&in);
}

static void test_create_len_not_strlen(void)
{
	/* The body is `len` bytes; what follows in memory is not part of it. */
	const char *text = "{\"entity_type\":\"a\"}{\"entity_type\":\"b\"}";
	struct create_input in;
	struct problem p;
	CU_ASSERT_EQUAL_FATAL(validate_create_body(text, 19, MAX_COUNT, &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.entity_type, "a");
	create_input_release(&in);
	CU_ASSERT_EQUAL(validate_create_body(text, 18, MAX_COUNT, &in, &p), -1);
	CU_ASSERT_EQUAL(p.status, 400);
}

/* The detail of a refusal quotes input: it must still render as valid JSON. */
static void test_create_detail_renders(void)
{
	static const char *const bodies[] = {
		"{\"entity_type\":\"a\",\"subject_key\":\"\xff\"}",
		"{\"entity_type\":\"a\",\"<script>\\\"\\n\":1}",
		"[\"\xe2\x80\xa8\"",
		"{\"entity_type\": tru\xc3\xa9}",
		/* An unknown field quoted with %.64s, cut inside a two-byte character. */
		"{\"entity_type\":\"a\",\"a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\":1}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct create_input in;
		struct problem p;
		struct strbuf sb = STRBUF_INIT;
		CU_ASSERT_EQUAL_FATAL(create(bodies[i], &in, &p), -1);
		problem_render(&p, &sb);
		json_t *root = json_loadb(sb.buf, sb.len, 0, NULL);
		CU_ASSERT_PTR_NOT_NULL(root);
		if (!root)
			fprintf(stderr, "unparseable problem: %s\n", sb.buf);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "status")), 400);
		json_decref(root);
		strbuf_release(&sb);
	}
}

/* ---- reason bodies ---- */

static int reason(const char *body, char **out, struct problem *p)
{
	memset(p, 0, sizeof(*p));
	return validate_reason_body(body, strlen(body), out, p);
}

static void test_reason_body(void)
{
	char *r = (char *)"sentinel";
	struct problem p;
	CU_ASSERT_EQUAL(reason("", &r, &p), 0);
	CU_ASSERT_PTR_NULL(r);

	CU_ASSERT_EQUAL_FATAL(reason("{\"reason\": \"user changed their mind\"}", &r, &p), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r, "user changed their mind");
	free(r);

	CU_ASSERT_EQUAL(reason("{}", &r, &p), 0);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_EQUAL(reason("{\"reason\": null}", &r, &p), 0);
	CU_ASSERT_PTR_NULL(r);

	CU_ASSERT_EQUAL_FATAL(reason("{\"reason\": \"caf\\u00e9 <b>\"}", &r, &p), 0);
	CU_ASSERT_STRING_EQUAL(r, "caf\xc3\xa9 <b>");
	free(r);
}

static void test_reason_refused(void)
{
	char body[1200];
	char *r = NULL;
	struct problem p;

	/* 1024 bytes is the most a reason holds. */
	memcpy(body, "{\"reason\":\"", 11);
	memset(body + 11, 'r', 1024);
	memcpy(body + 11 + 1024, "\"}", 3);
	CU_ASSERT_EQUAL(reason(body, &r, &p), 0);
	CU_ASSERT_PTR_NOT_NULL(r);
	CU_ASSERT_EQUAL(r ? strlen(r) : 0, 1024);
	free(r);
	r = NULL;
	memset(body + 11, 'r', 1025);
	memcpy(body + 11 + 1025, "\"}", 3);
	CU_ASSERT_EQUAL(reason(body, &r, &p), -1);
	CU_ASSERT_EQUAL(p.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.detail, "reason"));
	CU_ASSERT_PTR_NULL(r);

	static const struct {
		const char *body;
		const char *field;
	} bad[] = {
		{ "{\"reason\": 5}", "reason" },
		{ "{\"reason\": [\"x\"]}", "reason" },
		{ "{\"reason\": {}}", "reason" },
		{ "{\"why\": \"x\"}", "why" },
		{ "{\"reason\": \"x\", \"force\": true}", "force" },
		{ "{\"reason\": \"a\", \"reason\": \"b\"}", "reason" },
		{ "{\"reason\": ", NULL },
		{ "[\"x\"]", NULL },
		{ "\"x\"", NULL },
		{ " ", NULL },
		{ "{\"reason\": \"\xff\"}", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = (char *)"sentinel";
		CU_ASSERT_EQUAL(reason(bad[i].body, &r, &p), -1);
		CU_ASSERT_EQUAL(p.status, 400);
		CU_ASSERT_PTR_NULL(r);
		if (bad[i].field)
			CU_ASSERT_PTR_NOT_NULL(strstr(p.detail, bad[i].field));
	}
}

/* ---- Idempotency-Key ---- */

static void test_idempotency_key_ok(void)
{
	const char *key = NULL;
	size_t len = 0;
	struct problem p;
	const char *plain = "order-42_a.b~c";
	CU_ASSERT_EQUAL(validate_idempotency_key(plain, &key, &len, &p), 0);
	CU_ASSERT_PTR_EQUAL(key, plain);
	CU_ASSERT_EQUAL(len, strlen(plain));

	const char *quoted = "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"";
	CU_ASSERT_EQUAL(validate_idempotency_key(quoted, &key, &len, &p), 0);
	CU_ASSERT_PTR_EQUAL(key, quoted + 1);
	CU_ASSERT_EQUAL(len, 36);
	CU_ASSERT_EQUAL(strncmp(key, "8e03978e-40d5-43e8-bc93-6894a57f9324", len), 0);

	char k[300];
	memset(k, 'k', 255);
	k[255] = '\0';
	CU_ASSERT_EQUAL(validate_idempotency_key(k, &key, &len, &p), 0);
	CU_ASSERT_EQUAL(len, 255);
	/* 255 inside quotes is still 255. */
	k[0] = '"';
	memset(k + 1, 'k', 255);
	k[256] = '"';
	k[257] = '\0';
	CU_ASSERT_EQUAL(validate_idempotency_key(k, &key, &len, &p), 0);
	CU_ASSERT_EQUAL(len, 255);
	CU_ASSERT_EQUAL(validate_idempotency_key("x", &key, &len, &p), 0);
	CU_ASSERT_EQUAL(len, 1);
}

static void test_idempotency_key_refused(void)
{
	char k256[300];
	memset(k256, 'k', 256);
	k256[256] = '\0';
	const char *const bad[] = {
		k256,
		"",
		"\"\"",
		"a b",
		" abc",
		"abc ",
		"caf\xc3\xa9",
		"\x80",
		"ab\x01",
		"a\tb",
		"a\x7f",
		"\"abc",            /* unbalanced quote */
		"ab\"c",
		"\"a\"b\"",
		"a\\b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *key = (const char *)&bad;
		size_t len = 12345;
		struct problem p;
		memset(&p, 0, sizeof(p));
		CU_ASSERT_EQUAL(validate_idempotency_key(bad[i], &key, &len, &p), -1);
		CU_ASSERT_EQUAL(p.status, 400);
		CU_ASSERT_PTR_NOT_NULL(strstr(p.detail, "Idempotency-Key"));
	}
}


/* ---- worker bodies ---- */

static int worker(const char *body, enum worker_call call, struct worker_input *in,
		  struct problem *p)
{
	memset(p, 0, sizeof(*p));
	return validate_worker_body(body, strlen(body), call, 3600, in, p);
}

/* A refused worker body: 400 naming `field`, nothing to release. */
static void worker_refused(const char *body, enum worker_call call, const char *field)
{
	struct worker_input in;
	struct problem p;
	CU_ASSERT_EQUAL(worker(body, call, &in, &p), -1);
	CU_ASSERT_EQUAL(p.status, 400);
	if (field && !strstr(p.detail, field))
		fprintf(stderr, "detail '%s' does not name '%s' (body %s)\n", p.detail, field, body);
	CU_ASSERT_PTR_NOT_NULL(field ? strstr(p.detail, field) : p.detail);
	CU_ASSERT_PTR_NULL(in.entity_json);
	CU_ASSERT_PTR_NULL(in.error);
}

static void test_worker_claim_body(void)
{
	struct worker_input in;
	struct problem p;
	CU_ASSERT_EQUAL_FATAL(worker("{\"worker_id\":\"host-1:4242\",\"entity_types\":[\"problem\","
				    "\"quiz\"],\"lease_seconds\":90}", WORKER_CLAIM, &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.worker_id, "host-1:4242");
	CU_ASSERT_EQUAL(in.n_types, 2);
	CU_ASSERT_STRING_EQUAL(in.entity_types[1], "quiz");
	CU_ASSERT_EQUAL(in.lease_seconds, 90);
	worker_input_release(&in);
	CU_ASSERT_EQUAL_FATAL(worker("{\"worker_id\":\"w\",\"entity_types\":[\"a\"]}", WORKER_CLAIM,
				     &in, &p), 0);
	CU_ASSERT_EQUAL(in.lease_seconds, 0); /* the server's default applies */
	worker_input_release(&in);

	worker_refused("{\"entity_types\":[\"a\"]}", WORKER_CLAIM, "worker_id");
	worker_refused("{\"worker_id\":\"\",\"entity_types\":[\"a\"]}", WORKER_CLAIM, "worker_id");
	worker_refused("{\"worker_id\":\"has space\",\"entity_types\":[\"a\"]}", WORKER_CLAIM,
		       "worker_id");
	worker_refused("{\"worker_id\":\"w\"}", WORKER_CLAIM, "entity_types");
	worker_refused("{\"worker_id\":\"w\",\"entity_types\":[]}", WORKER_CLAIM, "entity_types");
	worker_refused("{\"worker_id\":\"w\",\"entity_types\":\"problem\"}", WORKER_CLAIM,
		       "entity_types");
	worker_refused("{\"worker_id\":\"w\",\"entity_types\":[\"Problem\"]}", WORKER_CLAIM,
		       "entity_types");
	worker_refused("{\"worker_id\":\"w\",\"entity_types\":[\"a\",\"b\",\"c\",\"d\",\"e\","
		       "\"f\",\"g\",\"h\",\"i\"]}", WORKER_CLAIM, "entity_types");
	worker_refused("{\"worker_id\":\"w\",\"entity_types\":[\"a\"],\"lease_seconds\":0}",
		       WORKER_CLAIM, "lease_seconds");
	worker_refused("{\"worker_id\":\"w\",\"entity_types\":[\"a\"],\"lease_seconds\":3601}",
		       WORKER_CLAIM, "lease_seconds");
	worker_refused("{\"worker_id\":\"w\",\"entity_types\":[\"a\"],\"lease_seconds\":\"60\"}",
		       WORKER_CLAIM, "lease_seconds");
	worker_refused("{\"worker_id\":\"w\",\"entity_types\":[\"a\"],\"index\":1}", WORKER_CLAIM,
		       "index");
}

static void test_worker_entity_body(void)
{
	struct worker_input in;
	struct problem p;
	CU_ASSERT_EQUAL_FATAL(worker("{\"worker_id\":\"w\",\"attempt\":2,\"index\":3,"
				     "\"entity\":{\"q\":\"7 x 8?\",\"a\":56}}", WORKER_ENTITY, &in,
				     &p), 0);
	CU_ASSERT_EQUAL(in.attempt, 2);
	CU_ASSERT_EQUAL(in.index, 3);
	CU_ASSERT_STRING_EQUAL(in.entity_json, "{\"q\":\"7 x 8?\",\"a\":56}");
	CU_ASSERT_PTR_NULL(in.error);
	worker_input_release(&in);
	CU_ASSERT_EQUAL_FATAL(worker("{\"worker_id\":\"w\",\"attempt\":1,\"index\":0,"
				     "\"error\":\"exit status 1\"}", WORKER_ENTITY, &in, &p), 0);
	CU_ASSERT_STRING_EQUAL(in.error, "exit status 1");
	CU_ASSERT_PTR_NULL(in.entity_json);
	worker_input_release(&in);

	worker_refused("{\"worker_id\":\"w\",\"attempt\":1,\"entity\":{}}", WORKER_ENTITY, "index");
	worker_refused("{\"worker_id\":\"w\",\"attempt\":1,\"index\":-1,\"entity\":{}}",
		       WORKER_ENTITY, "index");
	worker_refused("{\"worker_id\":\"w\",\"attempt\":1,\"index\":0}", WORKER_ENTITY, "entity");
	worker_refused("{\"worker_id\":\"w\",\"attempt\":1,\"index\":0,\"entity\":{},"
		       "\"error\":\"x\"}", WORKER_ENTITY, "entity");
	worker_refused("{\"worker_id\":\"w\",\"attempt\":1,\"index\":0,\"entity\":[1]}",
		       WORKER_ENTITY, "entity");
	worker_refused("{\"worker_id\":\"w\",\"attempt\":1,\"index\":0,\"error\":5}",
		       WORKER_ENTITY, "error");
	worker_refused("{\"worker_id\":\"w\",\"attempt\":0,\"index\":0,\"error\":\"x\"}",
		       WORKER_ENTITY, "attempt");
	/* Without an attempt an old run could write into a newer one: refused. */
	worker_refused("{\"worker_id\":\"w\",\"index\":0,\"error\":\"x\"}", WORKER_ENTITY,
		       "attempt");
	worker_refused("{\"worker_id\":\"w\",\"attempt\":null,\"index\":0,\"error\":\"x\"}",
		       WORKER_ENTITY, "attempt");

	char big[1100 + 64];
	int n = snprintf(big, sizeof(big), "{\"worker_id\":\"w\",\"attempt\":1,\"index\":0,\"error\":\"");
	memset(big + n, 'e', 1025);
	snprintf(big + n + 1025, sizeof(big) - (size_t)n - 1025, "\"}");
	worker_refused(big, WORKER_ENTITY, "error");
}

static void test_worker_heartbeat_complete_bodies(void)
{
	struct worker_input in;
	struct problem p;
	worker_refused("{\"worker_id\":\"w\"}", WORKER_HEARTBEAT, "attempt");
	worker_refused("{\"worker_id\":\"w\"}", WORKER_COMPLETE, "attempt");
	CU_ASSERT_EQUAL(worker("{\"worker_id\":\"w\",\"attempt\":3}", WORKER_HEARTBEAT, &in, &p), 0);
	CU_ASSERT_EQUAL(in.attempt, 3);
	CU_ASSERT_EQUAL(worker("{\"worker_id\":\"w\",\"attempt\":1,\"lease_seconds\":30}",
			       WORKER_HEARTBEAT, &in, &p), 0);
	CU_ASSERT_EQUAL(in.lease_seconds, 30);
	CU_ASSERT_EQUAL(worker("{\"worker_id\":\"w\",\"attempt\":1}", WORKER_COMPLETE, &in, &p), 0);
	worker_refused("{\"worker_id\":\"w\",\"attempt\":1,\"lease_seconds\":30}", WORKER_COMPLETE,
		       "lease_seconds");
	worker_refused("[\"w\"]", WORKER_COMPLETE, NULL);
	worker_refused("{\"worker_id\":\"w\"", WORKER_HEARTBEAT, NULL);
}

static const struct unit_case cases[] = {
	{ "worker claim bodies", test_worker_claim_body },
	{ "worker entity bodies", test_worker_entity_body },
	{ "worker heartbeat and complete bodies", test_worker_heartbeat_complete_bodies },
	{ "JSON content types", test_content_type },
	{ "entity_type pattern", test_entity_type },
	{ "create: minimal body and defaults", test_create_minimal },
	{ "create: full body", test_create_full },
	{ "create: webhook names an endpoint, never a URL", test_create_webhook },
	{ "create: priority 0..9, 5 when absent", test_create_priority },
	{ "create: max_count is the caller's", test_create_max_count_is_a_parameter },
	{ "create: malformed or not an object", test_create_not_an_object },
	{ "create: count", test_create_count },
	{ "create: entity_type", test_create_entity_type },
	{ "create: subject_key", test_create_subject_key },
	{ "create: constraints and metadata objects", test_create_objects },
	{ "create: unknown field, duplicate key", test_create_unknown_and_duplicate },
	{ "create: an unknown field is quoted cut between characters", test_create_unknown_field_quoted_whole },
	{ "create: invalid UTF-8", test_create_invalid_utf8 },
	{ "create: SQL injection text kept verbatim", test_create_sql_injection_verbatim },
	{ "create: len, not strlen", test_create_len_not_strlen },
	{ "create: refusal details render as JSON", test_create_detail_renders },
	{ "reason body", test_reason_body },
	{ "reason body refused", test_reason_refused },
	{ "Idempotency-Key accepted", test_idempotency_key_ok },
	{ "Idempotency-Key refused", test_idempotency_key_refused },
	{ NULL, NULL },
};

UNIT_MAIN("validate", cases)
