#include "build_config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "worker/claim.h"
#include "worker/generator.h"
#include "worker/heartbeat.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/uuid.h"
#include "worker/wclient.h"
#include "base/utf8.h"
#include "worker/worker.h"
#include "base/banned.h"

/* How often the generator's loop looks for a lost lease and a stop. */
#define TICK_MS 250
#define DEFAULT_LEASE_MS 60000
#define MAX_LOOPS 64
#define ONCE_CLAIM_BUDGET_MS 30000
/* The server keeps at most ENTITY_ERROR_MAX bytes of an entity's error. */
#define ERROR_TEXT_MAX ENTITY_ERROR_MAX

static volatile sig_atomic_t stop_flag;   /* a stop was asked for */
static volatile sig_atomic_t hurry_flag;  /* ... twice: kill the generator now */
static volatile sig_atomic_t stop_sec;    /* monotonic second of the first signal */
static volatile sig_atomic_t signals_seen;

static void on_stop_signal(int sig)
{
	struct timespec ts;
	(void)sig;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	signals_seen = signals_seen + 1;
	if (!stop_flag) {
		stop_flag = 1;
		stop_sec = (sig_atomic_t)ts.tv_sec;
	} else if ((long)ts.tv_sec - (long)stop_sec >= 1) {
		/* Not the same shutdown seen twice (terminal and parent at once). */
		hurry_flag = 1;
	}
}

static int install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() and waitpid() return EINTR so the loops look at once. */
	sa.sa_flags = 0;
	struct sigaction ign;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGPIPE, &ign, NULL) < 0)
		return -1;
	return 0;
}

/* ---- one loop ---- */

enum abort_reason { ABORT_NONE, ABORT_LOST, ABORT_SHUTDOWN };

struct loop {
	const struct worker_opts *o;
	struct wclient *client;
	struct wclient_opts client_opts; /* also for each request's heartbeat client */
	char worker_id[256];
	int fatal;                  /* the server refused us: exit 1 */
};

/* The request being worked on. */
struct job {
	struct loop *loop;
	const char *id;             /* borrowed from the checked claim */
	long attempt;
	json_t *resource;           /* the claim answer; "index" is set per entity */
	long index;                 /* the entity being made */
	struct heartbeat *hb;       /* the lease's timer, on its own thread */
	int64_t stop_deadline;      /* 0 until a stop was seen during an entity */
	enum abort_reason abort;
};

/* The generator's tick: a lost lease, and the shutdown deadline. */
static int on_tick(void *ctx)
{
	struct job *j = ctx;
	int64_t now = time_mono_ms();
	if (stop_flag) {
		if (!j->stop_deadline) {
			j->stop_deadline = now + j->loop->o->grace_ms;
			log_info("stopping: entity %ld of %s may finish within %.0f s", j->index, j->id,
				 (double)j->loop->o->grace_ms / 1000.0);
		}
		if (hurry_flag || now >= j->stop_deadline) {
			j->abort = ABORT_SHUTDOWN;
			return 1;
		}
	}
	if (heartbeat_state(j->hb) == HEARTBEAT_LOST) {
		j->abort = ABORT_LOST;
		return 1;
	}
	return 0;
}

/* Valid UTF-8 of at most ERROR_TEXT_MAX bytes, into out. */
static void error_text(const char *msg, char out[ERROR_TEXT_MAX + 1])
{
	if (!msg)
		msg = "the generator failed (no message: out of memory)";
	utf8_sanitize_copy(msg, strlen(msg), out, ERROR_TEXT_MAX + 1);
}

/*
 * Records the result of one entity. 0 to go on with the next, -1 to drop
 * the request (lease lost, or the server unreachable for a whole lease).
 */
