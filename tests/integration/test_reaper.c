#include "build_config.h"

/*
 * The reaper against a real MariaDB (tests/integration/reaper.sh starts it).
 * Time is injected: rows are made at chosen instants and the reaper runs at a
 * chosen `now`, so nothing sleeps. Every case uses entity types of its own and
 * checks rows by id, since the reaper sweeps the whole table.
 */
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/config.h"
#include "base/limits.h"
#include "ops/reaper.h"
#include "store/store.h"
#include "base/timeutil.h"
#include "itest.h"
#include "unit.h"

#define S(x) (INT64_C(1000000) * (x))

static struct config cfg;
static struct store *st;
static struct uuid_gen ids;
static int64_t t0;          /* "now" at the start of the run */
static char tag[16];

/* A pending request of `type` for 2 entities, requested at `at`. */
static struct uuid pending_at(const char *type, int64_t at)
{
	char owner[OWNER_MAX + 1];
	snprintf(owner, sizeof(owner), "reaper-%s", tag);
	struct itest_pending p = { .owner = owner, .entity_type = type, .count = 2,
				   .priority = PRIORITY_DEFAULT, .at = at };
	return itest_create_pending(st, &ids, &p);
}

/* Claims the oldest pending of `type` with a lease of `lease` s, then moves
 * the claim to `at` (the store claims at its own clock). */
static struct uuid claimed_at(const char *type, int64_t at, long long lease)
{
	const char *types[] = { type };
	struct store_claimed cl;
	struct store_claim c = { .worker_id = "w1", .actor = "worker:w1", .entity_types = types,
				 .n_types = 1, .lease_seconds = lease };
	if (store_claim_next(st, &c, &cl))
		itest_fatal("claim", store_last_error(st));
	struct uuid id = cl.request.id;
	store_claimed_release(&cl);
	itest_exec("UPDATE generation_requests SET "
		   "started_at = TIMESTAMP('1970-01-01') + INTERVAL %lld MICROSECOND, "
		   "lease_expires_at = TIMESTAMP('1970-01-01') + INTERVAL %lld MICROSECOND "
		   "WHERE id = UNHEX('%s')", (long long)at, (long long)(at + lease * S(1)),
		   itest_hex(&id));
	return id;
}

static const char *status_of(const struct uuid *id)
{
	static char out[16];
	itest_exec("SELECT status FROM generation_requests WHERE id = UNHEX('%s')", itest_hex(id));
	MYSQL_RES *res = mysql_store_result(itest_raw);
	MYSQL_ROW row = mysql_fetch_row(res);
	snprintf(out, sizeof(out), "%s", row && row[0] ? row[0] : "(gone)");
	mysql_free_result(res);
	return out;
}

static long events_to(const struct uuid *id, const char *to)
{
	return itest_long("SELECT COUNT(*) FROM generation_events WHERE request_id = UNHEX('%s') "
			  "AND actor = 'reaper' AND to_status = '%s'", itest_hex(id), to);
}

static void setup(void)
{
	itest_open("test_reaper", &cfg, &st);
	/* The defaults of SPEC §2, stated here so the arithmetic below reads plainly. */
	cfg.stale_after = 600;
	cfg.pending_timeout = 3600;
	cfg.max_attempts = 3;
	uuid_gen_init(&ids);
	t0 = time_now_us();
	snprintf(tag, sizeof(tag), "%llx", (unsigned long long)(t0 % 0xffffffffffLL));
}

