#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "web/problem.h"
#include "unit.h"

/* Renders p and parses the body back; NULL (and an assertion) if not JSON. */
static json_t *render_parse(const struct problem *p, struct strbuf *raw)
{
	json_error_t err;
	strbuf_init(raw);
	problem_render(p, raw);
	CU_ASSERT_FALSE(raw->oom);
	json_t *root = json_loadb(raw->buf, raw->len, JSON_REJECT_DUPLICATES, &err);
	CU_ASSERT_PTR_NOT_NULL(root);
	CU_ASSERT(json_is_object(root));
	return root;
}

static const char *str_member(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);
	CU_ASSERT(json_is_string(v));
	return json_is_string(v) ? json_string_value(v) : "";
}

static void test_render_members(void)
{
	struct problem p;
	struct strbuf raw;
	problem_set(&p, 404, NULL, "no %s with that id", "generation request");
	json_t *root = render_parse(&p, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL(str_member(root, "type"), "urn:gentrack:problem:not-found");
	CU_ASSERT_STRING_EQUAL(str_member(root, "title"), "Not Found");
	CU_ASSERT(json_is_integer(json_object_get(root, "status")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "status")), 404);
	CU_ASSERT_STRING_EQUAL(str_member(root, "detail"), "no generation request with that id");
	/* Exactly the four RFC 9457 members, no extension without a key. */
	CU_ASSERT_EQUAL(json_object_size(root), 4);
	json_decref(root);
	strbuf_release(&raw);
}

static void test_render_slug_and_titles(void)
{
	static const struct {
		int status;
		const char *slug;
		const char *type;
		const char *title;
	} rows[] = {
		{ 400, "malformed-json", "urn:gentrack:problem:malformed-json", "Bad Request" },
		{ 400, NULL, "urn:gentrack:problem:invalid-request", "Bad Request" },
		{ 401, NULL, "urn:gentrack:problem:unauthorized", "Unauthorized" },
		{ 403, NULL, "urn:gentrack:problem:forbidden", "Forbidden" },
		{ 405, NULL, "urn:gentrack:problem:method-not-allowed", "Method Not Allowed" },
		{ 409, NULL, "urn:gentrack:problem:conflict", "Conflict" },
		{ 413, NULL, "urn:gentrack:problem:body-too-large", "Content Too Large" },
		{ 415, NULL, "urn:gentrack:problem:unsupported-media-type", "Unsupported Media Type" },
		{ 422, NULL, "urn:gentrack:problem:unprocessable", "Unprocessable Content" },
		{ 429, NULL, "urn:gentrack:problem:too-many-requests", "Too Many Requests" },
		{ 500, NULL, "urn:gentrack:problem:internal-error", "Internal Server Error" },
		{ 503, NULL, "urn:gentrack:problem:store-unavailable", "Service Unavailable" },
		{ 418, NULL, "urn:gentrack:problem:error", "Error" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct problem p;
		struct strbuf raw;
		problem_set(&p, rows[i].status, rows[i].slug, "x");
		json_t *root = render_parse(&p, &raw);
		if (!root) {
			strbuf_release(&raw);
			continue;
		}
		CU_ASSERT_STRING_EQUAL(str_member(root, "type"), rows[i].type);
		CU_ASSERT_STRING_EQUAL(str_member(root, "title"), rows[i].title);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "status")),
				rows[i].status);
		json_decref(root);
		strbuf_release(&raw);
	}
}

static void test_status_title(void)
{
	CU_ASSERT_STRING_EQUAL(problem_status_title(400), "Bad Request");
	CU_ASSERT_STRING_EQUAL(problem_status_title(404), "Not Found");
	CU_ASSERT_STRING_EQUAL(problem_status_title(405), "Method Not Allowed");
	CU_ASSERT_STRING_EQUAL(problem_status_title(409), "Conflict");
	CU_ASSERT_STRING_EQUAL(problem_status_title(413), "Content Too Large");
	CU_ASSERT_STRING_EQUAL(problem_status_title(503), "Service Unavailable");
	CU_ASSERT_STRING_EQUAL(problem_status_title(418), "Error");
	CU_ASSERT_STRING_EQUAL(problem_status_title(0), "Error");
	CU_ASSERT_STRING_EQUAL(problem_status_title(-1), "Error");
	CU_ASSERT_STRING_EQUAL(problem_status_title(200), "Error");
}

static void test_extension_member(void)
{
	struct problem p;
	struct strbuf raw;
	problem_set(&p, 409, "duplicate-subject",
		    "an active request for this subject already exists");
	p.extra_key = "existing_request_id";
	snprintf(p.extra_value, sizeof(p.extra_value), "%s",
		 "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f");
	json_t *root = render_parse(&p, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL(str_member(root, "type"), "urn:gentrack:problem:duplicate-subject");
	CU_ASSERT_STRING_EQUAL(str_member(root, "title"), "Conflict");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "status")), 409);
	CU_ASSERT_STRING_EQUAL(str_member(root, "existing_request_id"),
			       "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f");
	CU_ASSERT_EQUAL(json_object_size(root), 5);
	json_decref(root);
	strbuf_release(&raw);

	/* An integer member beside the string one (pending-limit-reached). */
	problem_set(&p, 429, "pending-limit-reached", "owner acme has 10 pending requests");
	p.extra_key = "limit";
	snprintf(p.extra_value, sizeof(p.extra_value), "%s", "max_pending");
	p.extra_int_key = "max";
	p.extra_int = 10;
	root = render_parse(&p, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL(str_member(root, "limit"), "max_pending");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "max")), 10);
	CU_ASSERT_EQUAL(json_object_size(root), 6);
	json_decref(root);
	strbuf_release(&raw);

	/* problem_set on a reused struct forgets the previous extensions. */
	problem_set(&p, 400, NULL, "again");
	CU_ASSERT_PTR_NULL(p.extra_key);
	CU_ASSERT_PTR_NULL(p.extra_int_key);
	root = render_parse(&p, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_PTR_NULL(json_object_get(root, "existing_request_id"));
	CU_ASSERT_EQUAL(json_object_size(root), 4);
	json_decref(root);
	strbuf_release(&raw);
}

