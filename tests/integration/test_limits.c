#include "build_config.h"

/*
 * Per-owner limits (issue 18) against a real MariaDB
 * (tests/integration/limits.sh starts it): the pending limit at create and
 * the processing limit at claim are exact under concurrency, each thread
 * with a store connection of its own; an owner's own limit beats the
 * configuration's; 0 is no limit. Each case has owners and types of its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "store/store.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "itest.h"
#include "unit.h"

static struct config cfg;
static struct store *st;
static struct uuid_gen ids;
static int64_t clock_us;
static char tag[16];

/* A request of owner-tag, type_tag, ready for store_request_create. */
static void request_make(struct gen_request *r, const char *owner, const char *type)
{
	gen_request_init(r);
	clock_us += 10;
	if (uuid_v7_next(&ids, clock_us / 1000, &r->id))
		itest_fatal("uuid", "clock");
	snprintf(r->owner, sizeof(r->owner), "%s-%s", owner, tag);
	snprintf(r->entity_type, sizeof(r->entity_type), "%s_%s", type, tag);
	r->status = GEN_PENDING;
	r->requested_count = 1;
	r->version = 1;
	r->priority = PRIORITY_DEFAULT;
	r->requested_at = r->updated_at = clock_us;
	r->constraints_json = strdup("{}");
	r->metadata_json = strdup("{}");
	if (!r->constraints_json || !r->metadata_json)
		itest_fatal("request", "out of memory");
}

/* One create through `s`: its code. */
static int create_on(struct store *s, const char *owner, const char *type)
{
	struct gen_request r;
	struct uuid existing;
	request_make(&r, owner, type);
	int rc = store_request_create(s, &r, "client:test", NULL, NULL, &existing);
	gen_request_release(&r);
	return rc;
}

static long count_status(const char *owner, const char *status)
{
	return itest_long("SELECT COUNT(*) FROM generation_requests WHERE owner = '%s-%s' "
			  "AND status = '%s'", owner, tag, status);
}

static void owner_name(char *out, size_t size, const char *owner)
{
	snprintf(out, size, "%s-%s", owner, tag);
}

/* ---- concurrent creates ---- */

#define CREATORS 16

struct creator {
	pthread_barrier_t *start;
	struct store *s;
	struct gen_request r;
	int rc;
};

static void *creator_main(void *arg)
{
	struct creator *k = arg;
	struct uuid existing;
	pthread_barrier_wait(k->start);
	k->rc = store_request_create(k->s, &k->r, "client:test", NULL, NULL, &existing);
	return NULL;
}

/* 16 concurrent creates at a pending limit of 10 with 5 pending: 5 pass. */
static void test_pending_limit_is_exact(void)
{
	struct creator k[CREATORS];
	pthread_t th[CREATORS];
	pthread_barrier_t start;
	int ok = 0, limited = 0;

	cfg.max_pending_per_owner = 10;
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL_FATAL(create_on(st, "busy", "burst"), STORE_OK);
	pthread_barrier_init(&start, NULL, CREATORS);
	for (int i = 0; i < CREATORS; i++) {
		k[i].start = &start;
		k[i].s = store_new(&cfg);
		if (!k[i].s || store_connect(k[i].s))
			itest_fatal("connect", k[i].s ? store_last_error(k[i].s) : "out of memory");
		request_make(&k[i].r, "busy", "burst");
	}
	for (int i = 0; i < CREATORS; i++)
		if (pthread_create(&th[i], NULL, creator_main, &k[i]))
			itest_fatal("thread", "pthread_create");
	for (int i = 0; i < CREATORS; i++) {
		pthread_join(th[i], NULL);
		ok += k[i].rc == STORE_OK;
		limited += k[i].rc == STORE_LIMIT;
		gen_request_release(&k[i].r);
		store_free(k[i].s);
	}
	pthread_barrier_destroy(&start);
	CU_ASSERT_EQUAL(ok, 5);
	CU_ASSERT_EQUAL(limited, 11);
	CU_ASSERT_EQUAL(count_status("busy", "pending"), 10);
	/* A refused create wrote nothing: no row, no event. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events e JOIN "
				   "generation_requests r ON r.id = e.request_id "
				   "WHERE r.owner = 'busy-%s'", tag), 10);
	/* Another owner is not held back. */
	CU_ASSERT_EQUAL(create_on(st, "calm", "burst"), STORE_OK);
	cfg.max_pending_per_owner = 0;
}