static void test_each_kind_once(void)
{
	char type[32];
	struct reaper_summary sum;
	snprintf(type, sizeof(type), "kinds_%s", tag);
	/* All made "two hours ago" (T), then reaped at chosen instants after it. */
	int64_t T = t0 - S(7200);
	struct uuid retry = pending_at(type, T);
	struct uuid exhausted = pending_at(type, T + 1000);
	struct uuid too_long = pending_at(type, T + 2000);
	struct uuid healthy = pending_at(type, T + 3000);
	/* Claimed at T + 500 s with 60 s leases that then lapse, 160 s into the run. */
	CU_ASSERT_EQUAL(memcmp(claimed_at(type, T + S(500), 60).b, retry.b, 16), 0);
	claimed_at(type, T + S(500), 60);
	itest_exec("UPDATE generation_requests SET attempt = 3 WHERE id = UNHEX('%s')",
		 itest_hex(&exhausted));
	/* Heartbeating all along (a long lease), but running for 11 minutes. */
	claimed_at(type, T, 3600);
	/* Claimed at T + 500 s with a lease that still runs. */
	claimed_at(type, T + S(500), 600);
	/* Pending: one fresh, one that has waited 61 minutes. */
	struct uuid fresh = pending_at(type, T + S(600));
	struct uuid abandoned = pending_at(type, T - S(3000));

	/* At T + 660 s: leases lapsed, 11 min of runtime, 61 min of waiting. */
	int64_t now = T + S(660);
	CU_ASSERT_EQUAL_FATAL(reaper_run(st, &cfg, now, 0, 10, NULL, NULL, &sum), STORE_OK);
	CU_ASSERT_STRING_EQUAL(status_of(&retry), "pending");
	CU_ASSERT_EQUAL(events_to(&retry, "pending"), 1);
	CU_ASSERT_STRING_EQUAL(status_of(&exhausted), "failed");
	CU_ASSERT_EQUAL(itest_long("SELECT failure_reason = 'lease_expired' FROM generation_requests "
				   "WHERE id = UNHEX('%s')", itest_hex(&exhausted)), 1);
	CU_ASSERT_STRING_EQUAL(status_of(&too_long), "failed");
	CU_ASSERT_EQUAL(itest_long("SELECT failure_reason = 'max_runtime_exceeded' AND "
				   "error_message = 'Generation timed out after 10 minutes' "
				   "FROM generation_requests WHERE id = UNHEX('%s')",
				   itest_hex(&too_long)), 1);
	CU_ASSERT_STRING_EQUAL(status_of(&abandoned), "failed");
	CU_ASSERT_EQUAL(itest_long("SELECT failure_reason = 'never_started' FROM "
				   "generation_requests WHERE id = UNHEX('%s')", itest_hex(&abandoned)), 1);
	CU_ASSERT_EQUAL(events_to(&exhausted, "failed") + events_to(&too_long, "failed") +
			events_to(&abandoned, "failed"), 3);
	/* Untouched: the heartbeating worker and the fresh pending one. */
	CU_ASSERT_STRING_EQUAL(status_of(&healthy), "processing");
	CU_ASSERT_STRING_EQUAL(status_of(&fresh), "pending");
	CU_ASSERT_EQUAL(events_to(&healthy, "failed") + events_to(&fresh, "failed"), 0);
	CU_ASSERT(sum.retried >= 1 && sum.failed >= 2 && sum.expired_pending >= 1);

	/* Again at the same instant: nothing changes twice. */
	CU_ASSERT_EQUAL(reaper_run(st, &cfg, now, 0, 10, NULL, NULL, &sum), STORE_OK);
	CU_ASSERT_EQUAL(sum.failed + sum.retried + sum.expired_pending, 0);
	CU_ASSERT_EQUAL(events_to(&retry, "pending"), 1);
}

