#ifndef GENTRACK_QUEUE_HINT_H
#define GENTRACK_QUEUE_HINT_H

#include <stdint.h>

#include "model/resource.h"
#include "base/uuid.h"

/*
 * Retry-After for a pending request depends on how many requests wait ahead
 * of it. Counting that on every poll would double a poll's statements, so
 * each FastCGI child keeps the head of each type's queue (its oldest
 * QUEUE_HINT_CAP ids) for a second and counts in memory: a hint a second old
 * paces pollers as well as a fresh one.
 */
#define QUEUE_HINT_CAP 28          /* enough to reach the 30 s Retry-After cap */
#define QUEUE_HINT_TYPES 8         /* entity types remembered at once */
#define QUEUE_HINT_TTL_US 1000000  /* how long a queue head is trusted */

struct queue_head {
	char entity_type[ENTITY_TYPE_MAX + 1];
	int64_t fetched_at;            /* µs; 0 = an unused slot */
	unsigned count;
	struct uuid ids[QUEUE_HINT_CAP];   /* oldest first */
};

struct queue_hint {
	struct queue_head heads[QUEUE_HINT_TYPES];
};

/* Reads the oldest `cap` pending ids of a type, oldest first. 0, or non-zero. */
typedef int (*queue_fetch_fn)(void *ctx, const char *entity_type, unsigned cap,
			      struct uuid *ids, unsigned *count);

/*
 * How many of a queue head's `count` ids (oldest first) are older than `id`;
 * QUEUE_HINT_CAP when the head is full and every one of them is.
 */
unsigned queue_head_ahead(const struct uuid *ids, unsigned count, const struct uuid *id);

/*
 * How many pending requests of `entity_type` are ahead of `id`, at most
 * QUEUE_HINT_CAP, from a queue head at most QUEUE_HINT_TTL_US old (fetched
 * anew otherwise). 0, or the fetch's error with *ahead = 0.
 */
int queue_hint_ahead(struct queue_hint *h, queue_fetch_fn fetch, void *ctx,
		     const char *entity_type, const struct uuid *id, int64_t now,
		     unsigned *ahead);

#endif
