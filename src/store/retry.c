#include "build_config.h"

#include <sodium.h>
#include <time.h>

#include "base/log.h"
#include "store/internal.h"
#include "base/banned.h"

/*
 * Transactions that lost a conflict, run again from their start. Under
 * Galera row locks are node-local: two nodes may both lock a row, and the
 * one that certifies second fails (1213 at its commit or at any statement
 * after a brute-force abort); on one server a deadlock (1213) or a lock wait
 * past innodb_lock_wait_timeout (1205) does the same. Such a transaction
 * wrote nothing; run again it decides afresh on what the winner left.
 */

/* The first pause, in µs, doubled at each retry; each pause is drawn at
 * random below its cap, so the losers of one collision spread out. */
#define RETRY_PAUSE_US 2000u

static void retry_pause(unsigned attempt)
{
	uint32_t cap = RETRY_PAUSE_US << (attempt < 6 ? attempt : 6);
	uint32_t us = RETRY_PAUSE_US / 4 + randombytes_uniform(cap);
	struct timespec ts = { .tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000 };
	nanosleep(&ts, NULL);
}

int retry_again(struct store *s, struct retry *r, int rc)
{
	unsigned err = engine_conflict(s);
	if (rc != STORE_UNAVAILABLE || !err)
		return 0;
	r->attempts++;
	/* A lock wait has already waited its 5 s: one more run at most, or a
	 * pool child would outwait nginx's timeout. */
	int last = r->attempts >= RETRY_ATTEMPTS || (err == ENGINE_LOCK_WAIT && r->attempts >= 2);
	/* Each conflict, with the statement that met it: a certification lost
	 * is routine under Galera (debug), a lock waited on for 5 s is not. */
	log_msg(err == ENGINE_LOCK_WAIT ? LOG_WARN : LOG_DEBUG, "%s: conflict %u (%s), run %u%s: %s",
		r->operation, err, err == ENGINE_LOCK_WAIT ? "lock wait timeout" : "deadlock or certification",
		r->attempts, last ? ", giving up" : ", running again", store_last_error(s));
	/* Counted whatever comes next: /metrics shows how hot the store runs. */
	if (metrics_on_conflict(s, r->operation) != STORE_OK)
		log_debug("conflict of %s not counted: %s", r->operation, store_last_error(s));
	if (last) {
		log_warn("%s: gave up after %u conflicts (%u) in a row", r->operation,
			 r->attempts, err);
		return 0;
	}
	retry_pause(r->attempts);
	return 1;
}
