#include "build_config.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "store/internal.h"
#include "base/banned.h"

/*
 * The queue table as the admin pages, their twin and `gentrackctl queue
 * list` show it: the queue list (store/queues.c), each type's last hour
 * and the workers serving it (store/workers.c), put together once so that
 * every place shows the same rows and counts.
 */

struct queue_table {
	struct queue_state *rows;
	unsigned n;
	unsigned cap;
};

static int keep_queue(void *ctx, const struct queue_state *q)
{
	struct queue_table *t = ctx;
	if (t->n >= t->cap)
		return 1;
	t->rows[t->n++] = *q;
	return 0;
}

/*
 * The row of `type` in t, appended (an idle, running queue) when it has
 * none and t has fewer than `cap` rows; else NULL.
 */
static struct queue_state *row_of(struct queue_table *t, const char *type, unsigned cap)
{
	for (unsigned i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].entity_type, type))
			return &t->rows[i];
	if (t->n >= cap)
		return NULL;
	struct queue_state *q = &t->rows[t->n++];
	memset(q, 0, sizeof(*q));
	snprintf(q->entity_type, sizeof(q->entity_type), "%s", type);
	q->oldest_pending_at = q->paused_at = TIME_NONE;
	q->hour.known = 1;
	q->hour.p50_us = q->hour.p95_us = -1;
	return q;
}

/* A type that finished something in the last hour has a row, active or not. */
static int keep_activity(void *ctx, const struct store_queue_activity *a)
{
	struct queue_table *t = ctx;
	struct queue_state *q = row_of(t, a->entity_type, t->cap);
	if (!q)
		return 0;
	q->hour.completed = a->completed;
	q->hour.partial = a->partial;
	q->hour.failed = a->failed;
	q->hour.p50_us = a->p50_us;
	q->hour.p95_us = a->p95_us;
	return 0;
}

/* Whether `type` is one of the comma-separated `list`. */
static int type_listed(const char *list, const char *type)
{
	size_t n = strlen(type);
	for (const char *p = list; *p; ) {
		size_t len = strcspn(p, ",");
		if (len == n && !memcmp(p, type, n))
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int count_worker(void *ctx, const char *entity_types)
{
	struct queue_table *t = ctx;
	for (unsigned i = 0; i < t->n; i++)
		if (type_listed(entity_types, t->rows[i].entity_type))
			t->rows[i].hour.workers++;
	return 0;
}

static int by_type(const void *a, const void *b)
{
	return strcmp(((const struct queue_state *)a)->entity_type,
		      ((const struct queue_state *)b)->entity_type);
}

int store_queue_table(struct store *s, int64_t now, const char *also,
		      struct queue_state *rows, unsigned cap, unsigned *n)
{
	struct queue_table t = { rows, 0, cap };
	*n = 0;
	int rc = store_queue_list(s, NULL, cap, keep_queue, &t);
	if (rc)
		return rc;
	for (unsigned i = 0; i < t.n; i++) {
		rows[i].hour.known = 1;
		rows[i].hour.p50_us = rows[i].hour.p95_us = -1;
	}
	rc = store_queue_activity(s, now - 60 * US_PER_MIN, now, keep_activity, &t);
	if (rc)
		return rc;
	qsort(rows, t.n, sizeof(*rows), by_type);
	/* The slot kept for it: rows holds cap + 1. */
	if (also)
		row_of(&t, also, cap + 1);
	rc = store_workers_serving(s, now, count_worker, &t);
	if (rc)
		return rc;
	*n = t.n;
	return 0;
}
