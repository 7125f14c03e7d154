#include "build_config.h"

#include <string.h>

#include "store/internal.h"
#include "base/banned.h"

/*
 * The audit trail (generation_events): one row per transition, SPEC §2.
 * Every transition passes here, in its transaction, so its counters are
 * bumped here too (store/metrics.c), and its change is announced after the
 * commit (store_set_change_listener).
 */

static const struct engine_query Q_EVENT_INSERT = {
	"INSERT INTO generation_events (request_id, at, actor, from_status, to_status, message) "
	"VALUES (?, ?, ?, ?, ?, ?)",
	"btssss", "" };

int events_insert(struct store *s, const struct uuid *id, int64_t at, const char *actor,
		  const char *from, const char *to, const char *message)
{
	struct sqlv p[] = { SV_UUID(id), SV_TIME(at), SV_STR(actor), SV_STR(from), SV_STR(to),
			    SV_STR(message) };
	int rc = engine_run(s, &Q_EVENT_INSERT, p, NULL, NULL, NULL, NULL);
	if (rc)
		return rc;
	engine_note_change(s, id);
	/* Every transition passes here: the one place the outbox is written. */
	rc = webhooks_outbox(s, id, at, to);
	if (rc)
		return rc;
	return metrics_on_transition(s, id, engine_insert_id(s, &Q_EVENT_INSERT), actor, from, to);
}

/* at, actor, from, to, message from five cells. */
static struct store_event event_of(const struct sqlcell *c)
{
	return (struct store_event){
		.at = engine_cell_time(&c[0]),
		.actor = c[1].null ? "" : c[1].s,
		.from_status = c[2].null ? NULL : c[2].s,
		.to_status = c[3].null ? "" : c[3].s,
		.message = c[4].null ? NULL : c[4].s,
	};
}

static const struct engine_query Q_EVENTS = {
	"SELECT at, actor, from_status, to_status, message FROM generation_events "
	"WHERE request_id = ? ORDER BY id",
	"b", "tssss" };

static int event_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_event *) =
		(int (*)(void *, const struct store_event *))k->fn;
	struct store_event e = event_of(c);
	return fn(k->ctx, &e);
}

int store_request_events(struct store *s, const struct uuid *id,
			 int (*fn)(void *ctx, const struct store_event *e), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_UUID(id) };
	return engine_run(s, &Q_EVENTS, p, event_row, &k, NULL, NULL);
}

/*
 * The newest events first, then their requests by primary key: `limit`
 * rows of the event index and as many lookups, whatever the history. As one
 * join with ORDER BY e.id DESC LIMIT, MariaDB 10.11 may drive it from
 * generation_requests and sort every event (bench/console.sh: 349,295 rows
 * examined for 25 at 50,000 requests); a derived table with its own LIMIT
 * cannot be turned round.
 */
static const struct engine_query Q_RECENT_EVENTS = {
	"SELECT e.request_id, e.at, e.actor, e.from_status, e.to_status, e.message, "
	"r.entity_type FROM (SELECT id, request_id, at, actor, from_status, to_status, message "
	"FROM generation_events ORDER BY id DESC LIMIT ?) e "
	"JOIN generation_requests r ON r.id = e.request_id ORDER BY e.id DESC",
	"i", "btsssss" };

static int activity_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_activity *) =
		(int (*)(void *, const struct store_activity *))k->fn;
	struct store_activity a = {
		.at = engine_cell_time(&c[1]),
		.event = event_of(c + 1),
		.entity_type = c[6].null ? "" : c[6].s,
	};
	engine_cell_uuid(&c[0], &a.request_id);
	return fn(k->ctx, &a);
}

int store_recent_events(struct store *s, unsigned limit,
			int (*fn)(void *ctx, const struct store_activity *a), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_INT(limit) };
	return engine_run(s, &Q_RECENT_EVENTS, p, activity_row, &k, NULL, NULL);
}