static void test_dry_run_changes_nothing(void)
{
	char type[32];
	struct reaper_summary sum;
	snprintf(type, sizeof(type), "dry_%s", tag);
	int64_t T = t0 - S(7200);
	struct uuid id = pending_at(type, T);
	claimed_at(type, T, 60);
	long version = itest_long("SELECT version FROM generation_requests WHERE id = UNHEX('%s')",
				  itest_hex(&id));
	CU_ASSERT_EQUAL(reaper_run(st, &cfg, T + S(120), 1, 10, NULL, NULL, &sum), STORE_OK);
	CU_ASSERT(sum.retried >= 1);
	CU_ASSERT_STRING_EQUAL(status_of(&id), "processing");
	CU_ASSERT_EQUAL(itest_long("SELECT version FROM generation_requests WHERE id = UNHEX('%s')",
				   itest_hex(&id)), version);
	/* Leave it terminal for the cases after this one. */
	CU_ASSERT_EQUAL(reaper_run(st, &cfg, T + S(120), 0, 10, NULL, NULL, &sum), STORE_OK);
}

static void test_two_reapers_at_once(void)
{
	enum { STALE = 1000, REAPERS = 2 };
	char type[32];
	pid_t pids[REAPERS];
	snprintf(type, sizeof(type), "twin_%s", tag);
	/* 1,000 requests that waited over an hour: each must fail exactly once. */
	int64_t T = t0 - S(4000);
	for (int i = 0; i < STALE; i++)
		pending_at(type, T + i);
	int64_t now = time_now_us();
	for (int k = 0; k < REAPERS; k++) {
		pids[k] = fork();
		CU_ASSERT_FATAL(pids[k] >= 0);
		if (pids[k] == 0) {
			struct store *mine = store_new(&cfg);
			struct reaper_summary sum;
			int rc = reaper_run(mine, &cfg, now, 0, 50, NULL, NULL, &sum);
			store_free(mine);
			_exit(rc == STORE_OK ? 0 : 1);
		}
	}
	int ok = 0;
	for (int k = 0; k < REAPERS; k++) {
		int status;
		waitpid(pids[k], &status, 0);
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	CU_ASSERT_EQUAL(ok, REAPERS);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE entity_type = "
				   "'%s' AND status = 'failed'", type), STALE);
	/* Exactly one transition each, counted in the audit trail. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events e JOIN "
				   "generation_requests r ON r.id = e.request_id WHERE "
				   "r.entity_type = '%s' AND e.actor = 'reaper'", type), STALE);
}

static void test_queries_use_indexes(void)
{
	static const char *const names[] = { "lease", "runtime", "pending" };
	static const char *const keys[] = { "ix_status_lease", "ix_status_started",
					    "ix_status_requested" };
	for (int k = STALE_LEASE; k <= STALE_PENDING; k++) {
		struct store_plan plan;
		CU_ASSERT_EQUAL_FATAL(store_explain_stale(st, (enum store_stale_kind)k, t0, &plan),
				      STORE_OK);
		printf("\n  %s: access %s, key %s, ~%ld rows, %s", names[k], plan.access, plan.key,
		       plan.rows, plan.extra);
		CU_ASSERT_STRING_EQUAL(plan.key, keys[k]);
		CU_ASSERT_STRING_NOT_EQUAL(plan.access, "ALL");
		CU_ASSERT_PTR_NULL(strstr(plan.extra, "filesort"));
	}
	printf("\n");
}

static void test_status_read_times_out(void)
{
	char type[32];
	struct gen_request r;
	char owner[OWNER_MAX + 1];
	snprintf(type, sizeof(type), "read_%s", tag);
	snprintf(owner, sizeof(owner), "reaper-%s", tag);
	int64_t T = t0 - S(7200);
	struct uuid id = pending_at(type, T);
	claimed_at(type, T, 3600);
	CU_ASSERT_EQUAL_FATAL(store_request_get(st, &id, owner, &r), STORE_OK);
	/* Not yet due: a read changes nothing. */
	CU_ASSERT_EQUAL(store_request_check_timeout(st, &cfg, T + S(300), &r, owner), 0);
	CU_ASSERT_EQUAL(r.status, GEN_PROCESSING);
	/* Past stale_after: the read itself fails it, as the reaper would. */
	CU_ASSERT_EQUAL(store_request_check_timeout(st, &cfg, T + S(700), &r, owner), 1);
	CU_ASSERT_EQUAL(r.status, GEN_FAILED);
	CU_ASSERT_STRING_EQUAL(r.failure_reason, "max_runtime_exceeded");
	CU_ASSERT_STRING_EQUAL(r.error_message, "Generation timed out after 10 minutes");
	CU_ASSERT_EQUAL(events_to(&id, "failed"), 1);
	gen_request_release(&r);
}

