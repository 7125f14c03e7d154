#include "build_config.h"

/*
 * A third actor between an actor's read and its write, against the real
 * MariaDB (tests/integration/races.sh): every transition of SPEC §2 (and the
 * heartbeat and entity writes) is made by its store path while another actor
 * acts on the same row in the gap the store's race hook opens
 * (store_set_race_hook) between the decision and the write.
 *
 * Two kinds of first actor:
 *   - the timeouts (the reaper and a client's status read): they decide from
 *     a plain read and write later, fenced on what they read. The hook runs
 *     the third actor to its end in the gap; if it changed a fact the
 *     decision used (the version, the deadline), the stale write must be
 *     refused and the row left as the third actor made it.
 *   - every other transition holds the row lock from its read to its
 *     commit. The hook starts the third actor in a thread, which has to wait
 *     for the lock (or, a reaper, for its write): the first actor's write must
 *     go through, the third acts on what it left, and a timeout that read
 *     the row before must not write over it.
 * Each case checks the audit trail too: one event per status change, in a
 * chain from the status the case began in to the one the row ends in, each
 * a transition the model lets that actor make, and at most one by the reaper.
 */
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "model/lifecycle.h"
#include "store/store.h"
#include "base/timeutil.h"
#include "itest.h"
#include "unit.h"

#define S(x) (INT64_C(1000000) * (x))

static struct config cfg;
static struct store *st;       /* the first actor's: the one with the hook */
static struct store *st3;      /* the third actor's */
static struct uuid_gen ids;
static char tag[16];
static unsigned serial;
/* What the cases saw, printed: a test whose races never happened proves nothing. */
static unsigned n_refused, n_through, n_waited;

/* How the row looks when a case begins. */
enum timing {
	LAPSED,       /* processing, the lease ran out 5 s ago; or pending for 10 s */
	RUNTIME,      /* processing for 11 minutes, the lease still running */
	OLD_PENDING,  /* pending (or finished) for 2 hours */
};

struct subject {
	struct uuid id;
	char owner[OWNER_MAX + 1];
	char type[ENTITY_TYPE_MAX + 1];
	unsigned attempt;
};

/* ---- the actors, each on a store of its own ---- */

typedef int (*actor_fn)(struct store *s, const struct subject *sj);

static int act_heartbeat(struct store *s, const struct subject *sj)
{
	struct store_lease l = { "w1", sj->attempt };
	int64_t exp;
	long long secs;
	return store_lease_extend(s, &sj->id, &l, 60, &exp, &secs);
}

static int act_entity(struct store *s, const struct subject *sj)
{
	struct store_lease l = { "w1", sj->attempt };
	struct store_entity e = { 1, "{\"n\":1}", NULL };
	struct store_entity_result res;
	return store_entity_record(s, &sj->id, &l, &e, &res);
}

static int act_complete(struct store *s, const struct subject *sj)
{
	struct store_lease l = { "w1", sj->attempt };
	struct gen_request r;
	int rc = store_complete(s, &sj->id, &l, "worker:w1", &r);
	if (rc == STORE_OK)
		gen_request_release(&r);
	return rc;
}

static int act_client_cancel(struct store *s, const struct subject *sj)
{
	struct gen_request r;
	gen_request_init(&r);
	int rc = store_request_cancel(s, &sj->id, sj->owner, "client:race", NULL, &r);
	gen_request_release(&r);
	return rc;
}

static int admin(struct store *s, const struct subject *sj, enum store_admin_action a)
{
	struct gen_request r;
	int rc = store_admin_apply(s, &sj->id, a, "admin:race", "race", NULL, &r);
	gen_request_release(&r);
	return rc;
}

static int act_admin_fail(struct store *s, const struct subject *sj)
{
	return admin(s, sj, ADMIN_FAIL);
}

static int act_admin_cancel(struct store *s, const struct subject *sj)
{
	return admin(s, sj, ADMIN_CANCEL);
}

static int act_admin_retry(struct store *s, const struct subject *sj)
{
	return admin(s, sj, ADMIN_RETRY);
}

/* The pending ABA of issue 12: cancelled, then retried: pending again, same attempt. */
static int act_cancel_retry(struct store *s, const struct subject *sj)
{
	int rc = act_client_cancel(s, sj);
	return rc ? rc : act_admin_retry(s, sj);
}

