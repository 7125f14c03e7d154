#include "build_config.h"

#include <string.h>

#include "store/internal.h"
#include "base/banned.h"

/*
 * The workers seen (sql/013_workers.sql): one row per worker, kept current
 * by the worker API with one upsert per call on the worker's own row, and
 * read by the workers page. The upsert runs after the call's own work, not
 * in its transaction: the row is a view for operators, never a fact a
 * transition decides on, so losing one update costs a stale "last seen" and
 * nothing else; and keeping it out of the claim's transaction keeps the
 * claim's row locks as short as they were.
 */

/*
 * ON DUPLICATE KEY UPDATE assigns left to right and each assignment sees
 * the ones before it: held_request, which the others test, goes last.
 */
static const struct engine_query Q_SEEN_HOLDS = {
	"INSERT INTO workers_seen (owner, worker_id, entity_types, first_seen, last_seen, "
	"held_request, held_attempt, held_since, held_index, lease_seconds) "
	"VALUES (?, ?, COALESCE(?, ''), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), ?, ?, "
	"UTC_TIMESTAMP(6), NULL, ?) ON DUPLICATE KEY UPDATE "
	"entity_types = VALUES(entity_types), last_seen = VALUES(last_seen), "
	"held_attempt = VALUES(held_attempt), held_since = VALUES(held_since), "
	"held_index = NULL, lease_seconds = VALUES(lease_seconds), "
	"held_request = VALUES(held_request)",
	"sssbii", "" };
/* A 204 (no request given: ? NULL) forgets whatever it held; a complete or
 * a lost lease forgets that request only, not a later claim's. */
static const struct engine_query Q_SEEN_IDLE = {
	"INSERT INTO workers_seen (owner, worker_id, entity_types, first_seen, last_seen) "
	"VALUES (?, ?, COALESCE(?, ''), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) "
	"ON DUPLICATE KEY UPDATE "
	"entity_types = IF(? IS NULL, entity_types, VALUES(entity_types)), "
	"last_seen = VALUES(last_seen), "
	"held_attempt = IF(? IS NULL OR held_request = ?, NULL, held_attempt), "
	"held_since = IF(? IS NULL OR held_request = ?, NULL, held_since), "
	"held_index = IF(? IS NULL OR held_request = ?, NULL, held_index), "
	"held_request = IF(? IS NULL OR held_request = ?, NULL, held_request)",
	"ssssbbbbbbbb", "" };
/* A heartbeat or an entity: alive, and (an entity) how far it got. */
static const struct engine_query Q_SEEN_TOUCH = {
	"INSERT INTO workers_seen (owner, worker_id, first_seen, last_seen) "
	"VALUES (?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE "
	"last_seen = VALUES(last_seen), "
	"held_index = IF(? = 1 AND held_request = ?, ?, held_index)",
	"ssibi", "" };

int store_worker_seen(struct store *s, const struct store_worker_call *w)
{
	struct sqlv held = w->held ? SV_UUID(w->held) : SV_BIN(NULL, 0);
	struct sqlv idx = w->index >= 0 ? SV_INT(w->index) : SV_INT(0);
	switch (w->what) {
	case WORKER_SEEN_HOLDS: {
		struct sqlv p[] = { SV_STR(w->owner), SV_STR(w->worker_id), SV_STR(w->entity_types),
				    held, SV_INT(w->attempt), SV_INT(w->lease_seconds) };
		return engine_run(s, &Q_SEEN_HOLDS, p, NULL, NULL, NULL, NULL);
	}
	case WORKER_SEEN_IDLE: {
		struct sqlv p[] = { SV_STR(w->owner), SV_STR(w->worker_id), SV_STR(w->entity_types),
				    SV_STR(w->entity_types), held, held, held, held, held, held,
				    held, held };
		return engine_run(s, &Q_SEEN_IDLE, p, NULL, NULL, NULL, NULL);
	}
	case WORKER_SEEN_TOUCH:
	default: {
		/* The 'i' type binds no NULL: a flag says whether there is an index. */
		struct sqlv p[] = { SV_STR(w->owner), SV_STR(w->worker_id),
				    SV_INT(w->index >= 0 ? 1 : 0), w->index >= 0 ? held : SV_BIN(NULL, 0),
				    idx };
		return engine_run(s, &Q_SEEN_TOUCH, p, NULL, NULL, NULL, NULL);
	}
	}
}

