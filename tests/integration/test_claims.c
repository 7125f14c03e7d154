#include "build_config.h"

/*
 * The claim/lease protocol against a real MariaDB (tests/integration/claims.sh
 * starts it): concurrent claimers never share a request and lose none, and a
 * worker that does not hold a lease changes nothing.
 */
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "store/store.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "base/utf8.h"
#include "itest.h"
#include "unit.h"

static struct config cfg;
static struct store *st;
static struct uuid_gen ids;
static int64_t clock_us;
static char tag[16];

/* A pending request of a type unique to this run, for `count` entities. */
static struct uuid make_pending(const char *type, unsigned count)
{
	char owner[OWNER_MAX + 1];
	snprintf(owner, sizeof(owner), "claims-%s", tag);
	clock_us += 10;
	struct itest_pending p = { .owner = owner, .entity_type = type, .count = count,
				   .priority = PRIORITY_DEFAULT, .at = clock_us };
	return itest_create_pending(st, &ids, &p);
}

static int claim(struct store *s, const char *type, const char *worker, struct store_claimed *out)
{
	const char *types[] = { type };
	char actor[64];
	snprintf(actor, sizeof(actor), "worker:%s", worker);
	struct store_claim c = { .worker_id = worker, .actor = actor, .entity_types = types,
				 .n_types = 1, .lease_seconds = 60 };
	return store_claim_next(s, &c, out);
}

static void setup(void)
{
	itest_open("test_claims", &cfg, &st);
	uuid_gen_init(&ids);
	clock_us = time_now_us() - INT64_C(3600000000); /* older than anything else pending */
	snprintf(tag, sizeof(tag), "%llx", (unsigned long long)(time_now_us() % 0xffffffffffLL));
}

static void test_claim_order_and_resource(void)
{
	char type[32];
	struct store_claimed cl;
	snprintf(type, sizeof(type), "order_%s", tag);
	struct uuid first = make_pending(type, 3);
	struct uuid second = make_pending(type, 2);
	CU_ASSERT_EQUAL_FATAL(claim(st, type, "w-order", &cl), STORE_OK);
	/* Oldest first. */
	CU_ASSERT_EQUAL(memcmp(cl.request.id.b, first.b, 16), 0);
	CU_ASSERT_EQUAL(cl.request.status, GEN_PROCESSING);
	CU_ASSERT_EQUAL(cl.request.attempt, 1);
	CU_ASSERT_STRING_EQUAL(cl.request.worker_id, "w-order");
	CU_ASSERT(cl.request.lease_expires_at > cl.request.started_at);
	CU_ASSERT_FALSE(store_claimed_is_generated(&cl, 0));
	store_claimed_release(&cl);
	CU_ASSERT_EQUAL_FATAL(claim(st, type, "w-order", &cl), STORE_OK);
	CU_ASSERT_EQUAL(memcmp(cl.request.id.b, second.b, 16), 0);
	store_claimed_release(&cl);
	CU_ASSERT_EQUAL(claim(st, type, "w-order", &cl), STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events WHERE request_id = "
				    "UNHEX('%s') AND from_status = 'pending' AND to_status = "
				    "'processing' AND actor = 'worker:w-order'", itest_hex(&first)), 1);
}

/* Claims of a paused type get nothing; other types are handed out; a
 * resume hands it out again; each pause and resume is one queue event. */
