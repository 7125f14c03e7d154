#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/resource.h"
#include "unit.h"

#define ID_TEXT "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f"
#define REQUESTED_US INT64_C(1795516200123456)  /* 2026-11-24T10:30:00.123456Z */
#define STARTED_US INT64_C(1795516201002000)    /* 2026-11-24T10:30:01.002000Z */
#define COMPLETED_US INT64_C(1795516799000001)  /* 2026-11-24T10:39:59.000001Z */
#define CANCELLED_US INT64_C(1795516800000000)  /* 2026-11-24T10:40:00.000000Z */

/* The members of SPEC §3 "The resource", entities aside. */
static const char *const spec_members[] = {
	"request_id", "entity_type", "subject_key", "status",
	"requested_count", "generated_count", "failed_count", "progress",
	"attempt", "requested_at", "started_at", "completed_at",
	"cancelled_at", "failure_reason", "error_message",
	"constraints", "metadata",
	"webhook",   /* README "Webhooks": the endpoint it reports to, or null */
	"priority",  /* README "Priority": 0..9, higher claimed first */
};
#define N_SPEC_MEMBERS (sizeof(spec_members) / sizeof(spec_members[0]))

static char *dup_text(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* The SPEC example: processing, 2 generated and 1 failed of 5. */
static void fill_processing(struct gen_request *r)
{
	gen_request_init(r);
	CU_ASSERT_EQUAL_FATAL(uuid_parse(ID_TEXT, 36, &r->id), 0);
	snprintf(r->owner, sizeof(r->owner), "%s", "acme");
	snprintf(r->entity_type, sizeof(r->entity_type), "%s", "problem");
	r->subject_key = dup_text("topic-42");
	r->subject_key_len = 8;
	r->status = GEN_PROCESSING;
	r->requested_count = 5;
	r->generated_count = 2;
	r->failed_count = 1;
	r->attempt = 1;
	r->version = 7;
	r->worker_id = dup_text("host-1:4242");
	r->lease_expires_at = STARTED_US + INT64_C(60000000);
	r->requested_at = REQUESTED_US;
	r->started_at = STARTED_US;
	r->updated_at = STARTED_US;
	r->constraints_json = dup_text("{\"difficulty\":\"hard\",\"tags\":[\"x\",2]}");
	r->metadata_json = dup_text("{\"source\":\"unit\"}");
}

/* Renders r and parses it back (duplicate keys refused). */
static json_t *render_parse(const struct gen_request *r, const struct gen_entity_list *e,
			    unsigned flags, struct strbuf *raw)
{
	json_error_t err;
	strbuf_init(raw);
	resource_render(r, e, flags, raw);
	CU_ASSERT_FALSE(raw->oom);
	json_t *root = json_loadb(raw->buf, raw->len,
				  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (!root)
		fprintf(stderr, "unparseable resource (%s): %s\n", err.text, raw->buf);
	CU_ASSERT_PTR_NOT_NULL(root);
	CU_ASSERT(json_is_object(root));
	return root;
}

static void expect_string(json_t *root, const char *key, const char *want)
{
	json_t *v = json_object_get(root, key);
	CU_ASSERT(json_is_string(v));
	if (json_is_string(v))
		CU_ASSERT_STRING_EQUAL(json_string_value(v), want);
}

static void expect_int(json_t *root, const char *key, json_int_t want)
{
	json_t *v = json_object_get(root, key);
	CU_ASSERT(json_is_integer(v));
	CU_ASSERT_EQUAL(json_integer_value(v), want);
}

static void expect_null(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);
	CU_ASSERT_PTR_NOT_NULL(v); /* present, not omitted */
	CU_ASSERT(json_is_null(v));
}

static void test_processing_resource(void)
{
	struct gen_request r;
	struct strbuf raw;
	fill_processing(&r);
	json_t *root = render_parse(&r, NULL, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);

	expect_string(root, "request_id", ID_TEXT);
	expect_string(root, "entity_type", "problem");
	expect_string(root, "subject_key", "topic-42");
	expect_string(root, "status", "processing");
	expect_int(root, "requested_count", 5);
	expect_int(root, "generated_count", 2);
	expect_int(root, "failed_count", 1);
	json_t *progress = json_object_get(root, "progress");
	CU_ASSERT(json_is_number(progress));
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(progress), 0.6, 1e-12);
	expect_int(root, "attempt", 1);
	expect_string(root, "requested_at", "2026-11-24T10:30:00.123456Z");
	expect_string(root, "started_at", "2026-11-24T10:30:01.002000Z");
	expect_null(root, "completed_at");
	expect_null(root, "cancelled_at");
	expect_null(root, "failure_reason");
	expect_null(root, "error_message");

	json_t *c = json_object_get(root, "constraints");
	CU_ASSERT_FATAL(json_is_object(c));
	expect_string(c, "difficulty", "hard");
	json_t *tags = json_object_get(c, "tags");
	CU_ASSERT(json_is_array(tags) && json_array_size(tags) == 2);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(tags, 1)), 2);
	json_t *m = json_object_get(root, "metadata");
	CU_ASSERT_FATAL(json_is_object(m));
	expect_string(m, "source", "unit");

	/* Exactly the SPEC members: no owner, worker, lease or version leaks. */
	for (size_t i = 0; i < N_SPEC_MEMBERS; i++)
		CU_ASSERT_PTR_NOT_NULL(json_object_get(root, spec_members[i]));
	CU_ASSERT_EQUAL(json_object_size(root), N_SPEC_MEMBERS);
	CU_ASSERT_PTR_NULL(json_object_get(root, "entities"));
	CU_ASSERT_PTR_NULL(strstr(raw.buf, "acme"));
	CU_ASSERT_PTR_NULL(strstr(raw.buf, "host-1"));

	json_decref(root);
	strbuf_release(&raw);
	gen_request_release(&r);
}

