#include "build_config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/utf8.h"
#include "base/uuid.h"
#include "worker/wclient.h"
#include "base/banned.h"

/* A claim answer carries constraints and metadata; a complete answer the entities. */
#define MAX_RESPONSE (16 * 1024 * 1024)
#define RETRY_AFTER_MAX_MS (10 * 60 * 1000)

struct wclient {
	CURL *curl;
	struct curl_slist *headers;
	char *base_url;              /* without a trailing '/' */
	char *worker_id;
	const volatile sig_atomic_t *stop;
	int backoff_base_ms, backoff_cap_ms;
	uint64_t rng;                /* xorshift64 state for the jitter */
	struct strbuf body;          /* the answer of the current attempt */
	int body_too_large;
	int64_t retry_after_ms;      /* from the current answer, -1 when none */
	int abort_on_stop;           /* the current transfer ends when *stop is raised */
	atomic_int cancelled;        /* wclient_cancel: from any thread, for good */
	long last_status;
	char last_error[512];
};

static uint32_t next_random(struct wclient *c)
{
	uint64_t x = c->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	return (uint32_t)(x >> 32);
}

int64_t wclient_backoff_ms(int retry, int base_ms, int cap_ms, int64_t retry_after_ms, uint32_t rnd)
{
	int64_t ceiling = base_ms;
	for (int i = 0; i < retry && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	int64_t wait = (int64_t)((double)rnd / 4294967296.0 * (double)(ceiling + 1));
	if (wait > ceiling)
		wait = ceiling;
	if (retry_after_ms > wait)
		wait = retry_after_ms;
	return wait;
}

static int visible_ascii(const char *s, size_t max)
{
	size_t n = 0;
	if (!s || !*s)
		return 0;
	for (; *s; s++, n++)
		if (*s <= ' ' || *s > '~' || n >= max)
			return 0;
	return 1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct wclient *c = ctx;
	size_t n = size * nmemb;
	if (c->body.len + n > MAX_RESPONSE) {
		c->body_too_large = 1;
		return 0;
	}
	if (strbuf_add(&c->body, data, n) < 0)
		return 0;
	return n;
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct wclient *c = ctx;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";
	if (n <= sizeof(name) - 1 || strncasecmp(data, name, sizeof(name) - 1))
		return n;
	char value[128];
	size_t vlen = n - (sizeof(name) - 1);
	if (vlen >= sizeof(value))
		return n;
	memcpy(value, data + sizeof(name) - 1, vlen);
	value[vlen] = '\0';
	char *v = value;
	while (*v == ' ' || *v == '\t')
		v++;
	char *end = v + strlen(v);
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	char *stop;
	errno = 0;
	long secs = strtol(v, &stop, 10);
	int64_t ms = -1;
	if (stop != v && !*stop && !errno && secs >= 0) {
		ms = secs > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : (int64_t)secs * 1000;
	} else {
		time_t when = curl_getdate(v, NULL);
		if (when != (time_t)-1) {
			int64_t d = ((int64_t)when - (int64_t)time(NULL)) * 1000;
			ms = d < 0 ? 0 : d > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : d;
		}
	}
	if (ms >= 0)
		c->retry_after_ms = ms;
	return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct wclient *c = ctx;
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (atomic_load(&c->cancelled))
		return 1;
	return c->abort_on_stop && c->stop && *c->stop;
}

/* The options wclient_new refuses. 0, or -1 with err set. */
static int check_opts(const struct wclient_opts *o, char *err, size_t errlen)
{
	if (!o->base_url || (strncmp(o->base_url, "http://", 7) && strncmp(o->base_url, "https://", 8))) {
		snprintf(err, errlen, "the URL must start with http:// or https://");
		return -1;
	}
	if (!visible_ascii(o->key, 4096)) {
		snprintf(err, errlen, "the worker key is missing or not visible ASCII");
		return -1;
	}
	if (!visible_ascii(o->worker_id, WORKER_ID_MAX)) {
		snprintf(err, errlen, "the worker id must be 1 to 200 visible ASCII characters");
		return -1;
	}
	return 0;
}

/* Seeds the jitter so that workers started together do not retry in step. */
static void seed_random(struct wclient *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec ^
		 UINT64_C(0x9e3779b97f4a7c15);
	if (!c->rng)
		c->rng = 1;
}

/* The headers of every call (you own the list), or NULL when out of memory. */
static struct curl_slist *make_headers(const char *key)
{
	static const char *const fixed[] = {
		"Content-Type: application/json", "Accept: application/json, application/problem+json",
		"Expect:",
	};
	struct strbuf auth = STRBUF_INIT;
	strbuf_addf(&auth, "Authorization: Bearer %s", key);
	struct curl_slist *h = auth.oom ? NULL : curl_slist_append(NULL, auth.buf);
	strbuf_release(&auth);
	for (size_t i = 0; h && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		struct curl_slist *next = curl_slist_append(h, fixed[i]);
		if (!next) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = next;
	}
	return h;
}

/* The easy handle's options for every call. 0, or -1 when libcurl refuses one. */
static int set_curl_options(struct wclient *c, const struct wclient_opts *o)
{
	CURL *k = c->curl;
	int bad = 0;
	bad |= curl_easy_setopt(k, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS,
				o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000L) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_TIMEOUT_MS,
				o->request_timeout_ms > 0 ? o->request_timeout_ms : 30000L) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_USERAGENT, PACKAGE "-worker/" PACKAGE_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_WRITEDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_HEADERDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_XFERINFODATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(k, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
#endif
	return bad ? -1 : 0;
}

struct wclient *wclient_new(const struct wclient_opts *o, char *err, size_t errlen)
{
	struct wclient *c = calloc(1, sizeof(*c));
	int ok = 0;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	strbuf_init(&c->body);
	atomic_init(&c->cancelled, 0);
	if (check_opts(o, err, errlen) < 0)
		goto cleanup;
	c->base_url = strdup(o->base_url);
	c->worker_id = strdup(o->worker_id);
	c->headers = make_headers(o->key);
	if (!c->base_url || !c->worker_id || !c->headers) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	size_t blen = strlen(c->base_url);
	while (blen && c->base_url[blen - 1] == '/')
		c->base_url[--blen] = '\0';
	c->stop = o->stop;
	c->backoff_base_ms = o->backoff_base_ms > 0 ? o->backoff_base_ms : WCLIENT_BACKOFF_BASE_MS;
	c->backoff_cap_ms = o->backoff_cap_ms > 0 ? o->backoff_cap_ms : WCLIENT_BACKOFF_CAP_MS;
	seed_random(c);
	c->curl = curl_easy_init();
	if (!c->curl) {
		snprintf(err, errlen, "cannot initialise libcurl");
		goto cleanup;
	}
	if (set_curl_options(c, o) < 0) {
		snprintf(err, errlen, "cannot set libcurl options");
		goto cleanup;
	}
	ok = 1;
cleanup:
	if (!ok) {
		wclient_free(c);
		return NULL;
	}
	return c;
}

void wclient_cancel(struct wclient *c)
{
	atomic_store(&c->cancelled, 1);
}

void wclient_free(struct wclient *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	strbuf_release(&c->body);
	free(c->base_url);
	free(c->worker_id);
	free(c);
}

long wclient_last_status(const struct wclient *c)
{
	return c->last_status;
}

const char *wclient_last_error(const struct wclient *c)
{
	return c->last_error;
}

/* The detail (else title) of a problem+json answer, or a short piece of the body. */
static void describe_answer(struct wclient *c, long status)
{
	json_t *v = json_loadb(c->body.buf, c->body.len, 0, NULL);
	const char *detail = NULL;
	if (json_is_object(v)) {
		detail = json_string_value(json_object_get(v, "detail"));
		if (!detail)
			detail = json_string_value(json_object_get(v, "title"));
	}
	/* Both quote the answer: cut between its characters (issue 20). */
	if (detail)
		utf8_snprintf(c->last_error, sizeof(c->last_error), "HTTP %ld: %s", status, detail);
	else if (c->body.len)
		snprintf(c->last_error, sizeof(c->last_error), "HTTP %ld: %.*s", status,
			 (int)utf8_prefix_len(c->body.buf, c->body.len, 120), c->body.buf);
	else
		snprintf(c->last_error, sizeof(c->last_error), "HTTP %ld", status);
	json_decref(v);
}

/* Curl failures that the next attempt may not meet: all but a few. */
static int curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_TOO_MANY_REDIRECTS:
		return 0;
	default:
		return 1;
	}
}

