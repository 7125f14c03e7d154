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
struct queue_state {
	char entity_type[ENTITY_TYPE_MAX + 1];
	unsigned long long pending, processing;
	int64_t oldest_pending_at;          /* requested_at of the oldest pending; TIME_NONE */
	int paused;
	char paused_by[256];                /* when paused: the actor, e.g. "admin:alice" */
	int64_t paused_at;                  /* µs, the store's clock; TIME_NONE unless paused */
	char pause_reason[EVENT_MESSAGE_MAX + 1];
};

/*
 * q as one JSON object on w: entity_type, pending, oldest_pending_at,
 * oldest_pending_age_seconds (at `now`), processing, paused, and paused_by,
 * paused_at, pause_reason (null unless paused).
 */
void queue_state_render(const struct queue_state *q, int64_t now, struct jsonw *w);

#endif
