/*
 * live-load: the load client of bench/live.sh (issue 13, item 4). One
 * process, one epoll loop, non-blocking sockets, HTTP/1.1 with keep-alive.
 *
 *   live-load --url URL --client-key K --worker-key W [options]
 *
 * 1. Creates --requests M requests of a fresh entity type (client API).
 * 2. Puts --waiters N waiters on them, waiter i on slot i % M:
 *    --mode subscribe  each holds a live stream (GET .../{id}/events with
 *                      Accept: text/event-stream; the application hands it to
 *                      nginx's Nchan) and parses its Server-Sent Events;
 *    --mode poll       each GETs its request every --poll-interval seconds
 *                      with If-None-Match, as a well-behaved client does;
 *    --mode none       no waiters: the change load alone.
 *    Subscribers are opened --open-inflight at a time; once every one has
 *    its first event (the current state) it prints "HELD n" on stdout.
 * 3. For --seconds it acts as the worker at --rate requests a second (0: no
 *    changes, the waiters only wait): each started pipeline claims the
 *    oldest pending request (pending -> processing, version 2), records its
 *    one entity (version 3), creates the request that replaces it in its slot
 *    (client API), and completes it (completed, version 4). A finished
 *    request's waiters move to its replacement, so N waiters stay on M live
 *    requests: a steady state, not a countdown. A subscriber closes its
 *    stream on the final state, as clients/js/gentrack.mjs does (nginx ends
 *    the stream only a few seconds later: live/publish.h).
 * 4. Drains for up to --drain seconds, then prints one line of key=value
 *    pairs ("LIVE ...") on stdout and a summary on stderr.
 *
 * The delay of an event. The change a worker call makes is committed inside
 * the call: gentrack publishes it to Nchan from the store's change listener
 * right after COMMIT and before the HTTP answer is written (live/publish.c,
 * store/engine.c announce_changes). So for each change
 *     call sent <= commit <= publish < answer received,
 * and for an event received at t:
 *     t - answer  <=  t - commit  <=  t - sent.
 * delay_* figures are t - sent (an upper bound: they include the worker
 * call's own way to its commit); delay_lo_* are t - answer (a lower bound,
 * negative when the event beat the answer). Both on this process's
 * CLOCK_MONOTONIC, at the epoll wake-up that read the bytes.
 *
 * --pgroup NAME=PGID (up to 6): CPU (utime + stime of every process in that
 * process group, from /proc) over the measured window: from --warmup seconds
 * after the changes start to the end of --seconds, as % of one core; and
 * this process's own.
 *
 * Bounded: every phase has a time limit (--open-seconds, --seconds, --drain),
 * SIGTERM/SIGINT end the run early (and still report), counts are capped by
 * the options. Exit 0 when it ran (the caller judges the figures), 1 on a
 * usage error, 2 when the set-up failed (requests not created, waiters not
 * held within --open-seconds).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define US 1000000LL
#define WHEEL_SLOTS 2048	/* of WHEEL_TICK_US: 20.48 s ahead at most */
#define WHEEL_TICK_US 10000LL
#define RBUF_MAX (256 * 1024)	/* a response head or body larger is an error */
#define MAX_PGROUPS 6
#define MAX_EVENTS_REC 20000000	/* events recorded at most */

enum mode { MODE_SUBSCRIBE, MODE_POLL, MODE_NONE };
enum role { ROLE_CREATE, ROLE_DRIVER, ROLE_SUB, ROLE_POLL };
enum step { STEP_CLAIM, STEP_ENTITY, STEP_CREATE, STEP_COMPLETE };
enum cstate { CS_CLOSED, CS_CONNECTING, CS_BUSY, CS_IDLE };
enum chunk_state { CK_SIZE, CK_DATA, CK_DATA_END, CK_TRAILER, CK_DONE };

struct req {			/* one generation request this run created */
	char id[37];
	int slot;		/* the waiters' slot it serves */
	int attempt;		/* of its claim */
	int64_t sent[5];	/* µs: when the call that made version v was sent */
	int64_t ans[5];		/* µs: when its answer came (0: none yet) */
	int final_seen;		/* pollers: how many saw its final state */
};

struct conn {
	int fd;
	enum role role;
	enum cstate state;
	int idx;		/* waiter index, or pipeline index */
	int src;		/* source address index */
	int req;		/* the request this waiter or pipeline is on; -1 none */
	enum step step;		/* pipelines */
	int64_t t_sent;		/* when the current HTTP request was sent */
	char *w;		/* the request being written (owned) */
	size_t wlen, woff, wcap;
	char *r;		/* raw bytes read, not parsed yet (owned) */
	size_t rlen, rcap;
	char *b;		/* the decoded body (owned) */
	size_t blen, bcap;
	/* the response being parsed */
	int head_done, status, chunked, close_after, event_stream;
	long long clen;		/* -1: none (chunked, or to the close) */
	long long got;		/* body bytes of a Content-Length body so far */
	enum chunk_state ck;
	long long ck_left;
	/* waiters */
	char etag[40];		/* pollers: the ETag of the last 200 */
	int got_first;		/* subscribers: the first event of this stream came */
	int ever_held;
	int terminal_seen;	/* this stream or poll saw the final state */
	int timer_next;		/* wheel list */
	int64_t due;
	int on_wheel;
	int busy_pipeline;	/* pipelines: started and not finished */
	int retried;		/* the current request was sent again once */
	int last_req, last_v;	/* subscribers: the last change event recorded */
	int fails;		/* waiters: failures in a row (retry_at) */
};

struct ev_rec {			/* one change event a subscriber received */
	int req;
	int version;
	int64_t t;
};

/* ------------------------------------------------------------------ options */

static const char *opt_url, *opt_ckey, *opt_wkey, *opt_driver_url;
static enum mode opt_mode = MODE_SUBSCRIBE;
static int opt_requests = 1000, opt_waiters = 10000, opt_pipelines = 32;
static double opt_rate = 100, opt_seconds = 30, opt_warmup = 2, opt_drain = 3;
static double opt_poll_interval = 5, opt_open_seconds = 180;
static int opt_open_inflight = 32, opt_sources = 8, opt_create_inflight = 16;
static const char *opt_entity_type;
static char entity_type_buf[64];
static struct { char name[24]; int pgid; } pgroups[MAX_PGROUPS];
static int n_pgroups;

static struct sockaddr_in dst_main, dst_driver;
static char host_main[80], host_driver[80];

/* ------------------------------------------------------------------ state */

