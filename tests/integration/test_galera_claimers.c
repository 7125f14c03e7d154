/*
 * Claimers over several Galera nodes, through the store itself (as the
 * worker API's handler calls it), for tests/integration/galera.sh.
 *
 *   test_galera_claimers CONF_A CONF_B CLAIMERS REQUESTS OUTDIR
 *
 * Creates REQUESTS pending requests, alternately through CONF_A and CONF_B
 * (two app hosts whose [store] hosts name the nodes in different orders),
 * waits until both see them all, then forks CLAIMERS processes, even ones on
 * CONF_A, odd ones on CONF_B, each claiming until nothing is left. Each
 * writes the claims it was answered OK to OUTDIR/claims-N.txt, one line
 * "ID WORKER_ID" each, which the script compares with the rows; the parent
 * prints one summary line per claimer and the totals. Exit 0 when no call
 * failed with anything but a (counted) conflict given up, else 1; 99 when
 * the set-up failed.
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

#define MAX_CLAIMERS 32
static const char *const types[] = { "problem" };

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int create_all(struct store *a, struct store *b, unsigned n)
{
	struct uuid_gen gen;
	uuid_gen_init(&gen);
	for (unsigned i = 0; i < n; i++) {
		struct gen_request r;
		struct uuid existing;
		pending_request(&gen, "acme", types[0], NULL, &r);
		struct store *s = i % 2 ? b : a;
		int rc = store_request_create(s, &r, "client:acme", NULL, NULL, &existing);
		gen_request_release(&r);
		if (rc) {
			fprintf(stderr, "create %u: %d: %s\n", i, rc, store_last_error(s));
			return -1;
		}
	}
	return 0;
}

/* Waits (at most 60 s) until s sees n pending requests: replication applied. */
static int wait_pending(struct store *s, unsigned long long n)
{
	for (int i = 0; i < 600; i++) {
		unsigned long long counts[GEN_STATUS_COUNT];
		if (store_status_counts(s, TIME_NONE, counts) == STORE_OK && counts[GEN_PENDING] == n)
			return 0;
		sleep_ms(100);
	}
	return -1;
}

/* One claimer, in its own process: claims until nothing is left. */
static int claimer(const char *conf, unsigned k, const char *outdir)
{
	struct config cfg;
	struct store *s = open_store(conf, &cfg);
	char path[512], worker[64], actor[80], hex[UUID_STR_LEN + 1];
	unsigned long claims = 0, gave_up = 0, errors = 0, nothing = 0;
	int empty = 0;

	snprintf(path, sizeof(path), "%s/claims-%u.txt", outdir, k);
	FILE *out = fopen(path, "w");
	if (!out)
		fatal(path, strerror(errno));
	snprintf(worker, sizeof(worker), "claimer-%u", k);
	snprintf(actor, sizeof(actor), "worker:%s", worker);
	struct store_claim c = { worker, actor, types, 1, 600 };
	/* Empty five times in a row, 50 ms apart: a row another node's loser
	 * put back has had its time to be picked. */
	while (empty < 5) {
		struct store_claimed got;
		int rc = store_claim_next(s, &c, &got);
		if (rc == STORE_OK) {
			uuid_format(&got.request.id, hex);
			fprintf(out, "%s %s\n", hex, got.request.worker_id);
			store_claimed_release(&got);
			claims++;
			empty = 0;
		} else if (rc == STORE_NOT_FOUND) {
			empty++;
			nothing++;
			sleep_ms(50);
		} else if (rc == STORE_UNAVAILABLE) {
			/* Its conflicts given up (a 503 over HTTP): the row stays pending. */
			gave_up++;
			sleep_ms(20);
		} else {
			fprintf(stderr, "%s: claim: %d: %s\n", worker, rc, store_last_error(s));
			errors++;
			if (errors > 10)
				break;
		}
	}
	if (fclose(out) != 0)
		errors++;
	/* The last 5 "nothing to claim" ended the run; any more came while
	 * requests were still pending (a worker would have idled). */
	printf("%s on %s: claims=%lu gave_up=%lu errors=%lu nothing_while_pending=%lu\n", worker,
	       conf, claims, gave_up, errors, nothing > 5 ? nothing - 5 : 0);
	fflush(stdout);
	store_free(s);
	config_release(&cfg);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: test_galera_claimers CONF_A CONF_B CLAIMERS REQUESTS OUTDIR\n");
		return 1;
	}
	unsigned n_claimers = (unsigned)atoi(argv[3]);
	unsigned n_requests = (unsigned)atoi(argv[4]);
	if (n_claimers < 1 || n_claimers > MAX_CLAIMERS || n_requests < 1)
		fatal("arguments", "1..32 claimers, at least 1 request");
	galera_test_program = "test_galera_claimers";
	log_init("test_galera_claimers");
	log_set_level(LOG_WARN);
	if (auth_init() < 0)
		fatal("libsodium", "init");

	struct config ca, cb;
	struct store *a = open_store(argv[1], &ca), *b = open_store(argv[2], &cb);
	double t0 = (double)time_now_us() / 1e6;
	if (create_all(a, b, n_requests) < 0)
		return 1;
	double t1 = (double)time_now_us() / 1e6;
	if (wait_pending(a, n_requests) < 0 || wait_pending(b, n_requests) < 0)
		fatal("replication", "both hosts did not see every request within 60 s");
	printf("created %u requests over both hosts in %.1f s\n", n_requests, t1 - t0);
	fflush(stdout);
	store_free(a);
	store_free(b);

	pid_t pids[MAX_CLAIMERS];
	for (unsigned k = 0; k < n_claimers; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			fatal("fork", strerror(errno));
		if (pids[k] == 0)
			_exit(claimer(argv[1 + k % 2], k, argv[5]));
	}
	int failed = 0;
	for (unsigned k = 0; k < n_claimers; k++) {
		int status;
		if (waitpid(pids[k], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	printf("claimers done in %.1f s\n", (double)time_now_us() / 1e6 - t1);
	config_release(&ca);
	config_release(&cb);
	return failed;
}
