#ifndef GENTRACK_STORE_INTERNAL_H
#define GENTRACK_STORE_INTERNAL_H

/*
 * What the store's concern files share, for src/store/ files only: the request
 * row and its readers (rows.c), and the runners of the few statements that
 * more than one concern makes, each defined in the file that owns the
 * statement. Everything else stays static in its file.
 */
#include "store/engine.h"

/* The columns of a request row, in the order rows_read_request() expects. */
#define REQ_COLUMNS \
	"id, owner, entity_type, subject_key, status, requested_count, " \
	"generated_count, failed_count, attempt, version, worker_id, " \
	"lease_expires_at, requested_at, started_at, completed_at, cancelled_at, " \
	"updated_at, failure_reason, error_message, constraints_json, metadata_json, webhook, priority"
#define REQ_TYPES "bssssiiiiisttttttsssssi"
#define REQ_NCOLUMNS 23

/* ---- rows.c ---- */

/* Fills r from a REQ_COLUMNS row. -1 on allocation failure (r released). */
int rows_read_request(const struct sqlcell *c, struct gen_request *r);
/* A status cell; an unknown one reads as failed (a row we cannot act on). */
enum gen_status rows_status(const struct sqlcell *c);

/* Reads one REQ_COLUMNS row into *out; failed on allocation failure. */
struct rows_one {
	struct gen_request *out;
	int failed;
};
int rows_one_request(void *ctx, const struct sqlcell *c);
/* Calls the sink's int (*)(void *, const struct gen_request *) for each REQ_COLUMNS row. */
int rows_request_sink(void *ctx, const struct sqlcell *c);
/* One id (ctx: struct uuid *). */
int rows_uuid(void *ctx, const struct sqlcell *c);
/* Ids up to cap. */
struct rows_ids {
	struct uuid *ids;
	unsigned n, cap;
};
int rows_uuid_batch(void *ctx, const struct sqlcell *c);
/* (idx, entity_json) appended to a struct gen_entity_list; -1 out of memory. */
int rows_entity(void *ctx, const struct sqlcell *c);
/* A count (ctx: unsigned long long *), 0 for NULL. */
int rows_u64(void *ctx, const struct sqlcell *c);
/* The columns of an EXPLAIN: id, select_type, table, type, possible_keys, key,
 * key_len, ref, rows, Extra. */
#define EXPLAIN_TYPES "ssssssssss"
/* The first row of an EXPLAIN into a struct store_plan (ctx). */
int rows_plan(void *ctx, const struct sqlcell *c);
/* The same for the row of table generation_requests, of a plan with a derived table. */
int rows_plan_requests(void *ctx, const struct sqlcell *c);

/* ---- keys.c ---- */

/* (id, role, owner) of a key into a struct principal. */
int keys_principal_row(void *ctx, const struct sqlcell *c);

/* ---- events.c ---- */

/* One row of the audit trail (from NULL for the creation). */
int events_insert(struct store *s, const struct uuid *id, int64_t at, const char *actor,
		  const char *from, const char *to, const char *message);

/* ---- webhooks.c ---- */

/*
 * The outbox: request `id` just reached final status `to` at `at`, in the
 * caller's transaction; writes one delivery for each enabled endpoint of
 * its owner subscribed to that event (none: one cheap read).
 */
int webhooks_outbox(struct store *s, const struct uuid *id, int64_t at, const char *to);

/* ---- metrics.c ---- */

/*
 * The counters of one transition whose event (id event_id, the request's
 * latest) was just written, in the caller's transaction: its count, and the
 * histogram bucket of the wait it ended (a claim, a worker's complete).
 */
int metrics_on_transition(struct store *s, const struct uuid *id, long long event_id,
			  const char *actor, const char *from, const char *to);
/* Counts request `id` as pruned in its (terminal) status, before its delete in the same transaction. */
int metrics_on_prune(struct store *s, const struct uuid *id);

/*
 * Counts one attempt's outcome of a webhook delivery (result "delivered",
 * "retried", "dead" or "disabled"), and the attempt itself when a POST was
 * made, in the caller's transaction.
 */
int metrics_on_delivery(struct store *s, const char *result, int attempted);

/* Counts one conflict (a transaction run again, or given up) of `operation`. */
int metrics_on_conflict(struct store *s, const char *operation);

/* ---- retry.c ---- */

/*
 * Every transaction function (it begins, and commits, or rolls back all it
 * wrote) runs under a retry loop:
 *
 *	struct retry r = RETRY_INIT("claim");
 *	do
 *		rc = claim_txn(s, ...);
 *	while (retry_again(s, &r, rc));
 *
 * retry_again() says whether rc is the STORE_UNAVAILABLE of a conflict
 * (engine_conflict(): 1213 or 1205) with attempts left; it counts the
 * conflict in /metrics (gentrack_conflicts_total{operation}) and sleeps a
 * random pause first. The function must set its outputs afresh on each run.
 * After RETRY_ATTEMPTS runs (2 when the last was a lock wait timeout, which
 * has waited 5 s already) the caller gets the STORE_UNAVAILABLE (a 503).
 */
#define RETRY_ATTEMPTS 8
struct retry {
	const char *operation;  /* a static name: the metric's label */
	unsigned attempts;      /* conflicts met so far */
};
#define RETRY_INIT(op) ((struct retry){ (op), 0 })
int retry_again(struct store *s, struct retry *r, int rc);

/* ---- requests.c ---- */

/* What a transition decided in C reads of a request under its row lock. */
struct requests_locked {
	enum gen_status status;
	unsigned attempt;
	uint64_t version;
	int64_t now;        /* the store's clock, read by the same statement */
};
/* Locks request `id` of `owner` (NULL = any) inside the caller's transaction. NOT_FOUND. */
int requests_lock(struct store *s, const struct uuid *id, const char *owner,
		  struct requests_locked *out);
/* cur->status → cancelled at cur->now, fenced on what was read; *n rows changed. */
int requests_cancel_row(struct store *s, const struct uuid *id, const struct requests_locked *cur,
			unsigned long long *n);

/* ---- idem.c ---- */

/* Records a create's response as the replay of its Idempotency-Key. */
int idem_finish(struct store *s, const struct store_idem *idem, const struct uuid *id,
		const char *response_body);

/* ---- limits.c ---- */

/* The limit that applies: the owner's own (a max_pending or max_processing
 * cell of owner_limits, NULL or a NULL cell: none) or the configuration's
 * (processing: 1 for max_processing_per_owner). 0 = no limit. */
long long limits_effective(struct store *s, const struct sqlcell *own, int processing);
/* Passes the owner's gate (sql/022) in the caller's transaction: holds its
 * row lock until the commit or rollback. */
int limits_gate(struct store *s, const char *owner);
/* With limit > 0: the gate, then whether the owner has fewer than `limit`
 * requests in `status` ("pending", "processing"): STORE_OK, or STORE_LIMIT
 * when it has `limit` already. Without a limit (<= 0): STORE_OK, no read. */
int limits_check(struct store *s, const char *owner, const char *status, long long limit);

/* ---- work.c ---- */

/* Drops the failed entities of a request: a new attempt makes them again. */
int work_drop_failed(struct store *s, const struct uuid *id);

#endif