static int epfd = -1;
static volatile sig_atomic_t stop_flag;
static struct req *reqs;
static int n_reqs, cap_reqs;
static int *hash_tab;		/* open addressing over reqs, -1 empty */
static size_t hash_mask;
static int *slot_cur;		/* slot -> its current request */
static int *slot_waiters;	/* slot -> waiters on it */
static struct conn *waiters;	/* opt_waiters */
static struct conn *pipes;	/* opt_pipelines (driver), also the creators at setup */
static int wheel[WHEEL_SLOTS];
static int64_t wheel_time;	/* the tick processed last, µs */
static int64_t t0;

static struct ev_rec *evs;
static size_t n_evs, cap_evs;

/* counters */
static long long c_created, c_create_err, c_held, c_stream_open_err, c_stream_reconnects;
static long long c_events, c_events_dup, c_events_initial, c_events_foreign, c_moves, c_conn_err;
static long long c_claims, c_claim_empty, c_entities, c_completes, c_driver_err, c_driver_lag;
static long long c_polls, c_poll_200, c_poll_304, c_poll_err, c_poll_final;
static long long c_http_status[600];
static int setup_created_target;
static int creating;		/* setup: creates still to start */
static long long *poll_delays;	/* µs, final state seen by a poller - complete sent */
static size_t n_poll_delays, cap_poll_delays;

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * US + ts.tv_nsec / 1000;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("live-load: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q)
		die("out of memory (%zu bytes)", n);
	return q;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* ------------------------------------------------------------------ requests */

static uint64_t hash_id(const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h;
}

static int req_find(const char *id)
{
	for (size_t i = hash_id(id) & hash_mask;; i = (i + 1) & hash_mask) {
		if (hash_tab[i] < 0)
			return -1;
		if (strcmp(reqs[hash_tab[i]].id, id) == 0)
			return hash_tab[i];
	}
}

/* A new request of id (36 characters) serving slot; -1 when the table is full. */
static int req_add(const char *id, int slot)
{
	if (n_reqs >= cap_reqs)
		return -1;
	int k = n_reqs++;
	memset(&reqs[k], 0, sizeof(reqs[k]));
	memcpy(reqs[k].id, id, 36);
	reqs[k].id[36] = '\0';
	reqs[k].slot = slot;
	size_t i = hash_id(reqs[k].id) & hash_mask;
	while (hash_tab[i] >= 0)
		i = (i + 1) & hash_mask;
	hash_tab[i] = k;
	return k;
}

/* The string value of "key":"..." in json, copied to out (36 chars max for
 * ids, or cap-1). 0, or -1 when absent. Enough for gentrack's own JSON. */
static int json_str(const char *json, const char *key, char *out, size_t cap)
{
	char pat[48];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *p = strstr(json, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	size_t n = 0;
	while (p[n] && p[n] != '"' && n + 1 < cap)
		n++;
	if (p[n] != '"')
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static int json_int(const char *json, const char *key, long long *out)
{
	char pat[48];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(json, pat);
	if (!p)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(p + strlen(pat), &end, 10);
	if (errno || end == p + strlen(pat))
		return -1;
	*out = v;
	return 0;
}

static int is_terminal(const char *status)
{
	return strcmp(status, "completed") == 0 || strcmp(status, "partial") == 0 ||
	       strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0;
}

/* ------------------------------------------------------------------ timers */

static void timer_add(struct conn *c, int64_t due)
{
	if (c->on_wheel)
		return;
	int64_t horizon = wheel_time + (WHEEL_SLOTS - 1) * WHEEL_TICK_US;
	if (due > horizon)
		due = horizon;
	if (due < wheel_time + WHEEL_TICK_US)
		due = wheel_time + WHEEL_TICK_US;
	c->due = due;
	int s = (int)((due / WHEEL_TICK_US) % WHEEL_SLOTS);
	c->timer_next = wheel[s];
	wheel[s] = c->idx;
	c->on_wheel = 1;
}

/* When a waiter whose stream or poll failed tries again: as EventSource and
 * a careful poller do, later after each failure (1 s, 2 s, 4 s, up to 10 s),
 * with jitter, so that thousands dropped at once do not come back at once. */
static unsigned rnd_state = 2463534242u;
static int64_t retry_at(struct conn *c, int64_t now)
{
	int64_t base = US << (c->fails < 4 ? c->fails : 4);
	if (base > 10 * US)
		base = 10 * US;
	c->fails++;
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return now + base / 2 + (int64_t)(rnd_state % (uint64_t)(base / 2 + 1));
}

/* ------------------------------------------------------------------ connections */

static void conn_reset_response(struct conn *c)
{
	c->head_done = 0;
	c->status = 0;
	c->chunked = 0;
	c->close_after = 0;
	c->event_stream = 0;
	c->clen = -1;
	c->got = 0;
	c->ck = CK_SIZE;
	c->ck_left = 0;
	c->blen = 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = CS_CLOSED;
	c->rlen = 0;
	c->wlen = c->woff = 0;
	/* The response's fields stay: its handler may run after the close. */
}

static void conn_free(struct conn *c)
{
	conn_close(c);
	free(c->w);
	free(c->r);
	free(c->b);
	c->w = c->r = c->b = NULL;
}

static uint64_t conn_tag(const struct conn *c)
{
	return ((uint64_t)c->role << 32) | (uint32_t)c->idx;
}

static int conn_connect(struct conn *c, int driver)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		c_conn_err++;
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(fd);
		c_conn_err++;
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (opt_sources > 1) {
		/* Several loopback source addresses: more than one address's worth
		 * of ephemeral ports, and nginx's reuseport spreads on the 4-tuple. */
		struct sockaddr_in src = { .sin_family = AF_INET };
		src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(c->src % opt_sources));
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			close(fd);
			c_conn_err++;
			return -1;
		}
	}
	const struct sockaddr_in *dst = driver ? &dst_driver : &dst_main;
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0 && errno != EINPROGRESS) {
		close(fd);
		c_conn_err++;
		return -1;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u64 = conn_tag(c) };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		c_conn_err++;
		return -1;
	}
	c->fd = fd;
	c->state = CS_CONNECTING;
	c->rlen = 0;
	conn_reset_response(c);
	return 0;
}

static void want_write(struct conn *c, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u64 = conn_tag(c) };
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static int conn_flush(struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = write(c->fd, c->w + c->woff, c->wlen - c->woff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				want_write(c, 1);
				return 0;
			}
			return -1;
		}
		c->woff += (size_t)n;
	}
	want_write(c, 0);
	return 0;
}