static void test_paused_type_is_skipped(void)
{
	char paused[32], other[32];
	struct store_claimed cl;
	struct queue_state q;
	snprintf(paused, sizeof(paused), "paused_%s", tag);
	snprintf(other, sizeof(other), "other_%s", tag);
	struct uuid waiting = make_pending(paused, 1);
	struct uuid next = make_pending(other, 1);
	const char *both[] = { paused, other };
	struct store_claim c = { .worker_id = "w-pause", .actor = "worker:w-pause",
				 .entity_types = both, .n_types = 2, .lease_seconds = 60 };

	CU_ASSERT_EQUAL_FATAL(store_queue_pause(st, paused, "admin:test", "provider down"), STORE_OK);
	/* A second pause changes nothing: the first one's who and why stand. */
	CU_ASSERT_EQUAL(store_queue_pause(st, paused, "admin:other", "again"), STORE_CONFLICT);
	CU_ASSERT_EQUAL_FATAL(store_queue_get(st, paused, &q), STORE_OK);
	CU_ASSERT(q.paused);
	CU_ASSERT_STRING_EQUAL(q.paused_by, "admin:test");
	CU_ASSERT_STRING_EQUAL(q.pause_reason, "provider down");
	CU_ASSERT_EQUAL(q.pending, 1);
	CU_ASSERT_EQUAL(q.processing, 0);
	CU_ASSERT(q.oldest_pending_at != TIME_NONE && q.oldest_pending_at <= clock_us);
	CU_ASSERT(q.paused_at != TIME_NONE);

	CU_ASSERT_EQUAL(claim(st, paused, "w-pause", &cl), STORE_NOT_FOUND);
	/* The older request is of the paused type: the other one comes first. */
	CU_ASSERT_EQUAL_FATAL(store_claim_next(st, &c, &cl), STORE_OK);
	CU_ASSERT_EQUAL(memcmp(cl.request.id.b, next.b, 16), 0);
	store_claimed_release(&cl);
	CU_ASSERT_EQUAL(store_claim_next(st, &c, &cl), STORE_NOT_FOUND);

	/* A pause row another transaction has locked is still a pause: the
	 * claim's SKIP LOCKED is for the requests, not for the pauses. */
	itest_exec("BEGIN");
	itest_exec("SELECT entity_type FROM queue_pauses WHERE entity_type = '%s' FOR UPDATE",
		   paused);
	mysql_free_result(mysql_store_result(itest_raw));
	CU_ASSERT_EQUAL(claim(st, paused, "w-pause", &cl), STORE_NOT_FOUND);
	itest_exec("ROLLBACK");

	CU_ASSERT_EQUAL(store_queue_resume(st, paused, "admin:test", "provider back"), STORE_OK);
	CU_ASSERT_EQUAL(store_queue_resume(st, paused, "admin:test", "again"), STORE_CONFLICT);
	CU_ASSERT_EQUAL_FATAL(store_queue_get(st, paused, &q), STORE_OK);
	CU_ASSERT_FALSE(q.paused);
	CU_ASSERT_EQUAL_FATAL(claim(st, paused, "w-pause", &cl), STORE_OK);
	CU_ASSERT_EQUAL(memcmp(cl.request.id.b, waiting.b, 16), 0);
	store_claimed_release(&cl);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM queue_events WHERE entity_type = '%s' "
				   "AND actor = 'admin:test' AND ((action = 'pause' AND reason = "
				   "'provider down') OR (action = 'resume' AND reason = "
				   "'provider back'))", paused), 2);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM queue_events WHERE entity_type = '%s'",
				   paused), 2);
}

/* The pick walks ix_claim (status, priority, vtime, id) in its order, the pause
 * check is a key lookup. */
static void test_claim_uses_its_index(void)
{
	const char *types[] = { "problem", "quiz" };
	struct store_plan plan;
	CU_ASSERT_EQUAL_FATAL(store_explain_claim(st, types, 2, &plan), STORE_OK);
	printf("\n  claim: access %s, key %s, ~%ld rows, %s\n", plan.access, plan.key, plan.rows,
	       plan.extra);
	CU_ASSERT_STRING_EQUAL(plan.key, "ix_claim");
	CU_ASSERT_STRING_NOT_EQUAL(plan.access, "ALL");
	CU_ASSERT_PTR_NULL(strstr(plan.extra, "filesort"));
	CU_ASSERT_PTR_NULL(strstr(plan.extra, "temporary"));
}

