#ifndef GENTRACK_ADMIN_THROUGHPUT_H
#define GENTRACK_ADMIN_THROUGHPUT_H

#include <stdint.h>

#include "base/query.h"
#include "base/strbuf.h"
#include "model/queue_state.h"
#include "web/handler.h"

/*
 * The throughput charts of the dashboard and the queues page, internal to
 * src/admin/: what finished (completed, partial, failed) and what came in,
 * per bucket of the last 6 h (a minute) or 24 h (5 minutes), of every type
 * or one, chosen by ?hours= and ?type=. The store counts (store/charts.c),
 * chart.c draws. The JSON twin: GET /admin/api/charts?hours=&type=.
 */

/* The windows offered: ?hours= takes one of these. */
#define THROUGHPUT_HOURS_SHORT 6
#define THROUGHPUT_HOURS_LONG 24

/* A chart's choice from the query string. */
struct throughput_choice {
	unsigned hours;                 /* THROUGHPUT_HOURS_SHORT or _LONG */
	const char *type;               /* borrowed from the query; NULL: every type */
};

/*
 * Reads ?hours= (default 6) and ?type= (default every type) into *ch.
 * STORE_OK; STORE_INVALID with a sentence for people in err (a bad value:
 * a 400); or another store code (the store could not say whether the type
 * exists).
 * A type must be well-formed and known to the store.
 */
int throughput_choice_read(struct call *c, const struct query *q, struct throughput_choice *ch,
			   char *err, size_t size);
/*
 * throughput_choice_read for a page: 0, or -1 when the page was answered
 * instead (a 400 for a bad value, the store's error page).
 */
int throughput_choice_page(struct call *c, const struct query *q, struct throughput_choice *ch);

/* The types offered as links (borrowed): those a page's queue table shows. */
struct throughput_types {
	const struct queue_state *rows;
	unsigned n;
};
/*
 * The charts' section: the window and type links (to `path`, e.g.
 * "/admin/queues", keeping nothing else of the query), the chart, and the
 * counts' totals; a sentence instead when the store cannot be read.
 */
void throughput_section(struct call *c, struct strbuf *sb, const struct throughput_choice *ch,
			const char *path, const struct throughput_types *types);

/* GET /admin/api/charts?hours=6|24&type=T: the counts behind the charts, bucket
 * by bucket, for scripts; 400 for another window or an unknown type. */
void admin_api_charts(struct call *c);

#endif