static int record(struct job *j, const struct generator_result *res)
{
	struct loop *l = j->loop;
	char err[ERROR_TEXT_MAX + 1];
	json_t *ans = NULL;
	int64_t lease_ms = heartbeat_lease_ms(j->hb);
	int rc;

	if (res->status == GENERATOR_OK) {
		rc = wclient_entity(l->client, j->id, j->attempt, j->index, res->entity, NULL,
				    lease_ms, &ans);
		long status = wclient_last_status(l->client);
		if (rc == WCLIENT_REJECTED && (status == 400 || status == 413)) {
			/* Too large or not acceptable: record why, so the count adds up. */
			char why[600];
			utf8_snprintf(why, sizeof(why), "the server refused the entity: %s",
				      wclient_last_error(l->client));
			error_text(why, err);
			log_warn("entity %ld of %s failed: %s", j->index, j->id, err);
			rc = wclient_entity(l->client, j->id, j->attempt, j->index, NULL, err,
					    lease_ms, &ans);
		} else if (rc == WCLIENT_OK) {
			log_info("entity %ld of %s ok (%.1f s)%s", j->index, j->id,
				 (double)res->elapsed_ms / 1000.0,
				 json_is_false(json_object_get(ans, "recorded")) ? ", already recorded" : "");
		}
	} else {
		error_text(res->error, err);
		log_warn("entity %ld of %s failed (%.1f s): %s", j->index, j->id,
			 (double)res->elapsed_ms / 1000.0, err);
		rc = wclient_entity(l->client, j->id, j->attempt, j->index, NULL, err, lease_ms, &ans);
	}
	json_decref(ans);
	switch (rc) {
	case WCLIENT_OK:
		return 0;
	case WCLIENT_CONFLICT:
		log_warn("lease lost %s: %s: dropping it", j->id, wclient_last_error(l->client));
		return -1;
	case WCLIENT_DENIED:
		l->fatal = 1;
		return -1;
	case WCLIENT_REJECTED:
		/* Logged by the client; the index stays unrecorded, the rest goes on. */
		return 0;
	default:
		log_warn("cannot record entity %ld of %s: %s: abandoning it (its lease expires and it is retried)",
			 j->index, j->id, wclient_last_error(l->client));
		return -1;
	}
}

static const char *str_or(const char *s, const char *fallback)
{
	return s ? s : fallback;
}

static void complete(struct job *j)
{
	struct loop *l = j->loop;
	json_t *ans = NULL;
	int rc = wclient_complete(l->client, j->id, j->attempt, heartbeat_lease_ms(j->hb), &ans);
	if (rc == WCLIENT_OK) {
		log_info("completed %s: %s (%lld generated, %lld failed of %lld)", j->id,
			 str_or(json_string_value(json_object_get(ans, "status")), "?"),
			 (long long)json_integer_value(json_object_get(ans, "generated_count")),
			 (long long)json_integer_value(json_object_get(ans, "failed_count")),
			 (long long)json_integer_value(json_object_get(ans, "requested_count")));
	} else if (rc == WCLIENT_CONFLICT) {
		log_warn("lease lost %s at complete: %s", j->id, wclient_last_error(l->client));
	} else {
		if (rc == WCLIENT_DENIED)
			l->fatal = 1;
		log_warn("cannot complete %s: %s (its lease expires and the reaper takes over)", j->id,
			 wclient_last_error(l->client));
	}
	json_decref(ans);
}

/* Runs one entity. 0 to go on, -1 to leave the request (dropped or abandoned). */
static int run_entity(struct job *j, const struct generator_opts *base)
{
	struct generator_result res;
	struct generator_opts go = *base;
	char *input = NULL;
	int ret = -1;

	generator_result_init(&res);
	if (json_object_set_new(j->resource, "index", json_integer(j->index)) < 0 ||
	    !(input = json_dumps(j->resource, JSON_COMPACT))) {
		log_error("out of memory preparing entity %ld of %s: abandoning it", j->index, j->id);
		goto cleanup;
	}
	go.input = input;
	go.input_len = strlen(input);
	go.tick_ctx = j;
	generator_run(&go, &res);

	if (res.status == GENERATOR_ABORTED) {
		if (j->abort == ABORT_LOST)
			log_warn("killed the generator of entity %ld of %s: the request is no longer ours",
				 j->index, j->id);
		else
			log_warn("stopping: killed the generator of entity %ld of %s; abandoning the request "
				 "(its lease expires and it is retried)", j->index, j->id);
		goto cleanup;
	}
	if (res.status == GENERATOR_ERROR) {
		log_error("cannot run the generator for entity %ld of %s: %s; abandoning the request",
			  j->index, j->id, res.error ? res.error : "out of memory");
		goto cleanup;
	}
	/*
	 * Killed by a signal while we are stopping: most likely the service
	 * manager signalled the whole group. Not the generator's failure.
	 */
	if (stop_flag && res.status == GENERATOR_FAILED && res.exit_code < 0) {
		log_warn("stopping: the generator of entity %ld of %s was killed (%s); abandoning the request",
			 j->index, j->id, res.error ? res.error : "?");
		goto cleanup;
	}
	if (record(j, &res) < 0)
		goto cleanup;
	ret = 0;
cleanup:
	generator_result_release(&res);
	free(input);
	return ret;
}