/* attempt(): a transient failure, worth another attempt after a backoff. */
#define CALL_RETRY 100

/* Sets the URL and body of the call's attempts. 0, or -1 with last_error set. */
static int prepare(struct wclient *c, struct strbuf *url, const char *path, const char *body,
		   int interruptible)
{
	strbuf_addf(url, "%s%s", c->base_url, path);
	if (url->oom) {
		snprintf(c->last_error, sizeof(c->last_error), "out of memory");
		return -1;
	}
	c->abort_on_stop = interruptible;
	if (curl_easy_setopt(c->curl, CURLOPT_URL, url->buf) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK) {
		snprintf(c->last_error, sizeof(c->last_error), "cannot set the request options");
		return -1;
	}
	return 0;
}

/* A 200: WCLIENT_OK with *out the JSON object when the caller wants it. */
static int take_answer(struct wclient *c, const char *what, json_t **out)
{
	json_error_t jerr;
	if (!out)
		return WCLIENT_OK;
	*out = json_loadb(c->body.buf, c->body.len, 0, &jerr);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(c->last_error, sizeof(c->last_error), "HTTP 200 without a JSON object: %s",
			 jerr.text);
		log_error("%s: %s", what, c->last_error);
		return WCLIENT_REJECTED;
	}
	return WCLIENT_OK;
}