static void test_concurrent_claimers(void)
{
	enum { REQUESTS = 1000, CLAIMERS = 8 };
	char type[32], path[64];
	int fds[CLAIMERS][2];
	pid_t pids[CLAIMERS];

	snprintf(type, sizeof(type), "race_%s", tag);
	for (int i = 0; i < REQUESTS; i++)
		make_pending(type, 1);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int w = 0; w < CLAIMERS; w++) {
		CU_ASSERT_FATAL(pipe(fds[w]) == 0);
		pids[w] = fork();
		CU_ASSERT_FATAL(pids[w] >= 0);
		if (pids[w] == 0) {
			/* Each claimer: its own connection, claiming until nothing is left. */
			struct store *mine = store_new(&cfg);
			char worker[32];
			struct store_claimed cl;
			int rc;
			close(fds[w][0]);
			snprintf(worker, sizeof(worker), "claimer-%d", w);
			while ((rc = claim(mine, type, worker, &cl)) == STORE_OK) {
				if (write(fds[w][1], cl.request.id.b, 16) != 16)
					_exit(3);
				store_claimed_release(&cl);
			}
			store_free(mine);
			_exit(rc == STORE_NOT_FOUND ? 0 : 2);
		}
		close(fds[w][1]);
	}
	/* Read every claimer's ids (the pipes may fill, so read before waiting). */
	static struct uuid got[REQUESTS * 2];
	size_t n = 0;
	for (int w = 0; w < CLAIMERS; w++) {
		struct uuid u;
		while (read(fds[w][0], u.b, 16) == 16 && n < REQUESTS * 2)
			got[n++] = u;
		close(fds[w][0]);
	}
	int clean_exits = 0;
	for (int w = 0; w < CLAIMERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		clean_exits += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("\n  %zu claims by %d claimers in %.2f s: %.0f claims/s\n", n, CLAIMERS, secs,
	       (double)n / secs);

	CU_ASSERT_EQUAL(clean_exits, CLAIMERS);
	CU_ASSERT_EQUAL(n, REQUESTS);
	/* No id twice. */
	int dup = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			dup += !memcmp(got[i].b, got[j].b, 16);
	CU_ASSERT_EQUAL(dup, 0);
	/* In the store: every one processing once, none left pending. */
	snprintf(path, sizeof(path), "%s", type);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE entity_type = "
				    "'%s' AND status = 'processing' AND attempt = 1", path), REQUESTS);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE entity_type = "
				    "'%s' AND status = 'pending'", path), 0);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events e JOIN "
				    "generation_requests r ON r.id = e.request_id WHERE "
				    "r.entity_type = '%s' AND e.to_status = 'processing'", path),
			REQUESTS);
}

