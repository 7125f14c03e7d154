#include "build_config.h"

#include <string.h>

#include "store/internal.h"
#include "base/banned.h"

/*
 * Live updates' repair (sql/009_live_republish.sql): the requests whose
 * latest publish to nginx was lost, written by the process that lost it,
 * read and cleared by the gentrack-fcgi supervisor (live/repair.c).
 */

/* A later failure moves failed_at: the repair that read the earlier one
 * then leaves the row for the next round (store_republish_done). */
static const struct engine_query Q_REPUBLISH_MARK = {
	"INSERT INTO live_republish (request_id, failed_at) VALUES (?, UTC_TIMESTAMP(6)) "
	"ON DUPLICATE KEY UPDATE failed_at = UTC_TIMESTAMP(6)",
	"b", "" };

int store_republish_mark(struct store *s, const struct uuid *id)
{
	struct sqlv p[] = { SV_UUID(id) };
	return engine_run(s, &Q_REPUBLISH_MARK, p, NULL, NULL, NULL, NULL);
}

static const struct engine_query Q_REPUBLISH_DUE = {
	"SELECT request_id, failed_at FROM live_republish ORDER BY failed_at, request_id LIMIT ?",
	"i", "bt" };

struct due_rows {
	struct store_republish *out;
	unsigned cap, n;
};

static int due_row(void *ctx, const struct sqlcell *c)
{
	struct due_rows *d = ctx;
	if (d->n >= d->cap)
		return 1;
	if (c[0].null || c[0].len != 16 || c[1].null)
		return 0;
	memcpy(d->out[d->n].id.b, c[0].s, 16);
	d->out[d->n].failed_at = c[1].i;
	d->n++;
	return 0;
}

int store_republish_due(struct store *s, struct store_republish *out, unsigned cap, unsigned *n)
{
	struct due_rows d = { out, cap, 0 };
	struct sqlv p[] = { SV_INT(cap) };
	int rc = engine_run(s, &Q_REPUBLISH_DUE, p, due_row, &d, NULL, NULL);
	*n = d.n;
	return rc;
}

/*
 * Fenced on the failed_at the repair read (a loss recorded after that read
 * may be of a state newer than the one it published) and on the version it
 * published: a change committed meanwhile may have reached nginx before the
 * repair's older state did, and the next round puts the newer one last.
 */
static const struct engine_query Q_REPUBLISH_DONE = {
	"DELETE FROM live_republish WHERE request_id = ? AND failed_at = ? "
	"AND EXISTS (SELECT 1 FROM generation_requests WHERE id = ? AND version = ?)",
	"btbi", "" };

int store_republish_done(struct store *s, const struct uuid *id, int64_t failed_at,
			 uint64_t version)
{
	unsigned long long affected = 0;
	struct sqlv p[] = { SV_UUID(id), SV_TIME(failed_at), SV_UUID(id), SV_INT(version) };
	int rc = engine_run(s, &Q_REPUBLISH_DONE, p, NULL, NULL, &affected, NULL);
	return rc ? rc : affected > 0;
}

/* A request prune deleted has no channel worth repairing. */
static const struct engine_query Q_REPUBLISH_GONE = {
	"DELETE FROM live_republish WHERE request_id = ? AND failed_at = ? "
	"AND NOT EXISTS (SELECT 1 FROM generation_requests WHERE id = ?)",
	"btb", "" };

int store_republish_gone(struct store *s, const struct uuid *id, int64_t failed_at)
{
	unsigned long long affected = 0;
	struct sqlv p[] = { SV_UUID(id), SV_TIME(failed_at), SV_UUID(id) };
	int rc = engine_run(s, &Q_REPUBLISH_GONE, p, NULL, NULL, &affected, NULL);
	return rc ? rc : affected > 0;
}

static const struct engine_query Q_REPUBLISH_PENDING = {
	"SELECT COUNT(*) FROM live_republish",
	"", "i" };

int store_republish_pending(struct store *s, unsigned long long *out)
{
	*out = 0;
	return engine_run(s, &Q_REPUBLISH_PENDING, NULL, rows_u64, out, NULL, NULL);
}

/*
 * The streams to end (live/repair.c): requests that reached a final state at
 * least settle_us ago, after the cursor (at, id), oldest first. A final
 * state sets updated_at in its transition, and nothing moves a finished
 * request's but a new attempt (which makes it pending, then final again:
 * found again, later). A request whose publish waits for the repair is left
 * to it: its streams may not have the final state yet, and the repair ends
 * them after publishing.
 *
 * One branch per final status, each a walk of ix_status_updated (sql/003:
 * status, updated_at, and the primary key id after them) from the cursor in
 * the order asked, stopping at `cap` rows; the union's sort then has at most
 * 4 x cap rows. A single range over the four statuses cannot be read in
 * (updated_at, id) order: it sorted every row after the cursor, each round,
 * so a backlog (nginx down for an hour: every request finished meanwhile)
 * cost a sort of all of it every 2 s.
 */
#define LIVE_ENDED_BRANCH(status) \
	"(SELECT r.id, r.updated_at FROM generation_requests r FORCE INDEX (ix_status_updated) " \
	"WHERE r.status = '" status "' AND r.updated_at >= ? " \
	"AND r.updated_at <= UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND " \
	"AND (r.updated_at > ? OR r.id > ?) " \
	"AND NOT EXISTS (SELECT 1 FROM live_republish p WHERE p.request_id = r.id) " \
	"ORDER BY r.updated_at, r.id LIMIT ?)"
#define LIVE_ENDED_PARAMS "titbi"
static const struct engine_query Q_LIVE_ENDED = {
	LIVE_ENDED_BRANCH("completed") " UNION ALL " LIVE_ENDED_BRANCH("partial")
	" UNION ALL " LIVE_ENDED_BRANCH("failed") " UNION ALL " LIVE_ENDED_BRANCH("cancelled")
	" ORDER BY updated_at, id LIMIT ?",
	LIVE_ENDED_PARAMS LIVE_ENDED_PARAMS LIVE_ENDED_PARAMS LIVE_ENDED_PARAMS "i", "bt" };

struct ended_rows {
	struct store_live_end *out;
	unsigned cap, n;
};

static int ended_row(void *ctx, const struct sqlcell *c)
{
	struct ended_rows *d = ctx;
	if (d->n >= d->cap)
		return 1;
	if (c[0].null || c[0].len != 16 || c[1].null)
		return 0;
	memcpy(d->out[d->n].id.b, c[0].s, 16);
	d->out[d->n].ended_at = c[1].i;
	d->n++;
	return 0;
}

int store_live_ended(struct store *s, const struct store_live_end *after, int64_t settle_us,
		     struct store_live_end *out, unsigned cap, unsigned *n)
{
	struct ended_rows d = { out, cap, 0 };
	struct sqlv p[4 * 5 + 1];
	for (unsigned k = 0; k < 4; k++) {
		p[5 * k] = SV_TIME(after->ended_at);
		p[5 * k + 1] = SV_INT(settle_us);
		p[5 * k + 2] = SV_TIME(after->ended_at);
		p[5 * k + 3] = SV_UUID(&after->id);
		p[5 * k + 4] = SV_INT(cap);
	}
	p[20] = SV_INT(cap);
	int rc = engine_run(s, &Q_LIVE_ENDED, p, ended_row, &d, NULL, NULL);
	*n = d.n;
	return rc;
}
