#include "build_config.h"

#include <string.h>

#include "store/internal.h"
#include "base/banned.h"

/*
 * The console's charts (issue 14): what finished and what came in, counted
 * per bucket of a window (a minute over 6 h, 5 minutes over 24 h: the
 * caller's choice). Each statement is a range of one index over the window
 * only (sql/015_console_charts.sql explains which serves what), grouped by
 * the bucket's number; ORDER BY NULL spares the sort MariaDB's GROUP BY
 * would do, as the rows land in an array by that number.
 *
 * Every type: ix_completed_window and ix_requested_window, which lead with
 * the time. One type: the (status, entity_type, time) indexes of sql/012 and
 * sql/014, the statuses spelt out so that each is a range of that type's
 * window alone.
 */

#define BUCKET_OF(col) "TIMESTAMPDIFF(MICROSECOND, ?, " col ") DIV ?"

#define SQL_FINISHED_ALL \
	"SELECT " BUCKET_OF("completed_at") " AS b, SUM(status = 'completed'), " \
	"SUM(status = 'partial'), SUM(status = 'failed') FROM generation_requests " \
	"WHERE completed_at >= ? AND completed_at < ? " \
	"AND status IN ('completed', 'partial', 'failed') GROUP BY b ORDER BY NULL"
#define SQL_FINISHED_TYPE \
	"SELECT " BUCKET_OF("completed_at") " AS b, SUM(status = 'completed'), " \
	"SUM(status = 'partial'), SUM(status = 'failed') FROM generation_requests " \
	"WHERE status IN ('completed', 'partial', 'failed') AND entity_type = ? " \
	"AND completed_at >= ? AND completed_at < ? GROUP BY b ORDER BY NULL"
#define SQL_CREATED_ALL \
	"SELECT " BUCKET_OF("requested_at") " AS b, COUNT(*) FROM generation_requests " \
	"WHERE requested_at >= ? AND requested_at < ? GROUP BY b ORDER BY NULL"
#define SQL_CREATED_TYPE \
	"SELECT " BUCKET_OF("requested_at") " AS b, COUNT(*) FROM generation_requests " \
	"WHERE status IN ('pending', 'processing', 'completed', 'partial', 'failed', " \
	"'cancelled') AND entity_type = ? AND requested_at >= ? AND requested_at < ? " \
	"GROUP BY b ORDER BY NULL"

/* Indexed by enum store_chart_count: each statement, and its plan for the tests. */
static const struct engine_query Q_COUNT[] = {
	[STORE_CHART_FINISHED_ALL] = { SQL_FINISHED_ALL, "titt", "iiii" },
	[STORE_CHART_FINISHED_TYPE] = { SQL_FINISHED_TYPE, "tistt", "iiii" },
	[STORE_CHART_CREATED_ALL] = { SQL_CREATED_ALL, "titt", "ii" },
	[STORE_CHART_CREATED_TYPE] = { SQL_CREATED_TYPE, "tistt", "ii" },
};
static const struct engine_query Q_COUNT_EXPLAIN[] = {
	[STORE_CHART_FINISHED_ALL] = { "EXPLAIN " SQL_FINISHED_ALL, "titt", EXPLAIN_TYPES },
	[STORE_CHART_FINISHED_TYPE] = { "EXPLAIN " SQL_FINISHED_TYPE, "tistt", EXPLAIN_TYPES },
	[STORE_CHART_CREATED_ALL] = { "EXPLAIN " SQL_CREATED_ALL, "titt", EXPLAIN_TYPES },
	[STORE_CHART_CREATED_TYPE] = { "EXPLAIN " SQL_CREATED_TYPE, "tistt", EXPLAIN_TYPES },
};

struct bucket_sink {
	const struct store_chart_window *w;
	struct store_chart_counts *out;
};

static unsigned long long count_cell(const struct sqlcell *c)
{
	return c->null || c->i < 0 ? 0 : (unsigned long long)c->i;
}