static void test_fencing(void)
{
	char type[32];
	struct store_claimed cl;
	struct store_entity_result res;
	struct gen_request out;
	int64_t expires;
	long long secs;

	snprintf(type, sizeof(type), "fence_%s", tag);
	struct uuid id = make_pending(type, 3);
	CU_ASSERT_EQUAL_FATAL(claim(st, type, "holder", &cl), STORE_OK);
	unsigned attempt = cl.request.attempt;
	store_claimed_release(&cl);
	long version = itest_long("SELECT version FROM generation_requests WHERE id = UNHEX('%s')",
				   itest_hex(&id));

	struct store_lease intruder = { "intruder", 0 };
	struct store_lease stale = { "holder", attempt + 1 };
	struct store_entity e = { 0, "{\"x\":1}", NULL };
	CU_ASSERT_EQUAL(store_lease_extend(st, &id, &intruder, 0, &expires, &secs),
			STORE_CONFLICT);
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &intruder, &e, &res),
			STORE_CONFLICT);
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &stale, &e, &res),
			STORE_CONFLICT);
	CU_ASSERT_EQUAL(store_complete(st, &id, &intruder, "worker:intruder", &out),
			STORE_CONFLICT);
	/* ... and wrote nothing. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_entities WHERE request_id = "
				    "UNHEX('%s')", itest_hex(&id)), 0);
	CU_ASSERT_EQUAL(itest_long("SELECT version FROM generation_requests WHERE id = UNHEX('%s')",
				    itest_hex(&id)), version);

	/* The holder: heartbeat, the same index twice stores one entity, index range. */
	struct store_lease holder = { "holder", attempt };
	CU_ASSERT_EQUAL(store_lease_extend(st, &id, &holder, 0, &expires, &secs),
			STORE_OK);
	CU_ASSERT_EQUAL(secs, 60);
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &holder, &e, &res), STORE_OK);
	CU_ASSERT_EQUAL(res.recorded, 1);
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &holder, &e, &res), STORE_OK);
	CU_ASSERT_EQUAL(res.recorded, 0);
	CU_ASSERT_EQUAL(res.generated_count, 1);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_entities WHERE request_id = "
				    "UNHEX('%s')", itest_hex(&id)), 1);
	struct store_entity bad = { 3, "{}", NULL };
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &holder, &bad, &res),
			STORE_INVALID);
	struct store_entity failed = { 1, NULL, "model refused" };
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &holder, &failed, &res),
			STORE_OK);
	CU_ASSERT_EQUAL(res.failed_count, 1);

	/* Complete: 1 of 3 generated is partial, and then the lease is gone. */
	CU_ASSERT_EQUAL_FATAL(store_complete(st, &id, &holder, "worker:holder", &out),
			      STORE_OK);
	CU_ASSERT_EQUAL(out.status, GEN_PARTIAL);
	CU_ASSERT_EQUAL(out.generated_count, 1);
	CU_ASSERT_EQUAL(out.failed_count, 1);
	CU_ASSERT_PTR_NOT_NULL(out.error_message && strstr(out.error_message, "model refused"));
	CU_ASSERT_EQUAL(out.lease_expires_at, TIME_NONE);
	gen_request_release(&out);
	CU_ASSERT_EQUAL(store_lease_extend(st, &id, &holder, 0, &expires, &secs),
			STORE_CONFLICT);
	CU_ASSERT_EQUAL(store_complete(st, &id, &holder, "worker:holder", &out),
			STORE_CONFLICT);
}

static void test_completion_statuses(void)
{
	char type[32];
	struct store_claimed cl;
	struct store_entity_result res;
	struct gen_request out;

	snprintf(type, sizeof(type), "done_%s", tag);
	/* All generated → completed; none → failed with generator_failed. */
	make_pending(type, 2);
	make_pending(type, 2);
	for (int round = 0; round < 2; round++) {
		CU_ASSERT_EQUAL_FATAL(claim(st, type, "w-done", &cl), STORE_OK);
		struct uuid id = cl.request.id;
		struct store_lease l = { "w-done", cl.request.attempt };
		store_claimed_release(&cl);
		for (unsigned i = 0; i < 2; i++) {
			struct store_entity e = { i, round == 0 ? "{\"ok\":true}" : NULL,
						  round == 0 ? NULL : "timed out after 30 s" };
			CU_ASSERT_EQUAL(store_entity_record(st, &id, &l, &e, &res),
					STORE_OK);
		}
		CU_ASSERT_EQUAL_FATAL(store_complete(st, &id, &l, "worker:w-done", &out),
				      STORE_OK);
		if (round == 0) {
			CU_ASSERT_EQUAL(out.status, GEN_COMPLETED);
			CU_ASSERT_STRING_EQUAL(out.failure_reason, "");
		} else {
			CU_ASSERT_EQUAL(out.status, GEN_FAILED);
			CU_ASSERT_STRING_EQUAL(out.failure_reason, "generator_failed");
			CU_ASSERT_PTR_NOT_NULL(strstr(out.error_message, "timed out after 30 s"));
		}
		CU_ASSERT(out.completed_at != TIME_NONE);
		gen_request_release(&out);
	}
}

