#include "build_config.h"

/*
 * Every status transition the store can make agrees with the model
 * (lifecycle_can_transition), and every transition the model allows has a
 * store path: against the real MariaDB (tests/integration/transitions.sh).
 *
 * Each store path below (the claim, the three completions, the cancels, the
 * admin actions, the timeouts) runs on a request put in each of the six
 * statuses in turn, with everything else the path needs in place (the
 * worker's lease, the counts, an overdue deadline). The test then reads the
 * row behind the store's back and checks:
 *   - the row moved exactly when the model lets that actor make the path's
 *     transition from that status, and then to the path's status, with one
 *     event from -> to (the guards in SQL and in C, both sides);
 *   - every (from, to, actor) the model allows was made by some path.
 * A guard that let a transition through that the model refuses, or that
 * refused one it allows, fails here, as does a model transition no store
 * function makes.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "model/lifecycle.h"
#include "store/store.h"
#include "base/timeutil.h"
#include "itest.h"
#include "unit.h"

#define S(x) (INT64_C(1000000) * (x))

static struct config cfg;
static struct store *st;
static struct uuid_gen ids;
static char tag[16];
static unsigned serial;

/* One request made for one case: its id, owner and entity type of its own. */
struct subject {
	struct uuid id;
	char owner[OWNER_MAX + 1];
	char type[ENTITY_TYPE_MAX + 1];
	int64_t now;
};

/* What a path needs of the row besides its status. */
enum timing { FRESH, LEASE_LAPSED, OVERDUE };

struct path {
	const char *name;
	enum gen_actor actor;
	enum gen_status to;         /* the status this path moves a request to */
	unsigned generated;         /* generated_count before it runs (of 2 requested) */
	enum timing timing;
	void (*run)(const struct subject *sj, enum gen_status from);
};

static const struct store_lease lease = { "w1", 1 };

static void run_claim(const struct subject *sj, enum gen_status from)
{
	(void)from;
	const char *types[] = { sj->type };
	struct store_claimed cl;
	struct store_claim c = { .worker_id = "w2", .actor = "worker:w2", .entity_types = types,
				 .n_types = 1, .lease_seconds = 60 };
	if (store_claim_next(st, &c, &cl) == STORE_OK)
		store_claimed_release(&cl);
}

static void run_complete(const struct subject *sj, enum gen_status from)
{
	(void)from;
	struct gen_request r;
	if (store_complete(st, &sj->id, &lease, "worker:w1", &r) == STORE_OK)
		gen_request_release(&r);
}

static void run_client_cancel(const struct subject *sj, enum gen_status from)
{
	(void)from;
	struct gen_request r;
	gen_request_init(&r);
	store_request_cancel(st, &sj->id, sj->owner, "client:test", NULL, &r);
	gen_request_release(&r);
}

static void admin(const struct subject *sj, enum store_admin_action a)
{
	struct gen_request r;
	store_admin_apply(st, &sj->id, a, "admin:test", "test", NULL, &r);
	gen_request_release(&r);
}

static void run_admin_fail(const struct subject *sj, enum gen_status from)
{
	(void)from;
	admin(sj, ADMIN_FAIL);
}

static void run_admin_cancel(const struct subject *sj, enum gen_status from)
{
	(void)from;
	admin(sj, ADMIN_CANCEL);
}

static void run_admin_retry(const struct subject *sj, enum gen_status from)
{
	(void)from;
	admin(sj, ADMIN_RETRY);
}

/* A client's status read: the lazy timeout (the reaper's decision and write). */
static void run_status_read(const struct subject *sj, enum gen_status from)
{
	(void)from;
	struct gen_request r;
	if (store_request_get(st, &sj->id, sj->owner, &r) != STORE_OK)
		return;
	store_request_check_timeout(st, &cfg, sj->now, &r, sj->owner);
	gen_request_release(&r);
}

/* The reaper's write as reaper_run makes it, told the status it read (the
 * version as it is: the guard on the status is what this test checks). */
