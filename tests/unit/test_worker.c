/*
 * worker: the loop's timers against a fake service on 127.0.0.1 (issue 12
 * item 5). The heartbeat and the generator keep their own schedules: a
 * heartbeat the server answers only after 20 s does not hold back a 5 s
 * generator timeout, a generator flooding its stdout does not hold back the
 * heartbeats, and a slow heartbeat does not stop the worker draining the
 * generator's pipes. A 409 at a heartbeat still kills the generator.
 *
 * The fake service is a forked process (one more fork per connection, so a
 * heartbeat held for 20 s on one connection does not block the entity post
 * on the other); it appends a line per request to a log file, stamped with
 * CLOCK_MONOTONIC, which every process of the machine shares. The worker
 * runs worker_main(--once) in a forked child, waited for with a bound.
 */
#include "build_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/log.h"
#include "worker/worker.h"
#include "unit.h"

#define REQUEST_ID "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f"
#define MAX_LINES 256

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the fake service ---- */

struct fake {
	int lease_seconds;           /* granted at claim and at each heartbeat */
	int heartbeat_delay_ms;      /* before a heartbeat is answered */
	int heartbeat_status;        /* 200, or 409: the lease is lost */
	const char *claim_body;      /* the claim's answer; NULL: a good one */
	long long heartbeat_lease;   /* lease_seconds of a heartbeat's answer; 0: lease_seconds */
	int entity_status;           /* 0, or the status an entity (not an error) gets */
	const char *entity_answer;   /* ... with this body */
	int log_fd;                  /* O_APPEND: one line per request */
};

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void answer(int fd, int status, const char *body)
{
	char head[256];
	const char *reason = status == 200 ? "OK" : "Conflict";
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/%s\r\nContent-Length: %zu\r\n\r\n",
			 status, reason, status == 200 ? "json" : "problem+json", strlen(body));
	if (write_all(fd, head, (size_t)n) == 0)
		write_all(fd, body, strlen(body));
}

/* The last path segment of "POST /api/v1/.../verb HTTP/1.1": claim, heartbeat, ... */
static void request_verb(const char *req, char *verb, size_t len)
{
	const char *sp = strchr(req, ' ');
	const char *end = sp ? strchr(sp + 1, ' ') : NULL;
	const char *slash = end ? end : req;
	while (slash > req && *slash != '/')
		slash--;
	size_t n = end && slash < end ? (size_t)(end - slash - 1) : 0;
	if (n >= len)
		n = len - 1;
	memcpy(verb, slash + 1, n);
	verb[n] = '\0';
}