static void test_cancel_ends_the_lease(void)
{
	char type[32];
	struct store_claimed cl;
	struct gen_request out;
	int64_t expires;
	long long secs;
	snprintf(type, sizeof(type), "cancel_%s", tag);
	struct uuid id = make_pending(type, 1);
	CU_ASSERT_EQUAL_FATAL(claim(st, type, "w-cancel", &cl), STORE_OK);
	struct store_lease l = { "w-cancel", cl.request.attempt };
	store_claimed_release(&cl);
	char owner[OWNER_MAX + 1];
	snprintf(owner, sizeof(owner), "claims-%s", tag);
	CU_ASSERT_EQUAL(store_request_cancel(st, &id, owner, "client:test", NULL,
					     &out), STORE_OK);
	gen_request_release(&out);
	/* The worker's next heartbeat tells it to stop. */
	CU_ASSERT_EQUAL(store_lease_extend(st, &id, &l, 0, &expires, &secs),
			STORE_CONFLICT);
}

/* Field by field: what a claim or completion answered is what the store holds. */
static int str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void assert_same_as_stored(const struct gen_request *got)
{
	struct gen_request row;
	CU_ASSERT_EQUAL_FATAL(store_request_get(st, &got->id, NULL, &row), STORE_OK);
	CU_ASSERT_STRING_EQUAL(got->owner, row.owner);
	CU_ASSERT_STRING_EQUAL(got->entity_type, row.entity_type);
	CU_ASSERT_EQUAL(got->status, row.status);
	CU_ASSERT_EQUAL(got->requested_count, row.requested_count);
	CU_ASSERT_EQUAL(got->generated_count, row.generated_count);
	CU_ASSERT_EQUAL(got->failed_count, row.failed_count);
	CU_ASSERT_EQUAL(got->attempt, row.attempt);
	CU_ASSERT_EQUAL(got->version, row.version);
	CU_ASSERT(str_same(got->worker_id, row.worker_id));
	CU_ASSERT_EQUAL(got->lease_expires_at, row.lease_expires_at);
	CU_ASSERT_EQUAL(got->requested_at, row.requested_at);
	CU_ASSERT_EQUAL(got->started_at, row.started_at);
	CU_ASSERT_EQUAL(got->completed_at, row.completed_at);
	CU_ASSERT_EQUAL(got->cancelled_at, row.cancelled_at);
	CU_ASSERT_EQUAL(got->updated_at, row.updated_at);
	CU_ASSERT_STRING_EQUAL(got->failure_reason, row.failure_reason);
	CU_ASSERT(str_same(got->error_message, row.error_message));
	CU_ASSERT(str_same(got->constraints_json, row.constraints_json));
	CU_ASSERT(str_same(got->metadata_json, row.metadata_json));
	gen_request_release(&row);
}