static void test_failed_resource(void)
{
	struct gen_request r;
	struct strbuf raw;
	fill_processing(&r);
	r.status = GEN_FAILED;
	r.generated_count = 0;
	r.failed_count = 0;
	r.attempt = 3;
	r.completed_at = COMPLETED_US;
	snprintf(r.failure_reason, sizeof(r.failure_reason), "%s", "max_runtime_exceeded");
	r.error_message = dup_text("Generation timed out after 10 minutes");
	json_t *root = render_parse(&r, NULL, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	expect_string(root, "status", "failed");
	expect_int(root, "attempt", 3);
	expect_string(root, "completed_at", "2026-11-24T10:39:59.000001Z");
	expect_null(root, "cancelled_at");
	expect_string(root, "failure_reason", "max_runtime_exceeded");
	expect_string(root, "error_message", "Generation timed out after 10 minutes");
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(root, "progress")), 0.0, 1e-12);
	json_decref(root);
	strbuf_release(&raw);
	gen_request_release(&r);
}

static void test_cancelled_resource(void)
{
	struct gen_request r;
	struct strbuf raw;
	fill_processing(&r);
	r.status = GEN_CANCELLED;
	r.cancelled_at = CANCELLED_US;
	json_t *root = render_parse(&r, NULL, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	expect_string(root, "status", "cancelled");
	expect_string(root, "cancelled_at", "2026-11-24T10:40:00.000000Z");
	expect_null(root, "completed_at");
	json_decref(root);
	strbuf_release(&raw);
	gen_request_release(&r);
}

static void test_minimal_resource(void)
{
	/* Fresh from init: nulls where nothing is known, {} for the objects. */
	struct gen_request r;
	struct strbuf raw;
	gen_request_init(&r);
	snprintf(r.entity_type, sizeof(r.entity_type), "%s", "a");
	r.requested_count = 1;
	r.requested_at = REQUESTED_US;
	json_t *root = render_parse(&r, NULL, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	expect_string(root, "status", "pending");
	expect_string(root, "request_id", "00000000-0000-0000-0000-000000000000");
	expect_null(root, "subject_key");
	expect_null(root, "started_at");
	expect_null(root, "completed_at");
	expect_null(root, "cancelled_at");
	expect_null(root, "failure_reason");
	expect_null(root, "error_message");
	expect_int(root, "attempt", 0);
	CU_ASSERT(json_is_object(json_object_get(root, "constraints")));
	CU_ASSERT_EQUAL(json_object_size(json_object_get(root, "constraints")), 0);
	CU_ASSERT(json_is_object(json_object_get(root, "metadata")));
	CU_ASSERT_EQUAL(json_object_size(json_object_get(root, "metadata")), 0);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(root, "progress")), 0.0, 1e-12);
	json_decref(root);
	strbuf_release(&raw);

	/* requested 0 must not put NaN (invalid JSON) in the output. */
	r.requested_count = 0;
	root = render_parse(&r, NULL, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL(root);
	json_decref(root);
	strbuf_release(&raw);
	gen_request_release(&r);
}

static void test_completed_progress(void)
{
	struct gen_request r;
	struct strbuf raw;
	fill_processing(&r);
	r.status = GEN_COMPLETED;
	r.generated_count = 5;
	r.failed_count = 0;
	r.completed_at = COMPLETED_US;
	json_t *root = render_parse(&r, NULL, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	expect_string(root, "status", "completed");
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(root, "progress")), 1.0, 1e-12);
	json_decref(root);
	strbuf_release(&raw);
	gen_request_release(&r);
}

