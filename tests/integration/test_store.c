#include "build_config.h"

/*
 * The store against a real MariaDB (started by tests/integration/store.sh,
 * found through $GENTRACK_CONFIG). Each case uses its own owner name so cases
 * never see each other's rows; assertions on what was written are made with
 * a separate plain connection, as an operator's SQL console would.
 */
#include <mysql.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/auth.h"
#include "base/config.h"
#include "base/log.h"
#include "store/store.h"
#include "base/timeutil.h"
#include "itest.h"
#include "unit.h"

static struct config cfg;
static struct store *st;
static struct uuid_gen ids;
static int64_t clock_us;    /* an injected clock, advanced by each case */

static char run_tag[16];    /* makes owner names unique per run: data persists */

/* "name-<run tag>", from a ring of buffers so several can be live in one call. */
static const char *O(const char *name)
{
	static char ring[8][OWNER_MAX + 1];
	static int next;
	char *out = ring[next++ % 8];
	snprintf(out, OWNER_MAX + 1, "%s-%s", name, run_tag);
	return out;
}

static void setup(void)
{
	itest_open("test_store", &cfg, &st);
	if (auth_init() < 0)
		itest_fatal("libsodium", "init");
	uuid_gen_init(&ids);
	clock_us = time_now_us();
	snprintf(run_tag, sizeof(run_tag), "%llx", (unsigned long long)(clock_us % 0xffffffffffLL));
}

/* A pending request of `owner`, as the create handler builds it. */
static void make_request(struct gen_request *r, const char *owner, const char *type,
			 const char *subject, unsigned count)
{
	gen_request_init(r);
	clock_us += 1000;
	CU_ASSERT_FATAL(uuid_v7_next(&ids, clock_us / 1000, &r->id) == 0);
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	snprintf(r->entity_type, sizeof(r->entity_type), "%s", type);
	if (subject) {
		r->subject_key = strdup(subject);
		r->subject_key_len = strlen(subject);
	}
	r->status = GEN_PENDING;
	r->requested_count = count;
	r->version = 1;
	r->requested_at = r->updated_at = clock_us;
	r->constraints_json = strdup("{\"level\":2}");
	r->metadata_json = strdup("{}");
}

static int create(const char *owner, const char *type, const char *subject, struct uuid *id,
		  struct uuid *existing)
{
	struct gen_request r;
	struct uuid dummy;
	make_request(&r, owner, type, subject, 3);
	int rc = store_request_create(st, &r, "client:test", NULL, NULL,
				      existing ? existing : &dummy);
	if (id)
		*id = r.id;
	gen_request_release(&r);
	return rc;
}