static int act_claim(struct store *s, const struct subject *sj)
{
	const char *types[] = { sj->type };
	struct store_claimed cl;
	struct store_claim c = { .worker_id = "w3", .actor = "worker:w3", .entity_types = types,
				 .n_types = 1, .lease_seconds = 60 };
	int rc = store_claim_next(s, &c, &cl);
	if (rc == STORE_OK)
		store_claimed_release(&cl);
	return rc;
}

/* What the reaper read of the row, as store_stale_list returns it. */
static void stale_from(const struct gen_request *r, struct store_stale *row)
{
	*row = (struct store_stale){
		.id = r->id, .status = r->status, .attempt = r->attempt, .version = r->version,
		.requested_at = r->requested_at, .started_at = r->started_at,
		.lease_expires_at = r->lease_expires_at,
	};
}

static int stale_of(struct store *s, const struct subject *sj, struct store_stale *row)
{
	struct gen_request r;
	int rc = store_request_get(s, &sj->id, NULL, &r);
	if (rc)
		return rc;
	stale_from(&r, row);
	gen_request_release(&r);
	return STORE_OK;
}

/*
 * A timeout's read made ahead of its write (pre_have): a third actor that
 * waits for a lock holder has read the row before the holder wrote, for
 * sure, not when its thread happens to run.
 */
static struct gen_request pre_req;
static int64_t pre_now;
static int pre_have;

static int timeout_read(struct store *s, const struct subject *sj, struct gen_request *r,
			int64_t *now)
{
	if (pre_have) {
		*r = pre_req;
		*now = pre_now;
		pre_have = 0;
		return STORE_OK;
	}
	int rc = store_now(s, now);
	return rc ? rc : store_request_get(s, &sj->id, sj->owner, r);
}

/* The reaper on one row: its read, its decision at the store's clock, its write. */
static int act_reaper(struct store *s, const struct subject *sj)
{
	struct gen_request r;
	struct store_stale row;
	struct lifecycle_limits l = store_timeout_limits(&cfg);
	struct lifecycle_timeout d;
	int64_t now;
	int rc = timeout_read(s, sj, &r, &now);
	if (rc)
		return rc;
	stale_from(&r, &row);
	gen_request_release(&r);
	return store_timeout_reap(s, &row, &l, now, 0, &d);
}

/* A client's status read: the poll's read, then the lazy timeout. */
static int act_status_read(struct store *s, const struct subject *sj)
{
	struct gen_request r;
	int64_t now;
	int rc = timeout_read(s, sj, &r, &now);
	if (rc)
		return rc;
	rc = store_request_check_timeout(s, &cfg, now, &r, sj->owner);
	gen_request_release(&r);
	return rc < 0 ? rc : STORE_OK;
}

struct third {
	const char *name;
	actor_fn run;
	int timeout;        /* decides from a plain read: the reaper, a status read */
};

static const struct third thirds[] = {
	{ "heartbeat", act_heartbeat, 0 },
	{ "entity", act_entity, 0 },
	{ "complete", act_complete, 0 },
	{ "client cancel", act_client_cancel, 0 },
	{ "admin fail", act_admin_fail, 0 },
	{ "admin cancel", act_admin_cancel, 0 },
	{ "admin retry", act_admin_retry, 0 },
	{ "cancel, then admin retry", act_cancel_retry, 0 },
	{ "claim", act_claim, 0 },
	{ "a second reaper", act_reaper, 1 },
	{ "a status read", act_status_read, 1 },
};
#define N_THIRDS (sizeof(thirds) / sizeof(thirds[0]))

/* The transition (or write) under test, made by the store with the hook. */
struct first {
	const char *name;
	enum gen_status from;
	unsigned generated;     /* of 2 requested */
	unsigned attempt;
	enum timing timing;
	int timeout;            /* a timeout: decides first, writes fenced */
	actor_fn run;
	const char *actor;      /* in the audit trail; NULL: no event (heartbeat, entity) */
};