static void test_answers_match_the_store(void)
{
	char type[32];
	struct store_claimed cl;
	struct store_entity_result res;
	struct gen_request out;

	snprintf(type, sizeof(type), "same_%s", tag);
	struct uuid id = make_pending(type, 3);
	CU_ASSERT_EQUAL_FATAL(claim(st, type, "w-same", &cl), STORE_OK);
	assert_same_as_stored(&cl.request);
	struct store_lease first = { "w-same", cl.request.attempt };
	store_claimed_release(&cl);
	struct store_entity made = { 0, "{\"n\":0}", NULL }, broken = { 1, NULL, "bad output" };
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &first, &made, &res), STORE_OK);
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &first, &broken, &res), STORE_OK);

	/* The lease lapses and the reaper puts it back (as Q_TIMEOUT_RETRY does). */
	itest_exec("UPDATE generation_requests SET status = 'pending', worker_id = NULL, "
		   "lease_expires_at = NULL, lease_seconds = NULL, version = version + 1 "
		   "WHERE id = UNHEX('%s')", itest_hex(&id));
	CU_ASSERT_EQUAL_FATAL(claim(st, type, "w-again", &cl), STORE_OK);
	CU_ASSERT_EQUAL(cl.request.attempt, 2);
	CU_ASSERT_EQUAL(cl.request.failed_count, 0);
	CU_ASSERT(store_claimed_is_generated(&cl, 0));
	CU_ASSERT_FALSE(store_claimed_is_generated(&cl, 1));
	assert_same_as_stored(&cl.request);
	/* The second attempt starts without the first one's failures. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_entities WHERE request_id = "
				    "UNHEX('%s') AND status = 'failed'", itest_hex(&id)), 0);
	struct store_lease second = { "w-again", cl.request.attempt };
	store_claimed_release(&cl);
	CU_ASSERT_EQUAL(store_entity_record(st, &id, &second, &broken, &res),
			STORE_OK);
	CU_ASSERT_EQUAL_FATAL(store_complete(st, &id, &second, "worker:w-again",
					     &out), STORE_OK);
	CU_ASSERT_EQUAL(out.status, GEN_PARTIAL);
	assert_same_as_stored(&out);
	gen_request_release(&out);
}

/* Whether s is whole UTF-8 characters only. */
static int whole_utf8(const char *s)
{
	return utf8_valid(s, strlen(s));
}

/*
 * One entity fails with `error`, then the worker completes: it must answer,
 * end failed with generator_failed, and keep a message of whole characters
 * that quotes the start of the error, in the row and in the audit trail.
 */
static void complete_after_error(const char *type, const char *error)
{
	struct store_claimed cl;
	struct store_entity_result res;
	struct gen_request out;
	static const char head[] = "1 of 1 entities not generated; last error: ";

	struct uuid id = make_pending(type, 1);
	CU_ASSERT_EQUAL_FATAL(claim(st, type, "w-long", &cl), STORE_OK);
	struct store_lease l = { "w-long", cl.request.attempt };
	store_claimed_release(&cl);
	struct store_entity e = { 0, NULL, error };
	CU_ASSERT_EQUAL_FATAL(store_entity_record(st, &id, &l, &e, &res), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(store_complete(st, &id, &l, "worker:w-long", &out), STORE_OK);
	CU_ASSERT_EQUAL(out.status, GEN_FAILED);
	CU_ASSERT_STRING_EQUAL(out.failure_reason, "generator_failed");
	CU_ASSERT_PTR_NOT_NULL_FATAL(out.error_message);
	CU_ASSERT(whole_utf8(out.error_message));
	CU_ASSERT_NSTRING_EQUAL(out.error_message, head, strlen(head));
	const char *quoted = out.error_message + strlen(head);
	CU_ASSERT(strlen(quoted) >= 400);
	CU_ASSERT_NSTRING_EQUAL(quoted, error, strlen(quoted));
	assert_same_as_stored(&out);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events e JOIN generation_requests r "
				    "ON r.id = e.request_id WHERE r.id = UNHEX('%s') AND "
				    "e.to_status = 'failed' AND e.message = r.error_message",
				    itest_hex(&id)), 1);
	gen_request_release(&out);
}

/*
 * Issue 20: a long non-ASCII entity error, longer than the part of it the
 * completion message quotes. A byte cut used to leave half a character,
 * which the utf8mb4 column refuses: every complete answered an error. The
 * limit falls before, on each byte of, and after 2-, 3- and 4-byte characters.
 */
static void test_complete_quotes_long_errors_whole(void)
{
	static const char *const wide[] = { "\xc3\xbc", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
	char type[32], error[ENTITY_ERROR_MAX + 1];

	snprintf(type, sizeof(type), "long_%s", tag);
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		for (size_t k = 0; k < cl; k++) {
			/* "Zeit" and k more ASCII bytes, then the character to the limit. */
			size_t len = (size_t)snprintf(error, sizeof(error), "Zeit%.*s: ", (int)k, "xyz");
			while (len + cl <= ENTITY_ERROR_MAX) {
				memcpy(error + len, wide[w], cl);
				len += cl;
			}
			error[len] = '\0';
			complete_after_error(type, error);
		}
	}
}

