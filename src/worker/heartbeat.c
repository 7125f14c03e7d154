#include "build_config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "worker/claim.h"
#include "worker/heartbeat.h"
#include "base/banned.h"

/* After a failed heartbeat, the next try: a sixth of the lease, at most this. */
#define RETRY_MAX_MS 5000

struct heartbeat {
	pthread_t thread;
	pthread_mutex_t mu;          /* guards the three fields below */
	pthread_cond_t wake;         /* quit was raised */
	int quit;                    /* heartbeat_stop was called */
	enum heartbeat_state state;
	int64_t lease_ms;
	struct wclient *client;      /* the thread's own: libcurl handles are per thread */
	char *id;
	long attempt;
	int64_t started_ms;          /* monotonic: the claim, give or take */
};

/* Waits on h->wake until the monotonic time `until` (ms); h->mu is held. */
static void wait_until(struct heartbeat *h, int64_t until)
{
	int64_t left = until - time_mono_ms();
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(left / 1000);
	ts.tv_nsec += (long)(left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&h->wake, &h->mu, &ts);
}

/*
 * One heartbeat (with wclient's retries), outside the lock. Updates the
 * lease and the state; returns when the next one is due.
 */
static int64_t beat(struct heartbeat *h, int64_t lease_ms)
{
	int64_t budget = lease_ms / 3 > 1000 ? lease_ms / 3 : 1000;
	int64_t sent = time_mono_ms();
	json_t *ans = NULL;
	int rc = wclient_heartbeat(h->client, h->id, h->attempt, budget, &ans);
	int64_t now = time_mono_ms();
	int64_t next = now + (lease_ms / 6 < RETRY_MAX_MS ? lease_ms / 6 : RETRY_MAX_MS);
	enum heartbeat_state seen = HEARTBEAT_ALIVE;

	switch (rc) {
	case WCLIENT_OK: {
		json_t *granted = json_object_get(ans, "lease_seconds");
		if (claim_lease_valid(json_integer_value(granted)))
			lease_ms = (int64_t)json_integer_value(granted) * 1000;
		else if (granted)
			/* Past what a server can grant: keep the lease we know. */
			log_warn("heartbeat %s: lease_seconds outside 1..%d ignored", h->id,
				 LEASE_SECONDS_MAX);
		/* From when it was sent: a slow answer must not push the schedule back. */
		next = sent + lease_ms / 3;
		log_debug("heartbeat %s: lease extended by %lld s", h->id, (long long)(lease_ms / 1000));
		break;
	}
	case WCLIENT_CONFLICT:
		log_warn("heartbeat lost %s: %s: stopping work on it", h->id, wclient_last_error(h->client));
		seen = HEARTBEAT_LOST;
		break;
	case WCLIENT_STOPPED:
		/* heartbeat_stop cancelled it: the loop sees quit. */
		break;
	default:
		if (rc == WCLIENT_DENIED)
			seen = HEARTBEAT_DENIED;
		/* Transient trouble: try again soon; a lost lease shows up as a 409 later. */
		log_warn("heartbeat %s failed: %s; trying again", h->id, wclient_last_error(h->client));
		break;
	}
	json_decref(ans);
	pthread_mutex_lock(&h->mu);
	h->lease_ms = lease_ms;
	/* LOST and DENIED stay. */
	if (h->state == HEARTBEAT_ALIVE)
		h->state = seen;
	pthread_mutex_unlock(&h->mu);
	return next;
}

static void *heartbeat_thread(void *arg)
{
	struct heartbeat *h = arg;
	pthread_mutex_lock(&h->mu);
	int64_t next = h->started_ms + h->lease_ms / 3;
	while (!h->quit && h->state != HEARTBEAT_LOST) {
		if (time_mono_ms() < next) {
			wait_until(h, next);
			continue;
		}
		int64_t lease_ms = h->lease_ms;
		pthread_mutex_unlock(&h->mu);
		next = beat(h, lease_ms);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* The mutex, and a condition variable on the monotonic clock. 0, or an errno. */
static int init_sync(struct heartbeat *h)
{
	pthread_condattr_t ca;
	int e = pthread_mutex_init(&h->mu, NULL);
	if (e)
		return e;
	e = pthread_condattr_init(&ca);
	if (!e) {
		e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (!e)
			e = pthread_cond_init(&h->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (e)
		pthread_mutex_destroy(&h->mu);
	return e;
}

struct heartbeat *heartbeat_start(const struct heartbeat_opts *o, char *err, size_t errlen)
{
	struct heartbeat *h = calloc(1, sizeof(*h));
	sigset_t all, old;
	int synced = 0, e;

	if (!h || !(h->id = strdup(o->id))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	h->attempt = o->attempt;
	h->lease_ms = o->lease_ms;
	h->state = HEARTBEAT_ALIVE;
	h->started_ms = time_mono_ms();
	h->client = wclient_new(o->client, err, errlen);
	if (!h->client)
		goto fail;
	if ((e = init_sync(h)) != 0) {
		snprintf(err, errlen, "cannot make the heartbeat's lock: %s", strerror(e));
		goto fail;
	}
	synced = 1;
	/* The thread inherits this mask: signals stay with the caller's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&h->thread, NULL, heartbeat_thread, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		snprintf(err, errlen, "cannot start the heartbeat thread: %s", strerror(e));
		goto fail;
	}
	return h;
fail:
	if (h) {
		if (synced) {
			pthread_cond_destroy(&h->wake);
			pthread_mutex_destroy(&h->mu);
		}
		wclient_free(h->client);
		free(h->id);
		free(h);
	}
	return NULL;
}

enum heartbeat_state heartbeat_state(struct heartbeat *h)
{
	pthread_mutex_lock(&h->mu);
	enum heartbeat_state st = h->state;
	pthread_mutex_unlock(&h->mu);
	return st;
}

int64_t heartbeat_lease_ms(struct heartbeat *h)
{
	pthread_mutex_lock(&h->mu);
	int64_t ms = h->lease_ms;
	pthread_mutex_unlock(&h->mu);
	return ms;
}

void heartbeat_stop(struct heartbeat *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->mu);
	wclient_cancel(h->client);
	pthread_join(h->thread, NULL);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->mu);
	wclient_free(h->client);
	free(h->id);
	free(h);
}