/*
 * pending_timeout and a paused queue (README "Pausing a queue"): nothing of
 * a paused type is failed as never started, by the reaper or a status read;
 * after the resume, its requests' wait counts from the resume.
 */
static void test_paused_queue_waits(void)
{
	char type[32], other[32], owner[OWNER_MAX + 1];
	struct reaper_summary sum;
	struct gen_request r;
	snprintf(type, sizeof(type), "paused_%s", tag);
	snprintf(other, sizeof(other), "running_%s", tag);
	snprintf(owner, sizeof(owner), "reaper-%s", tag);
	/* Both waiting for two hours: past pending_timeout (1 h). */
	struct uuid waiting = pending_at(type, t0 - S(7200));
	struct uuid control = pending_at(other, t0 - S(7200));
	CU_ASSERT_EQUAL_FATAL(store_queue_pause(st, type, "admin:test", "provider down"), STORE_OK);
	/* The pause and the resume are stamped by the store's clock: the
	 * instants below are read from it, not from this host's. */
	int64_t paused_at;
	CU_ASSERT_EQUAL_FATAL(store_now(st, &paused_at), STORE_OK);

	CU_ASSERT_EQUAL_FATAL(reaper_run(st, &cfg, paused_at + S(1), 0, 10, NULL, NULL, &sum), STORE_OK);
	CU_ASSERT_STRING_EQUAL(status_of(&waiting), "pending");
	CU_ASSERT_STRING_EQUAL(status_of(&control), "failed");
	/* Paused for days: still waiting. */
	CU_ASSERT_EQUAL_FATAL(reaper_run(st, &cfg, paused_at + S(3 * 86400), 0, 10, NULL, NULL, &sum),
			      STORE_OK);
	CU_ASSERT_STRING_EQUAL(status_of(&waiting), "pending");
	/* A client's status read decides as the reaper would, and writes nothing either. */
	CU_ASSERT_EQUAL_FATAL(store_request_get(st, &waiting, owner, &r), STORE_OK);
	CU_ASSERT(store_request_check_timeout(st, &cfg, paused_at + S(60), &r, owner) >= 0);
	CU_ASSERT_EQUAL(r.status, GEN_PENDING);
	gen_request_release(&r);
	CU_ASSERT_EQUAL(events_to(&waiting, "failed"), 0);

	CU_ASSERT_EQUAL_FATAL(store_queue_resume(st, type, "admin:test", "provider back"), STORE_OK);
	int64_t resumed_at;
	CU_ASSERT_EQUAL_FATAL(store_now(st, &resumed_at), STORE_OK);
	/* Resumed 59 minutes ago: the hour counts from the resume, not from the request. */
	CU_ASSERT_EQUAL_FATAL(reaper_run(st, &cfg, resumed_at + S(59 * 60), 0, 10, NULL, NULL, &sum),
			      STORE_OK);
	CU_ASSERT_STRING_EQUAL(status_of(&waiting), "pending");
	/* An hour after the resume, never picked up: failed, as any other. */
	CU_ASSERT_EQUAL_FATAL(reaper_run(st, &cfg, resumed_at + S(3601), 0, 10, NULL, NULL, &sum),
			      STORE_OK);
	CU_ASSERT_STRING_EQUAL(status_of(&waiting), "failed");
	CU_ASSERT_EQUAL(itest_long("SELECT failure_reason = 'never_started' FROM generation_requests "
				   "WHERE id = UNHEX('%s')", itest_hex(&waiting)), 1);
	CU_ASSERT_EQUAL(events_to(&waiting, "failed"), 1);
}

