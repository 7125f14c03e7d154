#include "build_config.h"

/*
 * Priorities and fair share across owners in the claim order (issue 18)
 * against a real MariaDB (tests/integration/fair.sh starts it): an owner's
 * burst does not hold up another owner's single request, weights split the
 * claims, a higher priority goes first, and fair share off is oldest first.
 * Each case has entity types and owners of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "store/store.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "ops/reaper.h"
#include "itest.h"
#include "unit.h"

static struct config cfg;
static struct store *st;
static struct uuid_gen ids;
static int64_t clock_us;
static char tag[16];

/* A pending request of owner and type (the run's tag added to both), for 1 entity. */
static struct uuid create(const char *owner, const char *type, unsigned priority)
{
	char full_owner[OWNER_MAX + 1], full_type[ENTITY_TYPE_MAX + 1];
	snprintf(full_owner, sizeof(full_owner), "%s-%s", owner, tag);
	snprintf(full_type, sizeof(full_type), "%s_%s", type, tag);
	clock_us += 10;
	struct itest_pending p = { .owner = full_owner, .entity_type = full_type, .count = 1,
				   .priority = priority, .at = clock_us };
	return itest_create_pending(st, &ids, &p);
}

/* The next claim of the type: OK with *out (the owner without the run's tag), or the code. */
static int claim(const char *type, struct gen_request *out)
{
	char full[ENTITY_TYPE_MAX + 1];
	snprintf(full, sizeof(full), "%s_%s", type, tag);
	const char *types[] = { full };
	struct store_claim c = { .worker_id = "fair", .actor = "worker:fair", .entity_types = types,
				 .n_types = 1, .lease_seconds = 60 };
	struct store_claimed cl;
	int rc = store_claim_next(st, &c, &cl);
	if (rc)
		return rc;
	*out = cl.request;
	cl.request.subject_key = cl.request.worker_id = cl.request.error_message = NULL;
	cl.request.constraints_json = cl.request.metadata_json = NULL;
	store_claimed_release(&cl);
	char *dash = strrchr(out->owner, '-');
	if (dash)
		*dash = '\0';
	return STORE_OK;
}

/*
 * Claims of the type, at most `within`, until one hands out `id`: which claim
 * that was (1..within), or 0 when none did. Every claim must succeed.
 */
static int claims_until(const char *type, const struct uuid *id, int within)
{
	for (int k = 1; k <= within; k++) {
		struct gen_request r;
		CU_ASSERT_EQUAL_FATAL(claim(type, &r), STORE_OK);
		int found = !memcmp(r.id.b, id->b, 16);
		gen_request_release(&r);
		if (found)
			return k;
	}
	return 0;
}

/* n claims of the type, each of which must succeed; what they hand out is not looked at. */
static void claim_n(const char *type, int n)
{
	for (int k = 0; k < n; k++) {
		struct gen_request r;
		CU_ASSERT_EQUAL_FATAL(claim(type, &r), STORE_OK);
		gen_request_release(&r);
	}
}

static void setup(void)
{
	itest_open("test_fair", &cfg, &st);
	uuid_gen_init(&ids);
	clock_us = time_now_us();
	snprintf(tag, sizeof(tag), "%llx", (unsigned long long)(time_now_us() % 0xffffffffffLL));
}