/*
 * A claim answer that does not check out (worker/claim.h) is refused: the
 * generator never runs for it. The claim did take the lease, and nothing
 * is sent back (no heartbeat, no entity, no complete: not even the id
 * can be trusted), so nothing stays stuck: the lease expires and the
 * reaper, or the next client read, puts the request back to pending while
 * attempts remain, else marks it failed (lease_expired). -1 after logging.
 */
static int check_claim(const json_t *resource, struct claim *claim)
{
	char err[256];
	if (claim_parse(resource, claim, err, sizeof(err)) == 0)
		return 0;
	const char *id = json_string_value(json_object_get(resource, "request_id"));
	struct uuid u;
	log_error("refusing the claim of %s: %s; the generator is not run (its lease expires, "
		  "then the reaper retries it or fails it)",
		  id && uuid_parse(id, strlen(id), &u) == 0 ? id : "an unknown request", err);
	return -1;
}

/* The loop over the claim's pending indexes, then complete. */
static void run_claim(struct job *j, const struct claim *claim)
{
	const struct worker_opts *o = j->loop->o;
	struct generator_opts go = {
		.argv = o->argv,
		.timeout_ms = o->timeout_ms,
		.tick_ms = TICK_MS,
		.tick = on_tick,
	};
	size_t done = 0;
	for (; done < claim->n_pending; done++) {
		if (stop_flag)
			break;
		if (heartbeat_state(j->hb) == HEARTBEAT_LOST)
			return;
		j->index = claim->pending[done];
		if (run_entity(j, &go) < 0)
			return;
	}
	if (done < claim->n_pending) {
		log_info("stopping: abandoned %s with %zu entities left (its lease expires and it is retried)",
			 j->id, claim->n_pending - done);
		return;
	}
	complete(j);
}

/* Works on one claimed request: 0, or -1 when its claim answer was refused. */
static int work_on(struct loop *l, json_t *resource)
{
	const struct worker_opts *o = l->o;
	struct claim claim;
	struct job j;

	if (check_claim(resource, &claim) < 0)
		return -1;
	memset(&j, 0, sizeof(j));
	j.loop = l;
	j.resource = resource;
	j.id = claim.id;
	j.attempt = claim.attempt;
	const char *type = json_string_value(json_object_get(resource, "entity_type"));
	int64_t lease_ms = claim.lease_seconds > 0 ? (int64_t)claim.lease_seconds * 1000
			   : o->lease_seconds > 0 ? (int64_t)o->lease_seconds * 1000
						  : DEFAULT_LEASE_MS;
	log_info("claimed %s (%s, attempt %ld, %zu of %ld pending, lease %lld s)", j.id, type,
		 j.attempt, claim.n_pending, claim.requested_count, (long long)(lease_ms / 1000));
	struct heartbeat_opts ho = {
		.client = &l->client_opts, .id = j.id, .attempt = j.attempt, .lease_ms = lease_ms,
	};
	char err[256];
	j.hb = heartbeat_start(&ho, err, sizeof(err));
	if (!j.hb) {
		log_error("%s: abandoning %s (its lease expires and it is retried)", err, j.id);
		claim_release(&claim);
		return 0;
	}
	run_claim(&j, &claim);
	if (heartbeat_state(j.hb) == HEARTBEAT_DENIED)
		l->fatal = 1;
	heartbeat_stop(j.hb);
	claim_release(&claim);
	return 0;
}

static uint32_t rnd32(void)
{
	return ((uint32_t)random() << 16) ^ (uint32_t)random();
}