/* An owner's own limit beats the configuration's; 0 is no limit; `default`
 * goes back to the configuration's. With fair share off too (the create
 * then reads the limit with a statement of its own). */
static void test_override_beats_default(void)
{
	char own[OWNER_MAX + 1], free_owner[OWNER_MAX + 1];
	struct store_owner_limits l;
	owner_name(own, sizeof(own), "own");
	owner_name(free_owner, sizeof(free_owner), "free");

	cfg.max_pending_per_owner = 4;
	CU_ASSERT_EQUAL_FATAL(store_owner_limit_set(st, own, STORE_LIMIT_VALUE, 2,
						    STORE_LIMIT_KEEP, 0), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(store_owner_limit_set(st, free_owner, STORE_LIMIT_VALUE, 0,
						    STORE_LIMIT_KEEP, 0), STORE_OK);
	CU_ASSERT_EQUAL(store_owner_limits_get(st, own, &l), STORE_OK);
	CU_ASSERT_EQUAL(l.max_pending, 2);
	CU_ASSERT(l.pending_own);
	CU_ASSERT_EQUAL(l.max_processing, 0);
	CU_ASSERT(!l.processing_own);
	for (int fair = 1; fair >= 0; fair--) {
		cfg.claims_fair_share = fair;
		const char *type = fair ? "fair" : "plain";
		CU_ASSERT_EQUAL(create_on(st, "own", type), STORE_OK);
		CU_ASSERT_EQUAL(create_on(st, "own", type), STORE_OK);
		CU_ASSERT_EQUAL(create_on(st, "own", type), STORE_LIMIT);
		for (int i = 0; i < 6; i++)
			CU_ASSERT_EQUAL(create_on(st, "free", type), STORE_OK);
		for (int i = 0; i < 4; i++)
			CU_ASSERT_EQUAL(create_on(st, "plain", type), STORE_OK);
		CU_ASSERT_EQUAL(create_on(st, "plain", type), STORE_LIMIT);
		itest_exec("UPDATE generation_requests SET status = 'cancelled' WHERE owner IN "
			   "('own-%s', 'free-%s', 'plain-%s')", tag, tag, tag);
	}
	cfg.claims_fair_share = 1;
	/* Back to the configuration's: the row goes. */
	CU_ASSERT_EQUAL(store_owner_limit_set(st, own, STORE_LIMIT_DEFAULT, 0,
					      STORE_LIMIT_DEFAULT, 0), STORE_OK);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM owner_limits WHERE owner = '%s'", own), 0);
	CU_ASSERT_EQUAL(store_owner_limits_get(st, own, &l), STORE_OK);
	CU_ASSERT_EQUAL(l.max_pending, 4);
	CU_ASSERT(!l.pending_own);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(create_on(st, "own", "back"), STORE_OK);
	CU_ASSERT_EQUAL(create_on(st, "own", "back"), STORE_LIMIT);
	/* Out of range: refused, nothing changed. */
	CU_ASSERT_EQUAL(store_owner_limit_set(st, own, STORE_LIMIT_VALUE, -1, STORE_LIMIT_KEEP, 0),
			STORE_ERROR);
	CU_ASSERT_EQUAL(store_owner_limit_set(st, own, STORE_LIMIT_KEEP, 0, STORE_LIMIT_VALUE,
					      OWNER_LIMIT_MAX + 1), STORE_ERROR);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM owner_limits WHERE owner = '%s'", own), 0);
	cfg.max_pending_per_owner = 0;
}

/* No limit anywhere: no gate row is ever written. */
static void test_no_limit_writes_no_gate(void)
{
	for (int i = 0; i < 30; i++)
		CU_ASSERT_EQUAL(create_on(st, "open", "open"), STORE_OK);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM owner_gates WHERE owner = 'open-%s'", tag),
			0);
}