/* A bucket outside the window (a row on its edge, to the microsecond) is dropped. */
static int finished_row(void *ctx, const struct sqlcell *c)
{
	struct bucket_sink *b = ctx;
	if (c[0].null || c[0].i < 0 || c[0].i >= (long long)b->w->n)
		return 0;
	b->out->completed[c[0].i] = count_cell(&c[1]);
	b->out->partial[c[0].i] = count_cell(&c[2]);
	b->out->failed[c[0].i] = count_cell(&c[3]);
	return 0;
}

static int created_row(void *ctx, const struct sqlcell *c)
{
	struct bucket_sink *b = ctx;
	if (c[0].null || c[0].i < 0 || c[0].i >= (long long)b->w->n)
		return 0;
	b->out->created[c[0].i] = count_cell(&c[1]);
	return 0;
}

/* The parameters of w's statements, into p (at most 5): every type's have no entity_type. */
static size_t count_params(const struct store_chart_window *w, struct sqlv *p)
{
	int64_t end = w->start + (int64_t)w->n * w->bucket_us;
	size_t k = 0;
	p[k++] = SV_TIME(w->start);
	p[k++] = SV_INT(w->bucket_us);
	if (w->entity_type)
		p[k++] = SV_STR(w->entity_type);
	p[k++] = SV_TIME(w->start);
	p[k++] = SV_TIME(end);
	return k;
}

int store_chart_counts(struct store *s, const struct store_chart_window *w,
		       struct store_chart_counts *out)
{
	struct bucket_sink b = { w, out };
	struct sqlv p[5];
	size_t size = w->n * sizeof(unsigned long long);
	memset(out->completed, 0, size);
	memset(out->partial, 0, size);
	memset(out->failed, 0, size);
	memset(out->created, 0, size);
	count_params(w, p);
	int rc = engine_run(s, &Q_COUNT[w->entity_type ? STORE_CHART_FINISHED_TYPE
				       : STORE_CHART_FINISHED_ALL], p, finished_row, &b, NULL, NULL);
	if (rc)
		return rc;
	return engine_run(s, &Q_COUNT[w->entity_type ? STORE_CHART_CREATED_TYPE
				  : STORE_CHART_CREATED_ALL], p, created_row, &b, NULL, NULL);
}

int store_explain_chart(struct store *s, const struct store_chart_window *w, int created,
			struct store_plan *out)
{
	struct sqlv p[5];
	enum store_chart_count which = created ? (w->entity_type ? STORE_CHART_CREATED_TYPE
						  : STORE_CHART_CREATED_ALL)
				       : (w->entity_type ? STORE_CHART_FINISHED_TYPE
						  : STORE_CHART_FINISHED_ALL);
	count_params(w, p);
	memset(out, 0, sizeof(*out));
	return engine_run(s, &Q_COUNT_EXPLAIN[which], p, rows_plan, out, NULL, NULL);
}

/*
 * A request of the type in any status (a dive per status into
 * ix_status_type, which leads with status then entity_type), or a pause
 * (its primary key).
 */
static const struct engine_query Q_TYPE_KNOWN = {
	"SELECT EXISTS (SELECT 1 FROM generation_requests WHERE status IN ('pending', "
	"'processing', 'completed', 'partial', 'failed', 'cancelled') AND entity_type = ?) "
	"OR EXISTS (SELECT 1 FROM queue_pauses WHERE entity_type = ?)",
	"ss", "i" };

static int known_row(void *ctx, const struct sqlcell *c)
{
	*(int *)ctx = !c[0].null && c[0].i;
	return 0;
}

int store_entity_type_known(struct store *s, const char *entity_type)
{
	struct sqlv p[] = { SV_STR(entity_type), SV_STR(entity_type) };
	int known = 0;
	int rc = engine_run(s, &Q_TYPE_KNOWN, p, known_row, &known, NULL, NULL);
	return rc ? rc : known;
}