/* Queues one HTTP request on c (connecting first if needed) and sends it. */
static int conn_send(struct conn *c, const char *method, const char *path, const char *key,
		     const char *extra, const char *body)
{
	int driver = c->role == ROLE_DRIVER || c->role == ROLE_CREATE;
	size_t blen = body ? strlen(body) : 0;
	size_t need = strlen(method) + strlen(path) + strlen(key) + (extra ? strlen(extra) : 0) + blen + 256;
	if (need > c->wcap) {
		c->w = xrealloc(c->w, need);
		c->wcap = need;
	}
	int n;
	if (body)
		n = snprintf(c->w, c->wcap,
			     "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%s"
			     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			     method, path, driver ? host_driver : host_main, key, extra ? extra : "", blen, body);
	else
		n = snprintf(c->w, c->wcap, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%s\r\n",
			     method, path, driver ? host_driver : host_main, key, extra ? extra : "");
	if (n < 0 || (size_t)n >= c->wcap)
		die("request too long");
	c->wlen = (size_t)n;
	c->woff = 0;
	c->retried = 0;
	conn_reset_response(c);
	c->t_sent = now_us();
	if (c->state == CS_CLOSED) {
		if (conn_connect(c, driver) < 0)
			return -1;
		return 0; /* written once connected (EPOLLOUT) */
	}
	c->state = CS_BUSY;
	return conn_flush(c);
}

/* ------------------------------------------------------------------ the driver */

static int pick_free_pipe(void)
{
	for (int i = 0; i < opt_pipelines; i++)
		if (!pipes[i].busy_pipeline)
			return i;
	return -1;
}

static char worker_id[64];

static void driver_claim(struct conn *c)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"worker_id\":\"%s\",\"entity_types\":[\"%s\"],\"lease_seconds\":600}",
		 worker_id, opt_entity_type);
	c->busy_pipeline = 1;
	c->step = STEP_CLAIM;
	c->req = -1;
	if (conn_send(c, "POST", "/api/v1/worker/claim", opt_wkey, NULL, body) < 0) {
		c_driver_err++;
		c->busy_pipeline = 0;
	}
}

static void driver_next(struct conn *c)
{
	char path[160], body[256];
	struct req *r = &reqs[c->req];
	int rc = 0;
	switch (c->step) {
	case STEP_ENTITY:
		snprintf(path, sizeof(path), "/api/v1/worker/generation-requests/%s/entities", r->id);
		snprintf(body, sizeof(body),
			 "{\"worker_id\":\"%s\",\"attempt\":%d,\"index\":0,\"entity\":{\"answer\":42}}",
			 worker_id, r->attempt);
		rc = conn_send(c, "POST", path, opt_wkey, NULL, body);
		r->sent[3] = c->t_sent;
		break;
	case STEP_CREATE:
		snprintf(body, sizeof(body), "{\"entity_type\":\"%s\",\"count\":1}", opt_entity_type);
		rc = conn_send(c, "POST", "/api/v1/generation-requests", opt_ckey, NULL, body);
		break;
	case STEP_COMPLETE:
		snprintf(path, sizeof(path), "/api/v1/worker/generation-requests/%s/complete", r->id);
		snprintf(body, sizeof(body), "{\"worker_id\":\"%s\",\"attempt\":%d}", worker_id, r->attempt);
		rc = conn_send(c, "POST", path, opt_wkey, NULL, body);
		r->sent[4] = c->t_sent;
		break;
	default:
		break;
	}
	if (rc < 0) {
		c_driver_err++;
		c->busy_pipeline = 0;
	}
}

static void driver_answer(struct conn *c, int64_t now)
{
	char id[40];
	long long v;
	switch (c->step) {
	case STEP_CLAIM:
		if (c->status == 204) {
			c_claim_empty++;
			c->busy_pipeline = 0;
			return;
		}
		if (c->status != 200 || json_str(c->b, "request_id", id, sizeof(id)) < 0 ||
		    json_int(c->b, "attempt", &v) < 0 || (c->req = req_find(id)) < 0) {
			c_driver_err++;
			c->busy_pipeline = 0;
			return;
		}
		c_claims++;
		reqs[c->req].attempt = (int)v;
		reqs[c->req].sent[2] = c->t_sent;
		reqs[c->req].ans[2] = now;
		c->step = STEP_ENTITY;
		break;
	case STEP_ENTITY:
		if (c->status != 200) {
			c_driver_err++;
			c->busy_pipeline = 0;
			return;
		}
		c_entities++;
		reqs[c->req].ans[3] = now;
		c->step = STEP_CREATE;
		break;
	case STEP_CREATE: {
		int k;
		if (c->status != 202 || json_str(c->b, "request_id", id, sizeof(id)) < 0 || strlen(id) != 36 ||
		    (k = req_add(id, reqs[c->req].slot)) < 0) {
			c_driver_err++;
		} else {
			/* Before the complete: the slot's waiters find the new request
			 * there by the time they see the old one's final state. */
			slot_cur[reqs[c->req].slot] = k;
			c_created++;
		}
		c->step = STEP_COMPLETE;
		break;
	}
	case STEP_COMPLETE:
		if (c->status != 200) {
			c_driver_err++;
			c->busy_pipeline = 0;
			return;
		}
		c_completes++;
		reqs[c->req].ans[4] = now;
		c->busy_pipeline = 0;
		return;
	}
	driver_next(c);
}

/* ------------------------------------------------------------------ set-up creates */

static void create_next(struct conn *c)
{
	char body[160];
	if (creating <= 0) {
		c->busy_pipeline = 0;
		return;
	}
	creating--;
	snprintf(body, sizeof(body), "{\"entity_type\":\"%s\",\"count\":1}", opt_entity_type);
	c->busy_pipeline = 1;
	if (conn_send(c, "POST", "/api/v1/generation-requests", opt_ckey, NULL, body) < 0) {
		c_create_err++;
		c->busy_pipeline = 0;
	}
}

static void create_answer(struct conn *c)
{
	char id[40];
	if (c->status == 202 && json_str(c->b, "request_id", id, sizeof(id)) == 0 && strlen(id) == 36) {
		int k = req_add(id, n_reqs);
		if (k >= 0) {
			slot_cur[k] = k;
			c_created++;
		} else {
			c_create_err++;
		}
	} else {
		c_create_err++;
	}
	create_next(c);
}

/* ------------------------------------------------------------------ waiters */

static void waiter_start(struct conn *c)
{
	char path[160];
	struct req *r = &reqs[c->req];
	c->got_first = 0;
	c->terminal_seen = 0;
	if (c->role == ROLE_SUB) {
		snprintf(path, sizeof(path), "/api/v1/generation-requests/%s/events", r->id);
		if (conn_send(c, "GET", path, opt_ckey, "Accept: text/event-stream\r\n", NULL) < 0)
			timer_add(c, retry_at(c, now_us()));
	} else {
		char inm[80] = "";
		if (c->etag[0])
			snprintf(inm, sizeof(inm), "If-None-Match: %s\r\n", c->etag);
		snprintf(path, sizeof(path), "/api/v1/generation-requests/%s", r->id);
		c_polls++;
		if (conn_send(c, "GET", path, opt_ckey, inm, NULL) < 0) {
			c_poll_err++;
			timer_add(c, retry_at(c, now_us()));
		}
	}
}

