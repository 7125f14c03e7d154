/*
 * Creates that must happen once however many hosts take them at the same
 * time, for tests/integration/galera.sh:
 *
 *   test_galera_once CONF_A CONF_B N TAG
 *
 * Twice N processes, half on CONF_A and half on CONF_B (their first nodes
 * differ), released together from a barrier:
 *   1. the first N create a request of one owner, type and subject_key
 *      (owner "subject-TAG"), as the create handler does;
 *   2. the next N send one Idempotency-Key and body (owner "idem-TAG")
 *      through the handler's steps: store_idem_begin, then the create that
 *      records its replay, or the abandon of a refused one.
 *   3. with owner "limit-TAG" at its own pending limit of 10 with 5
 *      pending (set first, through CONF_A), the N create one request each:
 *      exactly 5 pass, the others are refused at the limit (429).
 * Prints what each round answered, as HTTP statuses: "202=1 409=15 503=0".
 * The script counts the rows. Exit 0 when rounds 1 and 2 created exactly
 * one and nothing failed otherwise than a 409 or a 503, and round 3 exactly
 * 5 with the others 429; else 1; 99 when the set-up failed.
 */
#include "build_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/uuid.h"
#include "model/auth.h"
#include "store/store.h"
#include "galera_test.h"

#define MAX_N 32

/* What a child answered, as its exit status. */
enum answer { A_202, A_409, A_429, A_503, A_REPLAY, A_ERROR, N_ANSWERS };
static const char *const answer_names[] = { "202", "409", "429", "503", "replay", "error" };

static enum answer of_rc(int rc)
{
	return rc == STORE_OK ? A_202 : rc == STORE_DUPLICATE ? A_409
	       : rc == STORE_LIMIT ? A_429 : rc == STORE_UNAVAILABLE ? A_503 : A_ERROR;
}

/* Round 1: one subject, created by many at once. */
static enum answer create_subject(struct store *s, const char *tag)
{
	char owner[64];
	struct gen_request r;
	struct uuid existing;
	snprintf(owner, sizeof(owner), "subject-%s", tag);
	struct uuid_gen gen;
	uuid_gen_init(&gen);
	pending_request(&gen, owner, "once", "topic-42", &r);
	int rc = store_request_create(s, &r, "client:once", NULL, NULL, &existing);
	gen_request_release(&r);
	return of_rc(rc);
}

/* Round 2: one Idempotency-Key and body, sent by many at once. */
static enum answer create_idempotent(struct store *s, const char *tag)
{
	char owner[64];
	struct store_idem idem = { owner, "key-1", 5, { 0 } };
	struct store_idem_result res;
	struct gen_request r;
	struct uuid existing;
	snprintf(owner, sizeof(owner), "idem-%s", tag);
	memset(idem.body_hash, 0x42, sizeof(idem.body_hash));
	int rc = store_idem_begin(s, &idem, time_now_us(), 86400, 60, &res);
	if (rc)
		return of_rc(rc);
	if (res.state == IDEM_REPLAY) {
		free(res.response_body);
		return A_REPLAY;
	}
	if (res.state != IDEM_NEW)
		return res.state == IDEM_IN_PROGRESS ? A_409 : A_ERROR;
	struct uuid_gen gen;
	uuid_gen_init(&gen);
	pending_request(&gen, owner, "once", NULL, &r);
	rc = store_request_create(s, &r, "client:once", &idem, "{\"replay\":true}", &existing);
	gen_request_release(&r);
	if (rc && store_idem_abandon(s, &idem))
		return A_ERROR;
	return of_rc(rc);
}

/* Round 3: one owner at its pending limit, created for by many at once. */
#define LIMIT_MAX 10
#define LIMIT_PENDING 5

static enum answer create_limited(struct store *s, const char *tag)
{
	char owner[64];
	struct gen_request r;
	struct uuid existing;
	struct uuid_gen gen;
	snprintf(owner, sizeof(owner), "limit-%s", tag);
	uuid_gen_init(&gen);
	pending_request(&gen, owner, "once", NULL, &r);
	int rc = store_request_create(s, &r, "client:once", NULL, NULL, &existing);
	gen_request_release(&r);
	return of_rc(rc);
}