/* A queues 2,000 at once, then B queues 1: B's is among the next 4 claims. */
static void test_burst_does_not_hold_up_another_owner(void)
{
	for (unsigned i = 0; i < 2000; i++)
		create("heavy", "burst", PRIORITY_DEFAULT);
	struct uuid single = create("light", "burst", PRIORITY_DEFAULT);
	int at = claims_until("burst", &single, 4);
	printf("\n  the light owner's request: claim %d of 2,001\n", at);
	CU_ASSERT(at >= 1 && at <= 4);
	/* The claims before it were the heavy owner's. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE entity_type = "
				   "'burst_%s' AND status = 'pending' AND owner = 'heavy-%s'", tag, tag),
			2000 - (at - 1));
}

/* Fair share off: oldest first, the light owner waits for the whole burst. */
static void test_fair_share_off_is_oldest_first(void)
{
	cfg.claims_fair_share = 0;
	for (unsigned i = 0; i < 20; i++)
		create("heavy", "nofair", PRIORITY_DEFAULT);
	struct uuid single = create("light", "nofair", PRIORITY_DEFAULT);
	cfg.claims_fair_share = 1;
	for (int k = 1; k <= 21; k++) {
		struct gen_request r;
		CU_ASSERT_EQUAL_FATAL(claim("nofair", &r), STORE_OK);
		CU_ASSERT_EQUAL(!memcmp(r.id.b, single.b, 16), k == 21);
		gen_request_release(&r);
	}
}

/* Weights 3:1, both owners with work queued all along: 400 claims split 3:1 (within 10%). */
static void test_weights_split_the_claims(void)
{
	char a[OWNER_MAX + 1], b[OWNER_MAX + 1];
	snprintf(a, sizeof(a), "wthree-%s", tag);
	snprintf(b, sizeof(b), "wone-%s", tag);
	CU_ASSERT_EQUAL_FATAL(store_owner_weight_set(st, a, 3), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(store_owner_weight_set(st, b, 1), STORE_OK);
	CU_ASSERT_EQUAL(store_owner_weight_set(st, b, 0), STORE_ERROR);
	CU_ASSERT_EQUAL(store_owner_weight_set(st, b, OWNER_WEIGHT_MAX + 1), STORE_ERROR);
	/* B queues first, then A: B's head start must not buy it more than its share. */
	for (unsigned i = 0; i < 400; i++)
		create("wone", "weights", PRIORITY_DEFAULT);
	for (unsigned i = 0; i < 400; i++)
		create("wthree", "weights", PRIORITY_DEFAULT);
	unsigned na = 0, nb = 0, max_run_b = 0, run_b = 0;
	for (int k = 0; k < 400; k++) {
		struct gen_request r;
		CU_ASSERT_EQUAL_FATAL(claim("weights", &r), STORE_OK);
		if (!strcmp(r.owner, "wthree")) {
			na++;
			run_b = 0;
		} else {
			nb++;
			if (++run_b > max_run_b)
				max_run_b = run_b;
		}
		gen_request_release(&r);
	}
	printf("\n  400 claims: weight 3 got %u, weight 1 got %u (%.2f:1), longest run of "
	       "weight 1: %u\n", na, nb, nb ? (double)na / nb : 0.0, max_run_b);
	CU_ASSERT(nb > 0);
	double ratio = nb ? (double)na / nb : 0;
	CU_ASSERT(ratio >= 2.7 && ratio <= 3.3);
	CU_ASSERT(max_run_b <= 2);
}

/* A high-priority request created last is claimed first. */
static void test_high_priority_first(void)
{
	for (unsigned i = 0; i < 10; i++)
		create("prio", "prio", PRIORITY_DEFAULT);
	create("prio", "prio", 0);
	struct uuid high = create("prio", "prio", PRIORITY_MAX);
	struct gen_request r;
	CU_ASSERT_EQUAL_FATAL(claim("prio", &r), STORE_OK);
	CU_ASSERT_EQUAL(memcmp(r.id.b, high.b, 16), 0);
	CU_ASSERT_EQUAL(r.priority, PRIORITY_MAX);
	gen_request_release(&r);
	/* The low one goes last. */
	for (int k = 0; k < 10; k++) {
		CU_ASSERT_EQUAL_FATAL(claim("prio", &r), STORE_OK);
		CU_ASSERT_EQUAL(r.priority, PRIORITY_DEFAULT);
		gen_request_release(&r);
	}
	CU_ASSERT_EQUAL_FATAL(claim("prio", &r), STORE_OK);
	CU_ASSERT_EQUAL(r.priority, 0);
	gen_request_release(&r);
	CU_ASSERT_EQUAL(claim("prio", &r), STORE_NOT_FOUND);
}

/* Priorities beat fairness: the heavy owner's high-priority request before
 * the light owner's normal one. */
static void test_priority_beats_fair_share(void)
{
	for (unsigned i = 0; i < 50; i++)
		create("heavy", "pfair", PRIORITY_DEFAULT);
	struct uuid light = create("light", "pfair", PRIORITY_DEFAULT);
	struct uuid high = create("heavy", "pfair", 7);
	struct gen_request r;
	CU_ASSERT_EQUAL_FATAL(claim("pfair", &r), STORE_OK);
	CU_ASSERT_EQUAL(memcmp(r.id.b, high.b, 16), 0);
	gen_request_release(&r);
	/* Then, at priority 5, the light owner's within a few. */
	int at = claims_until("pfair", &light, 3);
	CU_ASSERT(at >= 1 && at <= 3);
}

/* An owner that comes back after the queue emptied starts level with the
 * others: it banked nothing while away, and owes nothing either. */
static void test_an_emptied_queue_starts_level(void)
{
	for (unsigned i = 0; i < 30; i++)
		create("early", "level", PRIORITY_DEFAULT);
	claim_n("level", 30);
	/* Empty. A newcomer queues 20, then the early owner 1: not behind the 20. */
	for (unsigned i = 0; i < 20; i++)
		create("late", "level", PRIORITY_DEFAULT);
	struct uuid back = create("early", "level", PRIORITY_DEFAULT);
	int at = claims_until("level", &back, 4);
	CU_ASSERT(at >= 1 && at <= 4);
}

/* An owner whose burst was cancelled owes nothing: its next request is not
 * held back behind the tags the cancelled ones took. */
static void test_a_cancelled_burst_owes_nothing(void)
{
	struct uuid burst[50];
	char owner[OWNER_MAX + 1];
	snprintf(owner, sizeof(owner), "canceller-%s", tag);
	for (unsigned i = 0; i < 50; i++)
		create("other", "cancel", PRIORITY_DEFAULT);
	for (unsigned i = 0; i < 50; i++)
		burst[i] = create("canceller", "cancel", PRIORITY_DEFAULT);
	for (unsigned i = 0; i < 50; i++) {
		struct gen_request out;
		gen_request_init(&out);
		CU_ASSERT_EQUAL(store_request_cancel(st, &burst[i], owner, "client:test", NULL, &out),
				STORE_OK);
		gen_request_release(&out);
	}
	struct uuid again = create("canceller", "cancel", PRIORITY_DEFAULT);
	int at = claims_until("cancel", &again, 4);
	CU_ASSERT(at >= 1 && at <= 4);
}

/* A request the reaper sends back to pending goes to the front of its
 * priority (tag 0), where oldest first put it, not behind what was queued
 * after the queue emptied. */
static void test_a_retried_request_goes_first(void)
{
	struct gen_request r;
	for (unsigned i = 0; i < 20; i++)
		create("lost", "retry", PRIORITY_DEFAULT);
	claim_n("retry", 20); /* the worker takes them all, then vanishes */
	for (unsigned i = 0; i < 5; i++)
		create("later", "retry", PRIORITY_DEFAULT);
	int64_t now = 0;
	struct reaper_summary sum;
	CU_ASSERT_EQUAL_FATAL(store_now(st, &now), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(reaper_run(st, &cfg, now + INT64_C(120000000), 0, 10, NULL, NULL, &sum),
			      STORE_OK);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE entity_type = "
				   "'retry_%s' AND status = 'pending' AND vtime = 0 AND owner = 'lost-%s'",
				   tag, tag), 20);
	CU_ASSERT_EQUAL_FATAL(claim("retry", &r), STORE_OK);
	CU_ASSERT_STRING_EQUAL(r.owner, "lost");
	CU_ASSERT_EQUAL(r.attempt, 2);
	gen_request_release(&r);
}

static const struct unit_case cases[] = {
	{ "2,000 of one owner, then 1 of another: it is among the next 4 claims",
	  test_burst_does_not_hold_up_another_owner },
	{ "fair share off: oldest first", test_fair_share_off_is_oldest_first },
	{ "weights 3:1 split 400 claims 3:1 (within 10%)", test_weights_split_the_claims },
	{ "a high-priority request created last is claimed first", test_high_priority_first },
	{ "priority beats fair share", test_priority_beats_fair_share },
	{ "after the queue empties, owners start level", test_an_emptied_queue_starts_level },
	{ "a cancelled burst owes nothing", test_a_cancelled_burst_owes_nothing },
	{ "a request the reaper retries goes first", test_a_retried_request_goes_first },
	{ NULL, NULL },
};

int main(void)
{
	setup();
	int rc = unit_run("fair", cases);
	itest_close(&cfg, st);
	return rc;
}