/* The waiter's request is over: on to its slot's current one, if new. */
static int waiter_move(struct conn *c)
{
	int next = slot_cur[c->idx % opt_requests];
	if (next == c->req)
		return 0;
	c->req = next;
	c->etag[0] = '\0';
	c_moves++;
	return 1;
}

static void record_event(int req, int version, int64_t t)
{
	if (n_evs == cap_evs) {
		if (cap_evs >= MAX_EVENTS_REC)
			return;
		cap_evs = cap_evs ? cap_evs * 2 : 65536;
		evs = xrealloc(evs, cap_evs * sizeof(*evs));
	}
	evs[n_evs++] = (struct ev_rec){ req, version, t };
}

/* One SSE event's data (a JSON object) arrived on subscriber c. */
static void sub_event(struct conn *c, const char *data, int64_t now)
{
	char id[40], status[24];
	long long v;
	c_events++;
	if (json_str(data, "request_id", id, sizeof(id)) < 0 || json_str(data, "status", status, sizeof(status)) < 0 ||
	    json_int(data, "version", &v) < 0 || strcmp(id, reqs[c->req].id) != 0) {
		c_events_foreign++;
		return;
	}
	if (is_terminal(status))
		c->terminal_seen = 1;
	if (!c->got_first) {
		c->got_first = 1;
		c->fails = 0;
		c_events_initial++;
		if (!c->ever_held) {
			c->ever_held = 1;
			c_held++;
		}
		/* The state at subscription: pending (version 1) in the steady
		 * state, where a waiter is on its request before the claim. A
		 * later version here (it subscribed after a change) still counts
		 * as that change's event, with the delay it saw. */
		if (v < 2)
			return;
	}
	if (v < 2 || v > 4) {
		c_events_foreign++;
		return;
	}
	/* A stream opened again may repeat what this waiter already had. */
	if (c->last_req == c->req && v <= c->last_v) {
		c_events_dup++;
		return;
	}
	c->last_req = c->req;
	c->last_v = (int)v;
	record_event(c->req, (int)v, now);
}

/* Pulls complete events out of a subscriber's decoded body. */
static void sub_parse(struct conn *c, int64_t now)
{
	size_t start = 0;
	for (;;) {
		char *end = NULL;
		for (size_t i = start; i + 1 < c->blen; i++)
			if (c->b[i] == '\n' && c->b[i + 1] == '\n') {
				end = c->b + i;
				break;
			}
		if (!end)
			break;
		*end = '\0';
		/* Each line: "data: ...", "id: ...", or a ":" comment. */
		for (char *line = c->b + start; line && line < end;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (strncmp(line, "data:", 5) == 0)
				sub_event(c, line + 5 + (line[5] == ' '), now);
			line = nl ? nl + 1 : NULL;
		}
		start = (size_t)(end - c->b) + 2;
	}
	if (start) {
		memmove(c->b, c->b + start, c->blen - start);
		c->blen -= start;
	}
}

static void poll_answer(struct conn *c, int64_t now)
{
	struct req *r = &reqs[c->req];
	char status[24], etag[40];
	if (c->status == 304) {
		c_poll_304++;
	} else if (c->status == 200) {
		c_poll_200++;
		if (json_str(c->b, "status", status, sizeof(status)) == 0 && is_terminal(status)) {
			c->terminal_seen = 1;
			c_poll_final++;
			r->final_seen++;
			if (r->sent[4]) {
				if (n_poll_delays == cap_poll_delays) {
					cap_poll_delays = cap_poll_delays ? cap_poll_delays * 2 : 4096;
					poll_delays = xrealloc(poll_delays, cap_poll_delays * sizeof(*poll_delays));
				}
				poll_delays[n_poll_delays++] = now - r->sent[4];
			}
		}
		(void)etag;
	} else {
		c_poll_err++;
		timer_add(c, retry_at(c, now));
		return;
	}
	c->fails = 0;
	if (c->terminal_seen && waiter_move(c)) {
		waiter_start(c); /* the new request at once, as a client would */
		return;
	}
	timer_add(c, c->t_sent + (int64_t)(opt_poll_interval * US));
}

/* ------------------------------------------------------------------ HTTP parsing */

static int header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static const char *header_val(const char *line, size_t len, const char *name, size_t *vlen)
{
	const char *v = line + strlen(name) + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	*vlen = (size_t)(line + len - v);
	return v;
}

static int parse_head(struct conn *c, size_t head_len)
{
	const char *p = c->r, *end = c->r + head_len;
	if (head_len < 12 || strncmp(p, "HTTP/1.", 7) != 0)
		return -1;
	c->status = atoi(p + 9);
	if (c->status < 100 || c->status > 599)
		return -1;
	c_http_status[c->status]++;
	c->close_after = p[7] == '0';
	const char *line = memchr(p, '\n', head_len);
	while (line && ++line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)((nl ? nl : end) - line);
		if (len && line[len - 1] == '\r')
			len--;
		size_t vl;
		const char *v;
		if (header_is(line, len, "Content-Length")) {
			v = header_val(line, len, "Content-Length", &vl);
			c->clen = strtoll(v, NULL, 10);
		} else if (header_is(line, len, "Transfer-Encoding")) {
			v = header_val(line, len, "Transfer-Encoding", &vl);
			c->chunked = vl >= 7 && strncasecmp(v, "chunked", 7) == 0;
		} else if (header_is(line, len, "Connection")) {
			v = header_val(line, len, "Connection", &vl);
			if (vl >= 5 && strncasecmp(v, "close", 5) == 0)
				c->close_after = 1;
		} else if (header_is(line, len, "Content-Type")) {
			v = header_val(line, len, "Content-Type", &vl);
			c->event_stream = vl >= 17 && strncasecmp(v, "text/event-stream", 17) == 0;
		} else if (header_is(line, len, "ETag") && c->role == ROLE_POLL) {
			v = header_val(line, len, "ETag", &vl);
			if (vl < sizeof(c->etag)) {
				memcpy(c->etag, v, vl);
				c->etag[vl] = '\0';
			}
		}
		line = nl;
	}
	if (c->chunked)
		c->clen = -1;
	/* No body for these, whatever the headers say. */
	if (c->status == 204 || c->status == 304 || (c->status >= 100 && c->status < 200)) {
		c->clen = 0;
		c->chunked = 0;
	}
	return 0;
}

static void body_append(struct conn *c, const char *p, size_t n)
{
	if (c->blen + n + 1 > c->bcap) {
		size_t cap = c->bcap ? c->bcap : 1024;
		while (cap < c->blen + n + 1)
			cap *= 2;
		c->b = xrealloc(c->b, cap);
		c->bcap = cap;
	}
	memcpy(c->b + c->blen, p, n);
	c->blen += n;
	c->b[c->blen] = '\0';
}

