/*
 * claimers: scenario 5 of bench/run. THREADS workers, each on its own
 * keep-alive connection, loop "claim, then complete what was claimed" against
 * the worker API until SECONDS have passed or the queue is empty (204).
 * A shell loop of curl processes would measure fork+exec, not gentrack.
 *
 *   claimers BASE_URL WORKER_KEY THREADS SECONDS ENTITY_TYPES_JSON
 *
 * ENTITY_TYPES_JSON is the claim's array, e.g. '["problem","quiz"]'.
 * Prints one line of key=value pairs: claims, completes, requests, errors,
 * empty (204 answers), seconds, and p50_ms / p99_ms over every HTTP request.
 * Exit 0 when no request failed, 1 otherwise.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define MAX_THREADS 64

struct worker {
	pthread_t tid;
	int n;
	long claims, completes, errors, empty;
	double *lat;		/* milliseconds of each request */
	size_t nlat, caplat;
	char body[8192];	/* the last response (claims are a few hundred bytes) */
	size_t blen;
};

static const char *base, *key, *types;
static double deadline;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct worker *w = ud;
	size_t n = sz * nm, room = sizeof(w->body) - 1 - w->blen;
	memcpy(w->body + w->blen, p, n < room ? n : room);
	w->blen += n < room ? n : room;
	w->body[w->blen] = '\0';
	return n;
}

static void add_lat(struct worker *w, double ms)
{
	if (w->nlat == w->caplat) {
		size_t cap = w->caplat ? w->caplat * 2 : 4096;
		double *p = realloc(w->lat, cap * sizeof(*p));
		if (!p)
			return;
		w->lat = p;
		w->caplat = cap;
	}
	w->lat[w->nlat++] = ms;
}

/* POSTs JSON to base+path; returns the HTTP status, 0 on a transport error. */
static long post(struct worker *w, CURL *h, const char *path, const char *json)
{
	char url[512];
	long code = 0;
	snprintf(url, sizeof(url), "%s%s", base, path);
	w->blen = 0;
	w->body[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	double t0 = now_s();
	CURLcode rc = curl_easy_perform(h);
	add_lat(w, (now_s() - t0) * 1000.0);
	if (rc != CURLE_OK)
		return 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* Copies the string value of "name" in the flat JSON of the response. */
static int json_str(const char *js, const char *name, char *out, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", name);
	const char *p = strstr(js, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	const char *q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= size)
		return -1;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return 0;
}

/* An integer member of a flat answer ("attempt": 1), or -1. */
static long json_long(const char *js, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", name);
	const char *p = strstr(js, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char auth[512], claim[512], done[512], path[256], id[64], wid[64];
	struct curl_slist *hdrs = NULL;
	CURL *h = curl_easy_init();
	if (!h) {
		w->errors++;
		return NULL;
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	snprintf(wid, sizeof(wid), "bench-%d", w->n);
	snprintf(claim, sizeof(claim),
		 "{\"worker_id\":\"%s\",\"entity_types\":%s,\"lease_seconds\":60}", wid, types);

	while (now_s() < deadline) {
		long code = post(w, h, "/api/v1/worker/claim", claim);
		if (code == 204) {
			w->empty++;
			break;	/* the queue is drained: nothing left to measure */
		}
		if (code != 200 || json_str(w->body, "request_id", id, sizeof(id)) < 0) {
			w->errors++;
			continue;
		}
		w->claims++;
		/* Every call after the claim names the claim's attempt. */
		snprintf(done, sizeof(done), "{\"worker_id\":\"%s\",\"attempt\":%ld}", wid,
			 json_long(w->body, "attempt"));
		snprintf(path, sizeof(path), "/api/v1/worker/generation-requests/%s/complete", id);
		code = post(w, h, path, done);
		if (code == 200)
			w->completes++;
		else
			w->errors++;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static struct worker ws[MAX_THREADS];
	int n, i;
	if (argc != 6) {
		fprintf(stderr, "usage: claimers BASE_URL WORKER_KEY THREADS SECONDS ENTITY_TYPES_JSON\n");
		return 2;
	}
	base = argv[1];
	key = argv[2];
	n = atoi(argv[3]);
	types = argv[5];
	double secs = atof(argv[4]);
	if (n < 1 || n > MAX_THREADS || secs <= 0 || secs > 600) {
		fprintf(stderr, "claimers: THREADS 1..%d, SECONDS (0, 600]\n", MAX_THREADS);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	double t0 = now_s();
	deadline = t0 + secs;
	for (i = 0; i < n; i++) {
		ws[i].n = i + 1;
		pthread_create(&ws[i].tid, NULL, run, &ws[i]);
	}
	long claims = 0, completes = 0, errors = 0, empty = 0;
	size_t nlat = 0;
	for (i = 0; i < n; i++) {
		pthread_join(ws[i].tid, NULL);
		claims += ws[i].claims;
		completes += ws[i].completes;
		errors += ws[i].errors;
		empty += ws[i].empty;
		nlat += ws[i].nlat;
	}
	double elapsed = now_s() - t0;
	double *all = malloc((nlat ? nlat : 1) * sizeof(*all));
	size_t k = 0;
	for (i = 0; i < n; i++) {
		if (all && ws[i].nlat)
			memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof(*all));
		k += ws[i].nlat;
		free(ws[i].lat);
	}
	double p50 = 0, p99 = 0;
	if (all && nlat) {
		qsort(all, nlat, sizeof(*all), cmp_double);
		p50 = all[nlat / 2];
		p99 = all[(size_t)((double)nlat * 0.99)];
	}
	free(all);
	printf("claims=%ld completes=%ld requests=%zu errors=%ld empty=%ld seconds=%.3f "
	       "p50_ms=%.2f p99_ms=%.2f\n",
	       claims, completes, nlat, errors, empty, elapsed, p50, p99);
	curl_global_cleanup();
	return errors ? 1 : 0;
}