static int run_loop(const struct worker_opts *o, int slot)
{
	struct loop l;
	char err[256];
	int ret = 0, failures = 0;

	memset(&l, 0, sizeof(l));
	l.o = o;
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	if (o->worker_id && o->concurrency > 1)
		snprintf(l.worker_id, sizeof(l.worker_id), "%s-%d", o->worker_id, slot);
	else if (o->worker_id)
		snprintf(l.worker_id, sizeof(l.worker_id), "%s", o->worker_id);
	else {
		char host[128];
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		for (char *p = host; *p; p++)
			if (*p <= ' ' || *p > '~')
				*p = '_';
		snprintf(l.worker_id, sizeof(l.worker_id), "%s:%ld", host, (long)getpid());
	}
	l.client_opts = (struct wclient_opts){
		.base_url = o->url, .key = o->key, .worker_id = l.worker_id, .stop = &stop_flag,
	};
	l.client = wclient_new(&l.client_opts, err, sizeof(err));
	if (!l.client) {
		log_error("%s", err);
		return 1;
	}
	log_info("worker %s polling %s for %zu entity type(s)", l.worker_id, o->url, o->n_types);

	while (!stop_flag && !l.fatal) {
		json_t *resource = NULL;
		/* --once is for tests and cron jobs: a dead server must not hang it. */
		int rc = wclient_claim(l.client, o->entity_types, o->n_types, o->lease_seconds,
				       o->once ? ONCE_CLAIM_BUDGET_MS : WCLIENT_FOREVER, &resource);
		if (rc == WCLIENT_OK) {
			int refused = work_on(&l, resource) < 0;
			json_decref(resource);
			if (o->once) {
				if (refused)
					l.fatal = 1;
				break;
			}
			if (!refused) {
				failures = 0;
				continue;
			}
			/* A server answering nonsense: claim again, but not in a tight loop. */
			int64_t wait = wclient_backoff_ms(failures++, 1000, 30000, 0, rnd32());
			log_warn("claim refused: backoff %.1f s", (double)wait / 1000.0);
			time_nap_ms(wait, &stop_flag);
			continue;
		}
		if (rc == WCLIENT_NO_CONTENT) {
			failures = 0;
			if (o->once)
				break;
			/* Jittered so that a fleet started together spreads out. */
			int64_t nap = o->poll_ms / 2 + (int64_t)(rnd32() % (uint32_t)(o->poll_ms + 1));
			time_nap_ms(nap, &stop_flag);
			continue;
		}
		if (rc == WCLIENT_STOPPED)
			break;
		long status = wclient_last_status(l.client);
		if (rc == WCLIENT_DENIED || (status >= 400 && status < 500)) {
			log_error("the server refused the claim (%s): check --url, --key and --entity-type",
				  wclient_last_error(l.client));
			l.fatal = 1;
			break;
		}
		if (o->once) {
			log_error("claim failed (%s): giving up (--once)", wclient_last_error(l.client));
			l.fatal = 1;
			break;
		}
		int64_t wait = wclient_backoff_ms(failures++, 1000, 30000, 0, rnd32());
		log_warn("claim failed (%s): backoff %.1f s", wclient_last_error(l.client),
			 (double)wait / 1000.0);
		time_nap_ms(wait, &stop_flag);
	}
	if (l.fatal)
		ret = 1;
	log_info("worker %s stopped", l.worker_id);
	wclient_free(l.client);
	return ret;
}

/* ---- several loops ---- */

static pid_t spawn_loop(const struct worker_opts *o, int slot)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
#ifdef __linux__
	/* A supervisor killed with SIGKILL must not leave loops behind. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	_exit(run_loop(o, slot));
}

static int supervise(const struct worker_opts *o)
{
	pid_t pids[MAX_LOOPS];
	int n = o->concurrency, alive = 0, fatal = 0;
	sig_atomic_t forwarded = 0;

	for (int i = 0; i < n; i++) {
		pids[i] = spawn_loop(o, i + 1);
		if (pids[i] < 0) {
			log_error("cannot fork worker loop %d: %s", i + 1, strerror(errno));
			stop_flag = 1;
			continue;
		}
		alive++;
	}
	log_info("supervising %d worker loops", alive);
	while (alive > 0) {
		if (signals_seen != forwarded) {
			forwarded = signals_seen;
			for (int i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
		}
		int st;
		/* Polled, so a signal between the check above and the wait is not missed. */
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid == 0 || (pid < 0 && errno == EINTR)) {
			struct timespec ts = { 0, 100 * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		if (pid < 0)
			break;
		int slot = -1;
		for (int i = 0; i < n; i++)
			if (pids[i] == pid)
				slot = i;
		if (slot < 0)
			continue;
		pids[slot] = -1;
		alive--;
		int clean = WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
			fatal = 1;
		if (clean || stop_flag || o->once)
			continue;
		if (WIFSIGNALED(st))
			log_error("worker loop %d (pid %ld) killed by signal %d; restarting", slot + 1,
				  (long)pid, WTERMSIG(st));
		else
			log_error("worker loop %d (pid %ld) exited with status %d; restarting", slot + 1,
				  (long)pid, WEXITSTATUS(st));
		time_nap_ms(1000, &stop_flag);
		if (stop_flag)
			continue;
		pids[slot] = spawn_loop(o, slot + 1);
		if (pids[slot] > 0)
			alive++;
	}
	log_info("all worker loops stopped");
	return fatal ? 1 : 0;
}

int worker_main(const struct worker_opts *o)
{
	if (install_signals() < 0) {
		log_error("cannot install signal handlers: %s", strerror(errno));
		return 1;
	}
	if (o->concurrency <= 1)
		return run_loop(o, 1);
	if (o->concurrency > MAX_LOOPS) {
		log_error("at most %d worker loops", MAX_LOOPS);
		return 1;
	}
	return supervise(o);
}