/* Moves what the body framing allows from r into b. 1 when the response is
 * complete, 0 when more is needed, -1 on a framing error. */
static int parse_body(struct conn *c, size_t *used)
{
	size_t off = 0;
	if (!c->chunked) {
		size_t take = c->rlen;
		if (c->clen >= 0 && (long long)take > c->clen - c->got)
			take = (size_t)(c->clen - c->got);
		body_append(c, c->r, take);
		c->got += (long long)take;
		*used = take;
		return c->clen >= 0 && c->got >= c->clen;
	}
	while (off < c->rlen) {
		if (c->ck == CK_SIZE || c->ck == CK_TRAILER || c->ck == CK_DATA_END) {
			char *nl = memchr(c->r + off, '\n', c->rlen - off);
			if (!nl)
				break;
			size_t len = (size_t)(nl - (c->r + off));
			if (c->ck == CK_SIZE) {
				char *e;
				c->ck_left = strtoll(c->r + off, &e, 16);
				if (e == c->r + off || c->ck_left < 0)
					return -1;
				c->ck = c->ck_left ? CK_DATA : CK_TRAILER;
			} else if (c->ck == CK_DATA_END) {
				c->ck = CK_SIZE;
			} else if (len <= 1) {
				off += len + 1;
				c->ck = CK_DONE;
				*used = off;
				return 1;
			}
			off += len + 1;
		} else if (c->ck == CK_DATA) {
			size_t take = c->rlen - off;
			if ((long long)take > c->ck_left)
				take = (size_t)c->ck_left;
			body_append(c, c->r + off, take);
			off += take;
			c->ck_left -= (long long)take;
			if (c->ck_left == 0)
				c->ck = CK_DATA_END;
		} else {
			break;
		}
	}
	*used = off;
	return 0;
}

static void response_done(struct conn *c, int64_t now);
static void conn_failed(struct conn *c);

static void conn_retry(struct conn *c)
{
	size_t wlen = c->wlen;
	int driver = c->role == ROLE_DRIVER || c->role == ROLE_CREATE;
	c->retried = 1;
	conn_close(c);
	c->wlen = wlen;
	c->woff = 0;
	if (conn_connect(c, driver) < 0)
		conn_failed(c);
}

static void conn_read(struct conn *c, int64_t now)
{
	for (;;) {
		if (c->rcap - c->rlen < 2048) {
			size_t cap = c->rcap ? c->rcap * 2 : 4096;
			if (cap > RBUF_MAX) {
				conn_failed(c);
				return;
			}
			c->r = xrealloc(c->r, cap);
			c->rcap = cap;
		}
		ssize_t n = read(c->fd, c->r + c->rlen, c->rcap - c->rlen - 1);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_failed(c);
			return;
		}
		if (n == 0) {
			/* The server closed: the end of a body read to the close, or
			 * an idle keep-alive connection it let go. */
			if (c->state == CS_BUSY && c->head_done && !c->chunked && c->clen < 0) {
				c->close_after = 1;
				response_done(c, now);
				return;
			}
			if (c->state == CS_IDLE) {
				conn_close(c);
				return;
			}
			/* A kept-alive connection nginx closed as we reused it: the
			 * same request once more, on a new connection. */
			if (c->state == CS_BUSY && !c->head_done && c->rlen == 0 && !c->retried) {
				conn_retry(c);
				return;
			}
			conn_failed(c);
			return;
		}
		c->rlen += (size_t)n;
		while (c->rlen > 0 || (c->head_done && c->clen == 0)) {
			if (!c->head_done) {
				c->r[c->rlen] = '\0';
				char *e = strstr(c->r, "\r\n\r\n");
				if (!e) {
					if (c->rlen > 16384) {
						conn_failed(c);
						return;
					}
					break;
				}
				size_t hl = (size_t)(e - c->r) + 4;
				if (parse_head(c, hl) < 0) {
					conn_failed(c);
					return;
				}
				c->head_done = 1;
				memmove(c->r, c->r + hl, c->rlen - hl);
				c->rlen -= hl;
			}
			size_t used = 0;
			int done = parse_body(c, &used);
			if (done < 0) {
				conn_failed(c);
				return;
			}
			memmove(c->r, c->r + used, c->rlen - used);
			c->rlen -= used;
			if (c->role == ROLE_SUB && c->event_stream)
				sub_parse(c, now);
			/* The final state is the stream's last event: done with it. */
			if (c->role == ROLE_SUB && c->event_stream && c->terminal_seen)
				done = 1, c->close_after = 1;
			if (done) {
				response_done(c, now);
				return;
			}
			if (used == 0)
				break;
		}
	}
}

/* A connection that broke: count it, and let its owner start again. */
static void conn_failed(struct conn *c)
{
	int was_busy = c->state == CS_BUSY || c->state == CS_CONNECTING;
	conn_close(c);
	c_conn_err++;
	if (!was_busy)
		return;
	switch (c->role) {
	case ROLE_SUB:
		c_stream_reconnects++;
		timer_add(c, retry_at(c, now_us()));
		break;
	case ROLE_POLL:
		c_poll_err++;
		timer_add(c, retry_at(c, now_us()));
		break;
	case ROLE_DRIVER:
		c_driver_err++;
		c->busy_pipeline = 0;
		break;
	case ROLE_CREATE:
		c_create_err++;
		create_next(c);
		break;
	}
}

static void response_done(struct conn *c, int64_t now)
{
	int close_it = c->close_after;
	c->state = CS_IDLE;
	c->rlen = 0; /* no pipelining: nothing follows an answer */
	if (close_it)
		conn_close(c);
	switch (c->role) {
	case ROLE_CREATE:
		create_answer(c);
		break;
	case ROLE_DRIVER:
		driver_answer(c, now);
		break;
	case ROLE_POLL:
		poll_answer(c, now);
		break;
	case ROLE_SUB:
		if (c->status != 200 || !c->event_stream) {
			/* A final state answered by the application itself is an
			 * event stream too; anything else is a refusal. */
			c_stream_open_err++;
			timer_add(c, retry_at(c, now));
			break;
		}
		if (c->terminal_seen) {
			if (waiter_move(c))
				waiter_start(c);
			/* else: no replacement (the run is ending): it stays done. */
		} else {
			/* The stream ended before the final state (nchan's timeout,
			 * say): subscribe again, as EventSource would. */
			c_stream_reconnects++;
			waiter_start(c);
		}
		break;
	}
}

static void conn_writable(struct conn *c)
{
	if (c->state == CS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			conn_failed(c);
			return;
		}
		c->state = CS_BUSY;
	}
	if (c->state == CS_BUSY && conn_flush(c) < 0)
		conn_failed(c);
}