/* Serves the requests of one connection until the worker closes it. */
static void serve_connection(const struct fake *f, int fd)
{
	static char buf[1 << 20];
	size_t have = 0;
	for (;;) {
		char *eoh;
		while (!(eoh = memmem(buf, have, "\r\n\r\n", 4))) {
			if (have == sizeof(buf) - 1)
				return;
			ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
			if (n <= 0)
				return;
			have += (size_t)n;
		}
		buf[have] = '\0';
		size_t head_len = (size_t)(eoh + 4 - buf);
		size_t body_len = 0;
		for (char *p = buf; p < eoh; p = strstr(p, "\r\n") + 2)
			if (!strncasecmp(p, "content-length:", 15))
				body_len = (size_t)strtoul(p + 15, NULL, 10);
		if (head_len + body_len >= sizeof(buf))
			return;
		while (have < head_len + body_len) {
			ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
			if (n <= 0)
				return;
			have += (size_t)n;
		}
		char verb[32];
		request_verb(buf, verb, sizeof(verb));
		char line[8192];
		int ll = snprintf(line, sizeof(line), "%lld %s %.*s\n", (long long)now_ms(), verb,
				  (int)(body_len < 4000 ? body_len : 4000), buf + head_len);
		if (ll > 0)
			write_all(f->log_fd, line, (size_t)ll < sizeof(line) ? (size_t)ll : sizeof(line) - 1);

		char body[1024];
		int status = 200;
		if (!strcmp(verb, "claim") && f->claim_body) {
			snprintf(body, sizeof(body), "%s", f->claim_body);
		} else if (!strcmp(verb, "claim")) {
			snprintf(body, sizeof(body),
				 "{\"request_id\":\"" REQUEST_ID "\",\"entity_type\":\"t\","
				 "\"subject_key\":\"s\",\"status\":\"processing\",\"requested_count\":1,"
				 "\"generated_count\":0,\"failed_count\":0,\"attempt\":1,"
				 "\"constraints\":{},\"metadata\":{},\"remaining\":1,"
				 "\"lease_seconds\":%d,\"pending_indexes\":[0]}", f->lease_seconds);
		} else if (!strcmp(verb, "heartbeat")) {
			nap_ms(f->heartbeat_delay_ms);
			status = f->heartbeat_status;
			if (status == 200)
				snprintf(body, sizeof(body),
					 "{\"request_id\":\"" REQUEST_ID "\",\"status\":\"processing\","
					 "\"lease_seconds\":%lld}",
					 f->heartbeat_lease ? f->heartbeat_lease : (long long)f->lease_seconds);
			else
				snprintf(body, sizeof(body),
					 "{\"title\":\"Conflict\",\"status\":409,\"detail\":\"cancelled\"}");
		} else if (!strcmp(verb, "entities") && f->entity_status &&
			   strstr(buf + head_len, "\"entity\"")) {
			status = f->entity_status;
			snprintf(body, sizeof(body), "%s", f->entity_answer);
		} else if (!strcmp(verb, "entities")) {
			snprintf(body, sizeof(body),
				 "{\"request_id\":\"" REQUEST_ID "\",\"index\":0,\"recorded\":true,"
				 "\"generated_count\":0,\"failed_count\":1}");
		} else {
			snprintf(body, sizeof(body),
				 "{\"request_id\":\"" REQUEST_ID "\",\"status\":\"failed\","
				 "\"requested_count\":1,\"generated_count\":0,\"failed_count\":1}");
		}
		answer(fd, status, body);
		memmove(buf, buf + head_len + body_len, have - head_len - body_len);
		have -= head_len + body_len;
	}
}

/* Starts the fake service in a process group of its own; its port into *port. */
static pid_t fake_start(const struct fake *f, int *port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	pid_t pid = fork();
	if (pid != 0) {
		close(s);
		if (pid > 0)
			setpgid(pid, pid);
		return pid;
	}
	setpgid(0, 0);
	signal(SIGCHLD, SIG_IGN);  /* connection children reap themselves */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(s);
			serve_connection(f, c);
			_exit(0);
		}
		close(c);
	}
}

static void fake_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* ---- the worker under test ---- */

struct run {
	int64_t started_ms;          /* when the worker was forked */
	int64_t ended_ms;            /* when it was seen to exit */
	int status;                  /* its wait status; -1 when it had to be killed */
	char *log;                   /* what the worker logged (owned) */
	int n;                       /* log lines */
	int64_t at[MAX_LINES];       /* each request's arrival */
	char verb[MAX_LINES][16];
	char *body[MAX_LINES];       /* owned */
};

static void run_release(struct run *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->body[i]);
	r->n = 0;
	free(r->log);
	r->log = NULL;
}

/* The whole of a small file (you own it), "" when unreadable. */
static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *text = calloc(1, 65536);
	if (text && fp)
		text[fread(text, 1, 65535, fp)] = '\0';
	if (fp)
		fclose(fp);
	return text;
}

static void read_log(const char *path, struct run *r)
{
	FILE *fp = fopen(path, "r");
	char line[8192];
	r->n = 0;
	if (!fp)
		return;
	while (r->n < MAX_LINES && fgets(line, sizeof(line), fp)) {
		long long at;
		int off = 0;
		if (sscanf(line, "%lld %15s %n", &at, r->verb[r->n], &off) < 2)
			continue;
		r->at[r->n] = at;
		r->body[r->n] = strdup(line + off);
		r->n++;
	}
	fclose(fp);
}

/* The k-th (0-based) request with this verb, or -1. */
static int nth(const struct run *r, const char *verb, int k)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->verb[i], verb) && k-- == 0)
			return i;
	return -1;
}

static int count(const struct run *r, const char *verb)
{
	int n = 0;
	while (nth(r, verb, n) >= 0)
		n++;
	return n;
}

/*
 * Runs gentrack-worker --once with the generator argv against a fake
 * service, waits at most limit_ms for it (then kills it), and reads what the
 * service saw into r.
 */