/* ---- concurrent claims ---- */

#define CLAIMERS 8

struct claimer {
	pthread_barrier_t *start;
	struct store *s;
	MYSQL *raw;
	const char *type;
	const char *limited;         /* the owner with the limit */
	long most;                   /* its most processing seen after a claim */
	int claimed, limited_claims, failed;
};

/* On the thread's own connection: -1 when the statement fails. */
static long raw_long(MYSQL *m, const char *sql)
{
	return mysql_query(m, sql) ? -1 : itest_first_long(m);
}

static void *claimer_main(void *arg)
{
	struct claimer *k = arg;
	const char *types[] = { k->type };
	struct store_claim c = { .worker_id = "limits", .actor = "worker:limits",
				 .entity_types = types, .n_types = 1, .lease_seconds = 60 };
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM generation_requests WHERE owner = '%s' "
		 "AND status = 'processing'", k->limited);
	pthread_barrier_wait(k->start);
	for (;;) {
		struct store_claimed cl;
		int rc = store_claim_next(k->s, &c, &cl);
		if (rc == STORE_NOT_FOUND)
			break;
		if (rc) {
			k->failed++;
			break;
		}
		k->claimed++;
		k->limited_claims += !strcmp(cl.request.owner, k->limited);
		store_claimed_release(&cl);
		long n = raw_long(k->raw, sql);
		if (n > k->most)
			k->most = n;
	}
	return NULL;
}

static MYSQL *raw_connect(void)
{
	MYSQL *m = mysql_init(NULL);
	int tcp = cfg.store_host && *cfg.store_host;
	if (!m || !mysql_real_connect(m, tcp ? cfg.store_host : "localhost", cfg.store_user,
				      cfg.store_password, cfg.store_database,
				      tcp ? (unsigned)cfg.store_port : 0,
				      tcp ? NULL : cfg.store_socket, 0))
		itest_fatal("plain connection", m ? mysql_error(m) : "out of memory");
	return m;
}

/* Claims one of the type: 1 when it was the owner's, 0 another's, -1 none. */
static int claim_one(const char *type, const char *owner)
{
	const char *types[] = { type };
	struct store_claim c = { .worker_id = "limits", .actor = "worker:limits",
				 .entity_types = types, .n_types = 1, .lease_seconds = 60 };
	struct store_claimed cl;
	if (store_claim_next(st, &c, &cl))
		return -1;
	int mine = !strcmp(cl.request.owner, owner);
	store_claimed_release(&cl);
	return mine;
}

/* Processing limit 2 for A (the configuration's), none for B (its own 0):
 * 8 concurrent claimers take 2 of A's and all of B's; when one of A's
 * completes, A's next is claimed. */
