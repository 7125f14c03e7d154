#ifndef GENTRACK_QUEUE_STATE_H
#define GENTRACK_QUEUE_STATE_H

#include <stdint.h>

#include "base/jsonw.h"
#include "base/limits.h"

/*
 * A queue: the pending and processing requests of one entity type, and its
 * pause (sql/011_queue_pauses.sql). The store reads it (store_queue_list),
 * the admin pages, their JSON twins and gentrackctl show it; its JSON is
 * written here once for all of them.
 */
/*
 * What a queue did in the last hour, and who serves it: read by the admin
 * pages and their twins only (queues_load), so `known` says whether it is set.
 */
struct queue_activity {
	int known;
	unsigned long long completed, partial, failed;  /* finished in the last hour */
	int64_t p50_us, p95_us;      /* completed_at - started_at of those that started; -1: none */
	unsigned workers;            /* live workers whose last claim named the type */
};

struct queue_state {
	char entity_type[ENTITY_TYPE_MAX + 1];
	unsigned long long pending, processing;
	int64_t oldest_pending_at;          /* requested_at of the oldest pending; TIME_NONE */
	int paused;
	char paused_by[256];                /* when paused: the actor, e.g. "admin:alice" */
	int64_t paused_at;                  /* µs, the store's clock; TIME_NONE unless paused */
	char pause_reason[EVENT_MESSAGE_MAX + 1];
	struct queue_activity hour;         /* zero (unknown) unless the admin pages read it */
};

/*
 * q as one JSON object on w: entity_type, pending, oldest_pending_at,
 * oldest_pending_age_seconds (at `now`), processing, paused, and paused_by,
 * paused_at, pause_reason (null unless paused); when q->hour is known,
 * "last_hour": {completed, partial, failed, p50_seconds, p95_seconds (null
 * when none)} and "workers".
 */
void queue_state_render(const struct queue_state *q, int64_t now, struct jsonw *w);

#endif