/* ------------------------------------------------------------------ CPU */

static long long pgroup_ticks(int pgid)
{
	long long sum = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	struct dirent *de;
	char path[300], buf[1024];
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		char *p = strrchr(buf, ')');
		if (!p)
			continue;
		/* After ") ": state ppid pgrp session tty tpgid flags minflt
		 * cminflt majflt cmajflt utime stime cutime cstime. The children's
		 * times: a worker that died (nginx respawns it, the pool restarts
		 * a child) leaves its ticks in its reaped parent's, not nowhere. */
		char state;
		int ppid, pgrp;
		unsigned long long f[8], ut, st, cut, cst;
		if (sscanf(p + 2, "%c %d %d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &state,
			   &ppid, &pgrp, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &ut, &st, &cut,
			   &cst) != 15)
			continue;
		if (pgrp == pgid)
			sum += (long long)(ut + st + cut + cst);
	}
	closedir(d);
	return sum;
}

static long long self_ticks(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long long us = (long long)ru.ru_utime.tv_sec * US + ru.ru_utime.tv_usec +
		       (long long)ru.ru_stime.tv_sec * US + ru.ru_stime.tv_usec;
	return us; /* µs, not ticks */
}

/* ------------------------------------------------------------------ stats */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static double pct(const long long *v, size_t n, double p)
{
	if (n == 0)
		return -1;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
	fputs("usage: live-load --url URL --client-key K --worker-key W [--driver-url URL]\n"
	      "  [--mode subscribe|poll|none] [--requests M] [--waiters N] [--rate R]\n"
	      "  [--seconds S] [--warmup S] [--drain S] [--poll-interval S] [--pipelines P]\n"
	      "  [--open-inflight K] [--open-seconds S] [--sources K] [--entity-type T]\n"
	      "  [--pgroup NAME=PGID]...\n",
	      stderr);
	exit(1);
}

static double num_arg(const char *name, const char *v, double lo, double hi)
{
	char *e;
	errno = 0;
	double d = strtod(v, &e);
	if (errno || *e || e == v || d < lo || d > hi) {
		fprintf(stderr, "live-load: %s must be a number in %g..%g\n", name, lo, hi);
		exit(1);
	}
	return d;
}