static const struct first firsts[] = {
	{ "claim", GEN_PENDING, 0, 0, OLD_PENDING, 0, act_claim, "worker:w3" },
	{ "client cancel, pending", GEN_PENDING, 0, 0, OLD_PENDING, 0, act_client_cancel, "client:race" },
	{ "client cancel, processing", GEN_PROCESSING, 0, 1, LAPSED, 0, act_client_cancel, "client:race" },
	{ "admin cancel, pending", GEN_PENDING, 0, 0, OLD_PENDING, 0, act_admin_cancel, "admin:race" },
	{ "admin cancel, processing", GEN_PROCESSING, 1, 1, LAPSED, 0, act_admin_cancel, "admin:race" },
	{ "admin fail, pending", GEN_PENDING, 0, 0, OLD_PENDING, 0, act_admin_fail, "admin:race" },
	{ "admin fail, processing", GEN_PROCESSING, 1, 1, LAPSED, 0, act_admin_fail, "admin:race" },
	{ "admin retry, failed", GEN_FAILED, 0, 1, OLD_PENDING, 0, act_admin_retry, "admin:race" },
	{ "admin retry, partial", GEN_PARTIAL, 1, 1, OLD_PENDING, 0, act_admin_retry, "admin:race" },
	{ "admin retry, cancelled", GEN_CANCELLED, 0, 1, OLD_PENDING, 0, act_admin_retry, "admin:race" },
	{ "complete: completed", GEN_PROCESSING, 2, 1, LAPSED, 0, act_complete, "worker:w1" },
	{ "complete: partial", GEN_PROCESSING, 1, 1, LAPSED, 0, act_complete, "worker:w1" },
	{ "complete: failed", GEN_PROCESSING, 0, 1, LAPSED, 0, act_complete, "worker:w1" },
	{ "heartbeat (a lapsed lease)", GEN_PROCESSING, 0, 1, LAPSED, 0, act_heartbeat, NULL },
	{ "entity", GEN_PROCESSING, 0, 1, LAPSED, 0, act_entity, NULL },
	{ "reaper: retry", GEN_PROCESSING, 0, 1, LAPSED, 1, act_reaper, "reaper" },
	{ "reaper: lease expired", GEN_PROCESSING, 0, 3, LAPSED, 1, act_reaper, "reaper" },
	{ "reaper: max runtime", GEN_PROCESSING, 0, 1, RUNTIME, 1, act_reaper, "reaper" },
	{ "reaper: never started", GEN_PENDING, 0, 0, OLD_PENDING, 1, act_reaper, "reaper" },
	{ "status read: retry", GEN_PROCESSING, 0, 1, LAPSED, 1, act_status_read, "reaper" },
	{ "status read: lease expired", GEN_PROCESSING, 0, 3, LAPSED, 1, act_status_read, "reaper" },
	{ "status read: max runtime", GEN_PROCESSING, 0, 1, RUNTIME, 1, act_status_read, "reaper" },
	{ "status read: never started", GEN_PENDING, 0, 0, OLD_PENDING, 1, act_status_read, "reaper" },
};
#define N_FIRSTS (sizeof(firsts) / sizeof(firsts[0]))

/* ---- the rows ---- */

/* A request of its own in the first actor's starting state, as if w1 held `attempt`. */
static void make_subject(struct subject *sj, const struct first *f)
{
	int64_t now;
	long age = f->timing == OLD_PENDING ? 7200 : f->timing == RUNTIME ? 660 : 10;
	long lease_left = f->timing == RUNTIME ? 60 : -5;

	if (store_now(st, &now))
		itest_fatal("clock", store_last_error(st));
	snprintf(sj->owner, sizeof(sj->owner), "race-%s", tag);
	snprintf(sj->type, sizeof(sj->type), "race_%s_%u", tag, serial++);
	struct itest_pending p = { .owner = sj->owner, .entity_type = sj->type, .count = 2,
				   .priority = PRIORITY_DEFAULT, .at = now - S(age),
				   .actor = "client:race" };
	sj->id = itest_create_pending(st, &ids, &p);
	sj->attempt = f->attempt;
	if (f->from == GEN_PENDING)
		itest_exec("UPDATE generation_requests SET attempt = %u, version = 3 "
			   "WHERE id = UNHEX('%s')", f->attempt, itest_hex(&sj->id));
	else
		itest_exec("UPDATE generation_requests SET status = '%s', attempt = %u, "
			   "worker_id = 'w1', version = 3, lease_seconds = 60, "
			   "started_at = UTC_TIMESTAMP(6) - INTERVAL %ld SECOND, "
			   "lease_expires_at = IF('%s' = 'processing', "
			   "UTC_TIMESTAMP(6) + INTERVAL %ld SECOND, NULL), "
			   "generated_count = %u WHERE id = UNHEX('%s')",
			   lifecycle_status_name(f->from), f->attempt, age,
			   lifecycle_status_name(f->from), lease_left, f->generated,
			   itest_hex(&sj->id));
	/* Only the case's own events are counted. */
	itest_exec("DELETE FROM generation_events WHERE request_id = UNHEX('%s')",
		   itest_hex(&sj->id));
}