static int add_entity(struct gen_entity_list *l, unsigned idx, const char *json)
{
	if (l->count == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 2;
		struct gen_entity *items = realloc(l->items, n * sizeof(*items));
		if (!items)
			return -1;
		l->items = items;
		l->alloc = n;
	}
	l->items[l->count].idx = idx;
	l->items[l->count].json = dup_text(json);
	l->items[l->count].json_len = strlen(json);
	if (!l->items[l->count].json)
		return -1;
	l->count++;
	return 0;
}

static void test_entities(void)
{
	struct gen_request r;
	struct gen_entity_list list = { 0 };
	struct strbuf raw;
	fill_processing(&r);
	CU_ASSERT_EQUAL_FATAL(add_entity(&list, 0, "{\"q\":\"first\",\"n\":0}"), 0);
	CU_ASSERT_EQUAL_FATAL(add_entity(&list, 1, "{\"q\":\"second\",\"n\":1}"), 0);
	CU_ASSERT_EQUAL_FATAL(add_entity(&list, 3, "{\"q\":\"fourth\",\"nested\":{\"a\":[1]}}"), 0);

	json_t *root = render_parse(&r, &list, RESOURCE_ENTITIES, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *e = json_object_get(root, "entities");
	CU_ASSERT_FATAL(json_is_array(e));
	CU_ASSERT_EQUAL_FATAL(json_array_size(e), 3);
	static const char *const want[] = { "first", "second", "fourth" };
	for (size_t i = 0; i < 3; i++) {
		json_t *item = json_array_get(e, i);
		CU_ASSERT(json_is_object(item));
		expect_string(item, "q", want[i]);
	}
	CU_ASSERT(json_is_array(json_object_get(json_object_get(json_array_get(e, 2), "nested"),
						"a")));
	/* The other members are all still there. */
	CU_ASSERT_EQUAL(json_object_size(root), N_SPEC_MEMBERS + 1);
	expect_string(root, "status", "processing");
	json_decref(root);
	strbuf_release(&raw);

	/* Without the flag the list is not rendered (the collection listing). */
	root = render_parse(&r, &list, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_PTR_NULL(json_object_get(root, "entities"));
	CU_ASSERT_EQUAL(json_object_size(root), N_SPEC_MEMBERS);
	json_decref(root);
	strbuf_release(&raw);

	gen_entity_list_release(&list);
	CU_ASSERT_EQUAL(list.count, 0);
	CU_ASSERT_PTR_NULL(list.items);

	/* With the flag and no entities yet: an empty array, not a missing one. */
	root = render_parse(&r, &list, RESOURCE_ENTITIES, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	e = json_object_get(root, "entities");
	CU_ASSERT(json_is_array(e));
	CU_ASSERT_EQUAL(json_array_size(e), 0);
	json_decref(root);
	strbuf_release(&raw);
	gen_request_release(&r);
}

static void test_hostile_subject_key(void)
{
	static const char key[] = "\"><script>alert(1)</script>\\ 'x' \n\t caf\xc3\xa9";
	struct gen_request r;
	struct strbuf raw;
	fill_processing(&r);
	free(r.subject_key);
	r.subject_key = dup_text(key);
	r.subject_key_len = strlen(key);
	r.error_message = dup_text("</script><b>bold</b>");
	json_t *root = render_parse(&r, NULL, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	expect_string(root, "subject_key", key);
	expect_string(root, "error_message", "</script><b>bold</b>");
	CU_ASSERT_PTR_NULL(strstr(raw.buf, "<script>"));
	CU_ASSERT_PTR_NULL(strstr(raw.buf, "</script>"));
	CU_ASSERT_PTR_NULL(strchr(raw.buf, '\n'));
	json_decref(root);
	strbuf_release(&raw);
	gen_request_release(&r);
}

static void test_subject_key_uses_length(void)
{
	/* subject_key_len is authoritative: an embedded NUL survives. */
	struct gen_request r;
	struct strbuf raw;
	fill_processing(&r);
	free(r.subject_key);
	r.subject_key = malloc(4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.subject_key);
	memcpy(r.subject_key, "a\0b", 4);
	r.subject_key_len = 3;
	json_t *root = render_parse(&r, NULL, 0, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *v = json_object_get(root, "subject_key");
	CU_ASSERT(json_is_string(v));
	CU_ASSERT_EQUAL(json_string_length(v), 3);
	CU_ASSERT_EQUAL(memcmp(json_string_value(v), "a\0b", 3), 0);
	json_decref(root);
	strbuf_release(&raw);
	gen_request_release(&r);
}

static void test_init_release(void)
{
	struct gen_request r;
	memset(&r, 0x5a, sizeof(r));
	gen_request_init(&r);
	CU_ASSERT_EQUAL(r.requested_at, TIME_NONE);
	CU_ASSERT_EQUAL(r.started_at, TIME_NONE);
	CU_ASSERT_EQUAL(r.completed_at, TIME_NONE);
	CU_ASSERT_EQUAL(r.cancelled_at, TIME_NONE);
	CU_ASSERT_EQUAL(r.lease_expires_at, TIME_NONE);
	CU_ASSERT_EQUAL(r.updated_at, TIME_NONE);
	CU_ASSERT_PTR_NULL(r.subject_key);
	CU_ASSERT_PTR_NULL(r.error_message);
	CU_ASSERT_EQUAL(r.failure_reason[0], '\0');
	fill_processing(&r);
	gen_request_release(&r);
	CU_ASSERT_PTR_NULL(r.subject_key);
	CU_ASSERT_PTR_NULL(r.worker_id);
	CU_ASSERT_PTR_NULL(r.constraints_json);
	CU_ASSERT_EQUAL(r.started_at, TIME_NONE);
	/* Releasing twice is harmless. */
	gen_request_release(&r);
}

/* The one rule behind the API, the admin filters and gentrack-worker --entity-type. */
static void test_entity_type_valid(void)
{
	char name[ENTITY_TYPE_MAX + 2];
	memset(name, 'q', sizeof(name));
	CU_ASSERT_TRUE(resource_entity_type_valid(name, ENTITY_TYPE_MAX));
	CU_ASSERT_FALSE(resource_entity_type_valid(name, ENTITY_TYPE_MAX + 1));
	CU_ASSERT_TRUE(resource_entity_type_valid("quiz_2", 6));
	CU_ASSERT_TRUE(resource_entity_type_valid("a", 1));
	CU_ASSERT_FALSE(resource_entity_type_valid("", 0));
	CU_ASSERT_FALSE(resource_entity_type_valid("2quiz", 5));
	CU_ASSERT_FALSE(resource_entity_type_valid("Quiz", 4));
	CU_ASSERT_FALSE(resource_entity_type_valid("qu iz", 5));
	CU_ASSERT_FALSE(resource_entity_type_valid("qu\0iz", 5));
	/* Only len bytes are read. */
	CU_ASSERT_TRUE(resource_entity_type_valid("quiz!", 4));
}

static const struct unit_case cases[] = {
	{ "processing resource, every SPEC member", test_processing_resource },
	{ "failed resource: reason and message", test_failed_resource },
	{ "cancelled resource", test_cancelled_resource },
	{ "minimal resource: nulls and {}", test_minimal_resource },
	{ "completed progress is 1", test_completed_progress },
	{ "entities in order, only with the flag", test_entities },
	{ "hostile subject_key round trip", test_hostile_subject_key },
	{ "subject_key rendered by length", test_subject_key_uses_length },
	{ "init and release", test_init_release },
	{ "entity type rule", test_entity_type_valid },
	{ NULL, NULL },
};

UNIT_MAIN("resource", cases)
