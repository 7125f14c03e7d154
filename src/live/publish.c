#include "build_config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/publish.h"
#include "base/jsonw.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "model/lifecycle.h"
#include "base/banned.h"

/* nginx's publisher location. On the unix socket the host name only fills
 * the URL; a peer's is its [live] peers address. */
#define PUB_PATH "/_gentrack/pub/"
#define LOCAL_PREFIX "http://nchan" PUB_PATH

/* This host's Nchan, then each peer's: every publish goes to all of them,
 * as each host's nginx holds the streams of its own clients. */
#define LIVE_ENDPOINTS_MAX (1 + CONFIG_LIVE_PEERS_MAX)

struct live {
	char *socket_path;           /* endpoint 0: this host's, on the unix socket */
	char *prefix[LIVE_ENDPOINTS_MAX]; /* each endpoint's URL up to the channel id */
	unsigned n_endpoints;        /* 1 + the peers */
	unsigned long long failures; /* since start */
	unsigned long long unlogged; /* since the last log line */
	int64_t logged_at;           /* µs, time_now_us() of that line */
};

int live_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

struct live *live_new(const struct config *cfg, int *enabled)
{
	*enabled = cfg->nchan_socket && cfg->nchan_socket[0];
	if (!*enabled)
		return NULL;
	struct live *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->socket_path = strdup(cfg->nchan_socket);
	l->prefix[0] = strdup(LOCAL_PREFIX);
	l->n_endpoints = 1;
	if (!l->socket_path || !l->prefix[0]) {
		live_free(l);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->live_n_peers; i++) {
		const struct config_host *p = &cfg->live_peers[i];
		/* An IPv6 address came without its brackets. */
		int v6 = strchr(p->name, ':') != NULL;
		size_t len = sizeof("http://[]:65535" PUB_PATH) + strlen(p->name);
		char *prefix = malloc(len);
		if (!prefix) {
			live_free(l);
			return NULL;
		}
		snprintf(prefix, len, "http://%s%s%s:%d" PUB_PATH, v6 ? "[" : "", p->name,
			 v6 ? "]" : "", p->port);
		l->prefix[l->n_endpoints++] = prefix;
	}
	return l;
}

void live_free(struct live *l)
{
	if (!l)
		return;
	free(l->socket_path);
	for (unsigned i = 0; i < l->n_endpoints; i++)
		free(l->prefix[i]);
	free(l);
}

unsigned long long live_failures(const struct live *l)
{
	return l ? l->failures : 0;
}

void live_render(const struct gen_request *r, struct strbuf *out)
{
	struct jsonw w;
	jsonw_init(&w, out);
	jsonw_object_begin(&w);
	/* Small, and the same for every subscriber: what the request is doing,
	 * not what the client sent (metadata is not a status token's to read). */
	resource_render_members(r, NULL, RESOURCE_NO_CONSTRAINTS | RESOURCE_NO_METADATA, &w);
	jsonw_key(&w, "version");
	jsonw_int(&w, (long long)r->version);
	jsonw_object_end(&w);
}

/* One failure more; a line for the first of a burst, then one per
 * LIVE_LOG_EVERY_S with the count, so a stopped nginx fills no log. s NULL:
 * the repair's own retry, which /metrics does not count again. */
static void count_failure(struct live *l, struct store *s, const struct uuid *id,
			  unsigned endpoint, const char *what, const char *why)
{
	int64_t now = time_now_us();
	l->failures++;
	/* For /metrics, where every child's and gentrackctl's count adds up; a
	 * store that cannot take it (it may be why) leaves the log line. */
	if (s)
		(void)store_count_live_failure(s, id);
	l->unlogged++;
	if (l->logged_at && now - l->logged_at < LIVE_LOG_EVERY_S * US_PER_S)
		return;
	log_warn("live updates: %s failed (%s; nginx at %s); %llu %s since the last report; "
		 "gentrack-fcgi publishes the state again every %d s until nginx takes it",
		 what, why, endpoint ? l->prefix[endpoint] : l->socket_path, l->unlogged,
		 s ? "publish(es) lost" : "republish(es) failed", LIVE_REPAIR_EVERY_S);
	l->unlogged = 0;
	l->logged_at = now;
}

/* nginx's answer body: kept when the caller wants it (ctx a strbuf), else
 * dropped. */
static size_t take_body(char *data, size_t size, size_t n, void *ctx)
{
	struct strbuf *answer = ctx;
	if (answer && strbuf_add(answer, data, size * n) < 0)
		return 0;
	return size * n;
}