static void test_prune(void)
{
	char type[32];
	unsigned n;
	snprintf(type, sizeof(type), "prune_%s", tag);
	int64_t T = t0 - S(7200);
	struct uuid old_done = pending_at(type, T);
	struct uuid old_pending = pending_at(type, T + 1000);
	struct uuid fresh_done = pending_at(type, T + 2000);
	struct uuid old_processing = pending_at(type, T + 3000);
	itest_exec("UPDATE generation_requests SET status = 'completed', updated_at = "
		 "UTC_TIMESTAMP(6) - INTERVAL 8 DAY WHERE id = UNHEX('%s')", itest_hex(&old_done));
	itest_exec("UPDATE generation_requests SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 8 DAY "
		 "WHERE id = UNHEX('%s')", itest_hex(&old_pending));
	itest_exec("UPDATE generation_requests SET status = 'failed' WHERE id = UNHEX('%s')",
		 itest_hex(&fresh_done));
	itest_exec("UPDATE generation_requests SET status = 'processing', updated_at = "
		 "UTC_TIMESTAMP(6) - INTERVAL 8 DAY WHERE id = UNHEX('%s')", itest_hex(&old_processing));
	itest_exec("INSERT INTO generation_entities (request_id, idx, status, entity_json, attempt, "
		 "created_at) VALUES (UNHEX('%s'), 0, 'generated', '{}', 1, UTC_TIMESTAMP(6))",
		 itest_hex(&old_done));
	itest_exec("INSERT INTO idempotency_keys (owner, idem_key, body_hash, state, request_id, "
		 "created_at) VALUES ('x', 'k-%s', REPEAT('a', 32), 'done', UNHEX('%s'), "
		 "UTC_TIMESTAMP(6))", tag, itest_hex(&old_done));

	int64_t cutoff = time_now_us() - S(7 * 86400);
	CU_ASSERT_EQUAL(store_prune_batch(st, cutoff, 500, 1, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, 1); /* a dry run counts... */
	CU_ASSERT_STRING_EQUAL(status_of(&old_done), "completed"); /* ...and deletes nothing */
	CU_ASSERT_EQUAL(store_prune_batch(st, cutoff, 500, 0, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(status_of(&old_done), "(gone)");
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_entities WHERE request_id = "
				   "UNHEX('%s')", itest_hex(&old_done)), 0);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events WHERE request_id = "
				   "UNHEX('%s')", itest_hex(&old_done)), 0);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM idempotency_keys WHERE request_id = "
				   "UNHEX('%s')", itest_hex(&old_done)), 0);
	/* Never an active one, however old; never a recent terminal one. */
	CU_ASSERT_STRING_EQUAL(status_of(&old_pending), "pending");
	CU_ASSERT_STRING_EQUAL(status_of(&old_processing), "processing");
	CU_ASSERT_STRING_EQUAL(status_of(&fresh_done), "failed");
}

static const struct unit_case cases[] = {
	{ "each kind of stale row moves once, with its event; fresh rows stay", test_each_kind_once },
	{ "a dry run decides but changes nothing", test_dry_run_changes_nothing },
	{ "two reapers at once on 1,000 stale rows: 1,000 transitions", test_two_reapers_at_once },
	{ "the reaper's queries walk indexes (EXPLAIN)", test_queries_use_indexes },
	{ "a paused queue's requests wait; pending_timeout counts from the resume",
	  test_paused_queue_waits },
	{ "a status read makes the reaper's transition on the spot", test_status_read_times_out },
	{ "prune deletes old finished requests with their rows, nothing else", test_prune },
	{ NULL, NULL },
};

int main(void)
{
	setup();
	int rc = unit_run("reaper", cases);
	itest_close(&cfg, st);
	return rc;
}