/* Round 3's owner: its own limit, and LIMIT_PENDING pending, through conf. */
static void limited_owner(const char *conf, const char *tag)
{
	char err[512], owner[64];
	struct config cfg;
	struct uuid_gen gen;
	snprintf(owner, sizeof(owner), "limit-%s", tag);
	if (config_init(&cfg) < 0 || config_load_file(&cfg, conf, err, sizeof(err)) < 0)
		fatal("config", err);
	struct store *s = store_new(&cfg);
	if (!s || store_connect(s))
		fatal("connect", s ? store_last_error(s) : "out of memory");
	if (store_owner_limit_set(s, owner, STORE_LIMIT_VALUE, LIMIT_MAX, STORE_LIMIT_KEEP, 0))
		fatal("owner limit", store_last_error(s));
	uuid_gen_init(&gen);
	for (int k = 0; k < LIMIT_PENDING; k++) {
		struct gen_request r;
		struct uuid existing;
		pending_request(&gen, owner, "once", NULL, &r);
		int rc = store_request_create(s, &r, "client:once", NULL, NULL, &existing);
		gen_request_release(&r);
		if (rc)
			fatal("create", store_last_error(s));
	}
	store_free(s);
	config_release(&cfg);
}

/* N children on alternate hosts, released at once; counts their answers. */
static void round_of(const char *conf_a, const char *conf_b, int n, const char *tag,
		     enum answer (*fn)(struct store *, const char *), unsigned counts[N_ANSWERS])
{
	int gate[2];
	pid_t pids[MAX_N];
	if (pipe(gate) < 0)
		fatal("pipe", strerror(errno));
	fflush(stdout);
	for (int k = 0; k < n; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			fatal("fork", strerror(errno));
		if (pids[k] > 0)
			continue;
		char err[512], c;
		struct config cfg;
		close(gate[1]);
		if (config_init(&cfg) < 0 ||
		    config_load_file(&cfg, k % 2 ? conf_b : conf_a, err, sizeof(err)) < 0)
			_exit(A_ERROR);
		struct store *s = store_new(&cfg);
		if (!s || store_connect(s))
			_exit(A_ERROR);
		/* The gate opens (EOF) when the parent closes its end: all at once. */
		if (read(gate[0], &c, 1) != 0)
			_exit(A_ERROR);
		enum answer a = fn(s, tag);
		if (a == A_ERROR)
			fprintf(stderr, "child %d: %s\n", k, store_last_error(s));
		store_free(s);
		config_release(&cfg);
		_exit(a);
	}
	close(gate[0]);
	/* Let every child connect first. */
	struct timespec ts = { 1, 0 };
	nanosleep(&ts, NULL);
	close(gate[1]);
	memset(counts, 0, sizeof(counts[0]) * N_ANSWERS);
	for (int k = 0; k < n; k++) {
		int status;
		if (waitpid(pids[k], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) >= N_ANSWERS)
			counts[A_ERROR]++;
		else
			counts[WEXITSTATUS(status)]++;
	}
}

static int report(const char *name, const unsigned counts[N_ANSWERS])
{
	printf("%s:", name);
	for (int a = 0; a < N_ANSWERS; a++)
		printf(" %s=%u", answer_names[a], counts[a]);
	printf("\n");
	return counts[A_202] == 1 && counts[A_ERROR] == 0;
}

int main(int argc, char **argv)
{
	unsigned counts[N_ANSWERS];
	if (argc != 5) {
		fprintf(stderr, "usage: test_galera_once CONF_A CONF_B N TAG\n");
		return 1;
	}
	int n = atoi(argv[3]);
	if (n < 2 || n > MAX_N)
		fatal("arguments", "N must be 2..32");
	galera_test_program = "test_galera_once";
	log_init("test_galera_once");
	log_set_level(LOG_WARN);
	if (auth_init() < 0)
		fatal("libsodium", "init");
	round_of(argv[1], argv[2], n, argv[4], create_subject, counts);
	int ok = report("one subject_key", counts);
	round_of(argv[1], argv[2], n, argv[4], create_idempotent, counts);
	ok &= report("one Idempotency-Key", counts);
	limited_owner(argv[1], argv[4]);
	round_of(argv[1], argv[2], n, argv[4], create_limited, counts);
	report("one owner at its pending limit", counts);
	ok &= counts[A_202] == (unsigned)(LIMIT_MAX - LIMIT_PENDING) &&
	      counts[A_429] == (unsigned)n - (LIMIT_MAX - LIMIT_PENDING);
	return ok ? 0 : 1;
}