/* The facts an actor may decide on, as one string to compare. */
static void snapshot(const struct subject *sj, char *out, size_t size)
{
	itest_exec("SELECT CONCAT_WS('|', status, attempt, version, IFNULL(worker_id, '-'), "
		   "IFNULL(lease_expires_at, '-'), IFNULL(started_at, '-'), requested_at, "
		   "generated_count, failed_count) FROM generation_requests WHERE id = UNHEX('%s')",
		   itest_hex(&sj->id));
	MYSQL_RES *res = mysql_store_result(itest_raw);
	MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
	snprintf(out, size, "%s", row && row[0] ? row[0] : "(gone)");
	if (res)
		mysql_free_result(res);
}

/* ---- the hook ---- */

struct race {
	const struct third *third;
	const struct subject *sj;
	int armed;
	int fired;
	enum store_race_point at;
	int third_rc;
	int threaded;
	pthread_t thread;
	char after_third[512];   /* the row once the third actor is done (timeouts) */
	const struct store_stale *read;      /* what the timeout read ... */
	const struct lifecycle_timeout *d;   /* ... and decided */
	int holds;               /* its facts still held when the third was done */
};

static int decision_holds(const struct subject *sj, const struct store_stale *read,
			  const struct lifecycle_timeout *d);

static void *third_thread(void *arg)
{
	struct race *r = arg;
	__atomic_store_n(&r->third_rc, r->third->run(st3, r->sj), __ATOMIC_SEQ_CST);
	return NULL;
}

