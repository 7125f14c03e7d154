/*
 * fair_creates: creates per second through the store, with fair share on
 * or off (bench/fair.sh). THREADS threads, each with its own store
 * connection, create requests of TYPE for SECONDS, each of a random one of
 * OWNERS owners (1: one owner's creates at once). Through the store rather
 * than nginx: the
 * site's create limit (20 a second per address) would measure nginx.
 *
 *   fair_creates CONFIG THREADS SECONDS OWNERS on|off TYPE [MAX_PENDING]
 *
 * MAX_PENDING (default 0: none) sets [limits] max_pending_per_owner: every
 * create then passes its owner's gate and counts its pending requests
 * (sql/022); a create refused at the limit is counted apart (limited=N),
 * not in creates= nor per_s=.
 *
 * Prints: creates=N errors=N seconds=S per_s=R limited=N
 */
#include "build_config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "base/timeutil.h"
#include "store/store.h"

static struct config cfg;
static double deadline;
static int owners;
static const char *type;

struct runner {
	pthread_t tid;
	int n;
	long creates, errors, limited;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
	struct runner *r = arg;
	struct uuid_gen ids;
	struct store *st = store_new(&cfg);
	if (!st || store_connect(st)) {
		r->errors++;
		return NULL;
	}
	uuid_gen_init(&ids);
	unsigned seed = (unsigned)r->n * 7919u + 1u;
	while (now_s() < deadline) {
		struct gen_request q;
		struct uuid existing;
		gen_request_init(&q);
		int64_t now = time_now_us();
		if (uuid_v7_next(&ids, now / 1000, &q.id)) {
			r->errors++;
			continue;
		}
		snprintf(q.owner, sizeof(q.owner), "fc-%d", (int)(rand_r(&seed) % (unsigned)owners));
		snprintf(q.entity_type, sizeof(q.entity_type), "%s", type);
		q.status = GEN_PENDING;
		q.requested_count = 1;
		q.version = 1;
		q.requested_at = q.updated_at = now;
		q.constraints_json = strdup("{}");
		q.metadata_json = strdup("{}");
		int rc = store_request_create(st, &q, "client:bench", NULL, NULL, &existing);
		if (rc == STORE_LIMIT)
			r->limited++;
		else if (rc)
			r->errors++;
		else
			r->creates++;
		gen_request_release(&q);
	}
	store_free(st);
	return NULL;
}

int main(int argc, char **argv)
{
	char err[512];
	if (argc != 7 && argc != 8) {
		fprintf(stderr, "usage: fair_creates CONFIG THREADS SECONDS OWNERS on|off TYPE "
			"[MAX_PENDING]\n");
		return 2;
	}
	if (config_load(&cfg, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "fair_creates: %s\n", err);
		return 2;
	}
	int threads = atoi(argv[2]);
	double seconds = atof(argv[3]);
	owners = atoi(argv[4]);
	cfg.claims_fair_share = !strcmp(argv[5], "on");
	type = argv[6];
	cfg.max_pending_per_owner = argc == 8 ? atoi(argv[7]) : 0;
	if (threads < 1 || threads > 64 || seconds <= 0 || owners < 1)
		return 2;
	struct runner rs[64];
	memset(rs, 0, sizeof(rs));
	double t0 = now_s();
	deadline = t0 + seconds;
	for (int i = 0; i < threads; i++) {
		rs[i].n = i;
		pthread_create(&rs[i].tid, NULL, run, &rs[i]);
	}
	long creates = 0, errors = 0, limited = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(rs[i].tid, NULL);
		creates += rs[i].creates;
		errors += rs[i].errors;
		limited += rs[i].limited;
	}
	double took = now_s() - t0;
	printf("creates=%ld errors=%ld seconds=%.3f per_s=%.0f limited=%ld\n", creates, errors, took,
	       creates / took, limited);
	config_release(&cfg);
	return errors ? 1 : 0;
}