static void run_worker(const struct fake *f_in, char *const *argv, int64_t timeout_ms,
		       int64_t limit_ms, struct run *r)
{
	char log_path[] = "/tmp/gentrack-test-worker-XXXXXX";
	char err_path[] = "/tmp/gentrack-test-worker-log-XXXXXX";
	struct fake f = *f_in;
	int port = 0;
	memset(r, 0, sizeof(*r));
	r->status = -1;
	f.log_fd = mkstemp(log_path);
	CU_ASSERT_FATAL(f.log_fd >= 0);
	int err_fd = mkstemp(err_path);
	CU_ASSERT_FATAL(err_fd >= 0);
	fcntl(f.log_fd, F_SETFL, O_APPEND);
	pid_t server = fake_start(&f, &port);
	CU_ASSERT_FATAL(server > 0);

	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	static const char *const types[] = { "t" };
	struct worker_opts o = {
		.url = url,
		.key = "gtw_test",
		.worker_id = "test-worker",
		.entity_types = types,
		.n_types = 1,
		.argv = argv,
		.timeout_ms = timeout_ms,
		.grace_ms = 1000,
		.poll_ms = 1000,
		.concurrency = 1,
		.once = 1,
	};
	r->started_ms = now_ms();
	pid_t w = fork();
	if (w == 0) {
		close(f.log_fd);
		dup2(err_fd, STDERR_FILENO);
		log_init("gentrack-worker");
		curl_global_init(CURL_GLOBAL_DEFAULT);
		_exit(worker_main(&o));
	}
	CU_ASSERT_FATAL(w > 0);
	for (;;) {
		pid_t got = waitpid(w, &r->status, WNOHANG);
		if (got == w) {
			r->ended_ms = now_ms();
			break;
		}
		if (now_ms() - r->started_ms > limit_ms) {
			kill(w, SIGKILL);
			waitpid(w, NULL, 0);
			r->ended_ms = now_ms();
			r->status = -1;
			break;
		}
		nap_ms(20);
	}
	fake_stop(server);
	close(f.log_fd);
	close(err_fd);
	read_log(log_path, r);
	unlink(log_path);
	r->log = slurp(err_path);
	unlink(err_path);
	fprintf(stderr, "%s", r->log ? r->log : "");
	for (int i = 0; i < r->n; i++)
		fprintf(stderr, "  +%5lld ms %s %.100s", (long long)(r->at[i] - r->started_ms),
			r->verb[i], r->body[i]);
	fprintf(stderr, "  worker ended after %lld ms, status %d\n",
		(long long)(r->ended_ms - r->started_ms), r->status);
}

/* ---- the cases ---- */

/*
 * Lease 3 s: a heartbeat a second after the claim, which the server holds
 * for 20 s. The generator hangs; its 5 s timeout must kill it at 5 s, and
 * the failure be recorded then, not once the heartbeat has returned.
 */
static void test_slow_heartbeat_does_not_delay_the_timeout(void)
{
	struct fake f = { .lease_seconds = 3, .heartbeat_delay_ms = 20000, .heartbeat_status = 200 };
	char *argv[] = { "sleep", "60", NULL };
	struct run r;
	run_worker(&f, argv, 5000, 40000, &r);

	int claim = nth(&r, "claim", 0), hb = nth(&r, "heartbeat", 0), ent = nth(&r, "entities", 0);
	CU_ASSERT_FATAL(claim >= 0 && hb >= 0 && ent >= 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body[ent], "timed out after 5 s"));
	/* The heartbeat went out first and had not been answered yet. */
	CU_ASSERT_TRUE(r.at[hb] < r.at[ent]);
	CU_ASSERT_TRUE(r.at[ent] < r.at[hb] + f.heartbeat_delay_ms);
	/* Killed at 5 s (SIGTERM ends sleep at once), recorded at once. */
	int64_t recorded = r.at[ent] - r.at[claim];
	CU_ASSERT_TRUE(recorded >= 4900);
	CU_ASSERT_TRUE(recorded < 7000);
	/* Completed, and the worker did not wait for the held heartbeat. */
	CU_ASSERT_EQUAL(count(&r, "complete"), 1);
	CU_ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	CU_ASSERT_TRUE(r.ended_ms - r.at[claim] < 10000);
	run_release(&r);
}

