#include "build_config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/lifecycle.h"
#include "unit.h"

#define S(x) (INT64_C(x) * 1000000)              /* seconds to µs */
#define T0 INT64_C(1795516200123456)            /* 2026-11-24T10:30:00.123456Z */

static const enum gen_actor actors[] = {
	ACTOR_CLIENT, ACTOR_WORKER, ACTOR_REAPER, ACTOR_ADMIN,
};
#define N_ACTORS (sizeof(actors) / sizeof(actors[0]))

static void test_status_names(void)
{
	static const char *const names[GEN_STATUS_COUNT] = {
		"pending", "processing", "completed", "partial", "failed", "cancelled",
	};
	for (int i = 0; i < GEN_STATUS_COUNT; i++) {
		enum gen_status back = GEN_STATUS_COUNT;
		const char *n = lifecycle_status_name((enum gen_status)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_STRING_EQUAL(n, names[i]);
		CU_ASSERT_EQUAL(lifecycle_status_parse(n, &back), 0);
		CU_ASSERT_EQUAL(back, (enum gen_status)i);
	}
	CU_ASSERT_PTR_NULL(lifecycle_status_name(GEN_STATUS_COUNT));
	CU_ASSERT_PTR_NULL(lifecycle_status_name((enum gen_status)-1));
}

static void test_status_parse_rejects(void)
{
	static const char *const bad[] = {
		"Pending", "PENDING", "", "done", "pending ", " pending", "pend",
		"pendingx", "canceled", "complete", "in_progress",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum gen_status out = GEN_CANCELLED;
		CU_ASSERT_EQUAL(lifecycle_status_parse(bad[i], &out), -1);
		CU_ASSERT_EQUAL(out, GEN_CANCELLED); /* untouched */
	}
}

static void test_is_terminal(void)
{
	CU_ASSERT_FALSE(lifecycle_is_terminal(GEN_PENDING));
	CU_ASSERT_FALSE(lifecycle_is_terminal(GEN_PROCESSING));
	CU_ASSERT_TRUE(lifecycle_is_terminal(GEN_COMPLETED));
	CU_ASSERT_TRUE(lifecycle_is_terminal(GEN_PARTIAL));
	CU_ASSERT_TRUE(lifecycle_is_terminal(GEN_FAILED));
	CU_ASSERT_TRUE(lifecycle_is_terminal(GEN_CANCELLED));
}

/* SPEC §2, one row per allowed (from, to, actor); everything else is refused. */
static const struct {
	enum gen_status from, to;
	enum gen_actor actor;
} allowed[] = {
	{ GEN_PENDING, GEN_PROCESSING, ACTOR_WORKER },      /* claim */
	{ GEN_PENDING, GEN_CANCELLED, ACTOR_CLIENT },       /* cancel */
	{ GEN_PENDING, GEN_CANCELLED, ACTOR_ADMIN },
	{ GEN_PROCESSING, GEN_CANCELLED, ACTOR_CLIENT },
	{ GEN_PROCESSING, GEN_CANCELLED, ACTOR_ADMIN },
	{ GEN_PROCESSING, GEN_COMPLETED, ACTOR_WORKER },    /* complete */
	{ GEN_PROCESSING, GEN_PARTIAL, ACTOR_WORKER },
	{ GEN_PROCESSING, GEN_FAILED, ACTOR_WORKER },
	{ GEN_PROCESSING, GEN_PENDING, ACTOR_REAPER },      /* retry after lease */
	{ GEN_PROCESSING, GEN_FAILED, ACTOR_REAPER },       /* lease / runtime */
	{ GEN_PENDING, GEN_FAILED, ACTOR_REAPER },          /* never started */
	{ GEN_PROCESSING, GEN_FAILED, ACTOR_ADMIN },        /* mark failed */
	{ GEN_PENDING, GEN_FAILED, ACTOR_ADMIN },
	{ GEN_FAILED, GEN_PENDING, ACTOR_ADMIN },           /* admin retry */
	{ GEN_PARTIAL, GEN_PENDING, ACTOR_ADMIN },
	{ GEN_CANCELLED, GEN_PENDING, ACTOR_ADMIN },
};

static int expected_allowed(enum gen_status from, enum gen_status to, enum gen_actor a)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].from == from && allowed[i].to == to && allowed[i].actor == a)
			return 1;
	return 0;
}