/*
 * The last hour's workers by ix_last_seen, each with its held request's
 * status now and its completes of the last hour: one GROUP BY over the last
 * hour of generation_events (a range of ix_at, never the whole history),
 * joined by the worker id its actor names ("worker:" and the id). An actor
 * names the worker id, not its key's owner: two owners' workers with the
 * same id share those counts. MariaDB joins the grouped rows by comparing
 * every worker with every group (a block nested loop: no key on them, as
 * the id is too long for one), so the join compares plain columns rather
 * than building CONCAT('worker:', w.worker_id) for each pair: half the time
 * (bench/console.sh: 550 workers, 500 of them busy in the hour). Its cost
 * follows the workers, not the history.
 */
static const struct engine_query Q_WORKERS = {
	"SELECT w.owner, w.worker_id, w.entity_types, w.first_seen, w.last_seen, "
	"w.held_request, w.held_attempt, w.held_since, w.held_index, w.lease_seconds, "
	"r.status, (w.held_request IS NOT NULL AND "
	"w.last_seen < UTC_TIMESTAMP(6) - INTERVAL (w.lease_seconds + ?) SECOND), "
	"COALESCE(e.done, 0), COALESCE(e.failed, 0) FROM workers_seen w "
	"LEFT JOIN generation_requests r ON r.id = w.held_request "
	"LEFT JOIN (SELECT SUBSTRING(actor, 8) AS worker_id, "
	"SUM(to_status IN ('completed', 'partial')) AS done, "
	"SUM(to_status = 'failed') AS failed FROM generation_events "
	"WHERE at >= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR AND actor LIKE 'worker:%' "
	"GROUP BY actor) e ON e.worker_id = w.worker_id "
	"WHERE w.last_seen >= UTC_TIMESTAMP(6) - INTERVAL 1 HOUR "
	"ORDER BY w.last_seen DESC, w.worker_id LIMIT ?",
	"ii", "sssttbitiisiii" };

static int worker_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_worker *) =
		(int (*)(void *, const struct store_worker *))k->fn;
	struct store_worker w;
	memset(&w, 0, sizeof(w));
	w.owner = c[0].null ? "" : c[0].s;
	w.worker_id = c[1].null ? "" : c[1].s;
	w.entity_types = c[2].null ? "" : c[2].s;
	w.first_seen = engine_cell_time(&c[3]);
	w.last_seen = engine_cell_time(&c[4]);
	w.holds = !c[5].null;
	w.held_since = TIME_NONE;
	w.held_index = -1;
	if (w.holds) {
		engine_cell_uuid(&c[5], &w.held);
		w.held_attempt = c[6].null ? 0 : (unsigned)c[6].i;
		w.held_since = engine_cell_time(&c[7]);
		w.held_index = c[8].null ? -1 : c[8].i;
	}
	w.lease_seconds = c[9].null ? 0 : c[9].i;
	w.held_status = c[10].null ? "" : c[10].s;
	w.lost = !c[11].null && c[11].i;
	w.done_hour = c[12].null ? 0 : (unsigned long long)c[12].i;
	w.failed_hour = c[13].null ? 0 : (unsigned long long)c[13].i;
	return fn(k->ctx, &w);
}

int store_worker_list(struct store *s, unsigned limit,
		      int (*fn)(void *ctx, const struct store_worker *w), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_INT(STORE_WORKER_LOST_GRACE), SV_INT(limit) };
	int rc = engine_run(s, &Q_WORKERS, p, worker_row, &k, NULL, NULL);
	return engine_sink_result(s, &k, rc);
}

/*
 * Serving: holding a request and not lost, or idle and polling (seen in the
 * last few minutes). The hour bound is the range of ix_last_seen; the rest
 * is decided on those rows, a few per worker host.
 */
static const struct engine_query Q_SERVING = {
	"SELECT entity_types FROM workers_seen WHERE last_seen >= ? - INTERVAL 1 HOUR "
	"AND IF(held_request IS NULL, last_seen >= ? - INTERVAL ? SECOND, "
	"last_seen >= ? - INTERVAL (lease_seconds + ?) SECOND)",
	"ttiti", "s" };

static int serving_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const char *) = (int (*)(void *, const char *))k->fn;
	return c[0].null ? 0 : fn(k->ctx, c[0].s);
}

int store_workers_serving(struct store *s, int64_t now,
			  int (*fn)(void *ctx, const char *entity_types), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_TIME(now), SV_TIME(now), SV_INT(STORE_WORKER_IDLE_SECONDS),
			    SV_TIME(now), SV_INT(STORE_WORKER_LOST_GRACE) };
	return engine_run(s, &Q_SERVING, p, serving_row, &k, NULL, NULL);
}