static void test_keys(void)
{
	char key[AUTH_KEY_LEN + 1];
	unsigned char hash[AUTH_HASH_LEN];
	struct principal p;
	long long id = 0;

	auth_key_generate(key);
	auth_key_hash(key, AUTH_KEY_LEN, hash);
	CU_ASSERT_EQUAL(store_key_lookup(st, hash, &p, NULL), STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(store_key_insert(st, hash, "gtk_test", ROLE_WORKER, O("keys-owner"),
					 clock_us, &id), STORE_OK);
	CU_ASSERT(id > 0);
	CU_ASSERT_EQUAL(store_key_lookup(st, hash, &p, NULL), STORE_OK);
	CU_ASSERT_EQUAL(p.role, ROLE_WORKER);
	CU_ASSERT_STRING_EQUAL(p.owner, O("keys-owner"));
	CU_ASSERT_EQUAL(p.key_id, id);
	/* Only the hash is stored: the key text appears nowhere. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM api_keys WHERE "
				   "prefix = '%s'", key), 0);
	CU_ASSERT_EQUAL(store_key_revoke(st, id, clock_us), STORE_OK);
	CU_ASSERT_EQUAL(store_key_lookup(st, hash, &p, NULL), STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(store_key_revoke(st, id, clock_us), STORE_CONFLICT);
	CU_ASSERT_EQUAL(store_key_revoke(st, 999999999, clock_us), STORE_NOT_FOUND);
}

static void test_create_get_entities(void)
{
	struct gen_request r, got;
	struct gen_entity_list ents = { 0 };
	struct uuid existing;

	make_request(&r, O("get-owner"), "problem", "topic-1", 5);
	CU_ASSERT_EQUAL_FATAL(store_request_create(st, &r, "client:get-owner", NULL, NULL,
						   &existing), STORE_OK);
	CU_ASSERT_EQUAL(store_request_get(st, &r.id, O("get-owner"), &got), STORE_OK);
	CU_ASSERT_EQUAL(memcmp(got.id.b, r.id.b, 16), 0);
	CU_ASSERT_STRING_EQUAL(got.entity_type, "problem");
	CU_ASSERT_STRING_EQUAL(got.subject_key, "topic-1");
	CU_ASSERT_EQUAL(got.status, GEN_PENDING);
	CU_ASSERT_EQUAL(got.requested_count, 5);
	CU_ASSERT_EQUAL(got.version, 1);
	CU_ASSERT_EQUAL(got.requested_at, r.requested_at);
	CU_ASSERT_EQUAL(got.started_at, TIME_NONE);
	CU_ASSERT_STRING_EQUAL(got.constraints_json, "{\"level\":2}");
	gen_request_release(&got);
	/* Another owner, or any owner for operators. */
	CU_ASSERT_EQUAL(store_request_get(st, &r.id, "someone-else", &got), STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(store_request_get(st, &r.id, NULL, &got), STORE_OK);
	gen_request_release(&got);
	CU_ASSERT_EQUAL(store_request_entities(st, &r.id, &ents), STORE_OK);
	CU_ASSERT_EQUAL(ents.count, 0);
	gen_entity_list_release(&ents);
	/* The creation is in the audit trail. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events WHERE "
				   "request_id = UNHEX('%s') AND from_status IS NULL "
				    "AND to_status = 'pending' AND actor = 'client:get-owner'", itest_hex(&r.id)), 1);
	gen_request_release(&r);
}

static void test_large_text_round_trip(void)
{
	/* Longer than the store's first column buffer: exercises the regrow path. */
	struct gen_request r, got;
	struct uuid existing;
	size_t n = 50000;
	char *big = malloc(n + 16);
	CU_ASSERT_FATAL(big != NULL);
	memcpy(big, "{\"text\":\"", 9);
	memset(big + 9, 'x', n);
	memcpy(big + 9 + n, "\"}", 3);
	make_request(&r, O("big-owner"), "essay", NULL, 1);
	free(r.constraints_json);
	r.constraints_json = big;
	CU_ASSERT_EQUAL_FATAL(store_request_create(st, &r, "client:big", NULL, NULL, &existing),
			      STORE_OK);
	CU_ASSERT_EQUAL(store_request_get(st, &r.id, O("big-owner"), &got), STORE_OK);
	CU_ASSERT_EQUAL(strlen(got.constraints_json), n + 11);
	CU_ASSERT_STRING_EQUAL(got.constraints_json, big);
	gen_request_release(&got);
	gen_request_release(&r);
}

static void test_one_active_per_subject(void)
{
	struct uuid first, second, existing;
	struct gen_request out;
	long events_before;

	CU_ASSERT_EQUAL_FATAL(create(O("subj-owner"), "problem", "topic-42", &first, NULL), STORE_OK);
	events_before = itest_long("SELECT COUNT(*) FROM generation_events WHERE "
				   "1 = 1");
	CU_ASSERT_EQUAL(create(O("subj-owner"), "problem", "topic-42", &second, &existing),
			STORE_DUPLICATE);
	CU_ASSERT_EQUAL(memcmp(existing.b, first.b, 16), 0);
	/* The refused create wrote nothing. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE "
				   "id = UNHEX('%s')", itest_hex(&second)), 0);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events WHERE "
				   "1 = 1"), events_before);
	/* Other types, subjects and owners are independent; no subject never conflicts. */
	CU_ASSERT_EQUAL(create(O("subj-owner"), "sentence", "topic-42", NULL, NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(O("subj-owner"), "problem", "topic-43", NULL, NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(O("subj-other"), "problem", "topic-42", NULL, NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(O("subj-owner"), "problem", NULL, NULL, NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(O("subj-owner"), "problem", NULL, NULL, NULL), STORE_OK);
	/* Once the first is no longer active, the subject is free again. */
	clock_us += 1000;
	CU_ASSERT_EQUAL(store_request_cancel(st, &first, O("subj-owner"), "client:subj-owner",
					     "changed my mind", &out), STORE_OK);
	CU_ASSERT_EQUAL(out.status, GEN_CANCELLED);
	gen_request_release(&out);
	CU_ASSERT_EQUAL(create(O("subj-owner"), "problem", "topic-42", NULL, NULL), STORE_OK);
}

static void test_concurrent_creates_one_subject(void)
{
	/* Eight processes, each with its own connection, race for one subject. */
	enum { RACERS = 8 };
	pid_t pids[RACERS];
	int won = 0, lost = 0, other = 0;

	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		CU_ASSERT_FATAL(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store *mine = store_new(&cfg);
			struct gen_request r;
			struct uuid existing;
			uuid_gen_init(&ids);
			make_request(&r, O("race-owner"), "problem", "hot-topic", 1);
			st = mine;
			int rc = store_request_create(mine, &r, "client:race", NULL, NULL, &existing);
			_exit(rc == STORE_OK ? 0 : rc == STORE_DUPLICATE ? 1 : 2);
		}
	}
	for (int i = 0; i < RACERS; i++) {
		int status;
		waitpid(pids[i], &status, 0);
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
		won += code == 0;
		lost += code == 1;
		other += code > 1;
	}
	CU_ASSERT_EQUAL(won, 1);
	CU_ASSERT_EQUAL(lost, RACERS - 1);
	CU_ASSERT_EQUAL(other, 0);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE "
				   "owner = '%s' AND subject_key = 'hot-topic'", O("race-owner")), 1);
}

struct collected {
	struct uuid ids[64];
	size_t n;
};

static int collect(void *ctx, const struct gen_request *r)
{
	struct collected *c = ctx;
	if (c->n < 64)
		c->ids[c->n++] = r->id;
	return 0;
}

static void test_list_keyset_pages(void)
{
	struct uuid made[25];
	struct collected all = { .n = 0 };
	char owner[OWNER_MAX + 1];
	snprintf(owner, sizeof(owner), "%s", O("list-owner"));
	struct store_list_filter f = { .owner = owner, .limit = 10 };

	for (int i = 0; i < 25; i++)
		CU_ASSERT_EQUAL_FATAL(create(O("list-owner"), i % 2 ? "problem" : "sentence", NULL,
					     &made[i], NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(O("list-intruder"), "problem", NULL, NULL, NULL), STORE_OK);
	/* Page through 10 at a time from the newest, as the API does with cursors. */
	for (int page = 0; page < 4; page++) {
		struct collected one = { .n = 0 };
		CU_ASSERT_EQUAL(store_request_list(st, &f, collect, &one), STORE_OK);
		CU_ASSERT_EQUAL(one.n, page < 2 ? 10u : page == 2 ? 5u : 0u);
		for (size_t i = 0; i < one.n; i++)
			all.ids[all.n++] = one.ids[i];
		if (!one.n)
			break;
		f.has_before = 1;
		f.before = one.ids[one.n - 1];
	}
	CU_ASSERT_EQUAL_FATAL(all.n, 25);
	/* Newest first, each exactly once, none of the intruder's. */
	for (size_t i = 0; i < 25; i++)
		CU_ASSERT_EQUAL(memcmp(all.ids[i].b, made[24 - i].b, 16), 0);

	struct collected typed = { .n = 0 };
	struct store_list_filter ft = { .owner = owner, .entity_type = "problem",
					.limit = 100 };
	CU_ASSERT_EQUAL(store_request_list(st, &ft, collect, &typed), STORE_OK);
	CU_ASSERT_EQUAL(typed.n, 12);

	struct collected pending = { .n = 0 };
	struct store_list_filter fs = { .owner = owner, .has_status = 1,
					.status = GEN_PENDING, .limit = 100 };
	CU_ASSERT_EQUAL(store_request_list(st, &fs, collect, &pending), STORE_OK);
	CU_ASSERT_EQUAL(pending.n, 25);
	struct collected done = { .n = 0 };
	fs.status = GEN_COMPLETED;
	CU_ASSERT_EQUAL(store_request_list(st, &fs, collect, &done), STORE_OK);
	CU_ASSERT_EQUAL(done.n, 0);
}

/* Statements the server has executed so far, every connection's. */
static long executed(void)
{
	return itest_long("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
			  "WHERE VARIABLE_NAME = 'COM_STMT_EXECUTE'");
}

/* The plan of f's list, printed for the log. */
static void plan_of(const char *what, const struct store_list_filter *f, struct store_plan *plan)
{
	CU_ASSERT_EQUAL_FATAL(store_explain_list(st, f, plan), STORE_OK);
	printf("\n  %s: access %s, key %s, ~%ld rows, %s", what, plan->access, plan->key,
	       plan->rows, plan->extra);
}

/*
 * ?subject_key= without entity_type (issue 20): an index from owner and
 * subject, not a walk over all the owner's rows (ix_owner, ~N rows, before
 * sql/006), in the one statement a list always was.
 */
static void test_list_by_subject_uses_its_index(void)
{
	enum { ROWS = 3000 };
	char owner[OWNER_MAX + 1], subject[32], id_tail[16];
	struct store_plan plan;
	snprintf(owner, sizeof(owner), "%s", O("subject-index"));
	/* ids of this run's own: 0190 0000, the row number, then the run's clock */
	snprintf(id_tail, sizeof(id_tail), "%012llx",
		 (unsigned long long)clock_us & 0xffffffffffffULL);
	itest_exec("INSERT INTO generation_requests (id, owner, entity_type, subject_key, status, "
		   "requested_count, requested_at, updated_at, constraints_json, metadata_json) "
		   "SELECT UNHEX(CONCAT('01900000', LPAD(HEX(seq), 8, '0'), '7000', '%s')), '%s', "
		   "ELT(1 + seq %% 3, 'problem', 'sentence', 'blueprint'), CONCAT('topic-', seq), "
		   "ELT(1 + seq %% 2, 'completed', 'failed'), 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), "
		   "'{}', '{}' FROM seq_1_to_%d",
		   id_tail, owner, ROWS);
	itest_exec("ANALYZE TABLE generation_requests");
	mysql_free_result(mysql_store_result(itest_raw));
	snprintf(subject, sizeof(subject), "topic-%d", ROWS / 2);

	struct store_list_filter f = { .owner = owner, .subject_key = subject, .limit = 21 };
	plan_of("subject", &f, &plan);
	CU_ASSERT_STRING_EQUAL(plan.key, "ix_owner_subject_id");
	CU_ASSERT(plan.rows >= 0 && plan.rows <= 10);
	CU_ASSERT_PTR_NULL(strstr(plan.extra, "filesort"));
	struct store_list_filter fs = f;
	fs.has_status = 1;
	fs.status = GEN_COMPLETED;
	plan_of("status and subject", &fs, &plan);
	CU_ASSERT_STRING_EQUAL(plan.key, "ix_owner_subject_id");
	CU_ASSERT(plan.rows >= 0 && plan.rows <= 10);
	struct store_list_filter ft = f;
	ft.entity_type = "problem";
	plan_of("type and subject", &ft, &plan);
	CU_ASSERT(!strcmp(plan.key, "ix_owner_subject_id") || !strcmp(plan.key, "ix_owner_subject"));
	CU_ASSERT(plan.rows >= 0 && plan.rows <= 10);
	CU_ASSERT_PTR_NULL(strstr(plan.extra, "filesort"));
	/* Operators' list by status and type (the dashboard's filter): its index, newest first. */
	struct store_list_filter fo = { .has_status = 1, .status = GEN_COMPLETED,
					.entity_type = "problem", .limit = 50 };
	plan_of("operators, status and type", &fo, &plan);
	CU_ASSERT_STRING_EQUAL(plan.key, "ix_status_type");
	CU_ASSERT_PTR_NULL(strstr(plan.extra, "filesort"));
	printf("\n");

	/* The list finds its one row in one statement. */
	struct collected got = { .n = 0 };
	long before = executed();
	CU_ASSERT_EQUAL(store_request_list(st, &f, collect, &got), STORE_OK);
	CU_ASSERT_EQUAL(executed() - before, 1);
	CU_ASSERT_EQUAL(got.n, 1);
}

/*
 * The bulk retry's batches (issue 14): failed or partial of one type,
 * finished in a window, from ix_status_type_completed (sql/014), oldest
 * finished first without a sort; not a walk over every failed row of the
 * type (ix_status_type), nor the table.
 */
static void test_finished_uses_its_index(void)
{
	enum { ROWS = 3000 };
	char owner[OWNER_MAX + 1], id_tail[16];
	struct store_plan plan;
	snprintf(owner, sizeof(owner), "%s", O("finished-index"));
	snprintf(id_tail, sizeof(id_tail), "%012llx",
		 (unsigned long long)clock_us & 0xffffffffffffULL);
	/* ids of this run's own: 0191 0000, the row number, then the run's clock */
	itest_exec("INSERT INTO generation_requests (id, owner, entity_type, status, "
		   "requested_count, requested_at, completed_at, failure_reason, updated_at, "
		   "constraints_json, metadata_json) "
		   "SELECT UNHEX(CONCAT('01910000', LPAD(HEX(seq), 8, '0'), '7000', '%s')), '%s', "
		   "ELT(1 + seq %% 3, 'fproblem', 'fsentence', 'fblueprint'), "
		   "ELT(1 + seq %% 2, 'partial', 'failed'), 1, UTC_TIMESTAMP(6), "
		   "UTC_TIMESTAMP(6) - INTERVAL seq MINUTE, "
		   "IF(seq %% 2, 'generator_failed', NULL), UTC_TIMESTAMP(6), "
		   "'{}', '{}' FROM seq_1_to_%d",
		   id_tail, owner, ROWS);
	itest_exec("ANALYZE TABLE generation_requests");
	mysql_free_result(mysql_store_result(itest_raw));

	int64_t now = itest_long("SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP(6)) * 1000000");
	struct store_finished_filter f = {
		.status = GEN_FAILED, .entity_type = "fproblem", .failure_reason = "generator_failed",
		.after = now - 30LL * 60 * 1000000, .before = now, .limit = 100,
	};
	CU_ASSERT_EQUAL_FATAL(store_explain_finished(st, &f, &plan), STORE_OK);
	printf("\n  finished: access %s, key %s, ~%ld rows, %s\n", plan.access, plan.key,
	       plan.rows, plan.extra);
	CU_ASSERT_STRING_EQUAL(plan.key, "ix_status_type_completed");
	CU_ASSERT(plan.rows >= 0 && plan.rows <= 50);
	CU_ASSERT_PTR_NULL(strstr(plan.extra, "filesort"));

	/* And the list finds exactly the window's rows of that type and status. */
	unsigned long long n = 0;
	CU_ASSERT_EQUAL(store_finished_count(st, &f, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, (unsigned long long)itest_long(
		"SELECT COUNT(*) FROM generation_requests WHERE owner = '%s' AND status = 'failed' "
		"AND entity_type = 'fproblem' AND failure_reason = 'generator_failed' AND "
		"completed_at >= FROM_UNIXTIME(%lld / 1000000) AND completed_at < FROM_UNIXTIME(%lld / 1000000)",
		owner, (long long)f.after, (long long)f.before));
	CU_ASSERT(n > 0);
}

/*
 * The console's windows (sql/015): each chart statement and the queue
 * table's last hour read a range of an index over the window only, of every
 * type and of one, never the history; and the buckets add up to the
 * window's rows.
 */
static void test_chart_windows_use_their_indexes(void)
{
	/* A year of history, so that a day is a small part of the table as in
	 * production (the other cases' requests are all of now): with a day
	 * a sixth of the table, MariaDB rightly prefers to read it all. */
	enum { ROWS = 200000 };
	static const char *const types[] = { NULL, "cwquiz" };
	char id_tail[16];
	struct store_plan plan;
	snprintf(id_tail, sizeof(id_tail), "%012llx",
		 (unsigned long long)clock_us & 0xffffffffffffULL);
	/* A finish every 150 s back over 347 days, of three types in turn. */
	itest_exec("INSERT INTO generation_requests (id, owner, entity_type, status, "
		   "requested_count, requested_at, started_at, completed_at, updated_at, "
		   "constraints_json, metadata_json) "
		   "SELECT UNHEX(CONCAT('01920000', LPAD(HEX(seq), 8, '0'), '7000', '%s')), '%s', "
		   "ELT(1 + seq %% 3, 'cwproblem', 'cwquiz', 'cwblue'), "
		   "ELT(1 + seq %% 4, 'completed', 'completed', 'partial', 'failed'), 1, "
		   "UTC_TIMESTAMP(6) - INTERVAL (seq * 150 + 60) SECOND, "
		   "UTC_TIMESTAMP(6) - INTERVAL (seq * 150 + seq %% 60) SECOND, "
		   "UTC_TIMESTAMP(6) - INTERVAL (seq * 150) SECOND, UTC_TIMESTAMP(6), "
		   "'{}', '{}' FROM seq_1_to_%d",
		   id_tail, O("chart-windows"), ROWS);
	itest_exec("ANALYZE TABLE generation_requests");
	mysql_free_result(mysql_store_result(itest_raw));

	int64_t now = itest_long("SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP(6)) * 1000000");
	for (int hours = 6; hours <= 24; hours += 18) {
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			struct store_chart_window w = {
				.entity_type = types[t], .bucket_us = (hours == 6 ? 1 : 5) * 60000000LL,
				.n = hours == 6 ? 360 : 288,
			};
			w.start = (now / w.bucket_us + 1) * w.bucket_us - hours * 3600000000LL;
			for (int created = 0; created <= 1; created++) {
				CU_ASSERT_EQUAL_FATAL(store_explain_chart(st, &w, created, &plan), STORE_OK);
				printf("\n  %u h, %s, %s: access %s, key %s, ~%ld rows, %s", (unsigned)hours,
				       types[t] ? types[t] : "every type", created ? "new" : "finished",
				       plan.access, plan.key, plan.rows, plan.extra);
				CU_ASSERT_STRING_EQUAL(plan.access, "range");
				const char *k1 = created ? "ix_requested_window" : "ix_completed_window";
				const char *k2 = created ? "ix_status_type_requested"
						 : "ix_status_type_completed";
				CU_ASSERT(!strcmp(plan.key, k1) || !strcmp(plan.key, k2));
				CU_ASSERT(plan.rows >= 0 && plan.rows < ROWS / 10);
				/* Not "Using index": MariaDB 10.11 explains a prepared statement's
				 * later runs as "Using index condition" though they still read the
				 * index only (ANALYZE's r_engine_stats: the same pages each run). */
				CU_ASSERT_PTR_NULL(strstr(plan.extra, "filesort"));
			}
		}
	}
	CU_ASSERT_EQUAL_FATAL(store_explain_queue_activity(st, now - 3600000000LL, now, &plan),
			      STORE_OK);
	printf("\n  last hour: access %s, key %s, ~%ld rows, %s\n", plan.access, plan.key,
	       plan.rows, plan.extra);
	CU_ASSERT_STRING_EQUAL(plan.access, "range");
	CU_ASSERT_STRING_EQUAL(plan.key, "ix_completed_window");
	CU_ASSERT_PTR_NOT_NULL(strstr(plan.extra, "Using index"));

	/* 24 h of cwquiz by 5 minutes: the buckets hold the window's rows, each in its own. */
	static unsigned long long c[288], p[288], f[288], n[288];
	struct store_chart_counts out = { c, p, f, n };
	struct store_chart_window w = { .entity_type = "cwquiz", .bucket_us = 300000000LL, .n = 288 };
	w.start = (now / w.bucket_us + 1) * w.bucket_us - 24 * 3600000000LL;
	CU_ASSERT_EQUAL_FATAL(store_chart_counts(st, &w, &out), STORE_OK);
	unsigned long long done = 0, fresh = 0, busiest = 0;
	for (unsigned i = 0; i < w.n; i++) {
		done += c[i] + p[i] + f[i];
		fresh += n[i];
		if (c[i] + p[i] + f[i] > busiest)
			busiest = c[i] + p[i] + f[i];
	}
	long end_s = (long)((w.start + 288 * w.bucket_us) / 1000000);
	CU_ASSERT_EQUAL(done, (unsigned long long)itest_long(
		"SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'cwquiz' AND "
		"status IN ('completed', 'partial', 'failed') AND completed_at >= FROM_UNIXTIME(%ld) "
		"AND completed_at < FROM_UNIXTIME(%ld)", end_s - 86400, end_s));
	CU_ASSERT_EQUAL(fresh, (unsigned long long)itest_long(
		"SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'cwquiz' AND "
		"requested_at >= FROM_UNIXTIME(%ld) AND requested_at < FROM_UNIXTIME(%ld)",
		end_s - 86400, end_s));
	CU_ASSERT(done >= 190);        /* a third of a finish every 150 s over 24 h */
	CU_ASSERT_EQUAL(busiest, 1);   /* 7.5 minutes apart: never two in one bucket */
}

/*
 * Subjects are the same only byte for byte (sql/006): under utf8mb4_bin
 * (PAD SPACE) "s1 " equalled "s1", so its create was a conflict and a list
 * of "s1" listed both.
 */
static void test_subject_compared_exactly(void)
{
	struct uuid first, existing;
	const char *owner = O("subject-exact");
	CU_ASSERT_EQUAL_FATAL(create(owner, "problem", "s1", &first, NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(owner, "problem", "s1 ", NULL, NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(owner, "problem", " s1", NULL, NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(owner, "problem", "S1", NULL, NULL), STORE_OK);
	CU_ASSERT_EQUAL(create(owner, "problem", "s1", NULL, &existing), STORE_DUPLICATE);
	CU_ASSERT_EQUAL(memcmp(existing.b, first.b, 16), 0);
	CU_ASSERT_EQUAL(create(owner, "problem", "s1 ", NULL, &existing), STORE_DUPLICATE);

	char own[OWNER_MAX + 1];
	snprintf(own, sizeof(own), "%s", owner);
	struct collected got = { .n = 0 };
	struct store_list_filter f = { .owner = own, .subject_key = "s1", .limit = 100 };
	CU_ASSERT_EQUAL(store_request_list(st, &f, collect, &got), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(got.n, 1);
	CU_ASSERT_EQUAL(memcmp(got.ids[0].b, first.b, 16), 0);
	got.n = 0;
	f.entity_type = "problem";
	CU_ASSERT_EQUAL(store_request_list(st, &f, collect, &got), STORE_OK);
	CU_ASSERT_EQUAL(got.n, 1);
	got.n = 0;
	f.subject_key = "s1 ";
	CU_ASSERT_EQUAL(store_request_list(st, &f, collect, &got), STORE_OK);
	CU_ASSERT_EQUAL(got.n, 1);
}

static void test_cancel(void)
{
	struct uuid id;
	struct gen_request out;
	CU_ASSERT_EQUAL_FATAL(create(O("cancel-owner"), "problem", NULL, &id, NULL), STORE_OK);
	/* Not the owner's: nothing happens. */
	CU_ASSERT_EQUAL(store_request_cancel(st, &id, O("cancel-thief"), "client:cancel-thief", NULL,
					     &out), STORE_NOT_FOUND);
	gen_request_release(&out);
	clock_us += 5000;
	int64_t before, after;
	CU_ASSERT_EQUAL_FATAL(store_now(st, &before), STORE_OK);
	CU_ASSERT_EQUAL(store_request_cancel(st, &id, O("cancel-owner"), "client:cancel-owner",
					     "no longer needed", &out), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(store_now(st, &after), STORE_OK);
	CU_ASSERT_EQUAL(out.status, GEN_CANCELLED);
	/* The store's clock, not the caller's. */
	CU_ASSERT(out.cancelled_at >= before && out.cancelled_at <= after);
	CU_ASSERT_EQUAL(out.version, 2);
	gen_request_release(&out);
	CU_ASSERT_EQUAL(store_request_cancel(st, &id, O("cancel-owner"), "client:cancel-owner", NULL,
					     &out), STORE_CONFLICT);
	CU_ASSERT_EQUAL(out.status, GEN_CANCELLED);
	gen_request_release(&out);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events WHERE "
				   "request_id = UNHEX('%s') AND from_status = 'pending' AND "
				    "to_status = 'cancelled' AND message = 'no longer needed'", itest_hex(&id)), 1);
}

static void test_pending_head(void)
{
	struct uuid made[5], head[28];
	unsigned n = 99;
	char type[ENTITY_TYPE_MAX + 1];
	/* A type of this run only: the queue of earlier runs must not count. */
	snprintf(type, sizeof(type), "rare_%s", run_tag);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL_FATAL(create(O("ahead-owner"), type, NULL, &made[i], NULL), STORE_OK);
	CU_ASSERT_EQUAL(store_pending_head(st, type, 28, head, &n), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(uuid_compare(&head[i], &made[i]), 0);
	CU_ASSERT_EQUAL(store_pending_head(st, type, 2, head, &n), STORE_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(uuid_compare(&head[1], &made[1]), 0);
}

/* The worker side of the poll cases: a request of `owner` (count entities,
 * a type of its own so no other case's row is claimed), claimed. */
static struct store_lease poll_lease;
static char poll_worker[] = "test-store:1";

static void poll_fixture(const char *owner, unsigned count, struct uuid *id)
{
	static unsigned n;
	char type[ENTITY_TYPE_MAX + 1];
	struct gen_request r;
	struct uuid dummy;
	struct store_claimed cl;
	snprintf(type, sizeof(type), "poll_%s_%u", run_tag, n++);
	const char *types[] = { type };
	struct store_claim c = { .worker_id = poll_worker, .actor = "worker:test-store:1",
				 .entity_types = types, .n_types = 1, .lease_seconds = 600 };
	make_request(&r, owner, type, NULL, count);
	CU_ASSERT_EQUAL_FATAL(store_request_create(st, &r, "client:test", NULL, NULL, &dummy),
			      STORE_OK);
	*id = r.id;
	gen_request_release(&r);
	CU_ASSERT_EQUAL_FATAL(store_claim_next(st, &c, &cl), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(uuid_compare(&cl.request.id, id), 0);
	poll_lease = (struct store_lease){ poll_worker, cl.request.attempt };
	store_claimed_release(&cl);
}

/* Records entity `idx` (json, or a failure when NULL) as the worker API
 * does: 1 recorded, 0 a retried index. */
static int record(const struct uuid *id, unsigned idx, const char *json)
{
	struct store_entity e = { idx, json, json ? NULL : "generator exited 1" };
	struct store_entity_result res;
	CU_ASSERT_EQUAL_FATAL(store_entity_record(st, id, &poll_lease, &e, &res), STORE_OK);
	return res.recorded;
}

/* 1 when the row's entity array is what generation_entities says. */
static long row_array_is_record(const struct uuid *id)
{
	return itest_long("SELECT r.entities_json <=> (SELECT CONCAT('[', GROUP_CONCAT(e.entity_json "
			  "ORDER BY e.idx SEPARATOR ','), ']') FROM generation_entities e "
			  "WHERE e.request_id = r.id AND e.status = 'generated') "
			  "FROM generation_requests r WHERE r.id = UNHEX('%s')", itest_hex(id));
}

/* A key of `role` for `owner`, returning its hash. */
static void poll_key(enum auth_role role, const char *owner, unsigned char hash[AUTH_HASH_LEN],
		     long long *id)
{
	char key[AUTH_KEY_LEN + 1];
	auth_key_generate(key);
	auth_key_hash(key, AUTH_KEY_LEN, hash);
	CU_ASSERT_EQUAL_FATAL(store_key_insert(st, hash, "gtk_poll", role, owner, clock_us, id),
			      STORE_OK);
}

static void test_poll_one_statement(void)
{
	unsigned char mine[AUTH_HASH_LEN], theirs[AUTH_HASH_LEN], worker[AUTH_HASH_LEN];
	unsigned char unknown[AUTH_HASH_LEN];
	long long mine_id, other_id;
	struct principal who;
	int64_t polled_at, t0;
	enum store_poll_found found;
	struct gen_request r;
	struct gen_entity_list ents = { 0 };
	struct uuid id;

	poll_key(ROLE_CLIENT, O("poll-owner"), mine, &mine_id);
	poll_key(ROLE_CLIENT, O("poll-other"), theirs, &other_id);
	poll_key(ROLE_WORKER, O("poll-owner"), worker, &other_id);
	memset(unknown, 0x5a, sizeof(unknown));
	/* Entities out of order, one failed, one index twice: the poll sends the
	 * generated ones by index, each once, as the row keeps them. */
	poll_fixture(O("poll-owner"), 3, &id);
	record(&id, 2, "{\"n\":2}");
	record(&id, 0, "{\"n\":0}");
	record(&id, 1, NULL);
	CU_ASSERT_EQUAL(record(&id, 2, "{\"n\":22}"), 0);

	CU_ASSERT_EQUAL_FATAL(store_now(st, &t0), STORE_OK);
	CU_ASSERT_EQUAL(store_poll(st, mine, &id, -1, &who, &found, &r, &ents, &polled_at), STORE_OK);
	CU_ASSERT_EQUAL(found, POLL_REQUEST);
	/* The same statement read the store's clock. */
	CU_ASSERT(polled_at >= t0 && polled_at - t0 < INT64_C(5000000));
	CU_ASSERT_EQUAL(who.role, ROLE_CLIENT);
	CU_ASSERT_EQUAL(who.key_id, mine_id);
	CU_ASSERT_STRING_EQUAL(who.owner, O("poll-owner"));
	CU_ASSERT_EQUAL(uuid_compare(&r.id, &id), 0);
	CU_ASSERT_EQUAL(r.status, GEN_PROCESSING);
	CU_ASSERT_EQUAL(r.generated_count, 2);
	CU_ASSERT_EQUAL(ents.count, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ents.array_json);
	CU_ASSERT_STRING_EQUAL(ents.array_json, "[{\"n\":0},{\"n\":2}]");
	CU_ASSERT_EQUAL(ents.array_len, strlen(ents.array_json));
	CU_ASSERT_EQUAL(row_array_is_record(&id), 1);
	CU_ASSERT_STRING_EQUAL(r.constraints_json, "{\"level\":2}");
	CU_ASSERT_STRING_EQUAL(r.worker_id, "test-store:1");
	/* In index order (the reference worker's way: appended, not rebuilt), a
	 * failure between, then a lower index late, multi-byte text throughout. */
	struct uuid id2;
	struct gen_request r2;
	struct gen_entity_list ents2 = { 0 };
	poll_fixture(O("poll-owner"), 5, &id2);
	record(&id2, 1, "{\"s\":\"é,]\"}");
	CU_ASSERT_EQUAL(row_array_is_record(&id2), 1);
	record(&id2, 2, NULL);
	record(&id2, 3, "{\"s\":\"ü\"}");
	CU_ASSERT_EQUAL(row_array_is_record(&id2), 1);
	record(&id2, 0, "{}");
	record(&id2, 4, "[]");
	CU_ASSERT_EQUAL(row_array_is_record(&id2), 1);
	CU_ASSERT_EQUAL(store_poll(st, mine, &id2, -1, &who, &found, &r2, &ents2, &polled_at),
			STORE_OK);
	CU_ASSERT_STRING_EQUAL(ents2.array_json ? ents2.array_json : "",
			       "[{},{\"s\":\"é,]\"},{\"s\":\"ü\"},[]]");
	gen_entity_list_release(&ents2);
	gen_request_release(&r2);
	uint64_t version = r.version;
	unsigned attempt = r.attempt;
	int64_t started = r.started_at, lease = r.lease_expires_at;
	gen_entity_list_release(&ents);
	gen_request_release(&r);
	/* The poller has this version: the row, without entities to send. */
	CU_ASSERT_EQUAL(store_poll(st, mine, &id, (long long)version, &who, &found, &r, &ents,
				   &polled_at), STORE_OK);
	CU_ASSERT_EQUAL(found, POLL_REQUEST);
	CU_ASSERT_EQUAL(ents.count, 0);
	CU_ASSERT_PTR_NULL(ents.array_json);
	/* ...and of the row what a 304 needs (ETag, timeout check, Retry-After), no texts. */
	CU_ASSERT_EQUAL(r.version, version);
	CU_ASSERT_EQUAL(r.status, GEN_PROCESSING);
	CU_ASSERT_EQUAL(r.attempt, attempt);
	CU_ASSERT_EQUAL(r.started_at, started);
	CU_ASSERT_EQUAL(r.lease_expires_at, lease);
	CU_ASSERT_EQUAL(r.requested_count, 3);
	CU_ASSERT_EQUAL(r.generated_count, 2);
	CU_ASSERT_EQUAL(r.failed_count, 1);
	CU_ASSERT_EQUAL(strncmp(r.entity_type, "poll_", 5), 0);
	CU_ASSERT_PTR_NULL(r.constraints_json);
	CU_ASSERT_PTR_NULL(r.metadata_json);
	CU_ASSERT_PTR_NULL(r.worker_id);
	gen_request_release(&r);
	/* An older version: the entities after all. */
	CU_ASSERT_EQUAL(store_poll(st, mine, &id, (long long)version - 1, &who, &found, &r, &ents,
				   &polled_at), STORE_OK);
	CU_ASSERT_EQUAL(found, POLL_REQUEST);
	CU_ASSERT_EQUAL(r.version, version);
	CU_ASSERT_PTR_NOT_NULL(ents.array_json);
	CU_ASSERT_STRING_EQUAL(ents.array_json ? ents.array_json : "", "[{\"n\":0},{\"n\":2}]");
	CU_ASSERT_STRING_EQUAL(r.constraints_json ? r.constraints_json : "", "{\"level\":2}");
	gen_entity_list_release(&ents);
	gen_request_release(&r);
	/* Another owner's key: a good key, no request (a 404, not a leak). */
	CU_ASSERT_EQUAL(store_poll(st, theirs, &id, -1, &who, &found, &r, &ents, &polled_at), STORE_OK);
	CU_ASSERT_EQUAL(found, POLL_NO_REQUEST);
	CU_ASSERT_STRING_EQUAL(who.owner, O("poll-other"));
	CU_ASSERT_EQUAL(ents.count, 0);
	CU_ASSERT_PTR_NULL(ents.array_json);
	/* A worker key of the same owner is reported as such (the caller says 403). */
	CU_ASSERT_EQUAL(store_poll(st, worker, &id, -1, &who, &found, &r, &ents, &polled_at), STORE_OK);
	CU_ASSERT_EQUAL(who.role, ROLE_WORKER);
	gen_request_release(&r);
	gen_entity_list_release(&ents);
	/* Unknown and revoked keys find nothing at all. */
	CU_ASSERT_EQUAL(store_poll(st, unknown, &id, -1, &who, &found, &r, &ents, &polled_at), STORE_OK);
	CU_ASSERT_EQUAL(found, POLL_NO_KEY);
	CU_ASSERT_EQUAL(store_key_revoke(st, mine_id, clock_us), STORE_OK);
	CU_ASSERT_EQUAL(store_poll(st, mine, &id, -1, &who, &found, &r, &ents, &polled_at), STORE_OK);
	CU_ASSERT_EQUAL(found, POLL_NO_KEY);
	CU_ASSERT_EQUAL(ents.count, 0);
}

/*
 * Past ENTITIES_ROW_MAX the row keeps no array (NULL, for good) and the
 * poll reads the record instead: the same entities, by index. The second
 * entity takes the array past the cap; GROUP_CONCAT never runs past it (a
 * cut would be an error in strict mode, and the record would fail).
 */
static void test_poll_entities_past_cap(void)
{
	unsigned char key[AUTH_HASH_LEN];
	long long key_id;
	struct principal who;
	int64_t polled_at;
	enum store_poll_found found;
	struct gen_request r;
	struct gen_entity_list ents = { 0 };
	struct uuid id;
	size_t half = ENTITIES_ROW_MAX / 2 + 16;
	char *big = malloc(half + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	poll_key(ROLE_CLIENT, O("poll-cap"), key, &key_id);
	poll_fixture(O("poll-cap"), 3, &id);
	/* {"s":"xxx..."}: one entity under the cap, two over it. */
	memset(big, 'x', half);
	memcpy(big, "{\"s\":\"", 6);
	memcpy(big + half - 2, "\"}", 2);
	big[half] = '\0';
	CU_ASSERT_EQUAL(record(&id, 2, big), 1);
	CU_ASSERT_EQUAL(row_array_is_record(&id), 1);
	big[7] = 'y';
	CU_ASSERT_EQUAL(record(&id, 0, big), 1);
	CU_ASSERT_EQUAL(itest_long("SELECT entities_json IS NULL FROM generation_requests "
				   "WHERE id = UNHEX('%s')", itest_hex(&id)), 1);
	/* Small ones after it: still NULL (the array is never partial). */
	CU_ASSERT_EQUAL(record(&id, 1, "{}"), 1);
	CU_ASSERT_EQUAL(itest_long("SELECT entities_json IS NULL FROM generation_requests "
				   "WHERE id = UNHEX('%s')", itest_hex(&id)), 1);
	CU_ASSERT_EQUAL(store_poll(st, key, &id, -1, &who, &found, &r, &ents, &polled_at), STORE_OK);
	CU_ASSERT_EQUAL(found, POLL_REQUEST);
	CU_ASSERT_EQUAL(r.generated_count, 3);
	CU_ASSERT_PTR_NULL(ents.array_json);
	CU_ASSERT_EQUAL_FATAL(ents.count, 3);
	CU_ASSERT_EQUAL(ents.items[0].idx, 0);
	CU_ASSERT_EQUAL(ents.items[0].json[7], 'y');
	CU_ASSERT_EQUAL(ents.items[1].idx, 1);
	CU_ASSERT_STRING_EQUAL(ents.items[1].json, "{}");
	CU_ASSERT_EQUAL(ents.items[2].idx, 2);
	CU_ASSERT_EQUAL(ents.items[2].json_len, half);
	gen_entity_list_release(&ents);
	gen_request_release(&r);
	free(big);
}

static void test_idempotency(void)
{
	char owner[OWNER_MAX + 1];
	snprintf(owner, sizeof(owner), "%s", O("idem-owner"));
	struct store_idem idem = { .owner = owner, .key = "key-1", .key_len = 5 };
	struct store_idem other = idem;
	struct store_idem_result res;
	struct gen_request r;
	struct uuid existing;

	memset(idem.body_hash, 0xab, 32);
	memset(other.body_hash, 0xcd, 32);
	CU_ASSERT_EQUAL(store_idem_begin(st, &idem, clock_us, 86400, 60, &res), STORE_OK);
	CU_ASSERT_EQUAL(res.state, IDEM_NEW);
	CU_ASSERT_EQUAL(store_idem_begin(st, &idem, clock_us, 86400, 60, &res), STORE_OK);
	CU_ASSERT_EQUAL(res.state, IDEM_IN_PROGRESS);
	CU_ASSERT_EQUAL(store_idem_begin(st, &other, clock_us, 86400, 60, &res), STORE_OK);
	CU_ASSERT_EQUAL(res.state, IDEM_MISMATCH);

	make_request(&r, owner, "problem", NULL, 1);
	CU_ASSERT_EQUAL_FATAL(store_request_create(st, &r, "client:idem-owner", &idem,
						   "{\"first\":true}", &existing), STORE_OK);
	CU_ASSERT_EQUAL(store_idem_begin(st, &idem, clock_us, 86400, 60, &res), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(res.state, IDEM_REPLAY);
	CU_ASSERT_EQUAL(res.response_status, 202);
	CU_ASSERT_STRING_EQUAL(res.response_body, "{\"first\":true}");
	CU_ASSERT_EQUAL(memcmp(res.request_id.b, r.id.b, 16), 0);
	free(res.response_body);
	/* A day later the key is forgotten and may be used again. */
	CU_ASSERT_EQUAL(store_idem_begin(st, &other, clock_us + INT64_C(86401) * 1000000, 86400,
					 60, &res), STORE_OK);
	CU_ASSERT_EQUAL(res.state, IDEM_NEW);
	gen_request_release(&r);

	/* A claimed key whose request was refused is released. */
	struct store_idem gone = { .owner = owner, .key = "key-2", .key_len = 5 };
	CU_ASSERT_EQUAL(store_idem_begin(st, &gone, clock_us, 86400, 60, &res), STORE_OK);
	CU_ASSERT_EQUAL(store_idem_abandon(st, &gone), STORE_OK);
	CU_ASSERT_EQUAL(store_idem_begin(st, &gone, clock_us, 86400, 60, &res), STORE_OK);
	CU_ASSERT_EQUAL(res.state, IDEM_NEW);
	/* One left 'processing' by a crashed handler is taken over after `stuck`. */
	CU_ASSERT_EQUAL(store_idem_begin(st, &gone, clock_us + INT64_C(61) * 1000000, 86400, 60,
					 &res), STORE_OK);
	CU_ASSERT_EQUAL(res.state, IDEM_NEW);
}

static void test_reconnects_after_connection_killed(void)
{
	/* Kill every connection of the service user but the plain one: what a
	 * server restart or wait_timeout does to a FastCGI child. */
	struct gen_request out;
	struct uuid id;
	CU_ASSERT_EQUAL_FATAL(create(O("reconnect-owner"), "problem", NULL, &id, NULL), STORE_OK);
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SELECT id FROM information_schema.processlist WHERE user = '%s' AND id <> CONNECTION_ID()",
		 cfg.store_user);
	CU_ASSERT_FATAL(mysql_query(itest_raw, sql) == 0);
	MYSQL_RES *res = mysql_store_result(itest_raw);
	MYSQL_ROW row;
	int killed = 0;
	while ((row = mysql_fetch_row(res))) {
		snprintf(sql, sizeof(sql), "KILL CONNECTION %s", row[0]);
		killed += mysql_query(itest_raw, sql) == 0;
	}
	mysql_free_result(res);
	CU_ASSERT(killed >= 1);
	/* The next read notices, reconnects, re-prepares and answers. */
	CU_ASSERT_EQUAL(store_request_get(st, &id, O("reconnect-owner"), &out), STORE_OK);
	gen_request_release(&out);
	CU_ASSERT_EQUAL(store_ping(st), STORE_OK);
}

static int conflict_sum(void *ctx, const char *operation, unsigned long long n)
{
	if (!strcmp(operation, "cancel"))
		*(unsigned long long *)ctx += n;
	return 0;
}

static unsigned long long cancel_conflicts(void)
{
	unsigned long long n = 0;
	CU_ASSERT_EQUAL(store_metric_conflicts(st, conflict_sum, &n), STORE_OK);
	return n;
}

/*
 * A transaction that meets a lock wait timeout (1205, after the session's
 * 5 s) runs once more, no more, and then answers UNAVAILABLE having written
 * nothing; each run that lost counts in gentrack_conflicts_total. About 10 s.
 */
static void test_lock_wait_retried_once(void)
{
	struct uuid id;
	struct gen_request out;
	CU_ASSERT_EQUAL_FATAL(create(O("lockwait"), "problem", NULL, &id, NULL), STORE_OK);
	unsigned long long before = cancel_conflicts();

	itest_exec("BEGIN");
	itest_exec("SELECT id FROM generation_requests WHERE id = UNHEX('%s') FOR UPDATE",
		   itest_hex(&id));
	mysql_free_result(mysql_store_result(itest_raw));
	int64_t t0 = time_now_us();
	CU_ASSERT_EQUAL(store_request_cancel(st, &id, O("lockwait"), "client:test", "gone", &out),
			STORE_UNAVAILABLE);
	int64_t waited_s = (time_now_us() - t0) / US_PER_S;
	itest_exec("ROLLBACK");
	CU_ASSERT(waited_s >= 9 && waited_s < 15);
	CU_ASSERT_EQUAL(cancel_conflicts() - before, 2);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_events WHERE request_id = "
				   "UNHEX('%s') AND to_status = 'cancelled'", itest_hex(&id)), 0);

	/* The lock gone, the same cancel goes through. */
	CU_ASSERT_EQUAL(store_request_cancel(st, &id, O("lockwait"), "client:test", "gone", &out),
			STORE_OK);
	CU_ASSERT_EQUAL(out.status, GEN_CANCELLED);
	gen_request_release(&out);
}

/*
 * A transaction the server still holds open on the store's connection, which
 * the engine thinks ended (a COMMIT that failed without ending it, as
 * Galera's 1180 out of the primary component does, or a ROLLBACK that
 * failed), is rolled back by the next transaction, never committed by its
 * START TRANSACTION. A migration "script" opens one here.
 */
static void test_open_transaction_never_committed(void)
{
	struct uuid id, gone;
	struct gen_request out;
	char sql[256];
	CU_ASSERT_EQUAL_FATAL(create(O("leftover"), "problem", NULL, &id, NULL), STORE_OK);
	snprintf(sql, sizeof(sql),
		 "START TRANSACTION; UPDATE generation_requests SET updated_at = '2001-01-01' "
		 "WHERE id = UNHEX('%s')", itest_hex(&id));
	unsigned version = 900000 + (unsigned)(time_now_us() % 99999);
	CU_ASSERT_EQUAL_FATAL(store_migration_apply(st, version, "leftover", sql, clock_us),
			      STORE_OK);

	/* The next transaction, one that fails: nothing of the first may stay. */
	CU_ASSERT_EQUAL_FATAL(uuid_v7_next(&ids, clock_us / 1000, &gone), 0);
	CU_ASSERT_EQUAL(store_request_cancel(st, &gone, O("leftover"), "client:test", "x", &out),
			STORE_NOT_FOUND);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM generation_requests WHERE id = "
				   "UNHEX('%s') AND updated_at = '2001-01-01'", itest_hex(&id)), 0);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM schema_migrations WHERE version = %u",
				   version), 0);
}

static void test_unreachable_store(void)
{
	struct config bad;
	char err[256];
	CU_ASSERT_FATAL(config_init(&bad) == 0);
	CU_ASSERT_FATAL(config_load_string(&bad, "test",
					   "[store]\nsocket = /nonexistent/mysql.sock\n"
					   "connect_timeout = 1\n", err, sizeof(err)) == 0);
	struct store *s = store_new(&bad);
	struct gen_request out;
	struct uuid id = { { 0 } };
	CU_ASSERT_EQUAL(store_request_get(s, &id, NULL, &out), STORE_UNAVAILABLE);
	CU_ASSERT_EQUAL(store_ping(s), STORE_UNAVAILABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_last_error(s), "/nonexistent/mysql.sock"));
	store_free(s);
	config_release(&bad);
}

/* The store's log lines, for the failover test: which nodes it tried. */
static char failover_log[4096];

static void failover_capture(enum log_level level, const char *line)
{
	size_t n = strlen(failover_log);
	(void)level;
	snprintf(failover_log + n, sizeof(failover_log) - n, "%s\n", line);
}

static void set_host(struct config *c, unsigned i, const char *name, int port)
{
	snprintf(c->store_hosts[i].name, sizeof(c->store_hosts[i].name), "%s", name);
	c->store_hosts[i].port = port;
}

/*
 * [store] hosts: a dead node first, the real server second; then, its
 * connection lost, the store goes on to the next node (dead too) and the one
 * after it (the real server again, by another name). Port 1 on loopback
 * refuses at once.
 */
static void test_store_hosts_failover(void)
{
	const char *port_env = getenv("MYSQL_PORT");
	int port = port_env ? atoi(port_env) : 0;
	if (port <= 0) {
		CU_PASS("no MYSQL_PORT: the stack's TCP port is not known");
		return;
	}
	/* A copy that shares cfg's strings: never released. */
	struct config c = cfg;
	set_host(&c, 0, "127.0.0.1", 1);
	set_host(&c, 1, "127.0.0.1", port);
	set_host(&c, 2, "127.0.0.1", 1);
	set_host(&c, 3, "localhost", port);
	c.store_n_hosts = 4;
	c.store_connect_timeout = 2;
	struct store *s = store_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	failover_log[0] = '\0';
	log_set_sink(failover_capture);
	CU_ASSERT_EQUAL(store_ping(s), STORE_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(failover_log, "127.0.0.1:1:"));

	/* Its node "lost": the other TCP connections of the service user killed,
	 * from one of the same account (an account sees only its own). */
	failover_log[0] = '\0';
	MYSQL *tcp = mysql_init(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tcp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mysql_real_connect(tcp, "127.0.0.1", cfg.store_user,
							cfg.store_password, cfg.store_database,
							(unsigned)port, NULL, 0));
	CU_ASSERT_EQUAL_FATAL(mysql_query(tcp, "SELECT ID FROM information_schema.PROCESSLIST "
					  "WHERE HOST LIKE '127.0.0.1:%' AND ID <> CONNECTION_ID()"), 0);
	MYSQL_RES *res = mysql_store_result(tcp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	char kill[64];
	unsigned long long killed = 0;
	for (MYSQL_ROW row; (row = mysql_fetch_row(res));) {
		snprintf(kill, sizeof(kill), "KILL CONNECTION %s", row[0]);
		killed += mysql_query(tcp, kill) == 0;
	}
	mysql_free_result(res);
	mysql_close(tcp);
	CU_ASSERT(killed >= 1);

	/* A read meets the dead connection, reconnects past the next (dead) node. */
	struct gen_request out;
	struct uuid id = { { 0 } };
	CU_ASSERT_EQUAL(store_request_get(s, &id, NULL, &out), STORE_NOT_FOUND);
	log_set_sink(NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(failover_log, "store connection lost"));
	CU_ASSERT_PTR_NOT_NULL(strstr(failover_log, "127.0.0.1:1:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(failover_log, "store reachable again at localhost"));
	CU_ASSERT_EQUAL(store_ping(s), STORE_OK);
	store_free(s);

	/* Every node dead: unavailable, the last one tried named. */
	set_host(&c, 1, "127.0.0.1", 2);
	c.store_n_hosts = 2;
	s = store_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	log_set_sink(failover_capture);
	CU_ASSERT_EQUAL(store_ping(s), STORE_UNAVAILABLE);
	log_set_sink(NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_last_error(s), "127.0.0.1:2:"));
	store_free(s);
}

/* A session id's hash, as web/admin_session.c makes it: random here. */
static void session_hash(unsigned char hash[ADMIN_SESSION_HASH_LEN])
{
	randombytes_buf(hash, ADMIN_SESSION_HASH_LEN);
}

/* The expiry store_admin_session_get reads for (hash, name); the clock into *now. */
static int64_t session_expiry(const unsigned char *hash, const char *name, int64_t *now)
{
	int64_t t = TIME_NONE, expires = 42;
	CU_ASSERT_EQUAL(store_admin_session_get(st, hash, name, &t, &expires), STORE_OK);
	CU_ASSERT(t != TIME_NONE);
	if (now)
		*now = t;
	return expires;
}

/*
 * Admin page sessions: one admin's, until they expire or end; each opening
 * keeps only the newest few; deleting the account deletes them.
 */
static void test_admin_sessions(void)
{
	const char *alice = O("sess-alice"), *bob = O("sess-bob");
	unsigned char h1[ADMIN_SESSION_HASH_LEN], h2[ADMIN_SESSION_HASH_LEN];
	unsigned char many[6][ADMIN_SESSION_HASH_LEN];
	int64_t now;

	CU_ASSERT_EQUAL_FATAL(store_admin_user_set(st, alice, "$argon2id$x", clock_us), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(store_admin_user_set(st, bob, "$argon2id$y", clock_us), STORE_OK);
	session_hash(h1);
	session_hash(h2);
	CU_ASSERT_EQUAL(session_expiry(h1, alice, &now), TIME_NONE);
	CU_ASSERT_EQUAL(store_admin_session_open(st, h1, alice, now, now + 3600 * US_PER_S, 4),
			STORE_OK);
	CU_ASSERT_EQUAL(session_expiry(h1, alice, NULL), now + 3600 * US_PER_S);
	CU_ASSERT_EQUAL(session_expiry(h1, bob, NULL), TIME_NONE);      /* not bob's */
	/* One that has expired by the store's clock is no session. */
	CU_ASSERT_EQUAL(store_admin_session_open(st, h2, alice, now - 2 * US_PER_S,
						 now - US_PER_S, 4), STORE_OK);
	CU_ASSERT_EQUAL(session_expiry(h2, alice, NULL), TIME_NONE);
	/* Only the hash is kept, under the admin's name. */
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM admin_sessions WHERE admin_name = '%s'",
				   alice), 2);
	CU_ASSERT_EQUAL(store_admin_session_end(st, h1), STORE_OK);
	CU_ASSERT_EQUAL(session_expiry(h1, alice, NULL), TIME_NONE);
	CU_ASSERT_EQUAL(store_admin_session_end(st, h1), STORE_OK);     /* ending twice is fine */

	/* Six openings keeping 4: the expired one and the two oldest go. */
	for (int i = 0; i < 6; i++) {
		session_hash(many[i]);
		CU_ASSERT_EQUAL(store_admin_session_open(st, many[i], alice, now + i,
							 now + 3600 * US_PER_S, 4), STORE_OK);
	}
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM admin_sessions WHERE admin_name = '%s'",
				   alice), 4);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(session_expiry(many[i], alice, NULL) != TIME_NONE, i >= 2);
	/* Bob's openings leave alice's alone. */
	CU_ASSERT_EQUAL(store_admin_session_open(st, h1, bob, now, now + US_PER_S * 60, 1),
			STORE_OK);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM admin_sessions WHERE admin_name = '%s'",
				   alice), 4);
	CU_ASSERT_EQUAL(store_admin_user_delete(st, alice), STORE_OK);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM admin_sessions WHERE admin_name = '%s'",
				   alice), 0);
	CU_ASSERT_EQUAL(session_expiry(h1, bob, NULL), now + US_PER_S * 60);
}