static void test_transition_table(void)
{
	int mismatches = 0;
	for (int f = 0; f < GEN_STATUS_COUNT; f++) {
		for (int t = 0; t < GEN_STATUS_COUNT; t++) {
			for (size_t a = 0; a < N_ACTORS; a++) {
				int want = expected_allowed((enum gen_status)f, (enum gen_status)t,
							    actors[a]);
				int got = lifecycle_can_transition((enum gen_status)f,
								   (enum gen_status)t, actors[a]) != 0;
				if (want != got) {
					mismatches++;
					fprintf(stderr, "transition %s -> %s by actor %d: want %d got %d\n",
						lifecycle_status_name((enum gen_status)f),
						lifecycle_status_name((enum gen_status)t),
						(int)actors[a], want, got);
				}
			}
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
}

static void test_transition_examples(void)
{
	/* The ones people get wrong, spelled out. */
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PROCESSING, GEN_FAILED, ACTOR_CLIENT));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PENDING, GEN_CANCELLED, ACTOR_WORKER));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PROCESSING, GEN_CANCELLED, ACTOR_WORKER));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PROCESSING, GEN_CANCELLED, ACTOR_REAPER));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PENDING, GEN_PROCESSING, ACTOR_ADMIN));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PENDING, GEN_COMPLETED, ACTOR_WORKER));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PENDING, GEN_FAILED, ACTOR_WORKER));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PENDING, GEN_PENDING, ACTOR_REAPER));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_PROCESSING, GEN_PENDING, ACTOR_ADMIN));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_FAILED, GEN_PENDING, ACTOR_CLIENT));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_FAILED, GEN_PENDING, ACTOR_REAPER));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_CANCELLED, GEN_CANCELLED, ACTOR_CLIENT));
	CU_ASSERT_FALSE(lifecycle_can_transition(GEN_FAILED, GEN_CANCELLED, ACTOR_ADMIN));
	/* Nothing leaves completed, not even an admin retry. */
	for (int t = 0; t < GEN_STATUS_COUNT; t++)
		for (size_t a = 0; a < N_ACTORS; a++)
			CU_ASSERT_FALSE(lifecycle_can_transition(GEN_COMPLETED,
								 (enum gen_status)t, actors[a]));
	CU_ASSERT_TRUE(lifecycle_can_transition(GEN_PROCESSING, GEN_PENDING, ACTOR_REAPER));
	CU_ASSERT_TRUE(lifecycle_can_transition(GEN_PARTIAL, GEN_PENDING, ACTOR_ADMIN));
}

static void test_completion_status(void)
{
	CU_ASSERT_EQUAL(lifecycle_completion_status(0, 5), GEN_FAILED);
	CU_ASSERT_EQUAL(lifecycle_completion_status(0, 1), GEN_FAILED);
	CU_ASSERT_EQUAL(lifecycle_completion_status(0, 0), GEN_FAILED);
	CU_ASSERT_EQUAL(lifecycle_completion_status(1, 5), GEN_PARTIAL);
	CU_ASSERT_EQUAL(lifecycle_completion_status(4, 5), GEN_PARTIAL);
	CU_ASSERT_EQUAL(lifecycle_completion_status(5, 5), GEN_COMPLETED);
	CU_ASSERT_EQUAL(lifecycle_completion_status(1, 1), GEN_COMPLETED);
	CU_ASSERT_EQUAL(lifecycle_completion_status(10, 10), GEN_COMPLETED);
}

static void test_failure_codes(void)
{
	CU_ASSERT_PTR_NULL(lifecycle_failure_code(FAIL_NONE));
	CU_ASSERT_STRING_EQUAL(lifecycle_failure_code(FAIL_LEASE_EXPIRED), "lease_expired");
	CU_ASSERT_STRING_EQUAL(lifecycle_failure_code(FAIL_MAX_RUNTIME), "max_runtime_exceeded");
	CU_ASSERT_STRING_EQUAL(lifecycle_failure_code(FAIL_NEVER_STARTED), "never_started");
	CU_ASSERT_STRING_EQUAL(lifecycle_failure_code(FAIL_GENERATOR), "generator_failed");
	CU_ASSERT_STRING_EQUAL(lifecycle_failure_code(FAIL_OPERATOR), "operator_failed");
	CU_ASSERT_PTR_NULL(lifecycle_failure_code(FAIL_COUNT));
}