/* A transfer that did not finish: last_error says why. */
static void describe_curl_failure(struct wclient *c, CURLcode rc)
{
	if (c->body_too_large)
		snprintf(c->last_error, sizeof(c->last_error), "answer larger than %d bytes",
			 MAX_RESPONSE);
	else if (c->body.oom)
		snprintf(c->last_error, sizeof(c->last_error), "out of memory");
	else
		snprintf(c->last_error, sizeof(c->last_error), "%s", curl_easy_strerror(rc));
}

/*
 * One attempt of a call: a wclient_rc when the call is over, CALL_RETRY
 * after a transient failure (last_error and retry_after_ms say more).
 */
static int attempt(struct wclient *c, const char *what, int interruptible, json_t **out)
{
	long status = 0;

	strbuf_reset(&c->body);
	c->body_too_large = 0;
	c->retry_after_ms = -1;
	c->last_status = 0;
	CURLcode rc = curl_easy_perform(c->curl);
	if (rc == CURLE_ABORTED_BY_CALLBACK && atomic_load(&c->cancelled))
		return WCLIENT_STOPPED;
	if (rc == CURLE_ABORTED_BY_CALLBACK && interruptible && c->stop && *c->stop)
		return WCLIENT_STOPPED;
	if (rc != CURLE_OK) {
		describe_curl_failure(c, rc);
		if (curl_transient(rc))
			return CALL_RETRY;
		log_error("%s: %s (not retried)", what, c->last_error);
		return WCLIENT_REJECTED;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	c->last_status = status;
	if (status == 204)
		return WCLIENT_NO_CONTENT;
	if (status == 200)
		return take_answer(c, what, out);
	describe_answer(c, status);
	if (status == 409)
		return WCLIENT_CONFLICT;
	if (status == 401 || status == 403) {
		log_error("%s: %s", what, c->last_error);
		return WCLIENT_DENIED;
	}
	if (status == 429 || status == 502 || status == 503 || status == 504)
		return CALL_RETRY;
	log_error("%s: %s (not retried)", what, c->last_error);
	return WCLIENT_REJECTED;
}

/*
 * The backoff's sleep: 0 once over, -1 when the call is to end now
 * (cancelled, or *stop raised during an interruptible call).
 */
static int nap(struct wclient *c, int64_t ms, int interruptible)
{
	int64_t end = time_mono_ms() + ms;
	for (;;) {
		if (atomic_load(&c->cancelled))
			return -1;
		int64_t left = end - time_mono_ms();
		if (left <= 0)
			return 0;
		if (time_nap_ms(left < TIME_NAP_SLICE_MS ? left : TIME_NAP_SLICE_MS,
				interruptible ? c->stop : NULL) < 0)
			return -1;
	}
}

/*
 * One call with its retries. what: "claim", "heartbeat <id>", ... for logs.
 * Returns a wclient_rc; on WCLIENT_OK with out non-NULL, *out is the parsed
 * answer (NULL for a 204).
 */
static int call(struct wclient *c, const char *what, const char *path, const char *body,
		int64_t budget_ms, int interruptible, json_t **out)
{
	struct strbuf url = STRBUF_INIT;
	int64_t deadline = budget_ms < 0 ? INT64_MAX : time_mono_ms() + budget_ms;
	int stop_seen = 0;
	int ret = WCLIENT_REJECTED;

	if (out)
		*out = NULL;
	c->last_status = 0;
	c->last_error[0] = '\0';
	if (prepare(c, &url, path, body, interruptible) < 0)
		goto cleanup;
	for (int retry = 0;; retry++) {
		if (atomic_load(&c->cancelled)) {
			ret = WCLIENT_STOPPED;
			goto cleanup;
		}
		if (c->stop && *c->stop) {
			if (interruptible) {
				ret = WCLIENT_STOPPED;
				goto cleanup;
			}
			if (!stop_seen) {
				stop_seen = 1;
				int64_t cut = time_mono_ms() + WCLIENT_STOP_BUDGET_MS;
				if (cut < deadline)
					deadline = cut;
			}
		}
		ret = attempt(c, what, interruptible, out);
		if (ret != CALL_RETRY)
			goto cleanup;
		int64_t wait = wclient_backoff_ms(retry, c->backoff_base_ms, c->backoff_cap_ms,
						  c->retry_after_ms, next_random(c));
		if (time_mono_ms() + wait >= deadline) {
			log_warn("%s: %s; giving up after %d attempts", what, c->last_error, retry + 1);
			ret = WCLIENT_UNAVAILABLE;
			goto cleanup;
		}
		log_warn("%s: %s; backoff %.1f s (attempt %d)", what, c->last_error,
			 (double)wait / 1000.0, retry + 1);
		if (nap(c, wait, interruptible) < 0) {
			ret = WCLIENT_STOPPED;
			goto cleanup;
		}
	}
cleanup:
	if (ret == WCLIENT_OK || ret == WCLIENT_NO_CONTENT)
		c->last_error[0] = '\0';
	/* The body must not outlive this call: curl keeps only the pointer. */
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
	strbuf_release(&url);
	return ret;
}

/* Dumps body (consumed: decref'd here) into text; NULL on allocation failure. */
static char *dump_body(json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return text;
}

int wclient_claim(struct wclient *c, const char *const *types, size_t n_types,
		  long lease_seconds, int64_t budget_ms, json_t **out)
{
	json_t *arr = json_array();
	json_t *body = json_pack("{s:s}", "worker_id", c->worker_id);
	char *text = NULL;
	int ret = WCLIENT_REJECTED;

	*out = NULL;
	if (!arr || !body)
		goto cleanup;
	for (size_t i = 0; i < n_types; i++)
		if (json_array_append_new(arr, json_string(types[i])) < 0)
			goto cleanup;
	if (json_object_set(body, "entity_types", arr) < 0)
		goto cleanup;
	if (lease_seconds > 0 && json_object_set_new(body, "lease_seconds", json_integer(lease_seconds)) < 0)
		goto cleanup;
	text = dump_body(body);
	body = NULL;
	if (!text)
		goto cleanup;
	ret = call(c, "claim", "/api/v1/worker/claim", text, budget_ms, 1, out);
cleanup:
	if (ret == WCLIENT_REJECTED && !text && !c->last_error[0])
		snprintf(c->last_error, sizeof(c->last_error), "out of memory");
	json_decref(arr);
	json_decref(body);
	free(text);
	return ret;
}

/* POST .../generation-requests/{id}/{verb} with body (consumed). */
static int request_call(struct wclient *c, const char *id, const char *verb, json_t *body,
			int64_t budget_ms, json_t **out)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct uuid u;
	char *text = NULL;
	int ret = WCLIENT_REJECTED;

	if (out)
		*out = NULL;
	/* The id goes into the URL path: only a UUID may. */
	if (!id || uuid_parse(id, strlen(id), &u) < 0) {
		snprintf(c->last_error, sizeof(c->last_error), "not a request id");
		json_decref(body);
		goto cleanup;
	}
	text = dump_body(body);
	strbuf_addf(&path, "/api/v1/worker/generation-requests/%s/%s", id, verb);
	strbuf_addf(&what, "%s %s", verb, id);
	if (!text || path.oom || what.oom) {
		snprintf(c->last_error, sizeof(c->last_error), "out of memory");
		goto cleanup;
	}
	ret = call(c, what.buf, path.buf, text, budget_ms, 0, out);
cleanup:
	free(text);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret;
}

int wclient_heartbeat(struct wclient *c, const char *id, long attempt, int64_t budget_ms,
		      json_t **out)
{
	json_t *body = json_pack("{s:s,s:i}", "worker_id", c->worker_id, "attempt", (int)attempt);
	return request_call(c, id, "heartbeat", body, budget_ms, out);
}

int wclient_entity(struct wclient *c, const char *id, long attempt, long index,
		   const json_t *entity, const char *error, int64_t budget_ms, json_t **out)
{
	json_t *body = json_pack("{s:s,s:i,s:i}", "worker_id", c->worker_id, "attempt", (int)attempt,
				 "index", (int)index);
	if (body) {
		int bad = entity ? json_object_set(body, "entity", (json_t *)entity)
				 : json_object_set_new(body, "error", json_string(error ? error : ""));
		if (bad) {
			json_decref(body);
			body = NULL;
		}
	}
	return request_call(c, id, "entities", body, budget_ms, out);
}

int wclient_complete(struct wclient *c, const char *id, long attempt, int64_t budget_ms,
		     json_t **out)
{
	json_t *body = json_pack("{s:s,s:i}", "worker_id", c->worker_id, "attempt", (int)attempt);
	return request_call(c, id, "complete", body, budget_ms, out);
}