static void test_set_returns_p(void)
{
	struct problem p;
	CU_ASSERT_PTR_EQUAL(problem_set(&p, 413, NULL, "body over %d bytes", 65536), &p);
	CU_ASSERT_EQUAL(p.status, 413);
	CU_ASSERT_PTR_NULL(p.slug);
	CU_ASSERT_STRING_EQUAL(p.detail, "body over 65536 bytes");
}

static void test_detail_escaping(void)
{
	static const char *const details[] = {
		"field \"entity_type\" is \\ wrong",
		"line1\nline2\r\ttab\b\f\x01\x1f end",
		"<script>alert('x')</script> & more",
		"caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80",
	};
	for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
		struct problem p;
		struct strbuf raw;
		problem_set(&p, 400, NULL, "%s", details[i]);
		json_t *root = render_parse(&p, &raw);
		if (root) {
			CU_ASSERT_STRING_EQUAL(str_member(root, "detail"), details[i]);
			json_decref(root);
		}
		/* Safe to embed in HTML or a log line as is. */
		CU_ASSERT_PTR_NULL(strchr(raw.buf, '<'));
		CU_ASSERT_PTR_NULL(strchr(raw.buf, '\n'));
		CU_ASSERT_PTR_NULL(strchr(raw.buf, '\x01'));
		strbuf_release(&raw);
	}
}

static void test_detail_truncation(void)
{
	struct problem p;
	struct strbuf raw;
	char long_text[700];
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';

	problem_set(&p, 400, NULL, "%s", long_text);
	CU_ASSERT_EQUAL(strlen(p.detail), 511);
	json_t *root = render_parse(&p, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	const char *d = str_member(root, "detail");
	CU_ASSERT_EQUAL(strlen(d), 511);
	CU_ASSERT_EQUAL(strncmp(d, long_text, 511), 0);
	json_decref(root);
	strbuf_release(&raw);

	/* 511 bytes exactly fit; 510 stay as they are. */
	long_text[511] = '\0';
	problem_set(&p, 400, NULL, "%s", long_text);
	CU_ASSERT_STRING_EQUAL(p.detail, long_text);
	long_text[510] = '\0';
	problem_set(&p, 400, NULL, "%s!", long_text);
	CU_ASSERT_EQUAL(strlen(p.detail), 511);
	CU_ASSERT_EQUAL(p.detail[510], '!');
}

static void test_detail_stays_utf8(void)
{
	struct problem p;
	struct strbuf raw;
	char text[520];
	static const char *const wide[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	/*
	 * The 511-byte cut falls before, on each byte of, and after a 2-, 3- or
	 * 4-byte character: a character that does not fit whole is left out,
	 * not half of it turned into '?'.
	 */
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		for (size_t x = 511 - cl; x <= 511; x++) {
			memset(text, 'x', x);
			memcpy(text + x, wide[w], cl + 1);
			problem_set(&p, 400, NULL, "%s", text);
			json_t *root = render_parse(&p, &raw);
			CU_ASSERT_PTR_NOT_NULL_FATAL(root);
			size_t want = x + cl <= 511 ? x + cl : x;
			CU_ASSERT_EQUAL(strlen(str_member(root, "detail")), want);
			CU_ASSERT_NSTRING_EQUAL(str_member(root, "detail"), text, want);
			json_decref(root);
			strbuf_release(&raw);
		}
	}

	/* Raw bytes quoted from input (a query parameter name) become '?'. */
	problem_set(&p, 400, NULL, "unknown query parameter '%s'", "a\xff\xc0\x80" "b\xed\xa0\x80");
	CU_ASSERT_STRING_EQUAL(p.detail, "unknown query parameter 'a???b???" "'");
	/* Valid multi-byte text is left alone. */
	problem_set(&p, 400, NULL, "%s", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CU_ASSERT_STRING_EQUAL(p.detail, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void test_empty_detail(void)
{
	struct problem p;
	struct strbuf raw;
	problem_set(&p, 500, NULL, "%s", "");
	json_t *root = render_parse(&p, &raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL(str_member(root, "detail"), "");
	CU_ASSERT_STRING_EQUAL(str_member(root, "title"), "Internal Server Error");
	json_decref(root);
	strbuf_release(&raw);
}

static const struct unit_case cases[] = {
	{ "details stay valid UTF-8 after cuts and quoted bytes", test_detail_stays_utf8 },
	{ "render: type, title, status, detail", test_render_members },
	{ "render: slug and title per status", test_render_slug_and_titles },
	{ "status titles, unknown is Error", test_status_title },
	{ "extension member existing_request_id", test_extension_member },
	{ "problem_set fills and returns p", test_set_returns_p },
	{ "detail escaping", test_detail_escaping },
	{ "detail truncated at 511 bytes", test_detail_truncation },
	{ "empty detail", test_empty_detail },
	{ NULL, NULL },
};

UNIT_MAIN("problem", cases)