/* store/metrics.c's METRICS_SHARDS, and the last shard, for SQL's seq_0_to_N. */
#define SHARDS 64
#define SHARDS_LAST "63"

/* Every shard of every bucket of the claim latency histogram (metrics.c's
 * bounds, +Inf last), as rows of gentrack_histograms with n = 0. */
#define CLAIM_LATENCY_ROWS \
	"SELECT 'claim_latency', b.le, s.seq, 0, 0 FROM seq_0_to_" SHARDS_LAST " s, (SELECT 50 AS le " \
	"UNION SELECT 100 UNION SELECT 500 UNION SELECT 1000 UNION SELECT 5000 " \
	"UNION SELECT 15000 UNION SELECT 60000 UNION SELECT 300000 UNION SELECT 900000 " \
	"UNION SELECT 3600000 UNION SELECT 9223372036854775807) b"

/* Makes the rows (INSERT IGNORE, with n = 0) that `select` names in table. */
static void fill_shards(const char *table, const char *columns, const char *select)
{
	itest_exec("INSERT IGNORE INTO %s (%s) %s", table, columns, select);
}

/* The sum of a counter table's n over the rows `where` picks. */
static long counter_sum(const char *table, const char *where)
{
	return itest_long("SELECT CAST(COALESCE(SUM(n), 0) AS SIGNED) FROM %s WHERE %s", table, where);
}

/*
 * The counters a claim bumps are sharded rows, hot under load (every claim
 * of a node bumps the same few): a claim whose own shard another
 * transaction holds takes a free one at once, instead of queueing behind
 * it until a lock wait timeout (1205, a 503). Each count still goes up by
 * exactly one, in another shard.
 */