static void test_processing_limit_is_exact(void)
{
	struct claimer k[CLAIMERS];
	pthread_t th[CLAIMERS];
	pthread_barrier_t start;
	char a[OWNER_MAX + 1], b[OWNER_MAX + 1], type[ENTITY_TYPE_MAX + 1];
	int claimed = 0, of_a = 0, failed = 0;
	long most = 0;

	owner_name(a, sizeof(a), "procA");
	owner_name(b, sizeof(b), "procB");
	snprintf(type, sizeof(type), "work_%s", tag);
	cfg.max_processing_per_owner = 2;
	CU_ASSERT_EQUAL_FATAL(store_owner_limit_set(st, b, STORE_LIMIT_KEEP, 0,
						    STORE_LIMIT_VALUE, 0), STORE_OK);
	for (int i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL_FATAL(create_on(st, "procA", "work"), STORE_OK);
		CU_ASSERT_EQUAL_FATAL(create_on(st, "procB", "work"), STORE_OK);
	}
	pthread_barrier_init(&start, NULL, CLAIMERS);
	for (int i = 0; i < CLAIMERS; i++) {
		k[i] = (struct claimer){ &start, store_new(&cfg), raw_connect(), type, a, 0, 0, 0, 0 };
		if (!k[i].s || store_connect(k[i].s))
			itest_fatal("connect", k[i].s ? store_last_error(k[i].s) : "out of memory");
	}
	for (int i = 0; i < CLAIMERS; i++)
		if (pthread_create(&th[i], NULL, claimer_main, &k[i]))
			itest_fatal("thread", "pthread_create");
	for (int i = 0; i < CLAIMERS; i++) {
		pthread_join(th[i], NULL);
		claimed += k[i].claimed;
		of_a += k[i].limited_claims;
		failed += k[i].failed;
		if (k[i].most > most)
			most = k[i].most;
		store_free(k[i].s);
		mysql_close(k[i].raw);
	}
	pthread_barrier_destroy(&start);
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_EQUAL(claimed, 12);
	CU_ASSERT_EQUAL(of_a, 2);
	CU_ASSERT(most <= 2);
	CU_ASSERT_EQUAL(count_status("procA", "processing"), 2);
	CU_ASSERT_EQUAL(count_status("procA", "pending"), 8);
	CU_ASSERT_EQUAL(count_status("procB", "processing"), 10);

	/* At the limit, a claim finds no work ... */
	CU_ASSERT_EQUAL(claim_one(type, a), -1);
	/* ... until one of A's completes: then A's next. */
	itest_exec("UPDATE generation_requests SET status = 'completed', completed_at = "
		   "UTC_TIMESTAMP(6) WHERE owner = '%s' AND status = 'processing' LIMIT 1", a);
	CU_ASSERT_EQUAL(claim_one(type, a), 1);
	CU_ASSERT_EQUAL(claim_one(type, a), -1);
	CU_ASSERT_EQUAL(count_status("procA", "processing"), 2);

	/* The owner's own limit beats the configuration's. */
	CU_ASSERT_EQUAL(store_owner_limit_set(st, a, STORE_LIMIT_KEEP, 0, STORE_LIMIT_VALUE, 3),
			STORE_OK);
	CU_ASSERT_EQUAL(claim_one(type, a), 1);
	CU_ASSERT_EQUAL(claim_one(type, a), -1);
	CU_ASSERT_EQUAL(count_status("procA", "processing"), 3);
	cfg.max_processing_per_owner = 0;
	/* Back to the configuration's, 0 now: no limit. */
	CU_ASSERT_EQUAL(store_owner_limit_set(st, a, STORE_LIMIT_KEEP, 0, STORE_LIMIT_DEFAULT, 0),
			STORE_OK);
	for (int i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(claim_one(type, a), 1);
		}
	CU_ASSERT_EQUAL(count_status("procA", "processing"), 9);
}

/* More saturated owners than one claim passes over: it answers no work,
 * and the next owner's request stays pending for a later claim. */
