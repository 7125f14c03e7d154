/*
 * One host's clients under a node failure, for tests/integration/galera.sh:
 *
 *   test_galera_creates CONF SECONDS OUTFILE
 *
 * Creates requests through the store of CONF, one after the other, for
 * SECONDS, in this one process (as a pool child runs: never restarted), and
 * appends the id of each create answered OK to OUTFILE (one per line,
 * flushed at once, as a client would remember its 202). A create that
 * fails (the node was lost under it) is counted and the next one goes on.
 * Prints "acknowledged=N failed=M after_first_failure=K": K creates answered
 * OK after the first failure, the service answering again. Exit 0 unless a
 * create failed otherwise than STORE_UNAVAILABLE; 99 when the set-up failed.
 */
#include "build_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/uuid.h"
#include "model/auth.h"
#include "store/store.h"
#include "galera_test.h"

int main(int argc, char **argv)
{
	char err[512], hex[UUID_STR_LEN + 1];
	struct config cfg;
	struct uuid_gen gen;
	unsigned long acked = 0, failed = 0, after = 0, errors = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: test_galera_creates CONF SECONDS OUTFILE\n");
		return 1;
	}
	galera_test_program = "test_galera_creates";
	log_init("test_galera_creates");
	log_set_level(LOG_WARN);
	if (auth_init() < 0)
		fatal("libsodium", "init");
	if (config_init(&cfg) < 0 || config_load_file(&cfg, argv[1], err, sizeof(err)) < 0)
		fatal("config", err);
	struct store *s = store_new(&cfg);
	if (!s)
		fatal("store", "out of memory");
	FILE *out = fopen(argv[3], "w");
	if (!out)
		fatal(argv[3], strerror(errno));
	uuid_gen_init(&gen);
	int64_t end = time_now_us() + (int64_t)atoi(argv[2]) * US_PER_S;

	while (time_now_us() < end) {
		struct gen_request r;
		struct uuid existing;
		pending_request(&gen, "survive", "survive", NULL, &r);
		int rc = store_request_create(s, &r, "client:survive", NULL, NULL, &existing);
		if (rc == STORE_OK) {
			uuid_format(&r.id, hex);
			fprintf(out, "%s\n", hex);
			fflush(out);
			acked++;
			after += failed > 0;
		} else if (rc == STORE_UNAVAILABLE) {
			failed++;
			struct timespec ts = { 0, 50 * 1000000L };
			nanosleep(&ts, NULL);
		} else {
			fprintf(stderr, "create: %d: %s\n", rc, store_last_error(s));
			errors++;
		}
		gen_request_release(&r);
	}
	if (fclose(out) != 0)
		errors++;
	printf("acknowledged=%lu failed=%lu after_first_failure=%lu errors=%lu\n", acked, failed,
	       after, errors);
	store_free(s);
	config_release(&cfg);
	return errors ? 1 : 0;
}
