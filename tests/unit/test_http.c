/* http: CONTENT_LENGTH, and the response as written, without a FastCGI request. */
#include "build_config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "web/http.h"
#include "unit.h"

#define MAX_BODY 65536

/* The parse of value under MAX_BODY; *len keeps 777 unless it succeeded. */
static int parse(const char *value, size_t *len)
{
	*len = 777;
	return http_parse_content_length(value, MAX_BODY, len);
}

static void test_valid(void)
{
	size_t len;
	CU_ASSERT_EQUAL(parse("0", &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(parse("5", &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_EQUAL(parse("1234", &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, 1234);
	CU_ASSERT_EQUAL(parse("00042", &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, 42);
	/* Exactly max_body is allowed. */
	CU_ASSERT_EQUAL(parse("65536", &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, MAX_BODY);
}

static void test_absent_or_empty(void)
{
	size_t len;
	CU_ASSERT_EQUAL(parse(NULL, &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(parse("", &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, 0);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"abc", "12a", "a12", "1.5", "1e3", "0x10", "1,000", "١٢",
		"+5", "-5", "-0", " 5", "5 ", "\t5", "5\n", "5\r\n", "5 5",
		/* Malformed wins over too large: the whole value is read. */
		"99999999999999999999999999x", "65537-",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len;
		int rc = parse(bad[i], &len);
		if (rc != HTTP_LENGTH_MALFORMED)
			printf("\n  '%s': %d\n", bad[i], rc);
		CU_ASSERT_EQUAL(rc, HTTP_LENGTH_MALFORMED);
		CU_ASSERT_EQUAL(len, 777);
	}
}

static void test_over_max(void)
{
	size_t len;
	CU_ASSERT_EQUAL(parse("65537", &len), HTTP_LENGTH_TOO_LARGE);
	CU_ASSERT_EQUAL(len, 777);
	CU_ASSERT_EQUAL(parse("100000", &len), HTTP_LENGTH_TOO_LARGE);
	CU_ASSERT_EQUAL(parse("0000065537", &len), HTTP_LENGTH_TOO_LARGE);
	CU_ASSERT_EQUAL(len, 777);
	/* max 0: only an empty body. */
	CU_ASSERT_EQUAL(http_parse_content_length("0", 0, &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(http_parse_content_length("1", 0, &len), HTTP_LENGTH_TOO_LARGE);
	/* A max below a single digit. */
	CU_ASSERT_EQUAL(http_parse_content_length("7", 5, &len), HTTP_LENGTH_TOO_LARGE);
	CU_ASSERT_EQUAL(http_parse_content_length("5", 5, &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, 5);
}

static void test_overflow(void)
{
	size_t len;
	char text[64];
	/* Far more digits than a size_t holds: refused as too large, not wrapped to small. */
	CU_ASSERT_EQUAL(parse("99999999999999999999999999999999", &len), HTTP_LENGTH_TOO_LARGE);
	CU_ASSERT_EQUAL(parse("18446744073709551616", &len), HTTP_LENGTH_TOO_LARGE);
	/* 2^64 + 5 would wrap to 5 with unchecked arithmetic. */
	CU_ASSERT_EQUAL(parse("18446744073709551621", &len), HTTP_LENGTH_TOO_LARGE);
	CU_ASSERT_EQUAL(len, 777);
	/* With no real cap, SIZE_MAX itself is fine and one more is not. */
	snprintf(text, sizeof(text), "%zu", (size_t)SIZE_MAX);
	CU_ASSERT_EQUAL(http_parse_content_length(text, SIZE_MAX, &len), HTTP_LENGTH_OK);
	CU_ASSERT_EQUAL(len, SIZE_MAX);
	snprintf(text, sizeof(text), "%zu0", (size_t)SIZE_MAX / 10 + 1);
	CU_ASSERT_EQUAL(http_parse_content_length(text, SIZE_MAX, &len), HTTP_LENGTH_TOO_LARGE);
	snprintf(text, sizeof(text), "%zu", (size_t)SIZE_MAX);
	text[sizeof("18446744073709551615") - 2] = '6'; /* SIZE_MAX + 1 on 64 bits */
	if (SIZE_MAX == UINT64_MAX)
		CU_ASSERT_EQUAL(http_parse_content_length(text, SIZE_MAX, &len),
				HTTP_LENGTH_TOO_LARGE);
}

static int put_strbuf(void *ctx, const char *bytes, size_t len)
{
	strbuf_add(ctx, bytes, len);
	return 0;
}

/* What http_send would write for resp: into out (reset first). */
static void written(const struct http_response *resp, int head_only, struct strbuf *out)
{
	strbuf_reset(out);
	CU_ASSERT_EQUAL(http_write_response(resp, head_only, put_strbuf, out), 0);
	CU_ASSERT_FALSE(out->oom);
}

/* The answer to a GET, and to a HEAD of the same: one status and headers, no body. */
static void test_head_has_no_body(void)
{
	struct http_response resp;
	struct strbuf get = STRBUF_INIT, head = STRBUF_INIT;
	static const char body[] = "{\"status\":\"pending\"}";
	static const char head_want[] =
		"Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n"
		"ETag: \"v3\"\r\nRetry-After: 2\r\n\r\n";

	http_response_init(&resp);
	strbuf_addstr(&resp.body, body);
	http_add_header(&resp, "ETag", "\"v3\"");
	http_add_header(&resp, "Retry-After", "2");
	written(&resp, 0, &get);
	written(&resp, 1, &head);
	CU_ASSERT_STRING_EQUAL(head.buf, head_want);
	/* The GET is the same head followed by the body its length announced. */
	CU_ASSERT_EQUAL(get.len, head.len + strlen(body));
	CU_ASSERT_EQUAL(memcmp(get.buf, head.buf, head.len), 0);
	CU_ASSERT_STRING_EQUAL(get.buf + head.len, body);

	/* A 304 has neither body nor length, HEAD or not. */
	http_response_reset(&resp);
	resp.status = 304;
	http_add_header(&resp, "ETag", "\"v3\"");
	written(&resp, 1, &head);
	CU_ASSERT_STRING_EQUAL(head.buf, "Status: 304 Not Modified\r\nETag: \"v3\"\r\n\r\n");
	written(&resp, 0, &get);
	CU_ASSERT_STRING_EQUAL(get.buf, head.buf);

	http_response_release(&resp);
	strbuf_release(&get);
	strbuf_release(&head);
}

static const struct unit_case cases[] = {
	{ "valid lengths", test_valid },
	{ "absent or empty is 0", test_absent_or_empty },
	{ "malformed: signs, blanks, other bytes", test_malformed },
	{ "over max_body", test_over_max },
	{ "overflow", test_overflow },
	{ "HEAD: the GET's status, headers and Content-Length, no body", test_head_has_no_body },
	{ NULL, NULL },
};

UNIT_MAIN("http", cases)