static void timeout_apply(const struct subject *sj, enum gen_status from, int retry)
{
	struct gen_request r;
	if (store_request_get(st, &sj->id, NULL, &r) != STORE_OK)
		itest_fatal("get", store_last_error(st));
	enum gen_failure reason = retry ? FAIL_NONE
				  : from == GEN_PENDING ? FAIL_NEVER_STARTED : FAIL_LEASE_EXPIRED;
	struct store_timeout t = {
		.id = &sj->id, .from = from, .attempt = 1, .version = r.version, .retry = retry,
		.reason = reason,
		.cutoff = reason == FAIL_NEVER_STARTED ? sj->now - S(cfg.pending_timeout) : sj->now,
		.message = "test", .actor = STORE_REAPER_ACTOR, .now = sj->now,
	};
	gen_request_release(&r);
	store_timeout_apply(st, &t);
}

static void run_timeout_retry(const struct subject *sj, enum gen_status from)
{
	timeout_apply(sj, from, 1);
}

static void run_timeout_fail(const struct subject *sj, enum gen_status from)
{
	timeout_apply(sj, from, 0);
}

static const struct path paths[] = {
	{ "claim", ACTOR_WORKER, GEN_PROCESSING, 0, FRESH, run_claim },
	{ "complete, all generated", ACTOR_WORKER, GEN_COMPLETED, 2, FRESH, run_complete },
	{ "complete, some generated", ACTOR_WORKER, GEN_PARTIAL, 1, FRESH, run_complete },
	{ "complete, none generated", ACTOR_WORKER, GEN_FAILED, 0, FRESH, run_complete },
	{ "client cancel", ACTOR_CLIENT, GEN_CANCELLED, 0, FRESH, run_client_cancel },
	{ "admin mark failed", ACTOR_ADMIN, GEN_FAILED, 0, FRESH, run_admin_fail },
	{ "admin cancel", ACTOR_ADMIN, GEN_CANCELLED, 0, FRESH, run_admin_cancel },
	{ "admin retry", ACTOR_ADMIN, GEN_PENDING, 1, FRESH, run_admin_retry },
	{ "status read, lease lapsed", ACTOR_REAPER, GEN_PENDING, 0, LEASE_LAPSED, run_status_read },
	{ "status read, overdue", ACTOR_REAPER, GEN_FAILED, 0, OVERDUE, run_status_read },
	{ "reaper retry", ACTOR_REAPER, GEN_PENDING, 0, LEASE_LAPSED, run_timeout_retry },
	{ "reaper fail", ACTOR_REAPER, GEN_FAILED, 0, OVERDUE, run_timeout_fail },
};
#define N_PATHS (sizeof(paths) / sizeof(paths[0]))

static const char *const actor_names[] = { "client", "worker", "reaper", "admin" };
#define N_ACTORS 4

/*
 * A request of its own, put in `status` as if worker w1 held attempt 1:
 * the lease, `generated` of 2 entities, times as `timing` says at sj->now.
 */
static void make_subject(struct subject *sj, enum gen_status status, unsigned generated,
			 enum timing timing)
{
	/* Overdue: past stale_after and pending_timeout; lapsed: only the lease. */
	int64_t age = timing == OVERDUE ? 7200 : 10;
	long lease_left = timing == FRESH ? 60 : -5;

	if (store_now(st, &sj->now))
		itest_fatal("clock", store_last_error(st));
	snprintf(sj->owner, sizeof(sj->owner), "tr-%s", tag);
	snprintf(sj->type, sizeof(sj->type), "tr_%s_%u", tag, serial++);
	struct itest_pending p = { .owner = sj->owner, .entity_type = sj->type, .count = 2,
				   .priority = PRIORITY_DEFAULT, .at = sj->now - S(age) };
	sj->id = itest_create_pending(st, &ids, &p);
	itest_exec("UPDATE generation_requests SET status = '%s', attempt = 1, worker_id = 'w1', "
		   "started_at = UTC_TIMESTAMP(6) - INTERVAL %ld SECOND, lease_seconds = 60, "
		   "lease_expires_at = UTC_TIMESTAMP(6) + INTERVAL %ld SECOND, "
		   "generated_count = %u WHERE id = UNHEX('%s')",
		   lifecycle_status_name(status), (long)age, lease_left, generated,
		   itest_hex(&sj->id));
	/* The creation event is the only one so far: the path's is counted below. */
	itest_exec("DELETE FROM generation_events WHERE request_id = UNHEX('%s')",
		   itest_hex(&sj->id));
}

