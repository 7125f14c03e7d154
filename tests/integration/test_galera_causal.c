/*
 * Reads that must see the caller's own write through another node, for
 * tests/integration/galera.sh:
 *
 *   test_galera_causal CONF_A CONF_B NODE_B_SOCKET
 *
 * CONF_A's first node is not CONF_B's. While a helper process holds
 * FLUSH TABLES WITH READ LOCK on B's node (root, through NODE_B_SOCKET),
 * that node applies nothing the others commit. Then: a request created
 * through A is read back through B (store_request_get: a client's GET
 * through another host right after its 202), and a request claimed through
 * A has its lease extended through B (a worker's heartbeat through another
 * host right after its claim). Each must wait for the node to catch up and
 * succeed, where a plain read through B shows the node behind. Prints one
 * "ok"/"FAIL" line per check; exit 0 when all pass, 1 otherwise, 99 when
 * the set-up failed.
 */
#include "build_config.h"

#include <errno.h>
#include <mysql.h>
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

/* How long the node is held behind: long against a round of the cluster. */
#define HOLD_MS 2000

static int failures;

static void check(const char *name, int ok, const char *detail)
{
	printf("%s - %s%s%s\n", ok ? "ok  " : "FAIL", name, ok ? "" : ": ", ok ? "" : detail);
	fflush(stdout);
	failures += !ok;
}

/*
 * Holds node B behind for HOLD_MS, from a child process with its own
 * connection; returns once the lock is held. The caller waits for the pid.
 */
static pid_t hold_behind(const char *socket)
{
	int fds[2];
	if (pipe(fds) < 0)
		fatal("pipe", strerror(errno));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		fatal("fork", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		MYSQL *m = mysql_init(NULL);
		if (!m || !mysql_real_connect(m, "localhost", "root", "", NULL, 0, socket, 0) ||
		    mysql_query(m, "FLUSH TABLES WITH READ LOCK"))
			_exit(2);
		if (write(fds[1], "x", 1) != 1)
			_exit(2);
		struct timespec ts = { HOLD_MS / 1000, (HOLD_MS % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		int rc = mysql_query(m, "UNLOCK TABLES") ? 2 : 0;
		mysql_close(m);
		_exit(rc);
	}
	close(fds[1]);
	char c;
	if (read(fds[0], &c, 1) != 1)
		fatal("hold", "FLUSH TABLES WITH READ LOCK on node B failed");
	close(fds[0]);
	return pid;
}

static void wait_child(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		fatal("hold", "the helper holding node B failed");
}

static unsigned long long in_status(struct store *s, enum gen_status st)
{
	unsigned long long counts[GEN_STATUS_COUNT];
	if (store_status_counts(s, TIME_NONE, counts))
		fatal("counts", store_last_error(s));
	return counts[st];
}

static void create_one(struct store *a, struct uuid *id)
{
	static struct uuid_gen gen;
	static int init;
	struct gen_request r;
	struct uuid existing;
	if (!init++)
		uuid_gen_init(&gen);
	pending_request(&gen, "causal", "causal", NULL, &r);
	if (store_request_create(a, &r, "client:causal", NULL, NULL, &existing))
		fatal("create", store_last_error(a));
	*id = r.id;
	gen_request_release(&r);
}

static double seconds_since(int64_t t0)
{
	return (double)(time_now_us() - t0) / 1e6;
}

int main(int argc, char **argv)
{
	char detail[512];
	if (argc != 4) {
		fprintf(stderr, "usage: test_galera_causal CONF_A CONF_B NODE_B_SOCKET\n");
		return 1;
	}
	galera_test_program = "test_galera_causal";
	log_init("test_galera_causal");
	log_set_level(LOG_WARN);
	if (auth_init() < 0)
		fatal("libsodium", "init");
	struct config ca, cb;
	struct store *a = open_store(argv[1], &ca), *b = open_store(argv[2], &cb);

	/* A client's GET through B right after its 202 through A. */
	unsigned long long pending_b = in_status(b, GEN_PENDING);
	pid_t holder = hold_behind(argv[3]);
	struct uuid id;
	create_one(a, &id);
	check("node B is held behind: a plain read there misses the create",
	      in_status(b, GEN_PENDING) == pending_b, "node B was not behind: nothing tested");
	int64_t t0 = time_now_us();
	struct gen_request got;
	int rc = store_request_get(b, &id, NULL, &got);
	double waited = seconds_since(t0);
	snprintf(detail, sizeof(detail), "store_request_get through B: %d (%s) after %.2f s", rc,
		 store_last_error(b), waited);
	check("a GET through B right after the create through A finds it", rc == STORE_OK, detail);
	printf("       (it waited %.2f s for node B to catch up)\n", waited);
	if (rc == STORE_OK)
		gen_request_release(&got);
	wait_child(holder);

	/* A worker's heartbeat through B right after its claim through A. */
	const char *types[] = { "causal" };
	struct store_claim c = { "causal-worker", "worker:causal-worker", types, 1, 60 };
	struct store_claimed claimed;
	unsigned long long processing_b = in_status(b, GEN_PROCESSING);
	holder = hold_behind(argv[3]);
	rc = store_claim_next(a, &c, &claimed);
	if (rc)
		fatal("claim through A", store_last_error(a));
	check("node B is held behind: a plain read there misses the claim",
	      in_status(b, GEN_PROCESSING) == processing_b, "node B was not behind: nothing tested");
	struct store_lease lease = { "causal-worker", claimed.request.attempt };
	int64_t expires;
	long long used;
	t0 = time_now_us();
	rc = store_lease_extend(b, &claimed.request.id, &lease, 30, &expires, &used);
	waited = seconds_since(t0);
	snprintf(detail, sizeof(detail), "store_lease_extend through B: %d (%s) after %.2f s", rc,
		 store_last_error(b), waited);
	check("a heartbeat through B right after the claim through A holds the lease",
	      rc == STORE_OK, detail);
	printf("       (it waited %.2f s for node B to catch up)\n", waited);
	store_claimed_release(&claimed);
	wait_child(holder);

	store_free(a);
	store_free(b);
	config_release(&ca);
	config_release(&cb);
	return failures ? 1 : 0;
}
