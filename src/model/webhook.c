#include "build_config.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "model/auth.h"
#include "model/webhook.h"
#include "base/banned.h"

void webhook_secret_generate(char out[WEBHOOK_SECRET_LEN + 1])
{
	unsigned char raw[WEBHOOK_SECRET_BYTES];
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, WEBHOOK_SECRET_PREFIX, 6);
	sodium_bin2base64(out + 6, WEBHOOK_SECRET_LEN + 1 - 6, raw, sizeof(raw),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(raw, sizeof(raw));
}

void webhook_msg_id_generate(char out[WEBHOOK_MSG_ID_LEN + 1])
{
	unsigned char raw[18];
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, "msg_", 4);
	sodium_bin2base64(out + 4, WEBHOOK_MSG_ID_LEN + 1 - 4, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int webhook_sign(const char *secret, const char *msg_id, long long timestamp,
		 const char *body, size_t body_len, char out[WEBHOOK_SIGNATURE_LEN + 1])
{
	unsigned char key[64], mac[crypto_auth_hmacsha256_BYTES];
	size_t key_len = 0;
	char ts[24];
	crypto_auth_hmacsha256_state st;
	int ret = -1;

	if (strncmp(secret, WEBHOOK_SECRET_PREFIX, 6) || strlen(secret) > WEBHOOK_SECRET_MAX)
		return -1;
	/* The specification's secrets are 24-64 bytes, not crypto_auth's 32:
	 * hence the init/update/final form, which takes a key of any length. */
	if (sodium_base642bin(key, sizeof(key), secret + 6, strlen(secret + 6), NULL, &key_len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) || key_len < 24)
		goto cleanup;
	snprintf(ts, sizeof(ts), "%lld", timestamp);
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg_id, strlen(msg_id));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1,", 3);
	sodium_bin2base64(out + 3, WEBHOOK_SIGNATURE_LEN + 1 - 3, mac, sizeof(mac),
			  sodium_base64_VARIANT_ORIGINAL);
	ret = 0;
cleanup:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	return ret;
}

static const enum gen_status final_states[] = { GEN_COMPLETED, GEN_PARTIAL, GEN_FAILED,
						 GEN_CANCELLED };
#define N_FINAL (sizeof(final_states) / sizeof(final_states[0]))

int webhook_events_parse(const char *list, char out[WEBHOOK_EVENTS_MAX + 1])
{
	int named[N_FINAL] = { 0 };
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		size_t i;
		for (i = 0; i < N_FINAL; i++) {
			const char *name = lifecycle_status_name(final_states[i]);
			if (len == strlen(name) && !strncmp(p, name, len))
				break;
		}
		if (i == N_FINAL)
			return -1;
		named[i] = 1;
		p += len;
		if (*p == ',' && !*++p)
			return -1;
	}
	out[0] = '\0';
	for (size_t i = 0; i < N_FINAL; i++) {
		if (!named[i])
			continue;
		if (*out)
			strncat(out, ",", WEBHOOK_EVENTS_MAX - strlen(out));
		strncat(out, lifecycle_status_name(final_states[i]), WEBHOOK_EVENTS_MAX - strlen(out));
	}
	return *out ? 0 : -1;
}

const char *webhook_event_type(enum gen_status final)
{
	switch (final) {
	case GEN_COMPLETED: return "generation_request.completed";
	case GEN_PARTIAL: return "generation_request.partial";
	case GEN_FAILED: return "generation_request.failed";
	case GEN_CANCELLED: return "generation_request.cancelled";
	default: return NULL;
	}
}

int webhook_name_valid(const char *name)
{
	return auth_name_valid(name, WEBHOOK_NAME_MAX);
}

int webhook_url_check(const char *url, char *err, size_t errlen)
{
	size_t len = strlen(url);
	const char *rest;
	if (len > WEBHOOK_URL_MAX) {
		snprintf(err, errlen, "the URL is longer than %d bytes", WEBHOOK_URL_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
			snprintf(err, errlen, "the URL has a blank, a control or a non-ASCII "
				 "character (percent-encode it)");
			return -1;
		}
	if (!strncmp(url, "https://", 8))
		rest = url + 8;
	else if (!strncmp(url, "http://", 7))
		rest = url + 7;
	else {
		snprintf(err, errlen, "the URL must start with http:// or https://");
		return -1;
	}
	size_t authority = strcspn(rest, "/?#");
	if (memchr(rest, '@', authority)) {
		snprintf(err, errlen, "the URL must not carry credentials (user@host): "
			 "the signature authenticates the deliveries");
		return -1;
	}
	size_t host = rest[0] == '[' ? strcspn(rest, "]") + 1 : strcspn(rest, ":/?#");
	if (host == 0 || host > authority || (rest[0] == '[' && host < 3)) {
		snprintf(err, errlen, "the URL has no host");
		return -1;
	}
	return 0;
}

long long webhook_retry_delay(unsigned attempts_made)
{
	/* Standard Webhooks' schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
	static const long long schedule[] = { 0, 5, 300, 1800, 7200, 18000, 36000, 36000 };
	if (attempts_made >= sizeof(schedule) / sizeof(schedule[0]))
		return -1;
	return schedule[attempts_made];
}