/*
 * One request to the channel of `id` on an endpoint (0: this host's):
 * method, body (NULL for none); nginx's answer appended to `answer` unless
 * it is NULL. The HTTP status, or -1 when that nginx did not answer in time.
 */
static long channel_call(struct live *l, struct store *s, unsigned endpoint, const char *method,
			 const struct uuid *id, const char *body, size_t len, long timeout_ms,
			 struct strbuf *answer)
{
	char url[sizeof("http://[]:65535" PUB_PATH) + CONFIG_HOST_NAME_MAX + UUID_STR_LEN];
	char sid[UUID_STR_LEN + 1];
	long status = -1;

	uuid_format(id, sid);
	snprintf(url, sizeof(url), "%s%s", l->prefix[endpoint], sid);
	/*
	 * A handle and a connection per call (microseconds on a unix socket):
	 * between requests a child then holds nothing open but its listener and
	 * its store connection (a kept handle keeps libcurl's wake-up socket
	 * pair), and a restarted nginx meets no stale connection.
	 */
	CURL *h = curl_easy_init();
	if (!h) {
		count_failure(l, s, id, endpoint, method, "out of memory");
		return -1;
	}
	if (endpoint == 0)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, l->socket_path);
	/* A peer is on the private network: never through an http_proxy of
	 * the environment. */
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	/*
	 * A message without a Content-Type (libcurl would send a form's): Nchan
	 * answers a long poll with the message's, and nginx carries it over to
	 * the application's answer that ends the wait (api/api_wait.h), a 304
	 * included.
	 */
	struct curl_slist *headers = NULL;
	if (body) {
		headers = curl_slist_append(NULL, "Content-Type:");
		if (!headers) {
			curl_easy_cleanup(h);
			count_failure(l, s, id, endpoint, method, "out of memory");
			return -1;
		}
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else
		count_failure(l, s, id, endpoint, method, curl_easy_strerror(rc));
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	return status;
}

/*
 * The channel of a request now holds a stale message (its latest publish was
 * lost), or still has streams after the final state: the supervisor's repair
 * (live/repair.c) publishes the request's state again. A store that cannot
 * take the row (it may be why) leaves a subscriber to the next change or
 * reconnect, as before the repair.
 */
static void queue_repair(struct store *s, const struct uuid *id)
{
	if (s)
		(void)store_republish_mark(s, id);
}

/*
 * The state of r to its channel on the first n endpoints (1: this host's
 * only; l->n_endpoints: every host's), waiting at most timeout_ms for each
 * nginx, and with `end` (a final state old enough: live/publish.h) its
 * streams ended. 0; PUBLISH_LOST when one of them does not have it;
 * PUBLISH_NOT_ENDED when all have the final state but the streams of one
 * were not ended. Both are counted and queued for repair when s is not
 * NULL; the repair publishes to every endpoint again (the others see the
 * same version twice, which streams are told to expect).
 */
#define PUBLISH_LOST (-1)
#define PUBLISH_NOT_ENDED (-2)
static int publish_within(struct live *l, struct store *s, const struct gen_request *r,
			  unsigned n, long timeout_ms, int end)
{
	struct strbuf msg;
	int lost = 0, not_ended = 0;

	strbuf_init(&msg);
	live_render(r, &msg);
	if (msg.oom) {
		strbuf_release(&msg);
		count_failure(l, s, &r->id, 0, "rendering a message", "out of memory");
		queue_repair(s, &r->id);
		return PUBLISH_LOST;
	}
	/* One endpoint failing does not keep the change from the others. */
	for (unsigned e = 0; e < n; e++) {
		long status = channel_call(l, s, e, "POST", &r->id, msg.buf, msg.len, timeout_ms,
					   NULL);
		/* 201: delivered to subscribers; 202: queued for later ones. */
		if (status != 201 && status != 202) {
			if (status >= 0)
				count_failure(l, s, &r->id, e, "POST", "nginx did not take the message");
			lost = 1;
			continue;
		}
		/* Only the repair ends streams here, and only a while after the
		 * final state (see live_end). Failing, subscribers have the final
		 * state but their streams stay open: the next round publishes it
		 * again and ends them. */
		if (end && lifecycle_is_terminal(r->status) &&
		    channel_call(l, s, e, "DELETE", &r->id, NULL, 0, timeout_ms, NULL) < 0)
			not_ended = 1;
	}
	strbuf_release(&msg);
	if (lost || not_ended)
		queue_repair(s, &r->id);
	return lost ? PUBLISH_LOST : not_ended ? PUBLISH_NOT_ENDED : 0;
}