static enum gen_status status_now(const struct uuid *id)
{
	enum gen_status s = GEN_STATUS_COUNT;
	itest_exec("SELECT status FROM generation_requests WHERE id = UNHEX('%s')", itest_hex(id));
	MYSQL_RES *res = mysql_store_result(itest_raw);
	MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
	if (!row || !row[0] || lifecycle_status_parse(row[0], &s) < 0)
		itest_fatal("status", "row gone or unknown status");
	mysql_free_result(res);
	return s;
}

/* made[actor][from][to]: some path made it. */
static int made[N_ACTORS][GEN_STATUS_COUNT][GEN_STATUS_COUNT];

/* One path from one status: moved exactly when the model allows it. */
static int check_case(const struct path *p, enum gen_status from)
{
	struct subject sj;
	make_subject(&sj, from, p->generated, p->timing);
	p->run(&sj, from);
	enum gen_status to = status_now(&sj.id);
	int allowed = lifecycle_can_transition(from, p->to, p->actor);
	int ok = 1;

	if (to != from) {
		made[p->actor][from][to] = 1;
		long events = itest_long("SELECT COUNT(*) FROM generation_events WHERE request_id = "
					 "UNHEX('%s') AND from_status = '%s' AND to_status = '%s'",
					 itest_hex(&sj.id), lifecycle_status_name(from),
					 lifecycle_status_name(to));
		if (events != 1 || !lifecycle_can_transition(from, to, p->actor))
			ok = 0;
	}
	if ((to != from) != allowed || (allowed && to != p->to))
		ok = 0;
	if (!ok)
		printf("\n  %s (%s) from %s: went to %s; the model %s %s -> %s", p->name,
		       actor_names[p->actor], lifecycle_status_name(from),
		       lifecycle_status_name(to), allowed ? "allows" : "refuses",
		       lifecycle_status_name(from), lifecycle_status_name(p->to));
	return ok;
}

static void test_store_transitions_are_the_models(void)
{
	unsigned bad = 0;
	for (size_t k = 0; k < N_PATHS; k++)
		for (int from = 0; from < GEN_STATUS_COUNT; from++)
			bad += !check_case(&paths[k], (enum gen_status)from);
	printf("\n  %zu paths x %d statuses, %u disagree with the model\n", N_PATHS,
	       GEN_STATUS_COUNT, bad);
	CU_ASSERT_EQUAL(bad, 0);
}

/* Runs after the test above: what it made covers what the model allows. */
static void test_every_model_transition_has_a_store_path(void)
{
	unsigned allowed = 0, missing = 0;
	for (int a = 0; a < N_ACTORS; a++)
		for (int from = 0; from < GEN_STATUS_COUNT; from++)
			for (int to = 0; to < GEN_STATUS_COUNT; to++) {
				if (from == to || !lifecycle_can_transition((enum gen_status)from,
									    (enum gen_status)to,
									    (enum gen_actor)a))
					continue;
				allowed++;
				if (made[a][from][to])
					continue;
				missing++;
				printf("\n  no store path makes %s -> %s (%s)",
				       lifecycle_status_name((enum gen_status)from),
				       lifecycle_status_name((enum gen_status)to), actor_names[a]);
			}
	printf("\n  the model allows %u transitions, %u without a store path\n", allowed, missing);
	/* SPEC §2 names 16: a model that allows none would pass the loop above. */
	CU_ASSERT_EQUAL(allowed, 16);
	CU_ASSERT_EQUAL(missing, 0);
}

static const struct unit_case cases[] = {
	{ "every store path from every status moves exactly as the model allows",
	  test_store_transitions_are_the_models },
	{ "every transition the model allows is made by a store path",
	  test_every_model_transition_has_a_store_path },
	{ NULL, NULL },
};

int main(void)
{
	int64_t t0;
	itest_open("test_transitions", &cfg, &st);
	/* The defaults of SPEC §2: OVERDUE rows are past both. */
	cfg.stale_after = 600;
	cfg.pending_timeout = 3600;
	cfg.max_attempts = 3;
	uuid_gen_init(&ids);
	t0 = time_now_us();
	snprintf(tag, sizeof(tag), "%llx", (unsigned long long)(t0 % 0xffffffffffLL));
	int rc = unit_run("transitions", cases);
	itest_close(&cfg, st);
	return rc;
}