static void test_progress(void)
{
	CU_ASSERT_DOUBLE_EQUAL(lifecycle_progress(2, 1, 5), 0.6, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(lifecycle_progress(0, 0, 5), 0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(lifecycle_progress(5, 0, 5), 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(lifecycle_progress(0, 5, 5), 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(lifecycle_progress(1, 0, 3), 1.0 / 3.0, 1e-12);
	/* requested 0: no division by zero, no NaN. */
	double z = lifecycle_progress(0, 0, 0);
	CU_ASSERT_FALSE(isnan(z));
	CU_ASSERT_DOUBLE_EQUAL(z, 0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(lifecycle_progress(3, 0, 0), 0.0, 1e-12);
	/* Never past 1, even with inconsistent counts. */
	CU_ASSERT(lifecycle_progress(4, 4, 5) <= 1.0);
	CU_ASSERT(lifecycle_progress(4000000000u, 4000000000u, 1) <= 1.0);
}

static const struct lifecycle_limits limits = {
	.stale_after = 600, .pending_timeout = 3600, .max_attempts = 3,
};

static enum lifecycle_action check(const struct lifecycle_timing *t, int64_t now,
				   enum gen_failure *reason)
{
	*reason = FAIL_COUNT; /* must be overwritten */
	return lifecycle_check_timeout(t, &limits, now, reason);
}

static void test_timeout_pending(void)
{
	struct lifecycle_timing t = {
		.status = GEN_PENDING, .attempt = 0, .requested_at = T0,
		.started_at = 0, .lease_expires_at = 0,
	};
	enum gen_failure r;
	CU_ASSERT_EQUAL(check(&t, T0, &r), LC_NONE);
	CU_ASSERT_EQUAL(r, FAIL_NONE);
	CU_ASSERT_EQUAL(check(&t, T0 + S(3600), &r), LC_NONE);
	CU_ASSERT_EQUAL(r, FAIL_NONE);
	CU_ASSERT_EQUAL(check(&t, T0 + S(3600) + 1, &r), LC_FAIL);
	CU_ASSERT_EQUAL(r, FAIL_NEVER_STARTED);
	CU_ASSERT_EQUAL(check(&t, T0 + S(86400), &r), LC_FAIL);
	CU_ASSERT_EQUAL(r, FAIL_NEVER_STARTED);
	/* A pending request has no lease: stale lease fields do not matter. */
	t.lease_expires_at = T0 - S(1000);
	t.started_at = T0 - S(100000);
	CU_ASSERT_EQUAL(check(&t, T0 + S(60), &r), LC_NONE);
	/* A retried request (attempt 1, back to pending) waits the same way. */
	t.attempt = 1;
	CU_ASSERT_EQUAL(check(&t, T0 + S(3599), &r), LC_NONE);
}

static void test_timeout_processing(void)
{
	/* Claimed over an hour after the request, a 60 s lease. */
	int64_t started = T0 + S(4000);
	struct lifecycle_timing t = {
		.status = GEN_PROCESSING, .attempt = 1, .requested_at = T0,
		.started_at = started, .lease_expires_at = started + S(60),
	};
	enum gen_failure r;
	/* Waiting long in pending before the claim is not "never started". */
	CU_ASSERT_EQUAL(check(&t, started + S(30), &r), LC_NONE);
	CU_ASSERT_EQUAL(r, FAIL_NONE);
	/* The lease boundary: at expiry still held, a µs later gone. */
	CU_ASSERT_EQUAL(check(&t, started + S(60), &r), LC_NONE);
	CU_ASSERT_EQUAL(check(&t, started + S(60) + 1, &r), LC_RETRY);
	CU_ASSERT_EQUAL(r, FAIL_NONE);
	t.attempt = 2;
	CU_ASSERT_EQUAL(check(&t, started + S(60) + 1, &r), LC_RETRY);
	/* No attempts left: the lease expiry fails it. */
	t.attempt = 3;
	CU_ASSERT_EQUAL(check(&t, started + S(60), &r), LC_NONE);
	CU_ASSERT_EQUAL(check(&t, started + S(60) + 1, &r), LC_FAIL);
	CU_ASSERT_EQUAL(r, FAIL_LEASE_EXPIRED);
	t.attempt = 4;
	CU_ASSERT_EQUAL(check(&t, started + S(60) + 1, &r), LC_FAIL);
	CU_ASSERT_EQUAL(r, FAIL_LEASE_EXPIRED);
}

static void test_timeout_max_runtime(void)
{
	int64_t started = T0 + S(10);
	/* Heartbeats keep the lease fresh, but the generation runs too long. */
	struct lifecycle_timing t = {
		.status = GEN_PROCESSING, .attempt = 1, .requested_at = T0,
		.started_at = started, .lease_expires_at = started + S(3600),
	};
	enum gen_failure r;
	CU_ASSERT_EQUAL(check(&t, started + S(600), &r), LC_NONE);
	CU_ASSERT_EQUAL(r, FAIL_NONE);
	CU_ASSERT_EQUAL(check(&t, started + S(600) + 1, &r), LC_FAIL);
	CU_ASSERT_EQUAL(r, FAIL_MAX_RUNTIME);
	/* Lease also expired with attempts left: max runtime beats a retry. */
	t.lease_expires_at = started + S(60);
	CU_ASSERT_EQUAL(check(&t, started + S(600) + 1, &r), LC_FAIL);
	CU_ASSERT_EQUAL(r, FAIL_MAX_RUNTIME);
	/* ...and beats lease_expired when none are left. */
	t.attempt = 3;
	CU_ASSERT_EQUAL(check(&t, started + S(601), &r), LC_FAIL);
	CU_ASSERT_EQUAL(r, FAIL_MAX_RUNTIME);
}

static void test_timeout_terminal(void)
{
	static const enum gen_status terminal[] = {
		GEN_COMPLETED, GEN_PARTIAL, GEN_FAILED, GEN_CANCELLED,
	};
	for (size_t i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++) {
		struct lifecycle_timing t = {
			.status = terminal[i], .attempt = 3, .requested_at = T0,
			.started_at = T0, .lease_expires_at = T0,
		};
		enum gen_failure r;
		CU_ASSERT_EQUAL(check(&t, T0 + S(1000000), &r), LC_NONE);
		CU_ASSERT_EQUAL(r, FAIL_NONE);
	}
}

static void test_decide_timeout(void)
{
	int64_t started = T0 + S(10);
	struct lifecycle_timing t = {
		.status = GEN_PROCESSING, .attempt = 1, .requested_at = T0,
		.started_at = started, .lease_expires_at = started + S(60),
	};
	struct lifecycle_timeout d;
	/* Nothing due: no transition, no message. */
	CU_ASSERT_EQUAL(lifecycle_decide_timeout(&t, &limits, started + S(30), &d), LC_NONE);
	CU_ASSERT_EQUAL(d.action, LC_NONE);
	CU_ASSERT_EQUAL(d.to, GEN_PROCESSING);
	CU_ASSERT_STRING_EQUAL(d.message, "");
	/* A lapsed lease with attempts left: back to pending, saying so. */
	CU_ASSERT_EQUAL(lifecycle_decide_timeout(&t, &limits, started + S(61), &d), LC_RETRY);
	CU_ASSERT_EQUAL(d.to, GEN_PENDING);
	CU_ASSERT_EQUAL(d.reason, FAIL_NONE);
	CU_ASSERT_STRING_EQUAL(d.message, "Worker stopped sending heartbeats; lease expired on "
				      "attempt 1 of 3, retrying");
	/* The store fences the write on the deadline: the lease still before now. */
	CU_ASSERT_EQUAL(d.cutoff, started + S(61));
	CU_ASSERT(t.lease_expires_at < d.cutoff);
	/* Too long: failed, with the sentence of lifecycle_failure_message(). */
	CU_ASSERT_EQUAL(lifecycle_decide_timeout(&t, &limits, started + S(601), &d), LC_FAIL);
	CU_ASSERT_EQUAL(d.to, GEN_FAILED);
	CU_ASSERT_EQUAL(d.reason, FAIL_MAX_RUNTIME);
	CU_ASSERT_STRING_EQUAL(d.message, "Generation timed out after 10 minutes");
	/* ... on the start still before now - stale_after. */
	CU_ASSERT_EQUAL(d.cutoff, started + S(1));
	CU_ASSERT(t.started_at < d.cutoff);
	/* Pending too long: on the request still before now - pending_timeout. */
	struct lifecycle_timing w = { .status = GEN_PENDING, .requested_at = T0 };
	CU_ASSERT_EQUAL(lifecycle_decide_timeout(&w, &limits, T0 + S(3601), &d), LC_FAIL);
	CU_ASSERT_EQUAL(d.reason, FAIL_NEVER_STARTED);
	CU_ASSERT_EQUAL(d.cutoff, T0 + S(1));
	CU_ASSERT(w.requested_at < d.cutoff);
	/* Each decided transition is one the model lets the reaper make. */
	CU_ASSERT(lifecycle_can_transition(GEN_PROCESSING, GEN_PENDING, ACTOR_REAPER));
	CU_ASSERT(lifecycle_can_transition(GEN_PROCESSING, GEN_FAILED, ACTOR_REAPER));
	t.status = GEN_COMPLETED;
	CU_ASSERT_EQUAL(lifecycle_decide_timeout(&t, &limits, started + S(100000), &d), LC_NONE);
	CU_ASSERT_EQUAL(d.to, GEN_COMPLETED);
}

static void message(enum gen_failure reason, int64_t stale, int64_t pending, unsigned attempt,
		    char *out, size_t size)
{
	struct lifecycle_limits l = {
		.stale_after = stale, .pending_timeout = pending, .max_attempts = 3,
	};
	lifecycle_failure_message(reason, &l, attempt, out, size);
}

static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

static void test_failure_messages(void)
{
	char buf[256];
	message(FAIL_MAX_RUNTIME, 600, 3600, 1, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Generation timed out after 10 minutes");
	message(FAIL_MAX_RUNTIME, 60, 3600, 1, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Generation timed out after 1 minute");
	message(FAIL_MAX_RUNTIME, 90, 3600, 1, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Generation timed out after 90 seconds");
	message(FAIL_MAX_RUNTIME, 45, 3600, 1, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Generation timed out after 45 seconds");
	message(FAIL_MAX_RUNTIME, 1, 3600, 1, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Generation timed out after 1 second");
	message(FAIL_NEVER_STARTED, 600, 3600, 0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Never picked up by a worker within 60 minutes");
	message(FAIL_NEVER_STARTED, 600, 30, 0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Never picked up by a worker within 30 seconds");

	message(FAIL_LEASE_EXPIRED, 600, 3600, 3, buf, sizeof(buf));
	CU_ASSERT(contains_nocase(buf, "lease expired"));
	CU_ASSERT(contains_nocase(buf, "heartbeat"));
	CU_ASSERT_PTR_NOT_NULL(strchr(buf, '3'));

	message(FAIL_GENERATOR, 600, 3600, 1, buf, sizeof(buf));
	CU_ASSERT(strlen(buf) > 0);
	message(FAIL_OPERATOR, 600, 3600, 1, buf, sizeof(buf));
	CU_ASSERT(strlen(buf) > 0);
	message(FAIL_NONE, 600, 3600, 1, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "");

	/* A small buffer is truncated and terminated, never overrun. */
	char small[12];
	memset(small, '#', sizeof(small));
	message(FAIL_MAX_RUNTIME, 600, 3600, 1, small, 8);
	CU_ASSERT_STRING_EQUAL(small, "Generat");
	CU_ASSERT_EQUAL(small[8], '#');
}

/* Every combination a handler could pass stays in 1..30. */
static void test_retry_after_range(void)
{
	static const unsigned queue[] = { 0, 1, 5, 28, 29, 1000, 4000000000u };
	static const int64_t elapsed[] = { -S(5), 0, 1, S(1), S(59), S(600), S(100000) };
	int out_of_range = 0;
	for (int s = 0; s < GEN_STATUS_COUNT; s++)
		for (size_t q = 0; q < sizeof(queue) / sizeof(queue[0]); q++)
			for (unsigned req = 0; req <= 10; req++)
				for (unsigned gen = 0; gen <= req + 1; gen++)
					for (unsigned fail = 0; fail + gen <= req + 1; fail++)
						for (size_t e = 0; e < sizeof(elapsed) / sizeof(elapsed[0]); e++) {
							int v = lifecycle_retry_after(
								(enum gen_status)s, queue[q], gen, fail, req,
								T0, T0 + elapsed[e]);
							out_of_range += v < 1 || v > 30;
						}
	CU_ASSERT_EQUAL(out_of_range, 0);
}

static void test_retry_after_pending_queue(void)
{
	int prev = lifecycle_retry_after(GEN_PENDING, 0, 0, 0, 5, 0, T0);
	int not_shorter = 1;
	for (unsigned q = 1; q <= 2000; q++) {
		int v = lifecycle_retry_after(GEN_PENDING, q, 0, 0, 5, 0, T0);
		not_shorter &= v >= prev;
		prev = v;
	}
	CU_ASSERT(not_shorter);
	/* An empty queue polls soon, a long one waits the longest. */
	CU_ASSERT(lifecycle_retry_after(GEN_PENDING, 0, 0, 0, 5, 0, T0) <= 3);
	CU_ASSERT_EQUAL(lifecycle_retry_after(GEN_PENDING, 100000, 0, 0, 5, 0, T0), 30);
	CU_ASSERT(lifecycle_retry_after(GEN_PENDING, 10, 0, 0, 5, 0, T0) >
		  lifecycle_retry_after(GEN_PENDING, 0, 0, 0, 5, 0, T0));
}

static void test_retry_after_processing(void)
{
	/* 10 s per entity so far. */
	int near_end = lifecycle_retry_after(GEN_PROCESSING, 0, 9, 0, 10, T0, T0 + S(90));
	int half = lifecycle_retry_after(GEN_PROCESSING, 0, 5, 0, 10, T0, T0 + S(50));
	int early = lifecycle_retry_after(GEN_PROCESSING, 0, 1, 0, 10, T0, T0 + S(10));
	CU_ASSERT(near_end <= 5);
	CU_ASSERT(half >= near_end);
	CU_ASSERT(early >= half);
	CU_ASSERT(early > near_end);
	/* Fast entities near the end: ask again almost at once. */
	CU_ASSERT(lifecycle_retry_after(GEN_PROCESSING, 0, 9, 0, 10, T0, T0 + S(9)) <= 2);
	/* Failed entities count as done too. */
	CU_ASSERT(lifecycle_retry_after(GEN_PROCESSING, 0, 4, 5, 10, T0, T0 + S(90)) <= 5);
	/* More left at the same pace (4 s an entity) is not shorter. */
	int ok = 1;
	for (unsigned done = 1; done + 1 < 10; done++) {
		int more_left = lifecycle_retry_after(GEN_PROCESSING, 0, done, 0, 10, T0,
						      T0 + S(4) * done);
		int less_left = lifecycle_retry_after(GEN_PROCESSING, 0, done + 1, 0, 10, T0,
						      T0 + S(4) * (done + 1));
		ok &= more_left >= less_left;
	}
	CU_ASSERT(ok);
	CU_ASSERT(lifecycle_retry_after(GEN_PROCESSING, 0, 1, 0, 10, T0, T0 + S(4)) >
		  lifecycle_retry_after(GEN_PROCESSING, 0, 9, 0, 10, T0, T0 + S(36)));
	/* Nothing done yet: starts short, lengthens with elapsed time, capped. */
	int fresh = lifecycle_retry_after(GEN_PROCESSING, 0, 0, 0, 5, T0, T0);
	int later = lifecycle_retry_after(GEN_PROCESSING, 0, 0, 0, 5, T0, T0 + S(20));
	CU_ASSERT(fresh <= 2);
	CU_ASSERT(later >= fresh);
	CU_ASSERT(lifecycle_retry_after(GEN_PROCESSING, 0, 0, 0, 5, T0, T0 + S(3600)) <= 30);
	/* A clock behind started_at does not give a zero or negative wait. */
	CU_ASSERT(lifecycle_retry_after(GEN_PROCESSING, 0, 2, 0, 5, T0, T0 - S(30)) >= 1);
}

static const struct unit_case cases[] = {
	{ "status names round trip", test_status_names },
	{ "status parse rejects", test_status_parse_rejects },
	{ "is_terminal", test_is_terminal },
	{ "full transition table by actor", test_transition_table },
	{ "transition examples", test_transition_examples },
	{ "completion status", test_completion_status },
	{ "failure codes", test_failure_codes },
	{ "progress", test_progress },
	{ "timeout: pending_timeout boundary", test_timeout_pending },
	{ "timeout: lease expiry, retry or fail", test_timeout_processing },
	{ "timeout: stale_after beats retry", test_timeout_max_runtime },
	{ "timeout: terminal never times out", test_timeout_terminal },
	{ "timeout decided with its message", test_decide_timeout },
	{ "failure messages", test_failure_messages },
	{ "retry_after always 1..30", test_retry_after_range },
	{ "retry_after grows with the queue", test_retry_after_pending_queue },
	{ "retry_after while processing", test_retry_after_processing },
	{ NULL, NULL },
};

UNIT_MAIN("lifecycle", cases)
