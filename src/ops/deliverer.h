#ifndef GENTRACK_DELIVERER_H
#define GENTRACK_DELIVERER_H

/*
 * The webhook deliverer (issue 16): claims due deliveries of the outbox
 * (store/webhooks.c), POSTs each signed as Standard Webhooks says, and
 * records the outcome: 2xx delivered; 410 Gone disables the endpoint; any
 * other answer, a timeout or a connection error is tried again on the
 * schedule (model/webhook.h), later if Retry-After asks, then dead.
 * Several deliverers may run at once: a claim leases its delivery.
 */
#include <signal.h>

#include "base/config.h"
#include "store/store.h"

struct deliverer_counts {
	unsigned long long delivered, retried, dead;
};

/*
 * Delivers every delivery due now, one at a time, until none is due or
 * *stop is set; adds to *counts. 0, or a store code (said on stderr).
 */
int deliverer_pass(struct store *s, const struct config *cfg, const char *lease_owner,
		   const volatile sig_atomic_t *stop, struct deliverer_counts *counts);

#endif