static void test_claim_passes_over_eight_owners(void)
{
	char type[ENTITY_TYPE_MAX + 1], owner[32], full[OWNER_MAX + 1];
	snprintf(type, sizeof(type), "skip_%s", tag);
	cfg.max_processing_per_owner = 1;
	for (int o = 0; o < 10; o++) {
		snprintf(owner, sizeof(owner), "sat%d", o);
		CU_ASSERT_EQUAL_FATAL(create_on(st, owner, "skip"), STORE_OK);
		CU_ASSERT_EQUAL_FATAL(create_on(st, owner, "skip"), STORE_OK);
	}
	/* One each: 10 claims take each owner's first. */
	for (int o = 0; o < 10; o++) {
		CU_ASSERT_EQUAL(claim_one(type, ""), 0);
		}
	for (int o = 0; o < 10; o++) {
		snprintf(owner, sizeof(owner), "sat%d", o);
		CU_ASSERT_EQUAL(count_status(owner, "processing"), 1);
	}
	/* Now all 10 are saturated: no work, nothing taken. */
	CU_ASSERT_EQUAL(claim_one(type, ""), -1);
	/* An unlimited owner behind 8 saturated ones is found ... */
	owner_name(full, sizeof(full), "late");
	CU_ASSERT_EQUAL_FATAL(store_owner_limit_set(st, full, STORE_LIMIT_KEEP, 0,
						    STORE_LIMIT_VALUE, 0), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(create_on(st, "late", "skip"), STORE_OK);
	CU_ASSERT_EQUAL(claim_one(type, full), -1); /* behind 10: past the 8 */
	itest_exec("UPDATE generation_requests SET status = 'cancelled' WHERE entity_type = '%s' "
		   "AND status = 'pending' AND owner IN ('sat8-%s', 'sat9-%s')", type, tag, tag);
	CU_ASSERT_EQUAL(claim_one(type, full), 1); /* behind 8: found */
	cfg.max_processing_per_owner = 0;
}

/* The claim still walks ix_claim with the limit's subquery in its pick. */
static void test_claim_plan_walks_the_index(void)
{
	struct store_plan plan;
	const char *types[] = { "anything" };
	CU_ASSERT_EQUAL_FATAL(store_explain_claim(st, types, 1, &plan), STORE_OK);
	CU_ASSERT_STRING_EQUAL(plan.key, "ix_claim");
}

/* The operator's list: owners by name, effective values. */
struct listed {
	int seen;
	long long pending, processing;
	int pending_own, processing_own;
};

static int list_row(void *ctx, const char *owner, const struct store_owner_limits *l)
{
	struct listed *o = ctx;
	char want[OWNER_MAX + 1];
	owner_name(want, sizeof(want), "listed");
	if (!strcmp(owner, want)) {
		o->seen++;
		o->pending = l->max_pending;
		o->processing = l->max_processing;
		o->pending_own = l->pending_own;
		o->processing_own = l->processing_own;
	}
	return 0;
}

static void test_list(void)
{
	char owner[OWNER_MAX + 1];
	struct listed o = { 0, 0, 0, 0, 0 };
	owner_name(owner, sizeof(owner), "listed");
	cfg.max_processing_per_owner = 7;
	CU_ASSERT_EQUAL_FATAL(store_owner_limit_set(st, owner, STORE_LIMIT_VALUE, 12,
						    STORE_LIMIT_KEEP, 0), STORE_OK);
	CU_ASSERT_EQUAL(store_owner_limit_list(st, list_row, &o), STORE_OK);
	CU_ASSERT_EQUAL(o.seen, 1);
	CU_ASSERT_EQUAL(o.pending, 12);
	CU_ASSERT_EQUAL(o.processing, 7);
	CU_ASSERT(o.pending_own && !o.processing_own);
	cfg.max_processing_per_owner = 0;
}

static const struct unit_case cases[] = {
	{ "16 concurrent creates at a limit of 10 with 5 pending: 5 pass, 11 STORE_LIMIT",
	  test_pending_limit_is_exact },
	{ "an owner's own pending limit beats the default; 0 is none", test_override_beats_default },
	{ "no limit: no gate written", test_no_limit_writes_no_gate },
	{ "8 concurrent claimers: A never over its processing limit of 2, B's all claimed",
	  test_processing_limit_is_exact },
	{ "a claim passes over up to 8 saturated owners", test_claim_passes_over_eight_owners },
	{ "the claim's pick still walks ix_claim", test_claim_plan_walks_the_index },
	{ "owner limits list", test_list },
	{ NULL, NULL },
};

int main(void)
{
	itest_open("test_limits", &cfg, &st);
	uuid_gen_init(&ids);
	clock_us = time_now_us();
	snprintf(tag, sizeof(tag), "%llx", (unsigned long long)(time_now_us() % 0xffffffffffLL));
	cfg.max_pending_per_owner = 0;
	cfg.max_processing_per_owner = 0;
	int rc = unit_run("limits", cases);
	itest_close(&cfg, st);
	return rc;
}