static void on_race(void *ctx, enum store_race_point at)
{
	struct race *r = ctx;
	if (!r->armed)
		return;
	r->armed = 0;
	r->fired = 1;
	r->at = at;
	if (at == RACE_TIMEOUT) {
		/* Nothing is locked yet: the third actor runs to its end. */
		r->third_rc = r->third->run(st3, r->sj);
		snapshot(r->sj, r->after_third, sizeof(r->after_third));
		r->holds = decision_holds(r->sj, r->read, r->d);
		return;
	}
	/* The first actor holds the row: the third has to wait for it. A
	 * timeout reads first (a plain read does not wait), then its thread
	 * decides and writes. */
	if (r->third->timeout) {
		if (store_now(st3, &pre_now) ||
		    store_request_get(st3, &r->sj->id, r->sj->owner, &pre_req))
			itest_fatal("read", store_last_error(st3));
		pre_have = 1;
	}
	r->third_rc = 1;   /* no store code: still running */
	if (pthread_create(&r->thread, NULL, third_thread, r))
		itest_fatal("thread", "cannot start");
	r->threaded = 1;
	struct timespec pause = { 0, 150 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	/* Still waiting for the row (a claim skips it instead). */
	if (__atomic_load_n(&r->third_rc, __ATOMIC_SEQ_CST) == 1)
		n_waited++;
}

/* ---- the checks ---- */

static int actor_kind(const char *actor, enum gen_actor *out)
{
	static const struct { const char *prefix; enum gen_actor a; } kinds[] = {
		{ "client:", ACTOR_CLIENT }, { "worker:", ACTOR_WORKER },
		{ "reaper", ACTOR_REAPER }, { "admin:", ACTOR_ADMIN },
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strncmp(actor, kinds[k].prefix, strlen(kinds[k].prefix))) {
			*out = kinds[k].a;
			return 0;
		}
	return -1;
}

/*
 * The audit trail: a chain from `from` to the row's status, one event per
 * change, each allowed to its actor; at most one by the reaper. The first
 * event's actor into *first_actor ("" when none). 1 when it holds.
 */
static int trail_holds(const struct subject *sj, enum gen_status from, char *first_actor,
		       size_t size, char *why, size_t why_size)
{
	itest_exec("SELECT IFNULL(from_status, ''), to_status, actor FROM generation_events "
		   "WHERE request_id = UNHEX('%s') ORDER BY id", itest_hex(&sj->id));
	MYSQL_RES *res = mysql_store_result(itest_raw);
	MYSQL_ROW row;
	enum gen_status at = from;
	int ok = 1, reaper = 0, n = 0;
	*first_actor = '\0';
	while (res && (row = mysql_fetch_row(res))) {
		enum gen_status f, t;
		enum gen_actor a;
		if (n++ == 0)
			snprintf(first_actor, size, "%s", row[2]);
		if (lifecycle_status_parse(row[0], &f) < 0 || lifecycle_status_parse(row[1], &t) < 0 ||
		    actor_kind(row[2], &a) < 0 || f != at || f == t ||
		    !lifecycle_can_transition(f, t, a)) {
			snprintf(why, why_size, "event %d (%s -> %s by %s) breaks the chain at %s", n,
				 row[0], row[1], row[2], lifecycle_status_name(at));
			ok = 0;
			break;
		}
		reaper += a == ACTOR_REAPER;
		at = t;
	}
	if (res)
		mysql_free_result(res);
	char now[512];
	snapshot(sj, now, sizeof(now));
	if (ok && strncmp(now, lifecycle_status_name(at), strlen(lifecycle_status_name(at)))) {
		snprintf(why, why_size, "the events end at %s, the row is %s",
			 lifecycle_status_name(at), now);
		ok = 0;
	}
	if (ok && reaper > 1) {
		snprintf(why, why_size, "%d reaper transitions", reaper);
		ok = 0;
	}
	return ok;
}

/*
 * Whether the facts a timeout decided on still hold on the row: the status,
 * attempt and version it read, and the deadline of its decision.
 */
static int decision_holds(const struct subject *sj, const struct store_stale *read,
			  const struct lifecycle_timeout *d)
{
	const char *column = d->reason == FAIL_MAX_RUNTIME ? "started_at"
			     : d->reason == FAIL_NEVER_STARTED ? "requested_at" : "lease_expires_at";
	return itest_long("SELECT status = '%s' AND attempt = %u AND version = %llu AND "
			  "IFNULL(%s < TIMESTAMP('1970-01-01') + INTERVAL %lld MICROSECOND, 0) "
			  "FROM generation_requests WHERE id = UNHEX('%s')",
			  lifecycle_status_name(read->status), read->attempt,
			  (unsigned long long)read->version, column, (long long)d->cutoff,
			  itest_hex(&sj->id)) == 1;
}

static int run_case(const struct first *f, const struct third *t)
{
	struct subject sj;
	struct store_stale read;
	struct lifecycle_timeout d = { .action = LC_NONE };
	struct race r = { .third = t, .sj = &sj, .armed = 1, .read = &read, .d = &d };
	char why[1400] = "", first_actor[128], before[512], end[512];
	int ok = 1;

	make_subject(&sj, f);
	snapshot(&sj, before, sizeof(before));
	if (f->timeout) {
		/* What the first actor will read and decide, to know what its write needs. */
		struct lifecycle_limits l = store_timeout_limits(&cfg);
		int64_t now;
		if (store_now(st, &now) || stale_of(st, &sj, &read))
			itest_fatal("read", store_last_error(st));
		struct lifecycle_timing tm = {
			.status = read.status, .attempt = read.attempt,
			.requested_at = read.requested_at, .started_at = read.started_at,
			.lease_expires_at = read.lease_expires_at,
		};
		lifecycle_decide_timeout(&tm, &l, now, &d);
	}
	store_set_race_hook(st, on_race, &r);
	int rc = f->run(st, &sj);
	store_set_race_hook(st, NULL, NULL);
	if (r.threaded)
		pthread_join(r.thread, NULL);
	snapshot(&sj, end, sizeof(end));

	if (!r.fired || r.at != (f->timeout ? RACE_TIMEOUT : RACE_LOCKED)) {
		snprintf(why, sizeof(why), "the hook did not fire where expected");
		ok = 0;
	} else if (!trail_holds(&sj, f->from, first_actor, sizeof(first_actor), why, sizeof(why))) {
		ok = 0;
	} else if (f->timeout) {
		int holds = d.action != LC_NONE && r.holds;
		if (holds)
			n_through++;
		else
			n_refused++;
		long by_first = itest_long("SELECT COUNT(*) FROM generation_events WHERE request_id = "
					   "UNHEX('%s') AND actor = 'reaper'", itest_hex(&sj.id))
				- (t->timeout && strcmp(r.after_third, before) ? 1 : 0);
		/* Decided on facts that changed: the write is refused, the third's row kept. */
		if (!holds && (by_first != 0 || strcmp(end, r.after_third))) {
			snprintf(why, sizeof(why), "stale write not refused: after the third actor %s, "
				 "at the end %s", r.after_third, end);
			ok = 0;
		}
		/* Facts unchanged (the third actor could not act, or moved only what
		 * the decision did not read): the write goes through, once. */
		if (holds && (rc != STORE_OK || by_first != 1)) {
			snprintf(why, sizeof(why), "the write was refused although its facts held "
				 "(rc %d, %ld reaper events): %s", rc, by_first, end);
			ok = 0;
		}
	} else {
		/* It held the row: it wins, the third acts after it or is refused. */
		if (rc != STORE_OK) {
			snprintf(why, sizeof(why), "the lock holder's write failed (rc %d: %s)", rc,
				 store_last_error(st));
			ok = 0;
		} else if (f->actor && strcmp(first_actor, f->actor)) {
			snprintf(why, sizeof(why), "the lock holder's transition is not the first "
				 "event (first: '%s')", first_actor);
			ok = 0;
		} else if (t->timeout && itest_long("SELECT COUNT(*) FROM generation_events WHERE "
						    "request_id = UNHEX('%s') AND actor = 'reaper'",
						    itest_hex(&sj.id)) != 0) {
			/* It read the row before the holder wrote: its decision is stale. */
			snprintf(why, sizeof(why), "a timeout wrote over the lock holder's change: %s",
				 end);
			ok = 0;
		}
	}
	if (!ok)
		printf("\n  %s, then %s in between: %s", f->name, t->name, why);
	return ok;
}

static void run_firsts(int timeouts)
{
	unsigned bad = 0, n = 0;
	n_refused = n_through = n_waited = 0;
	for (size_t i = 0; i < N_FIRSTS; i++) {
		if (firsts[i].timeout != timeouts)
			continue;
		for (size_t k = 0; k < N_THIRDS; k++, n++)
			bad += !run_case(&firsts[i], &thirds[k]);
	}
	if (timeouts)
		printf("\n  %u cases, %u failed; %u stale (must be refused), %u still true "
		       "(must go through)\n", n, bad, n_refused, n_through);
	else
		printf("\n  %u cases, %u failed; in %u the third actor was still waiting for the "
		       "row when the holder wrote\n", n, bad, n_waited);
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_timeouts_refuse_a_stale_write(void)
{
	run_firsts(1);
}

static void test_lock_holders_win_and_stale_timeouts_lose(void)
{
	run_firsts(0);
}

/* The two interleavings of issue 12, spelled out. */
static void test_issue_interleavings(void)
{
	/* Pending ABA: the reaper read a pending row past pending_timeout; it was
	 * cancelled and retried meanwhile (pending again, same attempt). */
	CU_ASSERT(run_case(&firsts[18], &thirds[7]));
	/* A heartbeat between the reaper's read and its write. */
	CU_ASSERT(run_case(&firsts[15], &thirds[0]));
	CU_ASSERT(run_case(&firsts[19], &thirds[0]));
}

static const struct unit_case cases[] = {
	{ "issue 12: pending ABA and a heartbeat before the reaper's write",
	  test_issue_interleavings },
	{ "a timeout's write is refused when a third actor changed what it read",
	  test_timeouts_refuse_a_stale_write },
	{ "a transition under its row lock wins; a third actor acts after it",
	  test_lock_holders_win_and_stale_timeouts_lose },
	{ NULL, NULL },
};

int main(void)
{
	itest_open("test_races", &cfg, &st);
	/* The defaults of SPEC §2: the cases' ages are set against them. */
	cfg.stale_after = 600;
	cfg.pending_timeout = 3600;
	cfg.max_attempts = 3;
	st3 = store_new(&cfg);
	if (!st3 || store_connect(st3))
		itest_fatal("connect", st3 ? store_last_error(st3) : "out of memory");
	uuid_gen_init(&ids);
	snprintf(tag, sizeof(tag), "%llx", (unsigned long long)(time_now_us() % 0xffffffffffLL));
	int rc = unit_run("races", cases);
	store_free(st3);
	itest_close(&cfg, st);
	return rc;
}
