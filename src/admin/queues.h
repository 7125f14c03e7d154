#ifndef GENTRACK_ADMIN_QUEUES_H
#define GENTRACK_ADMIN_QUEUES_H

#include <stdint.h>

#include "base/query.h"
#include "base/strbuf.h"
#include "web/handler.h"

/*
 * Queues on the admin pages, internal to src/admin/: a queue is the pending
 * and processing requests of one entity type, and its pause. The queues
 * page (/admin/queues), the dashboard's summary and the paused badges of
 * request rows all read them once per page through queues_load.
 */

/* More types than this are cut short on a page (with a note). */
#define QUEUES_MAX 100

/* The queues a page read: an array the page owns. */
struct queues_view {
	struct queue_state *rows;   /* owned */
	unsigned n;
	int failed;                 /* a store code: it could not be read; say so, show none */
};
/*
 * Reads into *v (release it) every queue with active requests, a pause or
 * requests finished in the last hour, with its last hour (q->hour: what
 * finished, p50 and p95, the workers serving it), by type; and `also`'s
 * (a valid type, or NULL) whatever it has.
 */
void queues_load(struct call *c, struct queues_view *v, const char *also);
void queues_release(struct queues_view *v);

/*
 * The queue table: one row per queue, its columns from one table of
 * (heading, cell) in queues.c so a column is one line there. With forms,
 * each row carries its pause or resume form.
 */
void queues_table(struct call *c, struct strbuf *sb, const struct queues_view *v, int forms);
/*
 * The whole /admin/queues page, with `message` flashed (ok or not) when not
 * NULL, its charts as ch chose (NULL: the default, 6 h of every type).
 */
struct throughput_choice;
void queues_page(struct call *c, const struct query *q, const struct throughput_choice *ch,
		 int ok, const char *message);

#endif