/*
 * Lease 3 s: a heartbeat every second, each answered after 700 ms. The
 * generator writes 128 KiB of blanks (twice the pipe's buffer) every 600 ms,
 * 7 times, timing each write, then an object: the heartbeats must keep
 * their second, and no write wait for the worker's heartbeat.
 */
static void test_flooding_generator_and_slow_heartbeats_keep_their_schedules(void)
{
	char dir[] = "/tmp/gentrack-test-flood-XXXXXX";
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	char blanks[128], stalls[128], script[1024];
	snprintf(blanks, sizeof(blanks), "%s/blanks", dir);
	snprintf(stalls, sizeof(stalls), "%s/stall", dir);
	FILE *fp = fopen(blanks, "w");
	CU_ASSERT_FATAL(fp != NULL);
	for (int i = 0; i < 128 * 1024; i++)
		fputc(i % 64 == 63 ? '\n' : ' ', fp);
	fclose(fp);
	/* The longest write, in ms, into the stall file. */
	snprintf(script, sizeof(script),
		 "max=0; i=0; while [ $i -lt 7 ]; do t0=$(date +%%s%%N); "
		 "dd if=%s bs=131072 count=1 2>/dev/null; t1=$(date +%%s%%N); "
		 "d=$(( (t1 - t0) / 1000000 )); [ $d -gt $max ] && max=$d; "
		 "sleep 0.6; i=$((i + 1)); done; echo $max >%s; printf '{\"flood\":true}'",
		 blanks, stalls);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct fake f = { .lease_seconds = 3, .heartbeat_delay_ms = 700, .heartbeat_status = 200 };
	struct run r;
	run_worker(&f, argv, 30000, 30000, &r);

	int ent = nth(&r, "entities", 0);
	CU_ASSERT_FATAL(ent >= 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body[ent], "\"flood\":true"));
	CU_ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);

	/* About 4.2 s of generation: at least 3 heartbeats, a second apart. */
	int n = count(&r, "heartbeat");
	CU_ASSERT_TRUE(n >= 3);
	int claim = nth(&r, "claim", 0);
	int64_t prev = r.at[claim];
	for (int k = 0; k < n; k++) {
		int i = nth(&r, "heartbeat", k);
		if (r.at[i] > r.at[ent])
			break;  /* the last one may fall after the generator ended */
		int64_t gap = r.at[i] - prev;
		fprintf(stderr, "  heartbeat %d: %lld ms after the previous one\n", k, (long long)gap);
		CU_ASSERT_TRUE(gap >= 800 && gap <= 1400);
		prev = r.at[i];
	}

	/* The worker drained the pipes while its heartbeats were held. */
	long stall = -1;
	fp = fopen(stalls, "r");
	if (fp) {
		if (fscanf(fp, "%ld", &stall) != 1)
			stall = -1;
		fclose(fp);
	}
	fprintf(stderr, "  the longest write of the generator took %ld ms\n", stall);
	CU_ASSERT_TRUE(stall >= 0 && stall < 300);
	unlink(blanks);
	unlink(stalls);
	rmdir(dir);
	run_release(&r);
}

/* A 409 at a heartbeat: the generator is killed, nothing recorded, no complete. */
static void test_lost_lease_kills_the_generator(void)
{
	struct fake f = { .lease_seconds = 3, .heartbeat_delay_ms = 0, .heartbeat_status = 409 };
	char *argv[] = { "sleep", "60", NULL };
	struct run r;
	run_worker(&f, argv, 30000, 20000, &r);

	int hb = nth(&r, "heartbeat", 0);
	CU_ASSERT_FATAL(hb >= 0);
	CU_ASSERT_EQUAL(count(&r, "entities"), 0);
	CU_ASSERT_EQUAL(count(&r, "complete"), 0);
	CU_ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	/* The generator is killed (SIGTERM) within a tick of the 409. */
	CU_ASSERT_TRUE(r.ended_ms - r.at[hb] < 2000);
	run_release(&r);
}

/*
 * A claim answer that does not check out (issue 20 item 4): the generator
 * never runs, nothing is sent back for the request, and the log names the
 * field. Each answer is the good one with one field made wrong.
 */