/* Where id is among the due rows (its failed_at into *at), or -1. */
static int due_at(const struct uuid *id, int64_t *at)
{
	struct store_republish due[64];
	unsigned n = 0;
	CU_ASSERT_EQUAL_FATAL(store_republish_due(st, due, 64, &n), STORE_OK);
	for (unsigned i = 1; i < n; i++)
		CU_ASSERT(due[i - 1].failed_at <= due[i].failed_at);
	for (unsigned i = 0; i < n; i++)
		if (!memcmp(due[i].id.b, id->b, 16)) {
			*at = due[i].failed_at;
			return (int)i;
		}
	return -1;
}

static void test_republish_queue(void)
{
	struct uuid a, b, gone;
	int64_t at_a, at_a2, at_b, at_gone;
	CU_ASSERT_EQUAL_FATAL(create(O("republish-owner"), "problem", NULL, &a, NULL), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(create(O("republish-owner"), "problem", NULL, &b, NULL), STORE_OK);
	clock_us += 1000;
	CU_ASSERT_FATAL(uuid_v7_next(&ids, clock_us / 1000, &gone) == 0);

	CU_ASSERT_EQUAL(store_republish_mark(st, &a), STORE_OK);
	CU_ASSERT_EQUAL(store_republish_mark(st, &b), STORE_OK);
	CU_ASSERT_EQUAL(store_republish_mark(st, &gone), STORE_OK);
	int ia = due_at(&a, &at_a), ib = due_at(&b, &at_b);
	CU_ASSERT_FATAL(ia >= 0 && ib >= 0);
	/* The oldest loss first. */
	CU_ASSERT(ia < ib);
	unsigned long long pending = 0;
	CU_ASSERT_EQUAL(store_republish_pending(st, &pending), STORE_OK);
	CU_ASSERT(pending >= 3);

	/* A loss recorded after the repair read the row keeps it: one row, a
	 * later failed_at, and the repair's delete fenced on the old one misses. */
	CU_ASSERT_EQUAL(store_republish_mark(st, &a), STORE_OK);
	CU_ASSERT_EQUAL(itest_long("SELECT COUNT(*) FROM live_republish WHERE request_id = UNHEX('%s')",
				   itest_hex(&a)), 1);
	CU_ASSERT_FATAL(due_at(&a, &at_a2) >= 0);
	CU_ASSERT(at_a2 > at_a);
	CU_ASSERT_EQUAL(store_republish_done(st, &a, at_a, 1), 0);
	/* A change committed since the state the repair published keeps it too. */
	CU_ASSERT_EQUAL(store_republish_done(st, &a, at_a2, 2), 0);
	CU_ASSERT_EQUAL(store_republish_done(st, &a, at_a2, 1), 1);
	CU_ASSERT(due_at(&a, &at_a) < 0);

	/* A request that exists is not "gone"; one that was pruned is. */
	CU_ASSERT_EQUAL(store_republish_gone(st, &b, at_b), 0);
	CU_ASSERT_EQUAL(store_republish_done(st, &b, at_b, 1), 1);
	CU_ASSERT_FATAL(due_at(&gone, &at_gone) >= 0);
	CU_ASSERT_EQUAL(store_republish_done(st, &gone, at_gone, 1), 0);
	CU_ASSERT_EQUAL(store_republish_gone(st, &gone, at_gone), 1);
	CU_ASSERT(due_at(&gone, &at_gone) < 0);
}

/* store_live_ended from `after` (settled settle_s ago): where id is among
 * the first 64 rows, or -1. */
static int ended_pos(const struct store_live_end *after, int settle_s, const struct uuid *id,
		     struct store_live_end *row)
{
	struct store_live_end out[64];
	unsigned n = 0;
	CU_ASSERT_EQUAL_FATAL(store_live_ended(st, after, settle_s * US_PER_S, out, 64, &n),
			      STORE_OK);
	for (unsigned i = 1; i < n; i++)
		CU_ASSERT(out[i - 1].ended_at <= out[i].ended_at);
	for (unsigned i = 0; i < n; i++)
		if (!memcmp(out[i].id.b, id->b, 16)) {
			if (row)
				*row = out[i];
			return (int)i;
		}
	return -1;
}

static void test_live_ended(void)
{
	struct uuid a, b, c, d, e;
	CU_ASSERT_EQUAL_FATAL(create(O("ended-owner"), "problem", NULL, &a, NULL), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(create(O("ended-owner"), "problem", NULL, &b, NULL), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(create(O("ended-owner"), "problem", NULL, &c, NULL), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(create(O("ended-owner"), "problem", NULL, &d, NULL), STORE_OK);
	CU_ASSERT_EQUAL_FATAL(create(O("ended-owner"), "problem", NULL, &e, NULL), STORE_OK);
	/* Finished long ago, at times no other case writes (2001): a and e at
	 * the same microsecond, b later; d still pending in between. */
	itest_exec("UPDATE generation_requests SET status = 'completed', "
		   "updated_at = '2001-01-01 00:00:01' WHERE id = UNHEX('%s')", itest_hex(&a));
	itest_exec("UPDATE generation_requests SET status = 'failed', "
		   "updated_at = '2001-01-01 00:00:01' WHERE id = UNHEX('%s')", itest_hex(&e));
	itest_exec("UPDATE generation_requests SET status = 'cancelled', "
		   "updated_at = '2001-01-01 00:00:03' WHERE id = UNHEX('%s')", itest_hex(&b));
	itest_exec("UPDATE generation_requests SET updated_at = '2001-01-01 00:00:02' "
		   "WHERE id = UNHEX('%s')", itest_hex(&d));
	/* c finished half an hour ago (a loaded machine takes seconds between
	 * two statements: no settle of seconds can be tested here). */
	itest_exec("UPDATE generation_requests SET status = 'partial', "
		   "updated_at = UTC_TIMESTAMP(6) - INTERVAL 30 MINUTE WHERE id = UNHEX('%s')",
		   itest_hex(&c));

	const int64_t y2001 = INT64_C(978307200) * US_PER_S;
	struct store_live_end start = { .ended_at = y2001 }, row;
	int ia = ended_pos(&start, 3, &a, &row), ie = ended_pos(&start, 3, &e, NULL);
	int ib = ended_pos(&start, 3, &b, NULL);
	CU_ASSERT_FATAL(ia >= 0 && ie >= 0 && ib >= 0);
	CU_ASSERT_EQUAL(row.ended_at, y2001 + US_PER_S);
	/* Oldest first, the same time in id order; a pending one is not ended. */
	CU_ASSERT(ib > ia && ib > ie);
	CU_ASSERT_EQUAL(ia < ie, memcmp(a.b, e.b, 16) < 0);
	CU_ASSERT_EQUAL(ended_pos(&start, 3, &d, NULL), -1);
	/* The cursor: after the first of the two at the same time, the other
	 * and b; after b, neither. */
	struct store_live_end after = ia < ie ? (struct store_live_end){ a, y2001 + US_PER_S }
					      : (struct store_live_end){ e, y2001 + US_PER_S };
	CU_ASSERT_EQUAL(ended_pos(&after, 3, ia < ie ? &a : &e, NULL), -1);
	CU_ASSERT_EQUAL(ended_pos(&after, 3, ia < ie ? &e : &a, NULL), 0);
	CU_ASSERT(ended_pos(&after, 3, &b, NULL) > 0);
	after.ended_at = y2001 + 3 * US_PER_S;
	after.id = b;
	CU_ASSERT_EQUAL(ended_pos(&after, 3, &b, NULL), -1);

	/* A final state not yet settled waits; once old enough, it is there. */
	struct gen_request r;
	gen_request_init(&r);
	CU_ASSERT_EQUAL_FATAL(store_request_get(st, &c, NULL, &r), STORE_OK);
	struct store_live_end recent = { .ended_at = r.updated_at - 1 };
	gen_request_release(&r);
	CU_ASSERT_EQUAL(ended_pos(&recent, 3600, &c, NULL), -1);
	CU_ASSERT_EQUAL(ended_pos(&recent, 60, &c, NULL), 0);
	/* One waiting for the repair is the repair's to end. */
	CU_ASSERT_EQUAL(store_republish_mark(st, &c), STORE_OK);
	CU_ASSERT_EQUAL(ended_pos(&recent, 60, &c, NULL), -1);
}

static const struct unit_case cases[] = {
	{ "api keys: insert, lookup by hash, revoke", test_keys },
	{ "create, get by owner, entities, audit event", test_create_get_entities },
	{ "texts longer than the column buffer", test_large_text_round_trip },
	{ "one active request per owner, type and subject", test_one_active_per_subject },
	{ "8 concurrent creates of one subject: exactly one wins", test_concurrent_creates_one_subject },
	{ "list: keyset pages, filters, owner isolation", test_list_keyset_pages },
	{ "list by subject alone: its own index, one statement (EXPLAIN)",
	  test_list_by_subject_uses_its_index },
	{ "bulk retry's finished requests: their own index (EXPLAIN)",
	  test_finished_uses_its_index },
	{ "the console's chart windows: ranges of their indexes (EXPLAIN), exact buckets",
	  test_chart_windows_use_their_indexes },
	{ "subjects are the same only byte for byte", test_subject_compared_exactly },
	{ "cancel: owner only, once, with its event", test_cancel },
	{ "the head of a type's queue, capped", test_pending_head },
	{ "a poll: key, request and entities in one statement", test_poll_one_statement },
	{ "a poll past the row's entity cap reads the record", test_poll_entities_past_cap },
	{ "idempotency keys: new, in progress, mismatch, replay, expiry", test_idempotency },
	{ "admin page sessions: one admin's, expiry, end, the newest kept, cascade",
	  test_admin_sessions },
	{ "live updates' repair queue: oldest first, fenced on failed_at and version, gone",
	  test_republish_queue },
	{ "live streams to end: final states settled, oldest first, after a cursor",
	  test_live_ended },
	{ "reconnects after its connection was killed", test_reconnects_after_connection_killed },
	{ "a lock wait timeout: run once more, counted, nothing written", test_lock_wait_retried_once },
	{ "a transaction left open is rolled back, never committed by the next",
	  test_open_transaction_never_committed },
	{ "an unreachable store is STORE_UNAVAILABLE", test_unreachable_store },
	{ "[store] hosts: the first that answers, the next when lost", test_store_hosts_failover },
	{ NULL, NULL },
};

int main(void)
{
	setup();
	int rc = unit_run("store", cases);
	itest_close(&cfg, st);
	return rc;
}