static int parse_url(const char *url, struct sockaddr_in *sa, char *host, size_t hcap)
{
	char addr[64];
	unsigned port;
	if (strncmp(url, "http://", 7) != 0 || sscanf(url + 7, "%63[0-9.]:%u", addr, &port) != 2 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
		return -1;
	snprintf(host, hcap, "%s:%u", addr, port);
	return 0;
}

static void handle_events(int timeout_ms)
{
	struct epoll_event evb[512];
	int n = epoll_wait(epfd, evb, 512, timeout_ms);
	int64_t now = now_us();
	for (int i = 0; i < n; i++) {
		enum role role = (enum role)(evb[i].data.u64 >> 32);
		int idx = (int)(uint32_t)evb[i].data.u64;
		struct conn *c = (role == ROLE_SUB || role == ROLE_POLL) ? &waiters[idx] : &pipes[idx];
		if (c->fd < 0)
			continue;
		if (evb[i].events & EPOLLOUT) {
			conn_writable(c);
			if (c->fd < 0)
				continue;
		}
		if (evb[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_read(c, now);
	}
	/* Timers up to now. */
	while (wheel_time + WHEEL_TICK_US <= now) {
		wheel_time += WHEEL_TICK_US;
		int s = (int)((wheel_time / WHEEL_TICK_US) % WHEEL_SLOTS);
		int list = wheel[s];
		wheel[s] = -1;
		while (list >= 0) {
			struct conn *c = &waiters[list];
			list = c->timer_next;
			c->on_wheel = 0;
			if (c->due > wheel_time) {
				timer_add(c, c->due);
				continue;
			}
			if (c->state == CS_IDLE || c->state == CS_CLOSED)
				waiter_start(c);
		}
	}
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--url"))
			opt_url = v;
		else if (!strcmp(a, "--driver-url"))
			opt_driver_url = v;
		else if (!strcmp(a, "--client-key"))
			opt_ckey = v;
		else if (!strcmp(a, "--worker-key"))
			opt_wkey = v;
		else if (!strcmp(a, "--mode"))
			opt_mode = !strcmp(v, "subscribe") ? MODE_SUBSCRIBE
				 : !strcmp(v, "poll")	    ? MODE_POLL
				 : !strcmp(v, "none")	    ? MODE_NONE
							    : (usage(), MODE_NONE);
		else if (!strcmp(a, "--requests"))
			opt_requests = (int)num_arg(a, v, 1, 1000000);
		else if (!strcmp(a, "--waiters"))
			opt_waiters = (int)num_arg(a, v, 0, 1000000);
		else if (!strcmp(a, "--rate"))
			opt_rate = num_arg(a, v, 0, 10000);
		else if (!strcmp(a, "--seconds"))
			opt_seconds = num_arg(a, v, 0.1, 3600);
		else if (!strcmp(a, "--warmup"))
			opt_warmup = num_arg(a, v, 0, 600);
		else if (!strcmp(a, "--drain"))
			opt_drain = num_arg(a, v, 0, 60);
		else if (!strcmp(a, "--poll-interval"))
			opt_poll_interval = num_arg(a, v, 0.1, 60);
		else if (!strcmp(a, "--pipelines"))
			opt_pipelines = (int)num_arg(a, v, 1, 1024);
		else if (!strcmp(a, "--open-inflight"))
			opt_open_inflight = (int)num_arg(a, v, 1, 10000);
		else if (!strcmp(a, "--open-seconds"))
			opt_open_seconds = num_arg(a, v, 1, 3600);
		else if (!strcmp(a, "--sources"))
			opt_sources = (int)num_arg(a, v, 1, 250);
		else if (!strcmp(a, "--entity-type"))
			opt_entity_type = v;
		else if (!strcmp(a, "--pgroup")) {
			const char *eq = strchr(v, '=');
			if (!eq || n_pgroups == MAX_PGROUPS || (size_t)(eq - v) >= sizeof(pgroups[0].name))
				usage();
			memcpy(pgroups[n_pgroups].name, v, (size_t)(eq - v));
			pgroups[n_pgroups].name[eq - v] = '\0';
			pgroups[n_pgroups].pgid = (int)num_arg(a, eq + 1, 1, 1e9);
			n_pgroups++;
		} else
			usage();
	}
	if (!opt_url || !opt_ckey || !opt_wkey)
		usage();
	if (!opt_driver_url)
		opt_driver_url = opt_url;
	if (parse_url(opt_url, &dst_main, host_main, sizeof(host_main)) < 0 ||
	    parse_url(opt_driver_url, &dst_driver, host_driver, sizeof(host_driver)) < 0) {
		fputs("live-load: --url and --driver-url must be http://A.B.C.D:PORT\n", stderr);
		return 1;
	}
	if (opt_mode == MODE_NONE)
		opt_waiters = 0;
	if (!opt_entity_type) {
		/* A type of its own: no other run's request is claimed here. */
		snprintf(entity_type_buf, sizeof(entity_type_buf), "live_%ld_%ld", (long)getpid(), (long)time(NULL));
		opt_entity_type = entity_type_buf;
	}
	snprintf(worker_id, sizeof(worker_id), "live-load:%ld", (long)getpid());
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	/* As many descriptors as the hard limit allows. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		if ((long long)rl.rlim_cur < (long long)opt_waiters + opt_pipelines + 16)
			die("%d waiters and %d pipelines need more descriptors than the limit (%llu): "
			    "run several processes",
			    opt_waiters, opt_pipelines, (unsigned long long)rl.rlim_cur);
	}

	cap_reqs = opt_requests + (int)(opt_rate * opt_seconds) + opt_pipelines + 16;
	reqs = xcalloc((size_t)cap_reqs, sizeof(*reqs));
	size_t hsize = 1;
	while (hsize < (size_t)cap_reqs * 2)
		hsize *= 2;
	hash_tab = malloc(hsize * sizeof(*hash_tab));
	if (!hash_tab)
		die("out of memory");
	memset(hash_tab, 0xff, hsize * sizeof(*hash_tab));
	hash_mask = hsize - 1;
	slot_cur = xcalloc((size_t)opt_requests, sizeof(*slot_cur));
	slot_waiters = xcalloc((size_t)opt_requests, sizeof(*slot_waiters));
	waiters = xcalloc((size_t)(opt_waiters ? opt_waiters : 1), sizeof(*waiters));
	pipes = xcalloc((size_t)opt_pipelines, sizeof(*pipes));
	for (int i = 0; i < WHEEL_SLOTS; i++)
		wheel[i] = -1;
	epfd = epoll_create1(0);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	t0 = now_us();
	wheel_time = t0 - t0 % WHEEL_TICK_US;

	/* 1. The requests. */
	for (int i = 0; i < opt_pipelines; i++) {
		pipes[i] = (struct conn){ .fd = -1, .role = ROLE_CREATE, .idx = i, .src = i, .req = -1 };
	}
	creating = opt_requests;
	setup_created_target = opt_requests;
	int64_t deadline = now_us() + (int64_t)(opt_open_seconds * US);
	for (int i = 0; i < opt_pipelines && i < opt_create_inflight; i++)
		create_next(&pipes[i]);
	while (!stop_flag && c_created + c_create_err < setup_created_target && now_us() < deadline)
		handle_events(10);
	if (c_created < opt_requests)
		die("created %lld of %d requests (%lld errors; statuses: 202=%lld 429=%lld 5xx=%lld)", c_created,
		    opt_requests, c_create_err, c_http_status[202], c_http_status[429],
		    c_http_status[500] + c_http_status[502] + c_http_status[503] + c_http_status[504]);
	for (int i = 0; i < opt_pipelines; i++) {
		pipes[i].role = ROLE_DRIVER; /* same connections, kept alive */
		pipes[i].busy_pipeline = 0;
		if (pipes[i].fd >= 0) { /* the epoll tag names the role */
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = conn_tag(&pipes[i]) };
			epoll_ctl(epfd, EPOLL_CTL_MOD, pipes[i].fd, &ev);
		}
	}
	long long created_setup = c_created;
	fprintf(stderr, "live-load: %lld requests of type %s created in %.1f s\n", created_setup,
		opt_entity_type, (double)(now_us() - t0) / US);

	/* 2. The waiters. */
	for (int i = 0; i < opt_waiters; i++) {
		waiters[i] = (struct conn){ .fd = -1, .idx = i, .src = i, .timer_next = -1, .last_req = -1,
					    .role = opt_mode == MODE_POLL ? ROLE_POLL : ROLE_SUB };
		waiters[i].req = slot_cur[i % opt_requests];
		slot_waiters[i % opt_requests]++;
	}
	int64_t t_open = now_us();
	if (opt_mode == MODE_SUBSCRIBE) {
		int opened = 0;
		while (!stop_flag && c_held < opt_waiters && now_us() < t_open + (int64_t)(opt_open_seconds * US)) {
			/* At most open_inflight subscriptions waiting for their first event. */
			while (opened < opt_waiters && opened - c_held < opt_open_inflight)
				waiter_start(&waiters[opened++]);
			handle_events(10);
		}
		if (c_held < opt_waiters) {
			fprintf(stderr, "live-load: %lld of %d subscribers held after %.0f s (open errors %lld, "
				"connection errors %lld)\n", c_held, opt_waiters, opt_open_seconds,
				c_stream_open_err, c_conn_err);
			printf("LIVE failed=open held=%lld waiters=%d\n", c_held, opt_waiters);
			fflush(stdout);
			return 2;
		}
	} else if (opt_mode == MODE_POLL) {
		/* First polls spread over one interval, as clients arriving would. */
		for (int i = 0; i < opt_waiters; i++)
			timer_add(&waiters[i], t_open + (int64_t)((double)i / opt_waiters * opt_poll_interval * US));
		c_held = opt_waiters;
	}
	double open_s = (double)(now_us() - t_open) / US;
	printf("HELD %lld %.1f\n", c_held, open_s);
	fflush(stdout);
	fprintf(stderr, "live-load: %lld waiters (%s) in %.1f s\n", c_held,
		opt_mode == MODE_POLL ? "pollers" : opt_mode == MODE_SUBSCRIBE ? "subscribers" : "none", open_s);

	/* 3. The changes, and the measured window. */
	int64_t t_run = now_us(), t_end = t_run + (int64_t)(opt_seconds * US);
	int64_t t_win = t_run + (int64_t)(opt_warmup * US);
	if (t_win > t_end)
		t_win = t_run;
	long long cpu0[MAX_PGROUPS] = { 0 }, cpu1[MAX_PGROUPS] = { 0 }, self0 = 0, self1 = 0;
	long long ev_at_win = 0, polls_at_win = 0;
	int64_t t_win_real = 0;
	long long started = 0, lag_max = 0;
	while (!stop_flag && now_us() < t_end) {
		int64_t now = now_us();
		if (!t_win_real && now >= t_win) {
			t_win_real = now;
			for (int g = 0; g < n_pgroups; g++)
				cpu0[g] = pgroup_ticks(pgroups[g].pgid);
			self0 = self_ticks();
			ev_at_win = c_events;
			polls_at_win = c_polls;
		}
		long long want = (long long)((double)(now - t_run) / US * opt_rate);
		while (started < want) {
			int p = pick_free_pipe();
			if (p < 0)
				break;
			driver_claim(&pipes[p]);
			started++;
		}
		if (want - started > lag_max)
			lag_max = want - started;
		handle_events(opt_rate > 0 ? 2 : 20);
	}
	int64_t t_win_end = now_us();
	if (!t_win_real) {
		t_win_real = t_run;
		ev_at_win = 0;
	}
	for (int g = 0; g < n_pgroups; g++)
		cpu1[g] = pgroup_ticks(pgroups[g].pgid);
	self1 = self_ticks();
	long long ev_in_win = c_events - ev_at_win, polls_in_win = c_polls - polls_at_win;
	c_driver_lag = lag_max;

	/* 4. Drain: the pipelines in flight finish, their events arrive. */
	int64_t t_drain = now_us() + (int64_t)(opt_drain * US);
	while (now_us() < t_drain) {
		int busy = 0;
		for (int i = 0; i < opt_pipelines; i++)
			busy |= pipes[i].busy_pipeline;
		handle_events(10);
		if (stop_flag && !busy)
			break;
	}

	/* Figures. Expected: every change acknowledged to the worker, once per
	 * subscriber on its slot. */
	long long expected = 0, matched = 0, unmatched = 0, before_answer = 0, changes = 0;
	for (int k = 0; k < n_reqs; k++)
		for (int v = 2; v <= 4; v++)
			if (reqs[k].ans[v]) {
				changes++;
				expected += slot_waiters[reqs[k].slot];
			}
	long long *up = malloc((n_evs ? n_evs : 1) * sizeof(*up)), *lo = malloc((n_evs ? n_evs : 1) * sizeof(*lo));
	if (!up || !lo)
		die("out of memory");
	size_t nd = 0;
	for (size_t i = 0; i < n_evs; i++) {
		struct req *r = &reqs[evs[i].req];
		int v = evs[i].version;
		if (!r->ans[v] || !r->sent[v]) {
			unmatched++;
			continue;
		}
		matched++;
		up[nd] = evs[i].t - r->sent[v];
		lo[nd] = evs[i].t - r->ans[v];
		if (lo[nd] < 0)
			before_answer++;
		nd++;
	}
	qsort(up, nd, sizeof(*up), cmp_ll);
	qsort(lo, nd, sizeof(*lo), cmp_ll);
	long long *calls = malloc((size_t)(changes ? changes : 1) * sizeof(*calls));
	if (!calls)
		die("out of memory");
	size_t nc = 0;
	for (int k = 0; k < n_reqs; k++)
		for (int v = 2; v <= 4; v++)
			if (reqs[k].ans[v])
				calls[nc++] = reqs[k].ans[v] - reqs[k].sent[v];
	qsort(calls, nc, sizeof(*calls), cmp_ll);
	qsort(poll_delays, n_poll_delays, sizeof(*poll_delays), cmp_ll);

	double win_s = (double)(t_win_end - t_win_real) / US;
	long hz = sysconf(_SC_CLK_TCK);
	long long held_end = 0;
	for (int i = 0; i < opt_waiters; i++)
		held_end += waiters[i].fd >= 0;

	printf("LIVE mode=%s waiters=%d requests=%d rate=%g seconds=%.2f window_s=%.2f open_s=%.1f "
	       "held=%lld open_conns_end=%lld started=%lld claims=%lld claim_empty=%lld entities=%lld "
	       "completes=%lld replaced=%lld driver_errors=%lld driver_lag_max=%lld changes=%lld "
	       "events=%lld events_dup=%lld events_initial=%lld expected=%lld got=%lld unmatched=%lld foreign=%lld "
	       "before_answer=%lld moves=%lld stream_open_errors=%lld stream_reconnects=%lld conn_errors=%lld "
	       "delay_p50_ms=%.2f delay_p99_ms=%.2f delay_max_ms=%.2f delay_lo_p50_ms=%.2f delay_lo_p99_ms=%.2f "
	       "call_p50_ms=%.2f call_p99_ms=%.2f polls=%lld poll_200=%lld poll_304=%lld poll_errors=%lld "
	       "poll_final=%lld poll_delay_p50_ms=%.0f poll_delay_p99_ms=%.0f events_per_s=%.0f polls_per_s=%.0f "
	       "status_5xx=%lld status_4xx=%lld",
	       opt_mode == MODE_POLL ? "poll" : opt_mode == MODE_SUBSCRIBE ? "subscribe" : "none", opt_waiters,
	       opt_requests, opt_rate, (double)(t_win_end - t_run) / US, win_s, open_s, c_held, held_end, started,
	       c_claims, c_claim_empty, c_entities, c_completes, c_created - created_setup, c_driver_err,
	       c_driver_lag, changes, c_events, c_events_dup, c_events_initial, opt_mode == MODE_SUBSCRIBE ? expected : 0,
	       matched, unmatched, c_events_foreign, before_answer, c_moves, c_stream_open_err,
	       c_stream_reconnects, c_conn_err, pct(up, nd, 0.5), pct(up, nd, 0.99), pct(up, nd, 1.0),
	       pct(lo, nd, 0.5), pct(lo, nd, 0.99), pct(calls, nc, 0.5), pct(calls, nc, 0.99), c_polls,
	       c_poll_200, c_poll_304, c_poll_err, c_poll_final, pct(poll_delays, n_poll_delays, 0.5),
	       pct(poll_delays, n_poll_delays, 0.99), win_s > 0 ? (double)ev_in_win / win_s : 0,
	       win_s > 0 ? (double)polls_in_win / win_s : 0,
	       c_http_status[500] + c_http_status[502] + c_http_status[503] + c_http_status[504],
	       c_http_status[400] + c_http_status[401] + c_http_status[403] + c_http_status[404] +
		       c_http_status[409] + c_http_status[429]);
	for (int g = 0; g < n_pgroups; g++)
		printf(" cpu_%s_pct=%.2f", pgroups[g].name,
		       win_s > 0 ? (double)(cpu1[g] - cpu0[g]) / (double)hz / win_s * 100.0 : 0);
	printf(" cpu_client_pct=%.2f\n", win_s > 0 ? (double)(self1 - self0) / US / win_s * 100.0 : 0);
	fflush(stdout);

	for (int i = 0; i < opt_waiters; i++)
		conn_free(&waiters[i]);
	for (int i = 0; i < opt_pipelines; i++)
		conn_free(&pipes[i]);
	close(epfd);
	free(up);
	free(lo);
	free(calls);
	free(poll_delays);
	free(evs);
	free(reqs);
	free(hash_tab);
	free(slot_cur);
	free(slot_waiters);
	free(waiters);
	free(pipes);
	return 0;
}