#define CLAIM_HEAD "{\"request_id\":\"" REQUEST_ID "\",\"entity_type\":\"t\",\"status\":\"processing\","
struct bad_claim {
	const char *body;
	const char *field;   /* named in the log */
};
static const struct bad_claim bad_claims[] = {
	/* Today a generator run per listed index: three runs of index 0. */
	{ CLAIM_HEAD "\"requested_count\":3,\"attempt\":1,\"lease_seconds\":30,\"pending_indexes\":[0,0,0]}",
	  "pending_indexes: index 0 is listed twice" },
	{ CLAIM_HEAD "\"requested_count\":2,\"attempt\":1,\"lease_seconds\":30,\"pending_indexes\":[0,5]}",
	  "pending_indexes[1]: 5 is outside 0..1" },
	{ CLAIM_HEAD "\"requested_count\":0,\"attempt\":1,\"lease_seconds\":30,\"pending_indexes\":[0]}",
	  "requested_count: 0 is outside" },
	/* Today a signed overflow (lease_seconds * 1000), then the generator runs. */
	{ CLAIM_HEAD "\"requested_count\":1,\"attempt\":1,\"lease_seconds\":9223372036854775807,"
	  "\"pending_indexes\":[0]}",
	  "lease_seconds: 9223372036854775807 is outside 1..86400" },
	/* Today sent back as attempt 1 (a cast to int). */
	{ CLAIM_HEAD "\"requested_count\":1,\"attempt\":4294967297,\"lease_seconds\":30,\"pending_indexes\":[0]}",
	  "attempt: 4294967297 is outside 1..1000000" },
	{ "{\"request_id\":\"not-a-request\",\"entity_type\":\"t\",\"status\":\"processing\","
	  "\"requested_count\":1,\"attempt\":1,\"pending_indexes\":[0]}",
	  "request_id: must be a UUID" },
	{ CLAIM_HEAD "\"requested_count\":1,\"attempt\":1,\"constraints\":\"{}\",\"pending_indexes\":[0]}",
	  "constraints: must be an object" },
	{ "{\"request_id\":\"" REQUEST_ID "\",\"entity_type\":\"t\",\"status\":\"cancelled\","
	  "\"requested_count\":1,\"attempt\":1,\"pending_indexes\":[0]}",
	  "status: must be \"processing\"" },
};

static void test_a_bad_claim_answer_runs_no_generator(void)
{
	char dir[] = "/tmp/gentrack-test-claim-XXXXXX";
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	char runs_path[128], script[256];
	snprintf(runs_path, sizeof(runs_path), "%s/runs", dir);
	/* One line per generator run. */
	snprintf(script, sizeof(script), "echo run >>%s; printf '{}'", runs_path);
	char *argv[] = { "/bin/sh", "-c", script, NULL };

	for (size_t i = 0; i < sizeof(bad_claims) / sizeof(bad_claims[0]); i++) {
		struct fake f = { .lease_seconds = 30, .heartbeat_status = 200,
				  .claim_body = bad_claims[i].body };
		struct run r;
		fprintf(stderr, "  claim answer: %s\n", bad_claims[i].body);
		run_worker(&f, argv, 5000, 15000, &r);
		char *runs = slurp(runs_path);
		int n_runs = 0;
		for (char *p = runs; p && (p = strstr(p, "run")); p += 3)
			n_runs++;
		free(runs);
		unlink(runs_path);
		fprintf(stderr, "  the generator ran %d times\n", n_runs);
		CU_ASSERT_EQUAL(n_runs, 0);
		CU_ASSERT_EQUAL(count(&r, "claim"), 1);
		CU_ASSERT_EQUAL(count(&r, "heartbeat") + count(&r, "entities") + count(&r, "complete"), 0);
		/* --once: the refusal is the run's failure. */
		CU_ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1);
		CU_ASSERT_PTR_NOT_NULL(r.log && strstr(r.log, "refusing the claim of"));
		CU_ASSERT_PTR_NOT_NULL(r.log && strstr(r.log, bad_claims[i].field));
		CU_ASSERT_PTR_NOT_NULL(r.log && strstr(r.log, "the reaper retries it"));
		run_release(&r);
	}
	rmdir(dir);
}