static void test_claim_passes_held_counter_rows(void)
{
	char type[32], where[160];
	struct store_claimed cl;
	snprintf(type, sizeof(type), "hotrow_%s", tag);
	struct uuid id = make_pending(type, 1);
	unsigned shard = id.b[15] % SHARDS;

	/* Every row of the claim's shard in the three tables, made first so that
	 * the claim cannot simply insert it. */
	fill_shards("gentrack_counters", "metric, actor_kind, from_status, to_status, shard, n",
		    "SELECT 'transitions', 'worker', 'pending', 'processing', seq, 0 FROM seq_0_to_" SHARDS_LAST);
	itest_exec("INSERT IGNORE INTO gentrack_type_counters (entity_type, from_status, to_status, "
		   "shard, n) SELECT '%s', 'pending', 'processing', seq, 0 FROM seq_0_to_" SHARDS_LAST, type);
	fill_shards("gentrack_histograms", "histogram, le_ms, shard, n, sum_ms",
		    CLAIM_LATENCY_ROWS);
	snprintf(where, sizeof(where), "metric = 'transitions' AND actor_kind = 'worker' AND "
		 "from_status = 'pending' AND to_status = 'processing'");
	long transitions = counter_sum("gentrack_counters", where);
	char type_where[120];
	snprintf(type_where, sizeof(type_where), "entity_type = '%s' AND to_status = 'processing'", type);
	long by_type = counter_sum("gentrack_type_counters", type_where);
	long observed = counter_sum("gentrack_histograms", "histogram = 'claim_latency'");

	/* As the store's sessions: locks on the rows read only, not on the scan. */
	itest_exec("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
	itest_exec("BEGIN");
	static const char *const tables[] = { "gentrack_counters", "gentrack_type_counters",
					      "gentrack_histograms" };
	for (int k = 0; k < 3; k++) {
		itest_exec("SELECT COUNT(*) FROM %s WHERE shard = %u FOR UPDATE", tables[k], shard);
		mysql_free_result(mysql_store_result(itest_raw));
	}
	int64_t t0 = time_now_us();
	CU_ASSERT_EQUAL_FATAL(claim(st, type, "w-hotrow", &cl), STORE_OK);
	int64_t took_ms = (time_now_us() - t0) / 1000;
	printf("\n  claim past its held shard took %lld ms\n", (long long)took_ms);
	CU_ASSERT(took_ms < 2000);
	CU_ASSERT(!memcmp(cl.request.id.b, id.b, sizeof(id.b)));
	store_claimed_release(&cl);
	itest_exec("ROLLBACK");

	CU_ASSERT_EQUAL(counter_sum("gentrack_counters", where), transitions + 1);
	CU_ASSERT_EQUAL(counter_sum("gentrack_type_counters", type_where), by_type + 1);
	CU_ASSERT_EQUAL(counter_sum("gentrack_histograms", "histogram = 'claim_latency'"), observed + 1);
	char in_shard[200];
	snprintf(in_shard, sizeof(in_shard), "%s AND shard = %u", type_where, shard);
	CU_ASSERT_EQUAL(counter_sum("gentrack_type_counters", in_shard), 0);
}

/*
 * A claim whose statement after its write meets a lock wait timeout (1205,
 * which rolls back only that statement) answers UNAVAILABLE and keeps
 * nothing: not then, nor when the same store runs its next transaction
 * (a START TRANSACTION would commit a transaction left open). About 10 s.
 */
static void test_lock_wait_after_write_keeps_nothing(void)
{
	char type[32];
	struct store_claimed cl;
	snprintf(type, sizeof(type), "lockwait_%s", tag);
	struct uuid id = make_pending(type, 1);

	/* The claim's histogram write waits on these rows, after its own update:
	 * every shard of every bucket, made first (n = 0 counts nothing), for a
	 * claim takes any free shard of its bucket, a new one too. */
	fill_shards("gentrack_histograms", "histogram, le_ms, shard, n, sum_ms",
		    CLAIM_LATENCY_ROWS);
	itest_exec("BEGIN");
	itest_exec("SELECT * FROM gentrack_histograms FOR UPDATE");
	mysql_free_result(mysql_store_result(itest_raw));
	CU_ASSERT_EQUAL(claim(st, type, "w-lockwait", &cl), STORE_UNAVAILABLE);
	itest_exec("ROLLBACK");
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE id = UNHEX('%s') "
				   "AND status = 'pending'", itest_hex(&id)), 1);
	/* The store's next transaction, of another request. */
	make_pending(type, 1);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE id = UNHEX('%s') "
				   "AND status = 'pending'", itest_hex(&id)), 1);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events WHERE request_id = "
				   "UNHEX('%s') AND to_status = 'processing'", itest_hex(&id)), 0);
}

static const struct unit_case cases[] = {
	{ "claims go oldest first, with lease, attempt and event", test_claim_order_and_resource },
	{ "a paused type is never handed out; resumed, it is", test_paused_type_is_skipped },
	{ "the claim's pick walks its index (EXPLAIN)", test_claim_uses_its_index },
	{ "what claim and complete answer is what the store holds", test_answers_match_the_store },
	{ "8 concurrent claimers, 1,000 pending: each claimed once, none lost", test_concurrent_claimers },
	{ "a worker without the lease changes nothing; entities are idempotent", test_fencing },
	{ "complete: completed, partial, failed from the counts", test_completion_statuses },
	{ "a cancelled request answers the next heartbeat with a conflict", test_cancel_ends_the_lease },
	{ "complete after a long 2-, 3-, 4-byte error: failed, whole characters", test_complete_quotes_long_errors_whole },
	{ "a lock wait timeout after a claim's write: nothing kept, then or later",
	  test_lock_wait_after_write_keeps_nothing },
	{ "a claim whose counter shard is held takes another at once, counted once",
	  test_claim_passes_held_counter_rows },
	{ NULL, NULL },
};

int main(void)
{
	setup();
	int rc = unit_run("claims", cases);
	itest_close(&cfg, st);
	return rc;
}