int live_publish(struct live *l, struct store *s, const struct gen_request *r)
{
	return publish_within(l, s, r, l->n_endpoints, LIVE_PUBLISH_TIMEOUT_MS, 0) ? -1 : 0;
}

int live_republish(struct live *l, const struct gen_request *r, int end)
{
	return publish_within(l, NULL, r, l->n_endpoints, LIVE_REPAIR_TIMEOUT_MS, end) ? -1 : 0;
}

int live_end(struct live *l, const struct uuid *id)
{
	/* 200: its streams ended; 404: no channel (nginx restarted, or it
	 * ended already): either way no stream of it is left. */
	return channel_call(l, NULL, 0, "DELETE", id, NULL, 0, LIVE_REPAIR_TIMEOUT_MS, NULL) < 0 ? -1 : 0;
}

int live_prepare_channel(struct live *l, struct store *s, const struct gen_request *r)
{
	/* The stream is handed to this host's nginx: only its channel matters. */
	long status = channel_call(l, s, 0, "GET", &r->id, NULL, 0, LIVE_HANDOVER_TIMEOUT_MS,
				   NULL);
	if (status == 200)
		return 0;
	if (status != 404)
		return -1;
	/* After an nginx restart (its messages are in memory), or for a request
	 * nothing was published for yet, the channel starts with the state now
	 * (never a final one: the handler answers those itself). */
	return publish_within(l, s, r, 1, LIVE_HANDOVER_TIMEOUT_MS, 0);
}

/*
 * The message id in a channel's information as nginx's publisher answers it
 * (text/plain, its default): the line "last message id: <seconds>:<tag>".
 * 0, or -1 when there is none of that form.
 */
static int parse_mark(const struct strbuf *answer, char mark[LIVE_MARK_MAX])
{
	static const char line[] = "last message id: ";
	const char *p = strstr(answer->buf, line);
	if (!p)
		return -1;
	p += strlen(line);
	size_t seconds = strspn(p, "0123456789");
	if (seconds == 0 || seconds > 20 || p[seconds] != ':')
		return -1;
	size_t tag = strspn(p + seconds + 1, "0123456789");
	if (tag == 0 || tag > 5)
		return -1;
	size_t len = seconds + 1 + tag;
	memcpy(mark, p, len);
	mark[len] = '\0';
	return 0;
}

int live_channel_mark(struct live *l, struct store *s, const struct uuid *id,
		      char mark[LIVE_MARK_MAX])
{
	struct strbuf answer;
	strbuf_init(&answer);
	/* The wait is handed to this host's nginx: only its channel matters. */
	long status = channel_call(l, s, 0, "GET", id, NULL, 0, LIVE_HANDOVER_TIMEOUT_MS, &answer);
	int rc = status == 404 ? LIVE_NO_CHANNEL
		 : status == 200 && !answer.oom && parse_mark(&answer, mark) == 0 ? 0 : -1;
	strbuf_release(&answer);
	return rc;
}

int live_channel_start(struct live *l, struct store *s, const struct gen_request *r,
		       char mark[LIVE_MARK_MAX])
{
	struct strbuf msg, answer;
	int rc = -1;

	strbuf_init(&msg);
	strbuf_init(&answer);
	live_render(r, &msg);
	if (msg.oom)
		goto cleanup;
	/* Never a DELETE here (only the supervisor's round ends streams): the
	 * channel stays for the waits on the finished request (a retry by an
	 * operator may still change it), and a stream is never handed to the
	 * channel of a finished request. nginx answers the POST with the
	 * channel's information, the new message's id in it. */
	long status = channel_call(l, s, 0, "POST", &r->id, msg.buf, msg.len,
				   LIVE_HANDOVER_TIMEOUT_MS, &answer);
	if ((status == 201 || status == 202) && !answer.oom && parse_mark(&answer, mark) == 0)
		rc = 0;
cleanup:
	strbuf_release(&answer);
	strbuf_release(&msg);
	return rc;
}

void live_on_change(void *ctx, struct store *s, const struct uuid *ids, unsigned n)
{
	struct live *l = ctx;
	for (unsigned i = 0; i < n; i++) {
		struct gen_request r;
		gen_request_init(&r);
		int rc = store_request_get(s, &ids[i], NULL, &r);
		if (rc == STORE_OK) {
			live_publish(l, s, &r);
		} else {
			count_failure(l, s, &ids[i], 0, "reading the changed request", store_last_error(s));
			queue_repair(s, &ids[i]);
		}
		gen_request_release(&r);
	}
}