/*
 * A heartbeat granting a lease no server can give: it is ignored, and the
 * heartbeats keep the claim's second. Today lease_seconds * 1000 overflows
 * (to -1000 ms), and the next heartbeat is due at once, again and again.
 */
static void test_a_huge_heartbeat_lease_is_ignored(void)
{
	struct fake f = { .lease_seconds = 3, .heartbeat_status = 200,
			  .heartbeat_lease = INT64_MAX };
	char *argv[] = { "/bin/sh", "-c", "sleep 2.5; printf '{}'", NULL };
	struct run r;
	run_worker(&f, argv, 30000, 20000, &r);

	int n = count(&r, "heartbeat");
	fprintf(stderr, "  %d heartbeats in 2.5 s\n", n);
	CU_ASSERT_TRUE(n >= 1 && n <= 4);
	CU_ASSERT_EQUAL(count(&r, "entities"), 1);
	CU_ASSERT_EQUAL(count(&r, "complete"), 1);
	CU_ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	CU_ASSERT_PTR_NOT_NULL(r.log && strstr(r.log, "lease_seconds outside 1..86400 ignored"));
	run_release(&r);
}

/*
 * Issue 20: the server refuses an entity (400) with a long answer of 2-, 3-
 * or 4-byte characters, plain text (of which the worker quotes 120 bytes) or
 * a problem detail (quoted into its 511-byte error text). The failure it
 * records instead quotes whole characters: none of the one cut in half.
 */
static void refused_entity_quoted_whole(int as_problem, const char *wide, size_t k)
{
	static const char prefix[] = "the server refused the entity: HTTP 400: ";
	char text[600], answer[700];
	size_t cl = strlen(wide), len = k, limit = as_problem ? 511 - 10 : 120;
	memset(text, 'x', k);
	while (len + cl < limit + 8)
		memcpy(text + len, wide, cl), len += cl;
	text[len] = '\0';
	if (as_problem)
		snprintf(answer, sizeof(answer),
			 "{\"title\":\"Bad Request\",\"status\":400,\"detail\":\"%s\"}", text);
	else
		snprintf(answer, sizeof(answer), "%s", text);

	struct fake f = { .lease_seconds = 30, .heartbeat_status = 200,
			  .entity_status = 400, .entity_answer = answer };
	char *argv[] = { "/bin/sh", "-c", "cat >/dev/null; printf '{\"ok\":1}'", NULL };
	struct run r;
	run_worker(&f, argv, 10000, 20000, &r);
	int second = nth(&r, "entities", 1);
	CU_ASSERT_FATAL(second >= 0);
	json_t *body = json_loads(r.body[second], 0, NULL);
	const char *error = json_string_value(json_object_get(body, "error"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_NSTRING_EQUAL(error, prefix, strlen(prefix));
	const char *quoted = error + strlen(prefix);
	size_t shown = k + (limit - k) / cl * cl;
	CU_ASSERT_EQUAL(strlen(quoted), shown);
	CU_ASSERT_NSTRING_EQUAL(quoted, text, shown);
	json_decref(body);
	run_release(&r);
}

static void test_refused_entity_answer_quoted_whole(void)
{
	static const char *const wide[] = { "\xc3\xbc", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
	for (int as_problem = 0; as_problem < 2; as_problem++)
		for (size_t w = 0; w < 3; w++)
			for (size_t k = 0; k < strlen(wide[w]); k++)
				refused_entity_quoted_whole(as_problem, wide[w], k);
}

static const struct unit_case cases[] = {
	{ "a 20 s heartbeat does not delay a 5 s timeout", test_slow_heartbeat_does_not_delay_the_timeout },
	{ "a flooding generator and slow heartbeats keep their schedules",
	  test_flooding_generator_and_slow_heartbeats_keep_their_schedules },
	{ "a lost lease kills the generator", test_lost_lease_kills_the_generator },
	{ "a bad claim answer runs no generator", test_a_bad_claim_answer_runs_no_generator },
	{ "a huge heartbeat lease is ignored", test_a_huge_heartbeat_lease_is_ignored },
	{ "a refused entity's long answer is quoted in whole characters",
	  test_refused_entity_answer_quoted_whole },
	{ NULL, NULL },
};

UNIT_MAIN("worker", cases)
