#include "build_config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "model/webhook.h"
#include "ops/deliverer.h"
#include "ops/webhook_target.h"
#include "base/banned.h"

/* What a receiver may answer that we read: enough for a reason in last_error. */
#define RESPONSE_CAP 4096
/* A Retry-After beyond this is read as this. */
#define RETRY_AFTER_MAX_S (24LL * 3600)

struct response {
	char body[RESPONSE_CAP + 1];
	size_t len;
	int capped;             /* the receiver sent more: the transfer was cut */
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct response *r = ctx;
	size_t bytes = size * n, room = RESPONSE_CAP - r->len;
	if (bytes > room) {
		memcpy(r->body + r->len, data, room);
		r->len += room;
		r->capped = 1;
		return 0;       /* stop reading: the status is all that counts */
	}
	memcpy(r->body + r->len, data, bytes);
	r->len += bytes;
	return bytes;
}

struct attempt {
	long status;            /* HTTP status, 0 when none came */
	long long retry_after;  /* seconds, -1 when not sent */
	char error[512];        /* "" when the receiver answered */
	int refused;            /* the address is not allowed: never try again */
};

static void post(const struct config *cfg, const struct store_delivery *d, struct attempt *a)
{
	struct webhook_target t;
	struct response resp = { .len = 0 };
	struct curl_slist *headers = NULL, *resolve = NULL;
	char line[512], sig[2 * (WEBHOOK_SIGNATURE_LEN + 1)];
	char curl_err[CURL_ERROR_SIZE] = "";
	long long ts = d->now / 1000000;
	CURL *h = NULL;

	a->status = 0;
	a->retry_after = -1;
	a->error[0] = '\0';
	a->refused = 0;
	int tr = webhook_target_resolve(d->url, cfg->webhooks_allow_private, &t, a->error,
					sizeof(a->error));
	if (tr < 0) {
		a->refused = tr == -2;
		return;
	}
	if (webhook_sign(d->secret, d->id, ts, d->payload, d->payload_len, sig) < 0) {
		snprintf(a->error, sizeof(a->error), "the endpoint's secret is not a whsec_ secret");
		a->refused = 1;
		return;
	}
	/* A rotation's overlap: the old secret's signature too, space-separated
	 * as the specification says, so receivers verify with either. */
	if (d->previous_secret) {
		size_t n = strlen(sig);
		sig[n] = ' ';
		if (webhook_sign(d->previous_secret, d->id, ts, d->payload, d->payload_len,
				 sig + n + 1) < 0)
			sig[n] = '\0';
	}
	struct curl_slist *l;
	int oom = 0;
#define ADD_HEADER(...) do { snprintf(line, sizeof(line), __VA_ARGS__); \
		if (!(l = curl_slist_append(headers, line))) oom = 1; else headers = l; } while (0)
	ADD_HEADER("Content-Type: application/json");
	ADD_HEADER("User-Agent: gentrack-webhooks");
	ADD_HEADER("webhook-id: %s", d->id);
	ADD_HEADER("webhook-timestamp: %lld", ts);
	ADD_HEADER("webhook-signature: %s", sig);
	ADD_HEADER("Expect:");
#undef ADD_HEADER
	/* Connect to the address checked above, whatever DNS says a moment later. */
	snprintf(line, sizeof(line), "%s:%d:%s", t.host, t.port, t.address);
	if (!(resolve = curl_slist_append(NULL, line)))
		oom = 1;
	if (oom || !(h = curl_easy_init())) {
		snprintf(a->error, sizeof(a->error), "out of memory");
		goto cleanup;
	}
	curl_easy_setopt(h, CURLOPT_URL, d->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->payload);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)d->payload_len);
	/* [webhooks] timeout_seconds: 15 s unless a test shortens it (Standard Webhooks). */
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)cfg->webhooks_timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && resp.capped && a->status)) {
		a->status = 0;
		snprintf(a->error, sizeof(a->error), "%s", *curl_err ? curl_err : curl_easy_strerror(rc));
		goto cleanup;
	}
	curl_off_t retry_after = -1;
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
		a->retry_after = retry_after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long long)retry_after;
	if (a->status < 200 || a->status > 299) {
		resp.body[resp.len] = '\0';
		/* The first line of what it said, for `webhook deliveries` and the admin page later. */
		resp.body[strcspn(resp.body, "\r\n")] = '\0';
		snprintf(a->error, sizeof(a->error), "HTTP %ld%s%.200s", a->status,
			 resp.len ? ": " : "", resp.body);
	}
cleanup:
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
}

/* The outcome of one attempt, the time to the next, and whether the endpoint goes. */
static enum store_delivery_outcome judge(const struct config *cfg, const struct store_delivery *d,
					 const struct attempt *a, long long *retry_us, int *disable)
{
	*retry_us = 0;
	*disable = 0;
	if (a->status >= 200 && a->status <= 299)
		return DELIVERY_DELIVERED;
	if (a->status == 410) {
		*disable = 1;
		return DELIVERY_DEAD;
	}
	if (a->refused)
		return DELIVERY_DEAD;
	long long delay = webhook_retry_delay(d->attempts + 1);
	if (delay < 0)
		return DELIVERY_DEAD;
	/* The divisor shortens our schedule for tests; a receiver's Retry-After stands. */
	*retry_us = delay * 1000000 / cfg->webhooks_retry_divisor;
	if (a->retry_after * 1000000 > *retry_us)
		*retry_us = a->retry_after * 1000000;
	return DELIVERY_RETRY;
}

static long long mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int deliverer_pass(struct store *s, const struct config *cfg, const char *lease_owner,
		   const volatile sig_atomic_t *stop, struct deliverer_counts *counts)
{
	while (!stop || !*stop) {
		struct store_delivery d;
		struct attempt a = { .status = 0 };
		long long retry_us = 0;
		int disable = 0;
		long long started;
		/* [webhooks] lease_seconds: longer than one POST, short enough to recover soon. */
		int rc = store_delivery_claim(s, lease_owner, (unsigned)cfg->webhooks_lease_s, &d);
		if (rc == STORE_NOT_FOUND)
			return STORE_OK;
		if (rc) {
			fprintf(stderr, "gentrackctl: deliver: %s\n", store_last_error(s));
			return rc;
		}
		enum store_delivery_outcome outcome;
		started = mono_us();
		if (d.endpoint_disabled) {
			snprintf(a.error, sizeof(a.error), "the endpoint was disabled or removed");
			outcome = DELIVERY_DEAD;
		} else {
			post(cfg, &d, &a);
			outcome = judge(cfg, &d, &a, &retry_us, &disable);
		}
		rc = store_delivery_finish(s, &d, lease_owner, outcome, retry_us, (int)a.status,
					   a.error[0] ? a.error : NULL, disable,
					   d.endpoint_disabled ? -1 : mono_us() - started);
		if (rc == STORE_OK && outcome == DELIVERY_DELIVERED)
			counts->delivered++;
		else if (rc == STORE_OK && outcome == DELIVERY_RETRY)
			counts->retried++;
		else if (rc == STORE_OK)
			counts->dead++;
		if (rc == STORE_OK && outcome != DELIVERY_DELIVERED)
			log_msg(LOG_WARN, "webhook %s attempt %u: %s%s", d.id, d.attempts + 1, a.error,
				disable ? " (410: endpoint disabled)" : "");
		store_delivery_release(&d);
		/* A lost lease: another deliverer has it now; not an error of this pass. */
		if (rc && rc != STORE_CONFLICT) {
			fprintf(stderr, "gentrackctl: deliver: %s\n", store_last_error(s));
			return rc;
		}
	}
	return STORE_OK;
}
