#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "model/webhook.h"
#include "unit.h"

/* The Standard Webhooks specification's own test vector. */
#define SPEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SPEC_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SPEC_TS 1614265330LL
#define SPEC_BODY "{\"test\": 2432232314}"
#define SPEC_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void test_spec_vector(void)
{
	char sig[WEBHOOK_SIGNATURE_LEN + 1];
	CU_ASSERT_EQUAL_FATAL(webhook_sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY,
					   strlen(SPEC_BODY), sig), 0);
	CU_ASSERT_STRING_EQUAL(sig, SPEC_SIG);
}

/* Any change of id, time or body changes the signature. */
static void test_every_part_signed(void)
{
	char sig[WEBHOOK_SIGNATURE_LEN + 1];
	webhook_sign(SPEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJeK", SPEC_TS, SPEC_BODY,
		     strlen(SPEC_BODY), sig);
	CU_ASSERT_STRING_NOT_EQUAL(sig, SPEC_SIG);
	webhook_sign(SPEC_SECRET, SPEC_ID, SPEC_TS + 1, SPEC_BODY, strlen(SPEC_BODY), sig);
	CU_ASSERT_STRING_NOT_EQUAL(sig, SPEC_SIG);
	webhook_sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, strlen(SPEC_BODY) - 1, sig);
	CU_ASSERT_STRING_NOT_EQUAL(sig, SPEC_SIG);
}

static void test_bad_secrets_refused(void)
{
	char sig[WEBHOOK_SIGNATURE_LEN + 1];
	CU_ASSERT_EQUAL(webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SPEC_ID, SPEC_TS, "x", 1, sig), -1);
	CU_ASSERT_EQUAL(webhook_sign("whsec_not*base64", SPEC_ID, SPEC_TS, "x", 1, sig), -1);
	/* 16 bytes: shorter than the specification's 24. */
	CU_ASSERT_EQUAL(webhook_sign("whsec_AAAAAAAAAAAAAAAAAAAAAA==", SPEC_ID, SPEC_TS, "x", 1, sig), -1);
}

/* A generated secret signs, and is whsec_ + base64 of 32 bytes. */
static void test_generated_secret(void)
{
	char a[WEBHOOK_SECRET_LEN + 1], b[WEBHOOK_SECRET_LEN + 1], sig[WEBHOOK_SIGNATURE_LEN + 1];
	webhook_secret_generate(a);
	webhook_secret_generate(b);
	CU_ASSERT_EQUAL(strlen(a), WEBHOOK_SECRET_LEN);
	CU_ASSERT_EQUAL(strncmp(a, "whsec_", 6), 0);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(webhook_sign(a, SPEC_ID, SPEC_TS, "x", 1, sig), 0);
}

static void test_msg_id(void)
{
	char a[WEBHOOK_MSG_ID_LEN + 1], b[WEBHOOK_MSG_ID_LEN + 1];
	webhook_msg_id_generate(a);
	webhook_msg_id_generate(b);
	CU_ASSERT_EQUAL(strlen(a), WEBHOOK_MSG_ID_LEN);
	CU_ASSERT_EQUAL(strncmp(a, "msg_", 4), 0);
	CU_ASSERT_EQUAL(strspn(a + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
			WEBHOOK_MSG_ID_LEN - 4);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static void test_events(void)
{
	char out[WEBHOOK_EVENTS_MAX + 1];
	CU_ASSERT_EQUAL(webhook_events_parse("failed,completed,failed", out), 0);
	CU_ASSERT_STRING_EQUAL(out, "completed,failed");
	CU_ASSERT_EQUAL(webhook_events_parse("cancelled,partial,failed,completed", out), 0);
	CU_ASSERT_STRING_EQUAL(out, "completed,partial,failed,cancelled");
	CU_ASSERT_EQUAL(webhook_events_parse("", out), -1);
	CU_ASSERT_EQUAL(webhook_events_parse("completed,", out), -1);
	CU_ASSERT_EQUAL(webhook_events_parse(",completed", out), -1);
	CU_ASSERT_EQUAL(webhook_events_parse("processing", out), -1);
	CU_ASSERT_EQUAL(webhook_events_parse("completed,pending", out), -1);
	CU_ASSERT_STRING_EQUAL(webhook_event_type(GEN_PARTIAL), "generation_request.partial");
	CU_ASSERT_PTR_NULL(webhook_event_type(GEN_PROCESSING));
}

static void test_url_check(void)
{
	char err[256];
	CU_ASSERT_EQUAL(webhook_url_check("https://hooks.example.com/gentrack?x=1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(webhook_url_check("http://127.0.0.1:8080/hook", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(webhook_url_check("http://[::1]:8080/hook", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(webhook_url_check("ftp://example.com/", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(webhook_url_check("file:///etc/passwd", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(webhook_url_check("https://user:pw@example.com/", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "credentials"));
	CU_ASSERT_EQUAL(webhook_url_check("https:///path", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(webhook_url_check("https://:443/", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(webhook_url_check("https://exa mple.com/", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(webhook_url_check("https://example.com/\n", err, sizeof(err)), -1);
	char longurl[WEBHOOK_URL_MAX + 2];
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = '\0';
	memcpy(longurl, "https://x.example/", 18);
	CU_ASSERT_EQUAL(webhook_url_check(longurl, err, sizeof(err)), -1);
	/* But the path's '@' is not a credential. */
	CU_ASSERT_EQUAL(webhook_url_check("https://example.com/a@b", err, sizeof(err)), 0);
}

static void test_schedule(void)
{
	static const long long expect[] = { 0, 5, 300, 1800, 7200, 18000, 36000, 36000 };
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(webhook_retry_delay(i), expect[i]);
	CU_ASSERT_EQUAL(webhook_retry_delay(8), -1);
}

static const struct unit_case cases[] = {
	{ "the Standard Webhooks test vector", test_spec_vector },
	{ "id, timestamp and body are all signed", test_every_part_signed },
	{ "secrets that are not whsec_ + 24-64 bytes refused", test_bad_secrets_refused },
	{ "generated secrets", test_generated_secret },
	{ "message ids", test_msg_id },
	{ "event lists", test_events },
	{ "endpoint URLs", test_url_check },
	{ "the retry schedule", test_schedule },
	{ NULL, NULL },
};

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	return unit_run("webhook", cases);
}
