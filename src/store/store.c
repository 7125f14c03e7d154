#include "build_config.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/store.h"
#include "base/timeutil.h"
#include "base/banned.h"

/*
 * Every query, with the types of its parameters and of its result columns:
 *   i = integer, s = text, b = bytes (BINARY/BLOB), t = DATETIME(6) as µs.
 * Statements are prepared on first use on a connection and kept.
 */
enum query_id {
	Q_KEY_LOOKUP,
	Q_KEY_INSERT,
	Q_KEY_LIST,
	Q_KEY_STATE,
	Q_KEY_REVOKE,
	Q_ADMIN_SET,
	Q_REQ_INSERT,
	Q_EVENT_INSERT,
	Q_ACTIVE_SUBJECT,
	Q_REQ_GET,
	Q_REQ_LOCK,
	Q_REQ_CANCEL,
	Q_ENTITIES,
	Q_LIST_ALL,
	Q_LIST_STATUS,
	Q_POLL,
	Q_POLL_HEAD,
	Q_PENDING_HEAD,
	Q_IDEM_INSERT,
	Q_IDEM_GET,
	Q_IDEM_RECLAIM,
	Q_IDEM_FINISH,
	Q_IDEM_DELETE,
	Q_CLAIM_PICK,
	Q_CLAIM_SET,
	Q_DROP_FAILED,
	Q_GENERATED_IDX,
	Q_LEASE_LOCK,
	Q_COMPLETE_LOCK,
	Q_LEASE_EXTEND,
	Q_ENTITY_INSERT,
	Q_COUNT_GENERATED,
	Q_COUNT_FAILED,
	Q_LAST_ERROR,
	Q_COMPLETE,
	Q_EVENTS,
	Q_STALE_LEASE,
	Q_STALE_RUNTIME,
	Q_STALE_PENDING,
	Q_EXPLAIN_LEASE,
	Q_EXPLAIN_RUNTIME,
	Q_EXPLAIN_PENDING,
	Q_TIMEOUT_RETRY,
	Q_TIMEOUT_FAIL,
	Q_OPS_LIST_ALL,
	Q_OPS_LIST_STATUS,
	Q_PRUNE_PICK,
	Q_PRUNE_IDEM_OF,
	Q_PRUNE_REQUEST,
	Q_PRUNE_IDEM_OLD,
	Q_MIG_INIT,
	Q_MIG_APPLIED,
	Q_MIG_RECORD,
	Q_ADMIN_GET,
	Q_ADMIN_LIST,
	Q_ADMIN_DELETE,
	Q_STATUS_COUNTS,
	Q_STATUS_COUNTS_SINCE,
	Q_STUCK_LIST,
	Q_STUCK_COUNT,
	Q_RECENT_EVENTS,
	Q_ADMIN_RETRY,
	Q_ACTION_INSERT,
	Q_ACTION_GET,
	Q_ACTION_FINISH,
	Q_METRIC_TRANSITIONS,
	Q_METRIC_CLAIM_LATENCY,
	Q_METRIC_DURATION,
	Q_COUNT
};

struct query_def {
	const char *sql;
	const char *params;   /* one type letter per '?' */
	const char *columns;  /* one type letter per result column; "" for none */
};

/* The columns of a request row, in the order read_request() expects. */
#define REQ_COLUMNS \
	"id, owner, entity_type, subject_key, status, requested_count, " \
	"generated_count, failed_count, attempt, version, worker_id, " \
	"lease_expires_at, requested_at, started_at, completed_at, cancelled_at, " \
	"updated_at, failure_reason, error_message, constraints_json, metadata_json"
#define REQ_TYPES "bssssiiiiisttttttssss"
/* The same, qualified for joins on a table aliased r. */
#define POLL_REQ_COLUMNS \
	"r.id, r.owner, r.entity_type, r.subject_key, r.status, r.requested_count, " \
	"r.generated_count, r.failed_count, r.attempt, r.version, r.worker_id, " \
	"r.lease_expires_at, r.requested_at, r.started_at, r.completed_at, r.cancelled_at, " \
	"r.updated_at, r.failure_reason, r.error_message, r.constraints_json, r.metadata_json"
#define STALE_COLUMNS \
	"id, status, attempt, requested_at, started_at, lease_expires_at, owner, entity_type"
#define STALE_TYPES "bsitttss"
#define SQL_STALE_LEASE \
	"SELECT " STALE_COLUMNS " FROM generation_requests " \
	"WHERE status = 'processing' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?"
#define SQL_STALE_RUNTIME \
	"SELECT " STALE_COLUMNS " FROM generation_requests " \
	"WHERE status = 'processing' AND started_at < ? ORDER BY started_at LIMIT ?"
#define SQL_STALE_PENDING \
	"SELECT " STALE_COLUMNS " FROM generation_requests " \
	"WHERE status = 'pending' AND requested_at < ? ORDER BY requested_at LIMIT ?"
/* id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra */
#define EXPLAIN_TYPES "ssssssssss"

/*
 * The admin page's stuck requests (SPEC §3): processing past half of
 * stale_after or with an expired lease, pending past pending_timeout; each
 * also older than an age cutoff (bulk cancel), with optional type and status.
 */
#define STUCK_WHERE \
	"WHERE ((status = 'processing' AND (started_at < ? OR lease_expires_at < ?) " \
	"AND started_at < ?) OR (status = 'pending' AND requested_at < ? AND requested_at < ?)) " \
	"AND (? IS NULL OR entity_type = ?) AND (? IS NULL OR status = ?) "
#define STUCK_TYPES "tttttssss"
/* A histogram over `ms`: count, sum, then how many are <= each of 10 bounds. */
#define HIST_LE "CAST(COALESCE(SUM(ms <= ?), 0) AS SIGNED)"
#define HIST_SELECT \
	"SELECT COUNT(*), CAST(COALESCE(SUM(ms), 0) AS SIGNED), " \
	HIST_LE ", " HIST_LE ", " HIST_LE ", " HIST_LE ", " HIST_LE ", " \
	HIST_LE ", " HIST_LE ", " HIST_LE ", " HIST_LE ", " HIST_LE " FROM "
#define HIST_PARAMS "iiiiiiiiii"
#define HIST_TYPES "iiiiiiiiiiii"

static const struct query_def queries[Q_COUNT] = {
	[Q_KEY_LOOKUP] = {
		"SELECT id, role, owner FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
		"b", "iss" },
	[Q_KEY_INSERT] = {
		"INSERT INTO api_keys (key_hash, prefix, role, owner, created_at) VALUES (?, ?, ?, ?, ?)",
		"bssst", "" },
	[Q_KEY_LIST] = {
		"SELECT id, prefix, role, owner, created_at, revoked_at FROM api_keys ORDER BY id",
		"", "issstt" },
	[Q_KEY_STATE] = {
		"SELECT revoked_at FROM api_keys WHERE id = ?",
		"i", "t" },
	[Q_KEY_REVOKE] = {
		"UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
		"ti", "" },
	[Q_ADMIN_SET] = {
		"INSERT INTO admin_users (name, password_hash, created_at, updated_at) "
		"VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
		"password_hash = VALUES(password_hash), updated_at = VALUES(updated_at)",
		"sstt", "" },
	[Q_REQ_INSERT] = {
		"INSERT INTO generation_requests (id, owner, entity_type, subject_key, status, "
		"requested_count, version, requested_at, updated_at, constraints_json, metadata_json) "
		"VALUES (?, ?, ?, ?, 'pending', ?, 1, ?, ?, ?, ?)",
		"bsssittss", "" },
	[Q_EVENT_INSERT] = {
		"INSERT INTO generation_events (request_id, at, actor, from_status, to_status, message) "
		"VALUES (?, ?, ?, ?, ?, ?)",
		"btssss", "" },
	[Q_ACTIVE_SUBJECT] = {
		"SELECT id FROM generation_requests "
		"WHERE owner = ? AND entity_type = ? AND active_subject = ?",
		"sss", "b" },
	[Q_REQ_GET] = {
		"SELECT " REQ_COLUMNS " FROM generation_requests WHERE id = ? AND (? IS NULL OR owner = ?)",
		"bss", REQ_TYPES },
	[Q_REQ_LOCK] = {
		"SELECT status, attempt FROM generation_requests "
		"WHERE id = ? AND (? IS NULL OR owner = ?) FOR UPDATE",
		"bss", "si" },
	[Q_REQ_CANCEL] = {
		"UPDATE generation_requests SET status = 'cancelled', cancelled_at = ?, updated_at = ?, "
		"lease_expires_at = NULL, version = version + 1 "
		"WHERE id = ? AND status = ? AND attempt = ?",
		"ttbsi", "" },
	[Q_ENTITIES] = {
		"SELECT idx, entity_json FROM generation_entities "
		"WHERE request_id = ? AND status = 'generated' ORDER BY idx",
		"b", "is" },
	[Q_LIST_ALL] = {
		"SELECT " REQ_COLUMNS " FROM generation_requests "
		"WHERE owner = ? AND (? IS NULL OR entity_type = ?) AND (? IS NULL OR subject_key = ?) "
		"AND id < ? ORDER BY id DESC LIMIT ?",
		"sssssbi", REQ_TYPES },
	[Q_LIST_STATUS] = {
		"SELECT " REQ_COLUMNS " FROM generation_requests "
		"WHERE owner = ? AND status = ? AND (? IS NULL OR entity_type = ?) "
		"AND (? IS NULL OR subject_key = ?) AND id < ? ORDER BY id DESC LIMIT ?",
		"ssssssbi", REQ_TYPES },
	/*
	 * A status poll in one round trip: the key (found by its hash, not
	 * revoked), the request if the key's owner owns it, and its generated
	 * entities unless the poller already has this version (If-None-Match).
	 * No ORDER BY: sorting on a column of an outer join's inner table makes
	 * MariaDB copy every row, texts and all, into a temporary table. The
	 * entities are put in order in C instead (store_poll).
	 */
	[Q_POLL] = {
		"SELECT k.id, k.role, k.owner, " POLL_REQ_COLUMNS ", e.idx, e.entity_json "
		"FROM api_keys k "
		"LEFT JOIN generation_requests r ON r.id = ? AND r.owner = k.owner "
		"LEFT JOIN generation_entities e ON e.request_id = r.id AND e.status = 'generated' "
		"AND r.version <> ? "
		"WHERE k.key_hash = ? AND k.revoked_at IS NULL",
		"bib", "iss" REQ_TYPES "is" },
	/* The same without entities, for a poller that names a version (a 304,
	 * mostly): the third table costs the server a third more per poll. */
	[Q_POLL_HEAD] = {
		"SELECT k.id, k.role, k.owner, " POLL_REQ_COLUMNS " "
		"FROM api_keys k "
		"LEFT JOIN generation_requests r ON r.id = ? AND r.owner = k.owner "
		"WHERE k.key_hash = ? AND k.revoked_at IS NULL",
		"bb", "iss" REQ_TYPES },
	/* The head of a type's queue, oldest first, for Retry-After hints. */
	[Q_PENDING_HEAD] = {
		"SELECT id FROM generation_requests "
		"WHERE status = 'pending' AND entity_type = ? ORDER BY id LIMIT ?",
		"si", "b" },
	[Q_IDEM_INSERT] = {
		"INSERT INTO idempotency_keys (owner, idem_key, body_hash, state, created_at) "
		"VALUES (?, ?, ?, 'processing', ?)",
		"sbbt", "" },
	[Q_IDEM_GET] = {
		"SELECT body_hash, state, request_id, response_status, response_body, created_at "
		"FROM idempotency_keys WHERE owner = ? AND idem_key = ?",
		"sb", "bsbist" },
	[Q_IDEM_RECLAIM] = {
		"UPDATE idempotency_keys SET body_hash = ?, state = 'processing', request_id = NULL, "
		"response_status = NULL, response_body = NULL, created_at = ? "
		"WHERE owner = ? AND idem_key = ? AND created_at = ?",
		"btsbt", "" },
	[Q_IDEM_FINISH] = {
		"UPDATE idempotency_keys SET state = 'done', request_id = ?, response_status = ?, "
		"response_body = ? WHERE owner = ? AND idem_key = ?",
		"bissb", "" },
	[Q_IDEM_DELETE] = {
		"DELETE FROM idempotency_keys WHERE owner = ? AND idem_key = ? AND state = 'processing'",
		"sb", "" },
	/* Oldest pending of up to 8 types; SKIP LOCKED lets concurrent claims pass
	 * each other instead of queueing on the same row. The (status, id) index
	 * starts the walk at the oldest pending row; left to itself the optimizer
	 * scanned the primary key, reading (and locking) the table's history. */
	[Q_CLAIM_PICK] = {
		"SELECT " REQ_COLUMNS " FROM generation_requests FORCE INDEX (ix_status_id) "
		"WHERE status = 'pending' "
		"AND entity_type IN (?, ?, ?, ?, ?, ?, ?, ?) "
		"ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
		"ssssssss", REQ_TYPES },
	/* claim_applied() makes the same changes to the row read above. */
	[Q_CLAIM_SET] = {
		"UPDATE generation_requests SET status = 'processing', attempt = attempt + 1, "
		"worker_id = ?, started_at = ?, lease_expires_at = ?, lease_seconds = ?, "
		"updated_at = ?, failed_count = 0, version = version + 1 "
		"WHERE id = ? AND status = 'pending'",
		"sttitb", "" },
	/* A new attempt makes the entities the last one failed. */
	[Q_DROP_FAILED] = {
		"DELETE FROM generation_entities WHERE request_id = ? AND status = 'failed'",
		"b", "" },
	[Q_GENERATED_IDX] = {
		"SELECT idx FROM generation_entities WHERE request_id = ? AND status = 'generated' "
		"ORDER BY idx",
		"b", "i" },
	[Q_LEASE_LOCK] = {
		"SELECT status, worker_id, attempt, requested_count, generated_count, failed_count, "
		"lease_seconds FROM generation_requests WHERE id = ? FOR UPDATE",
		"b", "ssiiiii" },
	/* Completion locks the whole row: complete_applied() then stands in for a re-read. */
	[Q_COMPLETE_LOCK] = {
		"SELECT " REQ_COLUMNS " FROM generation_requests WHERE id = ? FOR UPDATE",
		"b", REQ_TYPES },
	[Q_LEASE_EXTEND] = {
		"UPDATE generation_requests SET lease_expires_at = ? "
		"WHERE id = ? AND status = 'processing' AND attempt = ?",
		"tbi", "" },
	[Q_ENTITY_INSERT] = {
		"INSERT INTO generation_entities (request_id, idx, status, entity_json, error, "
		"attempt, worker_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		"bisssist", "" },
	[Q_COUNT_GENERATED] = {
		"UPDATE generation_requests SET generated_count = generated_count + 1, "
		"updated_at = ?, version = version + 1 WHERE id = ?",
		"tb", "" },
	[Q_COUNT_FAILED] = {
		"UPDATE generation_requests SET failed_count = failed_count + 1, "
		"updated_at = ?, version = version + 1 WHERE id = ?",
		"tb", "" },
	[Q_LAST_ERROR] = {
		"SELECT error FROM generation_entities WHERE request_id = ? AND status = 'failed' "
		"ORDER BY idx DESC LIMIT 1",
		"b", "s" },
	[Q_COMPLETE] = {
		"UPDATE generation_requests SET status = ?, completed_at = ?, updated_at = ?, "
		"lease_expires_at = NULL, failure_reason = ?, error_message = ?, "
		"version = version + 1 WHERE id = ? AND status = 'processing' AND attempt = ?",
		"sttssbi", "" },
	[Q_EVENTS] = {
		"SELECT at, actor, from_status, to_status, message FROM generation_events "
		"WHERE request_id = ? ORDER BY id",
		"b", "tssss" },
	/* The reaper's three kinds of stale rows, each an index range scan
	 * (status + deadline column), oldest deadline first. */
	[Q_STALE_LEASE] = { SQL_STALE_LEASE, "ti", STALE_TYPES },
	[Q_STALE_RUNTIME] = { SQL_STALE_RUNTIME, "ti", STALE_TYPES },
	[Q_STALE_PENDING] = { SQL_STALE_PENDING, "ti", STALE_TYPES },
	/* The same, explained: the test suite checks they walk an index. */
	[Q_EXPLAIN_LEASE] = { "EXPLAIN " SQL_STALE_LEASE, "ti", EXPLAIN_TYPES },
	[Q_EXPLAIN_RUNTIME] = { "EXPLAIN " SQL_STALE_RUNTIME, "ti", EXPLAIN_TYPES },
	[Q_EXPLAIN_PENDING] = { "EXPLAIN " SQL_STALE_PENDING, "ti", EXPLAIN_TYPES },
	[Q_TIMEOUT_RETRY] = {
		"UPDATE generation_requests SET status = 'pending', worker_id = NULL, "
		"lease_expires_at = NULL, lease_seconds = NULL, updated_at = ?, version = version + 1 "
		"WHERE id = ? AND status = 'processing' AND attempt = ?",
		"tbi", "" },
	[Q_TIMEOUT_FAIL] = {
		"UPDATE generation_requests SET status = 'failed', completed_at = ?, updated_at = ?, "
		"lease_expires_at = NULL, failure_reason = ?, error_message = ?, version = version + 1 "
		"WHERE id = ? AND status = ? AND attempt = ?",
		"ttssbsi", "" },
	[Q_OPS_LIST_ALL] = {
		"SELECT " REQ_COLUMNS " FROM generation_requests "
		"WHERE (? IS NULL OR entity_type = ?) AND id < ? ORDER BY id DESC LIMIT ?",
		"ssbi", REQ_TYPES },
	[Q_OPS_LIST_STATUS] = {
		"SELECT " REQ_COLUMNS " FROM generation_requests "
		"WHERE status = ? AND (? IS NULL OR entity_type = ?) AND id < ? ORDER BY id DESC LIMIT ?",
		"sssbi", REQ_TYPES },
	[Q_PRUNE_PICK] = {
		"SELECT id FROM generation_requests "
		"WHERE status IN ('completed', 'partial', 'failed', 'cancelled') AND updated_at < ? "
		"LIMIT ?",
		"ti", "b" },
	[Q_PRUNE_IDEM_OF] = {
		"DELETE FROM idempotency_keys WHERE request_id = ?",
		"b", "" },
	/* Entities and events go with it (ON DELETE CASCADE). */
	[Q_PRUNE_REQUEST] = {
		"DELETE FROM generation_requests WHERE id = ? "
		"AND status IN ('completed', 'partial', 'failed', 'cancelled')",
		"b", "" },
	[Q_PRUNE_IDEM_OLD] = {
		"DELETE FROM idempotency_keys WHERE created_at < ? LIMIT ?",
		"ti", "" },
	[Q_MIG_INIT] = {
		"CREATE TABLE IF NOT EXISTS schema_migrations ("
		" version INT UNSIGNED NOT NULL, name VARCHAR(255) NOT NULL,"
		" applied_at DATETIME(6) NOT NULL, PRIMARY KEY (version)"
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		"", "" },
	[Q_MIG_APPLIED] = {
		"SELECT version FROM schema_migrations WHERE version = ?",
		"i", "i" },
	[Q_MIG_RECORD] = {
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		"ist", "" },
	[Q_ADMIN_GET] = {
		"SELECT password_hash FROM admin_users WHERE name = ?",
		"s", "s" },
	[Q_ADMIN_LIST] = {
		"SELECT name, created_at, updated_at FROM admin_users ORDER BY name",
		"", "stt" },
	[Q_ADMIN_DELETE] = {
		"DELETE FROM admin_users WHERE name = ?",
		"s", "" },
	[Q_STATUS_COUNTS] = {
		"SELECT status, COUNT(*) FROM generation_requests GROUP BY status",
		"", "si" },
	[Q_STATUS_COUNTS_SINCE] = {
		"SELECT status, COUNT(*) FROM generation_requests WHERE requested_at >= ? GROUP BY status",
		"t", "si" },
	[Q_STUCK_LIST] = {
		"SELECT " REQ_COLUMNS " FROM generation_requests " STUCK_WHERE "ORDER BY id LIMIT ?",
		STUCK_TYPES "i", REQ_TYPES },
	[Q_STUCK_COUNT] = {
		"SELECT COUNT(*) FROM generation_requests " STUCK_WHERE,
		STUCK_TYPES, "i" },
	[Q_RECENT_EVENTS] = {
		"SELECT e.request_id, e.at, e.actor, e.from_status, e.to_status, e.message, "
		"r.entity_type FROM generation_events e "
		"JOIN generation_requests r ON r.id = e.request_id ORDER BY e.id DESC LIMIT ?",
		"i", "btsssss" },
	/* An operator's retry starts the request afresh (requested_at too, or the
	 * reaper would fail an old one at once as never started); the entities
	 * generated so far stay, the failed ones go (Q_DROP_FAILED). */
	[Q_ADMIN_RETRY] = {
		"UPDATE generation_requests SET status = 'pending', worker_id = NULL, "
		"lease_expires_at = NULL, lease_seconds = NULL, started_at = NULL, completed_at = NULL, "
		"cancelled_at = NULL, failure_reason = NULL, error_message = NULL, failed_count = 0, "
		"requested_at = ?, updated_at = ?, version = version + 1 "
		"WHERE id = ? AND status = ? AND attempt = ?",
		"ttbsi", "" },
	[Q_ACTION_INSERT] = {
		"INSERT INTO admin_actions (action_id, actor, kind, created_at) VALUES (?, ?, ?, ?)",
		"ssst", "" },
	[Q_ACTION_GET] = {
		"SELECT affected FROM admin_actions WHERE action_id = ?",
		"s", "i" },
	[Q_ACTION_FINISH] = {
		"UPDATE admin_actions SET affected = ? WHERE action_id = ?",
		"is", "" },
	/* Derived from the audit trail, so every pool child reports the same. */
	[Q_METRIC_TRANSITIONS] = {
		"SELECT SUBSTRING_INDEX(actor, ':', 1) AS kind, to_status, COUNT(*) "
		"FROM generation_events GROUP BY kind, to_status ORDER BY kind, to_status",
		"", "ssi" },
	/* From the event that made a request pending to the claim that took it. */
	[Q_METRIC_CLAIM_LATENCY] = {
		HIST_SELECT "(SELECT TIMESTAMPDIFF(MICROSECOND, prev_at, at) DIV 1000 AS ms FROM "
		"(SELECT at, to_status, LAG(at) OVER (PARTITION BY request_id ORDER BY id) AS prev_at "
		"FROM generation_events) ev WHERE to_status = 'processing' AND prev_at IS NOT NULL) x",
		HIST_PARAMS, HIST_TYPES },
	/* A worker's attempt from claim to complete (not timeouts, not operators). */
	[Q_METRIC_DURATION] = {
		HIST_SELECT "(SELECT TIMESTAMPDIFF(MICROSECOND, started_at, completed_at) DIV 1000 AS ms "
		"FROM generation_requests WHERE (status IN ('completed', 'partial') "
		"OR failure_reason = 'generator_failed') AND started_at IS NOT NULL "
		"AND completed_at IS NOT NULL) x",
		HIST_PARAMS, HIST_TYPES },
};

#define MAX_BINDS 32
#define COLBUF_INITIAL 256
#define COLBUF_MAX (64u << 20)

/* A parameter value; which member is used depends on the query's type letter. */
struct sqlv {
	long long i;        /* 'i'; 't' as µs (TIME_NONE = NULL) */
	const void *p;      /* 's', 'b'; NULL = SQL NULL */
	unsigned long len;
};
#define SV_INT(x) ((struct sqlv){ .i = (long long)(x) })
#define SV_TIME(us) ((struct sqlv){ .i = (us) })
static inline struct sqlv sv_str(const char *s)
{
	return (struct sqlv){ .p = s, .len = s ? (unsigned long)strlen(s) : 0 };
}
#define SV_STR(s) sv_str(s)
#define SV_BIN(ptr, n) ((struct sqlv){ .p = (ptr), .len = (unsigned long)(n) })
#define SV_UUID(u) SV_BIN((u)->b, 16)

/* A result cell, borrowed for the duration of a row callback. */
struct sqlcell {
	int null;
	long long i;        /* 'i'; 't' as µs */
	const char *s;      /* 's', 'b': NUL-terminated, `len` bytes */
	unsigned long len;
};

typedef int (*row_fn)(void *ctx, const struct sqlcell *cells);

struct store {
	const struct config *cfg;
	MYSQL *mysql;                 /* NULL while disconnected */
	MYSQL_STMT *stmts[Q_COUNT];   /* prepared on this connection, or NULL */
	int in_txn;
	char *colbuf[MAX_BINDS];      /* result buffers reused by every query */
	unsigned long colcap[MAX_BINDS];
	unsigned connect_error;       /* error of the last failed connect, 0 after a success */
	unsigned connect_failures;    /* failed connects since the last success */
	char error[512];
};

static void store_set_error(struct store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void store_set_error(struct store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

const char *store_last_error(const struct store *s)
{
	return s->error;
}

struct store *store_new(const struct config *cfg)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = cfg;
	return s;
}

static void store_disconnect(struct store *s)
{
	for (int q = 0; q < Q_COUNT; q++) {
		if (s->stmts[q])
			mysql_stmt_close(s->stmts[q]);
		s->stmts[q] = NULL;
	}
	if (s->mysql)
		mysql_close(s->mysql);
	s->mysql = NULL;
	s->in_txn = 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	store_disconnect(s);
	for (int i = 0; i < MAX_BINDS; i++)
		free(s->colbuf[i]);
	free(s);
}

/* Errors after which the connection is gone and must be made anew. */
static int is_connection_error(unsigned err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST ||
	       err == CR_SERVER_LOST_EXTENDED || err == CR_CONNECTION_ERROR ||
	       err == CR_CONN_HOST_ERROR || err == ER_CONNECTION_KILLED ||
	       err == CR_COMMANDS_OUT_OF_SYNC || err == 4031 /* client idle timeout */;
}

int store_connect(struct store *s)
{
	const struct config *c = s->cfg;
	unsigned timeout = (unsigned)c->store_connect_timeout;
	unsigned io_timeout = 30;
	int use_tcp = c->store_host && c->store_host[0];

	if (s->mysql)
		return STORE_OK;
	s->mysql = mysql_init(NULL);
	if (!s->mysql) {
		store_set_error(s, "out of memory");
		return STORE_ERROR;
	}
	mysql_options(s->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	/* A hung server must not hang a worker past nginx's timeout. */
	mysql_options(s->mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_options(s->mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	mysql_options(s->mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* READ COMMITTED: every transition is a conditional update or a locked
	 * read, so nothing needs repeatable reads, and scans keep no locks on
	 * rows they pass over (claims would otherwise queue behind each other). */
	mysql_options(s->mysql, MYSQL_INIT_COMMAND,
		      "SET time_zone = '+00:00', innodb_lock_wait_timeout = 5, "
		      "tx_isolation = 'READ-COMMITTED', "
		      "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'");
	if (!mysql_real_connect(s->mysql, use_tcp ? c->store_host : "localhost",
				c->store_user, c->store_password, c->store_database,
				use_tcp ? (unsigned)c->store_port : 0,
				use_tcp ? NULL : c->store_socket,
				/* Conditional updates count matched rows, even when a
				 * value happens to be unchanged. */
				CLIENT_FOUND_ROWS)) {
		unsigned err = mysql_errno(s->mysql);
		if (use_tcp)
			store_set_error(s, "cannot connect to MariaDB at %s:%d: %s (%u)",
					c->store_host, c->store_port, mysql_error(s->mysql), err);
		else
			store_set_error(s, "cannot connect to MariaDB at %s: %s (%u)",
					c->store_socket, mysql_error(s->mysql), err);
		/* Why, once per burst of failures (and again if the cause
		 * changes), not once per request: an outage must not flood the log. */
		if (err != s->connect_error)
			log_warn("store unavailable: %s", s->error);
		s->connect_error = err;
		s->connect_failures++;
		mysql_close(s->mysql);
		s->mysql = NULL;
		return STORE_UNAVAILABLE;
	}
	if (s->connect_failures)
		log_info("store reachable again after %u failed connection attempts",
			 s->connect_failures);
	s->connect_error = 0;
	s->connect_failures = 0;
	return STORE_OK;
}

int store_ping(struct store *s)
{
	int rc = store_connect(s);
	if (rc)
		return rc;
	if (mysql_ping(s->mysql) == 0)
		return STORE_OK;
	store_disconnect(s);
	rc = store_connect(s);
	if (rc)
		return rc;
	return mysql_ping(s->mysql) == 0 ? STORE_OK : STORE_UNAVAILABLE;
}

/* Maps a server or client error code to a domain code, dropping dead connections. */
static int classify(struct store *s, unsigned err, const char *msg, const char *what)
{
	if (err == ER_DUP_ENTRY)
		return STORE_DUPLICATE;
	store_set_error(s, "%s: %s (%u)", what, msg, err);
	if (is_connection_error(err)) {
		log_warn("store connection lost: %s", s->error);
		store_disconnect(s);
		return STORE_UNAVAILABLE;
	}
	if (err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT) {
		log_warn("store busy: %s", s->error);
		return STORE_UNAVAILABLE;
	}
	log_error("store error: %s", s->error);
	return STORE_ERROR;
}

static MYSQL_STMT *prepared(struct store *s, enum query_id q, int *rc)
{
	*rc = store_connect(s);
	if (*rc)
		return NULL;
	if (s->stmts[q])
		return s->stmts[q];
	MYSQL_STMT *st = mysql_stmt_init(s->mysql);
	if (!st) {
		*rc = classify(s, mysql_errno(s->mysql), mysql_error(s->mysql), "statement init");
		return NULL;
	}
	if (mysql_stmt_prepare(st, queries[q].sql, (unsigned long)strlen(queries[q].sql))) {
		*rc = classify(s, mysql_stmt_errno(st), mysql_stmt_error(st), "prepare");
		mysql_stmt_close(st);
		return NULL;
	}
	s->stmts[q] = st;
	return st;
}

static void us_to_mysql_time(int64_t us, MYSQL_TIME *t)
{
	struct civil_time c;
	time_to_civil(us, &c);
	memset(t, 0, sizeof(*t));
	t->year = (unsigned)c.year;
	t->month = (unsigned)c.month;
	t->day = (unsigned)c.day;
	t->hour = (unsigned)c.hour;
	t->minute = (unsigned)c.minute;
	t->second = (unsigned)c.second;
	t->second_part = (unsigned long)c.micro;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
}

static int64_t mysql_time_to_us(const MYSQL_TIME *t)
{
	struct civil_time c = {
		.year = (int)t->year, .month = (int)t->month, .day = (int)t->day,
		.hour = (int)t->hour, .minute = (int)t->minute, .second = (int)t->second,
		.micro = (int)t->second_part,
	};
	int64_t us;
	return time_from_civil(&c, &us) ? TIME_NONE : us;
}

static int colbuf_reserve(struct store *s, unsigned col, unsigned long need)
{
	if (s->colcap[col] >= need)
		return 0;
	unsigned long cap = s->colcap[col] ? s->colcap[col] : COLBUF_INITIAL;
	while (cap < need)
		cap *= 2;
	if (cap > COLBUF_MAX)
		return -1;
	char *p = realloc(s->colbuf[col], cap);
	if (!p)
		return -1;
	s->colbuf[col] = p;
	s->colcap[col] = cap;
	return 0;
}

/*
 * Runs query q with params. For a SELECT, calls fn for each row (fn must not
 * run other queries); *rows and *affected are set when not NULL. A read that
 * hits a dead connection outside a transaction is retried once after a
 * reconnect: that is how a child recovers after wait_timeout or a restart.
 */
static int run(struct store *s, enum query_id q, const struct sqlv *params,
	       row_fn fn, void *ctx, unsigned long long *affected, size_t *rows)
{
	const struct query_def *def = &queries[q];
	size_t nparams = strlen(def->params);
	size_t ncols = strlen(def->columns);
	MYSQL_BIND pb[MAX_BINDS], rb[MAX_BINDS];
	MYSQL_TIME ptime[MAX_BINDS], rtime[MAX_BINDS];
	my_bool pnull[MAX_BINDS], rnull[MAX_BINDS], rerr[MAX_BINDS];
	unsigned long rlen[MAX_BINDS];
	long long rint[MAX_BINDS];
	struct sqlcell cells[MAX_BINDS];
	int attempts = (ncols > 0 && !s->in_txn) ? 2 : 1;
	int rc = STORE_OK;

	if (rows)
		*rows = 0;
	for (int attempt = 0; attempt < attempts; attempt++) {
		MYSQL_STMT *st = prepared(s, q, &rc);
		if (!st) {
			if (rc == STORE_UNAVAILABLE && attempt + 1 < attempts && !s->mysql)
				continue;
			return rc;
		}
		memset(pb, 0, sizeof(pb[0]) * nparams);
		for (size_t k = 0; k < nparams; k++) {
			pnull[k] = 0;
			pb[k].is_null = &pnull[k];
			switch (def->params[k]) {
			case 'i':
				pb[k].buffer_type = MYSQL_TYPE_LONGLONG;
				pb[k].buffer = (void *)&params[k].i;
				break;
			case 't':
				pb[k].buffer_type = MYSQL_TYPE_DATETIME;
				if (params[k].i == TIME_NONE) {
					pnull[k] = 1;
				} else {
					us_to_mysql_time(params[k].i, &ptime[k]);
					pb[k].buffer = &ptime[k];
				}
				break;
			default: /* 's', 'b' */
				pb[k].buffer_type = def->params[k] == 'b' ? MYSQL_TYPE_BLOB
									  : MYSQL_TYPE_STRING;
				pb[k].buffer = (void *)params[k].p;
				pb[k].buffer_length = params[k].len;
				pnull[k] = params[k].p == NULL;
				break;
			}
		}
		if ((nparams && mysql_stmt_bind_param(st, pb)) || mysql_stmt_execute(st)) {
			rc = classify(s, mysql_stmt_errno(st), mysql_stmt_error(st), "execute");
			if (rc == STORE_UNAVAILABLE && attempt + 1 < attempts && !s->mysql)
				continue;
			return rc;
		}
		if (affected)
			*affected = (unsigned long long)mysql_stmt_affected_rows(st);
		if (ncols == 0)
			return STORE_OK;

		memset(rb, 0, sizeof(rb[0]) * ncols);
		for (size_t k = 0; k < ncols; k++) {
			rb[k].is_null = &rnull[k];
			rb[k].length = &rlen[k];
			rb[k].error = &rerr[k];
			switch (def->columns[k]) {
			case 'i':
				rb[k].buffer_type = MYSQL_TYPE_LONGLONG;
				rb[k].buffer = &rint[k];
				break;
			case 't':
				rb[k].buffer_type = MYSQL_TYPE_DATETIME;
				rb[k].buffer = &rtime[k];
				break;
			default:
				if (colbuf_reserve(s, (unsigned)k, COLBUF_INITIAL)) {
					mysql_stmt_free_result(st);
					store_set_error(s, "out of memory");
					return STORE_ERROR;
				}
				rb[k].buffer_type = MYSQL_TYPE_BLOB;
				rb[k].buffer = s->colbuf[k];
				/* Leave room for the NUL we add. */
				rb[k].buffer_length = s->colcap[k] - 1;
				break;
			}
		}
		if (mysql_stmt_bind_result(st, rb) || mysql_stmt_store_result(st)) {
			rc = classify(s, mysql_stmt_errno(st), mysql_stmt_error(st), "result");
			mysql_stmt_free_result(st);
			if (rc == STORE_UNAVAILABLE && attempt + 1 < attempts && !s->mysql)
				continue;
			return rc;
		}
		for (;;) {
			/* The connector sets these only when a column is truncated. */
			memset(rerr, 0, sizeof(rerr[0]) * ncols);
			int f = mysql_stmt_fetch(st);
			if (f == MYSQL_NO_DATA)
				break;
			if (f == 1) {
				rc = classify(s, mysql_stmt_errno(st), mysql_stmt_error(st), "fetch");
				break;
			}
			if (f == MYSQL_DATA_TRUNCATED) {
				/* A text longer than its buffer: grow it, fetch it again. */
				int rebind = 0;
				for (size_t k = 0; k < ncols && rc == STORE_OK; k++) {
					if (!rerr[k] || (def->columns[k] != 's' && def->columns[k] != 'b'))
						continue;
					if (colbuf_reserve(s, (unsigned)k, rlen[k] + 1)) {
						store_set_error(s, "out of memory");
						rc = STORE_ERROR;
						break;
					}
					rb[k].buffer = s->colbuf[k];
					rb[k].buffer_length = s->colcap[k] - 1;
					if (mysql_stmt_fetch_column(st, &rb[k], (unsigned)k, 0))
						rc = classify(s, mysql_stmt_errno(st),
							      mysql_stmt_error(st), "fetch column");
					rebind = 1;
				}
				if (rc == STORE_OK && rebind && mysql_stmt_bind_result(st, rb))
					rc = classify(s, mysql_stmt_errno(st), mysql_stmt_error(st),
						      "rebind");
				if (rc)
					break;
			}
			for (size_t k = 0; k < ncols; k++) {
				cells[k] = (struct sqlcell){ .null = rnull[k] != 0 };
				if (rnull[k])
					continue;
				switch (def->columns[k]) {
				case 'i':
					cells[k].i = rint[k];
					break;
				case 't':
					cells[k].i = mysql_time_to_us(&rtime[k]);
					break;
				default:
					s->colbuf[k][rlen[k]] = '\0';
					cells[k].s = s->colbuf[k];
					cells[k].len = rlen[k];
					break;
				}
			}
			if (rows)
				(*rows)++;
			if (fn && fn(ctx, cells))
				break;
		}
		if (s->mysql)
			mysql_stmt_free_result(st);
		return rc;
	}
	return rc;
}

/* Runs a fixed statement of ours (transaction control) outside the cache. */
static int run_text(struct store *s, const char *sql)
{
	int rc = store_connect(s);
	if (rc)
		return rc;
	if (mysql_real_query(s->mysql, sql, (unsigned long)strlen(sql)))
		return classify(s, mysql_errno(s->mysql), mysql_error(s->mysql), sql);
	return STORE_OK;
}

static int txn_begin(struct store *s)
{
	int rc = run_text(s, "START TRANSACTION");
	/* The first statement of a transaction may meet a connection that died idle. */
	if (rc == STORE_UNAVAILABLE && !s->mysql)
		rc = run_text(s, "START TRANSACTION");
	if (rc == STORE_OK)
		s->in_txn = 1;
	return rc;
}

static int txn_commit(struct store *s)
{
	int rc = run_text(s, "COMMIT");
	s->in_txn = 0;
	return rc;
}

static void txn_rollback(struct store *s)
{
	if (s->mysql && s->in_txn)
		run_text(s, "ROLLBACK");
	s->in_txn = 0;
}

/* ---- row readers ---- */

static char *dup_cell(const struct sqlcell *c)
{
	if (c->null)
		return NULL;
	char *p = malloc(c->len + 1);
	if (p)
		memcpy(p, c->s, c->len + 1);
	return p;
}

static void copy_cell(const struct sqlcell *c, char *out, size_t size)
{
	size_t n = c->null ? 0 : c->len;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(out, c->s, n);
	out[n] = '\0';
}

/* Fills r from a REQ_COLUMNS row. -1 on allocation failure. */
static int read_request(const struct sqlcell *c, struct gen_request *r)
{
	gen_request_init(r);
	if (!c[0].null && c[0].len == 16)
		memcpy(r->id.b, c[0].s, 16);
	copy_cell(&c[1], r->owner, sizeof(r->owner));
	copy_cell(&c[2], r->entity_type, sizeof(r->entity_type));
	if (!c[3].null) {
		r->subject_key = dup_cell(&c[3]);
		r->subject_key_len = c[3].len;
		if (!r->subject_key)
			goto oom;
	}
	if (c[4].null || lifecycle_status_parse(c[4].s, &r->status) < 0)
		r->status = GEN_FAILED;
	r->requested_count = (unsigned)c[5].i;
	r->generated_count = (unsigned)c[6].i;
	r->failed_count = (unsigned)c[7].i;
	r->attempt = (unsigned)c[8].i;
	r->version = (uint64_t)c[9].i;
	if (!c[10].null && !(r->worker_id = dup_cell(&c[10])))
		goto oom;
	int64_t *times[] = { &r->lease_expires_at, &r->requested_at, &r->started_at,
			     &r->completed_at, &r->cancelled_at, &r->updated_at };
	for (int k = 0; k < 6; k++)
		*times[k] = c[11 + k].null ? TIME_NONE : c[11 + k].i;
	copy_cell(&c[17], r->failure_reason, sizeof(r->failure_reason));
	if (!c[18].null && !(r->error_message = dup_cell(&c[18])))
		goto oom;
	r->constraints_json = dup_cell(&c[19]);
	r->metadata_json = dup_cell(&c[20]);
	if ((!c[19].null && !r->constraints_json) || (!c[20].null && !r->metadata_json))
		goto oom;
	return 0;
oom:
	gen_request_release(r);
	return -1;
}

struct one_request {
	struct gen_request *out;
	int failed;
};

static int one_request_row(void *ctx, const struct sqlcell *c)
{
	struct one_request *o = ctx;
	o->failed = read_request(c, o->out) < 0;
	return 1;
}

/* ---- API keys ---- */

static int key_lookup_row(void *ctx, const struct sqlcell *c)
{
	struct principal *p = ctx;
	p->key_id = c[0].i;
	if (auth_role_parse(c[1].s, &p->role) < 0)
		p->role = ROLE_CLIENT;
	copy_cell(&c[2], p->owner, sizeof(p->owner));
	return 1;
}

int store_key_lookup(struct store *s, const unsigned char hash[AUTH_HASH_LEN],
		     struct principal *out)
{
	struct sqlv p[] = { SV_BIN(hash, AUTH_HASH_LEN) };
	size_t rows;
	int rc = run(s, Q_KEY_LOOKUP, p, key_lookup_row, out, NULL, &rows);
	if (rc)
		return rc;
	return rows ? STORE_OK : STORE_NOT_FOUND;
}

int store_key_insert(struct store *s, const unsigned char hash[AUTH_HASH_LEN],
		     const char *prefix, enum auth_role role, const char *owner,
		     int64_t now, long long *id)
{
	struct sqlv p[] = { SV_BIN(hash, AUTH_HASH_LEN), SV_STR(prefix),
			    SV_STR(auth_role_name(role)), SV_STR(owner), SV_TIME(now) };
	int rc = run(s, Q_KEY_INSERT, p, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK && id)
		*id = (long long)mysql_stmt_insert_id(s->stmts[Q_KEY_INSERT]);
	return rc;
}

struct key_list_ctx {
	int (*fn)(void *ctx, const struct store_key_row *row);
	void *ctx;
};

static int key_list_row(void *ctx, const struct sqlcell *c)
{
	struct key_list_ctx *k = ctx;
	struct store_key_row row = { .id = c[0].i };
	copy_cell(&c[1], row.prefix, sizeof(row.prefix));
	if (auth_role_parse(c[2].s, &row.role) < 0)
		row.role = ROLE_CLIENT;
	copy_cell(&c[3], row.owner, sizeof(row.owner));
	row.created_at = c[4].null ? TIME_NONE : c[4].i;
	row.revoked_at = c[5].null ? TIME_NONE : c[5].i;
	return k->fn(k->ctx, &row);
}

int store_key_list(struct store *s, int (*fn)(void *ctx, const struct store_key_row *row),
		   void *ctx)
{
	struct key_list_ctx k = { fn, ctx };
	return run(s, Q_KEY_LIST, NULL, key_list_row, &k, NULL, NULL);
}

static int is_null_row(void *ctx, const struct sqlcell *c)
{
	*(int *)ctx = c[0].null;
	return 1;
}

int store_key_revoke(struct store *s, long long id, int64_t now)
{
	struct sqlv p[] = { SV_TIME(now), SV_INT(id) };
	unsigned long long n = 0;
	int rc = run(s, Q_KEY_REVOKE, p, NULL, NULL, &n, NULL);
	if (rc || n)
		return rc;
	int active = 0;
	size_t rows;
	struct sqlv q[] = { SV_INT(id) };
	rc = run(s, Q_KEY_STATE, q, is_null_row, &active, NULL, &rows);
	if (rc)
		return rc;
	return rows ? STORE_CONFLICT : STORE_NOT_FOUND;
}

int store_admin_user_set(struct store *s, const char *name, const char *password_hash,
			 int64_t now)
{
	struct sqlv p[] = { SV_STR(name), SV_STR(password_hash), SV_TIME(now), SV_TIME(now) };
	return run(s, Q_ADMIN_SET, p, NULL, NULL, NULL, NULL);
}

/* ---- requests ---- */

static int event_insert(struct store *s, const struct uuid *id, int64_t at, const char *actor,
			const char *from, const char *to, const char *message)
{
	struct sqlv p[] = { SV_UUID(id), SV_TIME(at), SV_STR(actor), SV_STR(from), SV_STR(to),
			    SV_STR(message) };
	return run(s, Q_EVENT_INSERT, p, NULL, NULL, NULL, NULL);
}

static int uuid_row(void *ctx, const struct sqlcell *c)
{
	if (!c[0].null && c[0].len == 16)
		memcpy(((struct uuid *)ctx)->b, c[0].s, 16);
	return 1;
}

struct id_batch_ctx {
	struct uuid *ids;
	unsigned n, cap;
};

static int uuid_batch_row(void *ctx, const struct sqlcell *c)
{
	struct id_batch_ctx *b = ctx;
	if (b->n >= b->cap)
		return 1;
	if (!c[0].null && c[0].len == 16)
		memcpy(b->ids[b->n++].b, c[0].s, 16);
	return 0;
}

int store_request_create(struct store *s, const struct gen_request *r, const char *actor,
			 const struct store_idem *idem, const char *response_body,
			 struct uuid *existing)
{
	struct sqlv ins[] = {
		SV_UUID(&r->id), SV_STR(r->owner), SV_STR(r->entity_type),
		SV_BIN(r->subject_key, r->subject_key_len), SV_INT(r->requested_count),
		SV_TIME(r->requested_at), SV_TIME(r->updated_at),
		SV_STR(r->constraints_json), SV_STR(r->metadata_json),
	};
	int rc = txn_begin(s);
	if (rc)
		return rc;
	rc = run(s, Q_REQ_INSERT, ins, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK)
		rc = event_insert(s, &r->id, r->requested_at, actor, NULL, "pending", NULL);
	if (rc == STORE_OK && idem) {
		struct sqlv fin[] = { SV_UUID(&r->id), SV_INT(202), SV_STR(response_body),
				      SV_STR(idem->owner), SV_BIN(idem->key, idem->key_len) };
		rc = run(s, Q_IDEM_FINISH, fin, NULL, NULL, NULL, NULL);
	}
	if (rc == STORE_OK)
		return txn_commit(s);
	txn_rollback(s);
	if (rc == STORE_DUPLICATE && r->subject_key) {
		struct sqlv q[] = { SV_STR(r->owner), SV_STR(r->entity_type),
				    SV_BIN(r->subject_key, r->subject_key_len) };
		size_t rows;
		memset(existing, 0, sizeof(*existing));
		int rc2 = run(s, Q_ACTIVE_SUBJECT, q, uuid_row, existing, NULL, &rows);
		if (rc2)
			return rc2;
		/* It finished between our insert and this read: the client may retry. */
		if (!rows)
			return STORE_CONFLICT;
	}
	return rc;
}

int store_request_get(struct store *s, const struct uuid *id, const char *owner,
		      struct gen_request *out)
{
	struct sqlv p[] = { SV_UUID(id), SV_STR(owner), SV_STR(owner) };
	struct one_request o = { out, 0 };
	size_t rows;
	int rc = run(s, Q_REQ_GET, p, one_request_row, &o, NULL, &rows);
	if (rc)
		return rc;
	if (o.failed) {
		store_set_error(s, "out of memory");
		return STORE_ERROR;
	}
	return rows ? STORE_OK : STORE_NOT_FOUND;
}

static int entity_row(void *ctx, const struct sqlcell *c)
{
	struct gen_entity_list *l = ctx;
	if (c[1].null)
		return 0;
	if (l->count == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 8;
		struct gen_entity *items = realloc(l->items, n * sizeof(*items));
		if (!items)
			return -1;
		l->items = items;
		l->alloc = n;
	}
	char *json = dup_cell(&c[1]);
	if (!json)
		return -1;
	l->items[l->count++] = (struct gen_entity){ (unsigned)c[0].i, json, c[1].len };
	return 0;
}

int store_request_entities(struct store *s, const struct uuid *id,
			   struct gen_entity_list *out)
{
	struct sqlv p[] = { SV_UUID(id) };
	size_t before = out->count, rows;
	int rc = run(s, Q_ENTITIES, p, entity_row, out, NULL, &rows);
	if (rc == STORE_OK && out->count - before != rows) {
		store_set_error(s, "out of memory");
		return STORE_ERROR;
	}
	return rc;
}

struct poll_ctx {
	int with_entities;            /* Q_POLL rather than Q_POLL_HEAD */
	struct principal *who;
	enum store_poll_found *found;
	struct gen_request *out;
	struct gen_entity_list *entities;
	int failed;
};

/* Columns: key (3), request (21, all NULL when not the owner's), entity (2). */
static int poll_row(void *ctx, const struct sqlcell *c)
{
	struct poll_ctx *p = ctx;
	if (*p->found == POLL_NO_KEY) {
		key_lookup_row(p->who, c);
		*p->found = POLL_NO_REQUEST;
		if (!c[3].null) {
			if (read_request(c + 3, p->out) < 0) {
				p->failed = 1;
				return 1;
			}
			*p->found = POLL_REQUEST;
		}
	}
	if (p->with_entities && *p->found == POLL_REQUEST && !c[24].null &&
	    entity_row(p->entities, c + 24) < 0) {
		p->failed = 1;
		return 1;
	}
	return 0;
}

static int entity_cmp(const void *a, const void *b)
{
	unsigned x = ((const struct gen_entity *)a)->idx, y = ((const struct gen_entity *)b)->idx;
	return (x > y) - (x < y);
}

int store_poll(struct store *s, const unsigned char key_hash[AUTH_HASH_LEN],
	       const struct uuid *id, long long known_version, struct principal *who,
	       enum store_poll_found *found, struct gen_request *out,
	       struct gen_entity_list *entities)
{
	struct sqlv p[] = { SV_UUID(id), SV_INT(known_version), SV_BIN(key_hash, AUTH_HASH_LEN) };
	struct sqlv head[] = { SV_UUID(id), SV_BIN(key_hash, AUTH_HASH_LEN) };
	struct poll_ctx ctx = { known_version < 0, who, found, out, entities, 0 };
	*found = POLL_NO_KEY;
	gen_request_init(out);
	int rc = ctx.with_entities ? run(s, Q_POLL, p, poll_row, &ctx, NULL, NULL)
				   : run(s, Q_POLL_HEAD, head, poll_row, &ctx, NULL, NULL);
	if (rc == STORE_OK && ctx.failed) {
		store_set_error(s, "out of memory");
		rc = STORE_ERROR;
	}
	/* The poller's version is old: it gets the entities after all. */
	if (rc == STORE_OK && !ctx.with_entities && *found == POLL_REQUEST &&
	    out->version != (uint64_t)known_version)
		rc = store_request_entities(s, id, entities);
	if (rc) {
		gen_request_release(out);
		gen_entity_list_release(entities);
		return rc;
	}
	/* In primary-key order already, in practice; by index, by contract. */
	if (entities->count > 1)
		qsort(entities->items, entities->count, sizeof(entities->items[0]), entity_cmp);
	return STORE_OK;
}

struct list_ctx {
	int (*fn)(void *ctx, const struct gen_request *r);
	void *ctx;
	int failed;
};

static int list_row(void *ctx, const struct sqlcell *c)
{
	struct list_ctx *l = ctx;
	struct gen_request r;
	if (read_request(c, &r) < 0) {
		l->failed = 1;
		return 1;
	}
	int stop = l->fn(l->ctx, &r);
	gen_request_release(&r);
	return stop;
}

int store_request_list(struct store *s, const struct store_list_filter *f,
		       int (*fn)(void *ctx, const struct gen_request *r), void *ctx)
{
	static const unsigned char newest[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	const void *before = f->has_before ? f->before.b : newest;
	struct list_ctx l = { fn, ctx, 0 };
	int rc;

	if (!f->owner) {
		/* Operators see every owner; the subject filter is the clients' only. */
		if (f->has_status) {
			struct sqlv p[] = { SV_STR(lifecycle_status_name(f->status)),
					    SV_STR(f->entity_type), SV_STR(f->entity_type),
					    SV_BIN(before, 16), SV_INT(f->limit) };
			rc = run(s, Q_OPS_LIST_STATUS, p, list_row, &l, NULL, NULL);
		} else {
			struct sqlv p[] = { SV_STR(f->entity_type), SV_STR(f->entity_type),
					    SV_BIN(before, 16), SV_INT(f->limit) };
			rc = run(s, Q_OPS_LIST_ALL, p, list_row, &l, NULL, NULL);
		}
	} else if (f->has_status) {
		struct sqlv p[] = { SV_STR(f->owner), SV_STR(lifecycle_status_name(f->status)),
				    SV_STR(f->entity_type), SV_STR(f->entity_type),
				    SV_STR(f->subject_key), SV_STR(f->subject_key),
				    SV_BIN(before, 16), SV_INT(f->limit) };
		rc = run(s, Q_LIST_STATUS, p, list_row, &l, NULL, NULL);
	} else {
		struct sqlv p[] = { SV_STR(f->owner),
				    SV_STR(f->entity_type), SV_STR(f->entity_type),
				    SV_STR(f->subject_key), SV_STR(f->subject_key),
				    SV_BIN(before, 16), SV_INT(f->limit) };
		rc = run(s, Q_LIST_ALL, p, list_row, &l, NULL, NULL);
	}
	if (rc == STORE_OK && l.failed) {
		store_set_error(s, "out of memory");
		return STORE_ERROR;
	}
	return rc;
}

struct lock_row {
	enum gen_status status;
	unsigned attempt;
};

static int lock_row_fn(void *ctx, const struct sqlcell *c)
{
	struct lock_row *l = ctx;
	if (c[0].null || lifecycle_status_parse(c[0].s, &l->status) < 0)
		l->status = GEN_FAILED;
	l->attempt = (unsigned)c[1].i;
	return 1;
}

int store_request_cancel(struct store *s, const struct uuid *id, const char *owner,
			 const char *actor, const char *reason, int64_t now,
			 struct gen_request *out)
{
	struct sqlv lock[] = { SV_UUID(id), SV_STR(owner), SV_STR(owner) };
	struct lock_row cur;
	size_t rows = 0;
	unsigned long long n = 0;
	int rc = txn_begin(s);
	if (rc)
		return rc;
	rc = run(s, Q_REQ_LOCK, lock, lock_row_fn, &cur, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	else if (rc == STORE_OK && !lifecycle_can_transition(cur.status, GEN_CANCELLED, ACTOR_CLIENT))
		rc = STORE_CONFLICT;
	if (rc == STORE_OK) {
		struct sqlv upd[] = { SV_TIME(now), SV_TIME(now), SV_UUID(id),
				      SV_STR(lifecycle_status_name(cur.status)), SV_INT(cur.attempt) };
		rc = run(s, Q_REQ_CANCEL, upd, NULL, NULL, &n, NULL);
		/* The row is locked, so the guard can only fail if the lock did not hold. */
		if (rc == STORE_OK && n != 1)
			rc = STORE_CONFLICT;
	}
	if (rc == STORE_OK)
		rc = event_insert(s, id, now, actor, lifecycle_status_name(cur.status),
				  "cancelled", reason);
	if (rc == STORE_OK)
		rc = txn_commit(s);
	else
		txn_rollback(s);
	if (rc != STORE_OK && rc != STORE_CONFLICT)
		return rc;
	int rc2 = store_request_get(s, id, owner, out);
	return rc2 ? rc2 : rc;
}

int store_pending_head(struct store *s, const char *entity_type, unsigned cap,
		       struct uuid *head, unsigned *count)
{
	struct sqlv p[] = { SV_STR(entity_type), SV_INT(cap) };
	struct id_batch_ctx b = { head, 0, cap };
	int rc = run(s, Q_PENDING_HEAD, p, uuid_batch_row, &b, NULL, NULL);
	*count = rc ? 0 : b.n;
	return rc;
}

/* ---- Idempotency-Key ---- */

struct idem_row {
	unsigned char body_hash[32];
	int done;
	int has_request;
	struct uuid request_id;
	int response_status;
	char *response_body;
	int64_t created_at;
	int failed;
};

static int idem_row_fn(void *ctx, const struct sqlcell *c)
{
	struct idem_row *r = ctx;
	if (!c[0].null && c[0].len == 32)
		memcpy(r->body_hash, c[0].s, 32);
	r->done = !c[1].null && !strcmp(c[1].s, "done");
	r->has_request = !c[2].null && c[2].len == 16;
	if (r->has_request)
		memcpy(r->request_id.b, c[2].s, 16);
	r->response_status = c[3].null ? 0 : (int)c[3].i;
	r->response_body = dup_cell(&c[4]);
	r->failed = !c[4].null && !r->response_body;
	r->created_at = c[5].null ? TIME_NONE : c[5].i;
	return 1;
}

int store_idem_begin(struct store *s, const struct store_idem *idem, int64_t now,
		     int64_t ttl_s, int64_t stuck_s, struct store_idem_result *out)
{
	struct sqlv ins[] = { SV_STR(idem->owner), SV_BIN(idem->key, idem->key_len),
			      SV_BIN(idem->body_hash, 32), SV_TIME(now) };
	struct sqlv get[] = { SV_STR(idem->owner), SV_BIN(idem->key, idem->key_len) };

	memset(out, 0, sizeof(*out));
	/* Two rounds at most: a forgotten or abandoned record is taken over once. */
	for (int round = 0; round < 2; round++) {
		int rc = run(s, Q_IDEM_INSERT, ins, NULL, NULL, NULL, NULL);
		if (rc == STORE_OK) {
			out->state = IDEM_NEW;
			return STORE_OK;
		}
		if (rc != STORE_DUPLICATE)
			return rc;
		struct idem_row row = { .created_at = TIME_NONE };
		size_t rows;
		rc = run(s, Q_IDEM_GET, get, idem_row_fn, &row, NULL, &rows);
		if (rc || row.failed) {
			free(row.response_body);
			return rc ? rc : STORE_ERROR;
		}
		if (!rows)
			continue; /* deleted meanwhile: insert again */
		int expired = now - row.created_at > ttl_s * INT64_C(1000000);
		int stuck = !row.done && now - row.created_at > stuck_s * INT64_C(1000000);
		if (expired || stuck) {
			struct sqlv re[] = { SV_BIN(idem->body_hash, 32), SV_TIME(now),
					     SV_STR(idem->owner), SV_BIN(idem->key, idem->key_len),
					     SV_TIME(row.created_at) };
			unsigned long long n = 0;
			free(row.response_body);
			rc = run(s, Q_IDEM_RECLAIM, re, NULL, NULL, &n, NULL);
			if (rc)
				return rc;
			if (n == 1) {
				out->state = IDEM_NEW;
				return STORE_OK;
			}
			continue;
		}
		if (memcmp(row.body_hash, idem->body_hash, 32)) {
			out->state = IDEM_MISMATCH;
			free(row.response_body);
		} else if (!row.done) {
			out->state = IDEM_IN_PROGRESS;
			free(row.response_body);
		} else {
			out->state = IDEM_REPLAY;
			out->response_status = row.response_status;
			out->response_body = row.response_body;
			out->request_id = row.request_id;
		}
		return STORE_OK;
	}
	out->state = IDEM_IN_PROGRESS;
	return STORE_OK;
}

int store_idem_abandon(struct store *s, const struct store_idem *idem)
{
	struct sqlv p[] = { SV_STR(idem->owner), SV_BIN(idem->key, idem->key_len) };
	return run(s, Q_IDEM_DELETE, p, NULL, NULL, NULL, NULL);
}

/* ---- workers: claim and lease ---- */

#define CLAIM_MAX_TYPES 8

static int indexes_row(void *ctx, const struct sqlcell *c)
{
	struct store_claimed *cl = ctx;
	unsigned idx = (unsigned)c[0].i;
	if (idx < cl->request.requested_count)
		cl->generated[idx / 8] |= (unsigned char)(1u << (idx % 8));
	return 0;
}

/*
 * The picked row as Q_CLAIM_SET leaves it, so the claim needs no second read
 * (tests/integration/test_claims.c compares it with one).
 */
static int claim_applied(struct gen_request *r, const struct store_claim *c, int64_t expires)
{
	struct sqlcell worker = { .s = c->worker_id, .len = strlen(c->worker_id) };
	free(r->worker_id);
	if (!(r->worker_id = dup_cell(&worker)))
		return -1;
	r->status = GEN_PROCESSING;
	r->attempt++;
	r->started_at = r->updated_at = c->now;
	r->lease_expires_at = expires;
	r->failed_count = 0;
	r->version++;
	return 0;
}

int store_claim_next(struct store *s, const struct store_claim *c, struct store_claimed *out)
{
	struct sqlv pick[CLAIM_MAX_TYPES];
	struct gen_request *r = &out->request;
	struct one_request picked = { r, 0 };
	size_t rows = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	gen_request_init(r);
	if (c->n_types < 1 || c->n_types > CLAIM_MAX_TYPES)
		return STORE_ERROR;
	/* Unused slots repeat the first type: the statement has a fixed shape. */
	for (size_t k = 0; k < CLAIM_MAX_TYPES; k++)
		pick[k] = SV_STR(c->entity_types[k < c->n_types ? k : 0]);
	rc = txn_begin(s);
	if (rc)
		return rc;
	rc = run(s, Q_CLAIM_PICK, pick, one_request_row, &picked, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	if (rc == STORE_OK && picked.failed) {
		store_set_error(s, "out of memory");
		rc = STORE_ERROR;
	}
	int64_t expires = c->now + c->lease_seconds * INT64_C(1000000);
	if (rc == STORE_OK) {
		struct sqlv set[] = { SV_STR(c->worker_id), SV_TIME(c->now), SV_TIME(expires),
				      SV_INT(c->lease_seconds), SV_TIME(c->now), SV_UUID(&r->id) };
		unsigned long long n = 0;
		rc = run(s, Q_CLAIM_SET, set, NULL, NULL, &n, NULL);
		if (rc == STORE_OK && n != 1)
			rc = STORE_CONFLICT;
	}
	if (rc == STORE_OK && claim_applied(r, c, expires) < 0) {
		store_set_error(s, "out of memory");
		rc = STORE_ERROR;
	}
	/* Entities exist only from an earlier attempt: a first claim skips both. */
	if (rc == STORE_OK && r->attempt > 1) {
		struct sqlv p[] = { SV_UUID(&r->id) };
		rc = run(s, Q_DROP_FAILED, p, NULL, NULL, NULL, NULL);
	}
	if (rc == STORE_OK) {
		char msg[64];
		snprintf(msg, sizeof(msg), "attempt %u", r->attempt);
		rc = event_insert(s, &r->id, c->now, c->actor, "pending", "processing", msg);
	}
	if (rc == STORE_OK) {
		out->generated = calloc(r->requested_count / 8 + 1, 1);
		if (!out->generated) {
			store_set_error(s, "out of memory");
			rc = STORE_ERROR;
		} else if (r->generated_count > 0) {
			struct sqlv p[] = { SV_UUID(&r->id) };
			rc = run(s, Q_GENERATED_IDX, p, indexes_row, out, NULL, NULL);
		}
	}
	if (rc == STORE_OK)
		rc = txn_commit(s);
	else
		txn_rollback(s);
	if (rc)
		store_claimed_release(out);
	return rc;
}

int store_claimed_is_generated(const struct store_claimed *cl, unsigned idx)
{
	return idx < cl->request.requested_count &&
	       (cl->generated[idx / 8] & (1u << (idx % 8)));
}

void store_claimed_release(struct store_claimed *cl)
{
	gen_request_release(&cl->request);
	free(cl->generated);
	cl->generated = NULL;
}

/* The row behind a lease, read under its lock. */
struct lease_row {
	enum gen_status status;
	char worker_id[256];
	unsigned attempt;
	unsigned requested, generated, failed;
	long long lease_seconds;
};

static int lease_row_fn(void *ctx, const struct sqlcell *c)
{
	struct lease_row *l = ctx;
	if (c[0].null || lifecycle_status_parse(c[0].s, &l->status) < 0)
		l->status = GEN_FAILED;
	copy_cell(&c[1], l->worker_id, sizeof(l->worker_id));
	l->attempt = (unsigned)c[2].i;
	l->requested = (unsigned)c[3].i;
	l->generated = (unsigned)c[4].i;
	l->failed = (unsigned)c[5].i;
	l->lease_seconds = c[6].null ? 0 : c[6].i;
	return 1;
}

/* Whether `lease` holds a row: processing, this worker, this attempt (0 = any). */
static int lease_holds(const struct store_lease *lease, enum gen_status status,
		       const char *worker_id, unsigned attempt)
{
	return status == GEN_PROCESSING && worker_id && !strcmp(worker_id, lease->worker_id) &&
	       (!lease->attempt || lease->attempt == attempt);
}

/*
 * Opens a transaction and locks the request, checking that `lease` holds it:
 * processing, this worker, this attempt (0 = the worker did not say).
 * NOT_FOUND, CONFLICT (transaction already rolled back), or OK inside it.
 */
static int lease_lock(struct store *s, const struct uuid *id, const struct store_lease *lease,
		      struct lease_row *row)
{
	struct sqlv p[] = { SV_UUID(id) };
	size_t rows = 0;
	int rc = txn_begin(s);
	if (rc)
		return rc;
	rc = run(s, Q_LEASE_LOCK, p, lease_row_fn, row, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	else if (rc == STORE_OK && !lease_holds(lease, row->status, row->worker_id, row->attempt))
		rc = STORE_CONFLICT;
	if (rc)
		txn_rollback(s);
	return rc;
}

int store_lease_extend(struct store *s, const struct uuid *id, const struct store_lease *lease,
		       long long lease_seconds, int64_t now, int64_t *expires_at,
		       long long *used_seconds)
{
	struct lease_row row;
	int rc = lease_lock(s, id, lease, &row);
	if (rc)
		return rc;
	long long secs = lease_seconds > 0 ? lease_seconds
			 : row.lease_seconds > 0 ? row.lease_seconds : 60;
	*expires_at = now + secs * INT64_C(1000000);
	*used_seconds = secs;
	struct sqlv p[] = { SV_TIME(*expires_at), SV_UUID(id), SV_INT(row.attempt) };
	rc = run(s, Q_LEASE_EXTEND, p, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK)
		return txn_commit(s);
	txn_rollback(s);
	return rc;
}

int store_entity_record(struct store *s, const struct uuid *id, const struct store_lease *lease,
			const struct store_entity *e, int64_t now, struct store_entity_result *out)
{
	struct lease_row row;
	int rc = lease_lock(s, id, lease, &row);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	if (e->index >= row.requested) {
		txn_rollback(s);
		return STORE_INVALID;
	}
	struct sqlv ins[] = {
		SV_UUID(id), SV_INT(e->index), SV_STR(e->entity_json ? "generated" : "failed"),
		SV_STR(e->entity_json), SV_STR(e->entity_json ? NULL : e->error),
		SV_INT(row.attempt), SV_STR(lease->worker_id), SV_TIME(now),
	};
	rc = run(s, Q_ENTITY_INSERT, ins, NULL, NULL, NULL, NULL);
	out->generated_count = row.generated;
	out->failed_count = row.failed;
	if (rc == STORE_DUPLICATE) {
		/* The same index again: a retried report, nothing to change. */
		out->recorded = 0;
		return txn_commit(s);
	}
	if (rc == STORE_OK) {
		struct sqlv cnt[] = { SV_TIME(now), SV_UUID(id) };
		rc = run(s, e->entity_json ? Q_COUNT_GENERATED : Q_COUNT_FAILED, cnt, NULL, NULL,
			 NULL, NULL);
	}
	if (rc == STORE_OK)
		rc = txn_commit(s);
	else
		txn_rollback(s);
	if (rc == STORE_OK) {
		out->recorded = 1;
		if (e->entity_json)
			out->generated_count++;
		else
			out->failed_count++;
	}
	return rc;
}

static int text_row(void *ctx, const struct sqlcell *c)
{
	copy_cell(&c[0], ctx, 512);
	return 1;
}

/* The locked row as Q_COMPLETE leaves it. 0, or -1 out of memory. */
static int complete_applied(struct gen_request *r, enum gen_status final, const char *reason,
			    const char *message, int64_t now)
{
	r->status = final;
	r->completed_at = r->updated_at = now;
	r->lease_expires_at = TIME_NONE;
	snprintf(r->failure_reason, sizeof(r->failure_reason), "%s", reason ? reason : "");
	free(r->error_message);
	r->error_message = NULL;
	if (message) {
		struct sqlcell m = { .s = message, .len = strlen(message) };
		if (!(r->error_message = dup_cell(&m)))
			return -1;
	}
	r->version++;
	return 0;
}

int store_complete(struct store *s, const struct uuid *id, const struct store_lease *lease,
		   const char *actor, int64_t now, struct gen_request *out)
{
	struct sqlv lock[] = { SV_UUID(id) };
	struct one_request locked = { out, 0 };
	char last_error[512] = "", message[1024] = "";
	size_t rows = 0;

	gen_request_init(out);
	int rc = txn_begin(s);
	if (rc)
		return rc;
	rc = run(s, Q_COMPLETE_LOCK, lock, one_request_row, &locked, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	else if (rc == STORE_OK && locked.failed) {
		store_set_error(s, "out of memory");
		rc = STORE_ERROR;
	} else if (rc == STORE_OK && !lease_holds(lease, out->status, out->worker_id, out->attempt))
		rc = STORE_CONFLICT;
	if (rc) {
		txn_rollback(s);
		gen_request_release(out);
		return rc;
	}
	enum gen_status final = lifecycle_completion_status(out->generated_count,
							    out->requested_count);
	const char *reason = final == GEN_FAILED ? lifecycle_failure_code(FAIL_GENERATOR) : NULL;
	if (final != GEN_COMPLETED) {
		struct sqlv p[] = { SV_UUID(id) };
		rc = run(s, Q_LAST_ERROR, p, text_row, last_error, NULL, NULL);
		unsigned missing = out->requested_count - out->generated_count;
		/* Operators read this first: how many, and the last generator error. */
		snprintf(message, sizeof(message), "%u of %u entities not generated%s%s", missing,
			 out->requested_count, *last_error ? "; last error: " : "", last_error);
	}
	if (rc == STORE_OK) {
		struct sqlv p[] = { SV_STR(lifecycle_status_name(final)), SV_TIME(now), SV_TIME(now),
				    SV_STR(reason), SV_STR(*message ? message : NULL), SV_UUID(id),
				    SV_INT(out->attempt) };
		unsigned long long n = 0;
		rc = run(s, Q_COMPLETE, p, NULL, NULL, &n, NULL);
		if (rc == STORE_OK && n != 1)
			rc = STORE_CONFLICT;
	}
	if (rc == STORE_OK)
		rc = event_insert(s, id, now, actor, "processing", lifecycle_status_name(final),
				  *message ? message : NULL);
	if (rc == STORE_OK && complete_applied(out, final, reason, *message ? message : NULL,
					       now) < 0) {
		store_set_error(s, "out of memory");
		rc = STORE_ERROR;
	}
	if (rc == STORE_OK)
		rc = txn_commit(s);
	else
		txn_rollback(s);
	if (rc)
		gen_request_release(out);
	return rc;
}

struct events_ctx {
	int (*fn)(void *ctx, const struct store_event *e);
	void *ctx;
};

static int event_row(void *ctx, const struct sqlcell *c)
{
	struct events_ctx *x = ctx;
	struct store_event e = {
		.at = c[0].null ? TIME_NONE : c[0].i,
		.actor = c[1].null ? "" : c[1].s,
		.from_status = c[2].null ? NULL : c[2].s,
		.to_status = c[3].null ? "" : c[3].s,
		.message = c[4].null ? NULL : c[4].s,
	};
	return x->fn(x->ctx, &e);
}

int store_request_events(struct store *s, const struct uuid *id,
			 int (*fn)(void *ctx, const struct store_event *e), void *ctx)
{
	struct events_ctx x = { fn, ctx };
	struct sqlv p[] = { SV_UUID(id) };
	return run(s, Q_EVENTS, p, event_row, &x, NULL, NULL);
}

/* ---- the reaper ---- */

static int stale_row(void *ctx, const struct sqlcell *c)
{
	struct store_stale_batch *b = ctx;
	if (b->count >= STORE_STALE_BATCH)
		return 1;
	struct store_stale *r = &b->rows[b->count++];
	memset(r, 0, sizeof(*r));
	if (!c[0].null && c[0].len == 16)
		memcpy(r->id.b, c[0].s, 16);
	if (c[1].null || lifecycle_status_parse(c[1].s, &r->status) < 0)
		r->status = GEN_FAILED;
	r->attempt = (unsigned)c[2].i;
	r->requested_at = c[3].null ? TIME_NONE : c[3].i;
	r->started_at = c[4].null ? TIME_NONE : c[4].i;
	r->lease_expires_at = c[5].null ? TIME_NONE : c[5].i;
	copy_cell(&c[6], r->owner, sizeof(r->owner));
	copy_cell(&c[7], r->entity_type, sizeof(r->entity_type));
	return 0;
}

int store_stale_list(struct store *s, enum store_stale_kind kind, int64_t cutoff,
		     unsigned limit, struct store_stale_batch *out)
{
	static const enum query_id by_kind[] = {
		[STALE_LEASE] = Q_STALE_LEASE,
		[STALE_RUNTIME] = Q_STALE_RUNTIME,
		[STALE_PENDING] = Q_STALE_PENDING,
	};
	if (limit > STORE_STALE_BATCH)
		limit = STORE_STALE_BATCH;
	out->count = 0;
	struct sqlv p[] = { SV_TIME(cutoff), SV_INT(limit) };
	return run(s, by_kind[kind], p, stale_row, out, NULL, NULL);
}

static int explain_row(void *ctx, const struct sqlcell *c)
{
	struct store_plan *p = ctx;
	copy_cell(&c[3], p->access, sizeof(p->access));
	copy_cell(&c[5], p->key, sizeof(p->key));
	copy_cell(&c[9], p->extra, sizeof(p->extra));
	p->rows = c[8].null ? -1 : atol(c[8].s);
	return 1;
}

int store_explain_stale(struct store *s, enum store_stale_kind kind, int64_t cutoff,
			struct store_plan *out)
{
	static const enum query_id by_kind[] = {
		[STALE_LEASE] = Q_EXPLAIN_LEASE,
		[STALE_RUNTIME] = Q_EXPLAIN_RUNTIME,
		[STALE_PENDING] = Q_EXPLAIN_PENDING,
	};
	memset(out, 0, sizeof(*out));
	struct sqlv p[] = { SV_TIME(cutoff), SV_INT(STORE_STALE_BATCH) };
	return run(s, by_kind[kind], p, explain_row, out, NULL, NULL);
}

int store_timeout_apply(struct store *s, const struct store_timeout *t)
{
	unsigned long long n = 0;
	int rc = txn_begin(s);
	if (rc)
		return rc;
	if (t->retry) {
		struct sqlv p[] = { SV_TIME(t->now), SV_UUID(t->id), SV_INT(t->attempt) };
		rc = run(s, Q_TIMEOUT_RETRY, p, NULL, NULL, &n, NULL);
	} else {
		struct sqlv p[] = { SV_TIME(t->now), SV_TIME(t->now), SV_STR(t->failure_code),
				    SV_STR(t->message), SV_UUID(t->id),
				    SV_STR(lifecycle_status_name(t->from)), SV_INT(t->attempt) };
		rc = run(s, Q_TIMEOUT_FAIL, p, NULL, NULL, &n, NULL);
	}
	/* Someone else (a worker's complete, a cancel, another reaper) got there first. */
	if (rc == STORE_OK && n != 1)
		rc = STORE_CONFLICT;
	if (rc == STORE_OK)
		rc = event_insert(s, t->id, t->now, t->actor, lifecycle_status_name(t->from),
				  t->retry ? "pending" : "failed", t->message);
	if (rc == STORE_OK)
		return txn_commit(s);
	txn_rollback(s);
	return rc;
}

/* ---- prune ---- */

int store_prune_batch(struct store *s, int64_t cutoff, unsigned limit, int dry_run,
		      unsigned *deleted)
{
	struct uuid ids[STORE_STALE_BATCH];
	struct id_batch_ctx b = { ids, 0, STORE_STALE_BATCH };
	*deleted = 0;
	if (limit > STORE_STALE_BATCH)
		limit = STORE_STALE_BATCH;
	struct sqlv pick[] = { SV_TIME(cutoff), SV_INT(limit) };
	int rc = run(s, Q_PRUNE_PICK, pick, uuid_batch_row, &b, NULL, NULL);
	if (rc || dry_run || !b.n) {
		*deleted = b.n;
		return rc;
	}
	rc = txn_begin(s);
	for (unsigned i = 0; rc == STORE_OK && i < b.n; i++) {
		struct sqlv p[] = { SV_UUID(&ids[i]) };
		unsigned long long n = 0;
		rc = run(s, Q_PRUNE_IDEM_OF, p, NULL, NULL, NULL, NULL);
		if (rc == STORE_OK)
			rc = run(s, Q_PRUNE_REQUEST, p, NULL, NULL, &n, NULL);
		*deleted += (unsigned)n;
	}
	if (rc == STORE_OK)
		return txn_commit(s);
	txn_rollback(s);
	*deleted = 0;
	return rc;
}

int store_prune_idempotency(struct store *s, int64_t cutoff, unsigned limit, unsigned *deleted)
{
	struct sqlv p[] = { SV_TIME(cutoff), SV_INT(limit) };
	unsigned long long n = 0;
	int rc = run(s, Q_PRUNE_IDEM_OLD, p, NULL, NULL, &n, NULL);
	*deleted = (unsigned)n;
	return rc;
}

/* ---- migrations ---- */

int store_migrations_init(struct store *s)
{
	return run(s, Q_MIG_INIT, NULL, NULL, NULL, NULL, NULL);
}

int store_migration_applied(struct store *s, unsigned version)
{
	struct sqlv p[] = { SV_INT(version) };
	size_t rows;
	int rc = run(s, Q_MIG_APPLIED, p, NULL, NULL, NULL, &rows);
	if (rc)
		return rc;
	return rows ? 1 : 0;
}

int store_migration_apply(struct store *s, unsigned version, const char *name,
			  const char *sql, int64_t now)
{
	int rc = store_connect(s);
	if (rc)
		return rc;
	/*
	 * A migration file is several statements of our own, shipped with the
	 * program, never input: the one place text runs as a multi-statement query.
	 */
	if (mysql_set_server_option(s->mysql, MYSQL_OPTION_MULTI_STATEMENTS_ON))
		return classify(s, mysql_errno(s->mysql), mysql_error(s->mysql), name);
	int status = mysql_real_query(s->mysql, sql, (unsigned long)strlen(sql));
	for (;;) {
		if (status) {
			rc = classify(s, mysql_errno(s->mysql), mysql_error(s->mysql), name);
			break;
		}
		MYSQL_RES *res = mysql_store_result(s->mysql);
		if (res)
			mysql_free_result(res);
		int more = mysql_next_result(s->mysql);
		if (more == -1)
			break;
		status = more;
	}
	if (s->mysql)
		mysql_set_server_option(s->mysql, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	if (rc)
		return rc;
	struct sqlv p[] = { SV_INT(version), SV_STR(name), SV_TIME(now) };
	return run(s, Q_MIG_RECORD, p, NULL, NULL, NULL, NULL);
}

/* ---- the admin page ---- */

static int hash_row(void *ctx, const struct sqlcell *c)
{
	struct strbuf *sb = ctx;
	if (!c[0].null)
		strbuf_add(sb, c[0].s, c[0].len);
	return 1;
}

int store_admin_user_get(struct store *s, const char *name, char *hash, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	struct sqlv p[] = { SV_STR(name) };
	size_t rows = 0;
	int rc = run(s, Q_ADMIN_GET, p, hash_row, &sb, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	if (rc == STORE_OK && (sb.oom || sb.len >= size)) {
		store_set_error(s, "admin password hash does not fit");
		rc = STORE_ERROR;
	}
	if (rc == STORE_OK)
		memcpy(hash, sb.buf, sb.len + 1);
	strbuf_release(&sb);
	return rc;
}

struct admin_list_ctx {
	int (*fn)(void *ctx, const struct store_admin_row *row);
	void *ctx;
};

static int admin_list_row(void *ctx, const struct sqlcell *c)
{
	struct admin_list_ctx *a = ctx;
	struct store_admin_row row;
	copy_cell(&c[0], row.name, sizeof(row.name));
	row.created_at = c[1].null ? TIME_NONE : c[1].i;
	row.updated_at = c[2].null ? TIME_NONE : c[2].i;
	return a->fn(a->ctx, &row);
}

int store_admin_user_list(struct store *s,
			  int (*fn)(void *ctx, const struct store_admin_row *row), void *ctx)
{
	struct admin_list_ctx a = { fn, ctx };
	return run(s, Q_ADMIN_LIST, NULL, admin_list_row, &a, NULL, NULL);
}

int store_admin_user_delete(struct store *s, const char *name)
{
	struct sqlv p[] = { SV_STR(name) };
	unsigned long long n = 0;
	int rc = run(s, Q_ADMIN_DELETE, p, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && !n)
		rc = STORE_NOT_FOUND;
	return rc;
}

static int status_count_row(void *ctx, const struct sqlcell *c)
{
	unsigned long long *counts = ctx;
	enum gen_status st;
	if (!c[0].null && lifecycle_status_parse(c[0].s, &st) == 0)
		counts[st] = (unsigned long long)c[1].i;
	return 0;
}

int store_status_counts(struct store *s, int64_t since,
			unsigned long long counts[GEN_STATUS_COUNT])
{
	memset(counts, 0, sizeof(counts[0]) * GEN_STATUS_COUNT);
	if (since == TIME_NONE)
		return run(s, Q_STATUS_COUNTS, NULL, status_count_row, counts, NULL, NULL);
	struct sqlv p[] = { SV_TIME(since) };
	return run(s, Q_STATUS_COUNTS_SINCE, p, status_count_row, counts, NULL, NULL);
}

/* The STUCK_WHERE parameters of f, in order (array of 9). */
static void stuck_params(const struct store_stuck_filter *f, struct sqlv *p)
{
	const char *status = f->has_status ? lifecycle_status_name(f->status) : NULL;
	p[0] = SV_TIME(f->processing_cutoff);
	p[1] = SV_TIME(f->as_of);
	p[2] = SV_TIME(f->age_cutoff);
	p[3] = SV_TIME(f->pending_cutoff);
	p[4] = SV_TIME(f->age_cutoff);
	p[5] = SV_STR(f->entity_type);
	p[6] = SV_STR(f->entity_type);
	p[7] = SV_STR(status);
	p[8] = SV_STR(status);
}

int store_stuck_list(struct store *s, const struct store_stuck_filter *f,
		     int (*fn)(void *ctx, const struct gen_request *r), void *ctx)
{
	struct sqlv p[10];
	struct list_ctx l = { fn, ctx, 0 };
	stuck_params(f, p);
	p[9] = SV_INT(f->limit);
	int rc = run(s, Q_STUCK_LIST, p, list_row, &l, NULL, NULL);
	if (rc == STORE_OK && l.failed) {
		store_set_error(s, "out of memory");
		return STORE_ERROR;
	}
	return rc;
}

static int u64_row(void *ctx, const struct sqlcell *c)
{
	*(unsigned long long *)ctx = c[0].null ? 0 : (unsigned long long)c[0].i;
	return 1;
}

int store_stuck_count(struct store *s, const struct store_stuck_filter *f,
		      unsigned long long *count)
{
	struct sqlv p[9];
	stuck_params(f, p);
	*count = 0;
	return run(s, Q_STUCK_COUNT, p, u64_row, count, NULL, NULL);
}

struct activity_ctx {
	int (*fn)(void *ctx, const struct store_activity *a);
	void *ctx;
};

static int activity_row(void *ctx, const struct sqlcell *c)
{
	struct activity_ctx *x = ctx;
	struct store_activity a = {
		.at = c[1].null ? TIME_NONE : c[1].i,
		.event = {
			.at = c[1].null ? TIME_NONE : c[1].i,
			.actor = c[2].null ? "" : c[2].s,
			.from_status = c[3].null ? NULL : c[3].s,
			.to_status = c[4].null ? "" : c[4].s,
			.message = c[5].null ? NULL : c[5].s,
		},
		.entity_type = c[6].null ? "" : c[6].s,
	};
	if (!c[0].null && c[0].len == 16)
		memcpy(a.request_id.b, c[0].s, 16);
	return x->fn(x->ctx, &a);
}

int store_recent_events(struct store *s, unsigned limit,
			int (*fn)(void *ctx, const struct store_activity *a), void *ctx)
{
	struct activity_ctx x = { fn, ctx };
	struct sqlv p[] = { SV_INT(limit) };
	return run(s, Q_RECENT_EVENTS, p, activity_row, &x, NULL, NULL);
}

static enum gen_status admin_target(enum store_admin_action a)
{
	return a == ADMIN_FAIL ? GEN_FAILED : a == ADMIN_CANCEL ? GEN_CANCELLED : GEN_PENDING;
}

/* The retry's event message: what the next claim will find. */
static void retry_message(const struct gen_request *r, const char *reason, char *out, size_t size)
{
	unsigned left = r->requested_count > r->generated_count
			? r->requested_count - r->generated_count : 0;
	snprintf(out, size, "%s%skeeps %u generated, %u remain", reason ? reason : "",
		 reason && *reason ? "; " : "", r->generated_count, left);
}

int store_admin_apply(struct store *s, const struct uuid *id, enum store_admin_action action,
		      const char *actor, const char *reason, const enum gen_status *expect,
		      int64_t now, struct gen_request *out)
{
	struct sqlv lock[] = { SV_UUID(id), SV_STR(NULL), SV_STR(NULL) };
	enum gen_status to = admin_target(action);
	struct lock_row cur;
	char message[1200];
	size_t rows = 0;
	unsigned long long n = 0;

	gen_request_init(out);
	int rc = txn_begin(s);
	if (rc)
		return rc;
	rc = run(s, Q_REQ_LOCK, lock, lock_row_fn, &cur, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	else if (rc == STORE_OK && ((expect && *expect != cur.status) ||
				    !lifecycle_can_transition(cur.status, to, ACTOR_ADMIN)))
		rc = STORE_CONFLICT;
	const char *from = rc == STORE_OK ? lifecycle_status_name(cur.status) : NULL;
	snprintf(message, sizeof(message), "%s", reason ? reason : "");
	if (rc == STORE_OK && action == ADMIN_FAIL) {
		struct sqlv p[] = { SV_TIME(now), SV_TIME(now),
				    SV_STR(lifecycle_failure_code(FAIL_OPERATOR)),
				    SV_STR(reason && *reason ? reason : "Marked failed by an operator"),
				    SV_UUID(id), SV_STR(from), SV_INT(cur.attempt) };
		rc = run(s, Q_TIMEOUT_FAIL, p, NULL, NULL, &n, NULL);
	} else if (rc == STORE_OK && action == ADMIN_CANCEL) {
		struct sqlv p[] = { SV_TIME(now), SV_TIME(now), SV_UUID(id), SV_STR(from),
				    SV_INT(cur.attempt) };
		rc = run(s, Q_REQ_CANCEL, p, NULL, NULL, &n, NULL);
	} else if (rc == STORE_OK) {
		struct sqlv p[] = { SV_TIME(now), SV_TIME(now), SV_UUID(id), SV_STR(from),
				    SV_INT(cur.attempt) };
		/* DUPLICATE here: the owner has another active request for this subject. */
		rc = run(s, Q_ADMIN_RETRY, p, NULL, NULL, &n, NULL);
		if (rc == STORE_OK && n == 1) {
			struct sqlv q[] = { SV_UUID(id) };
			rc = run(s, Q_DROP_FAILED, q, NULL, NULL, NULL, NULL);
		}
		if (rc == STORE_OK && n == 1)
			rc = store_request_get(s, id, NULL, out);
		if (rc == STORE_OK && n == 1)
			retry_message(out, reason, message, sizeof(message));
	}
	if (rc == STORE_OK && n != 1)
		rc = STORE_CONFLICT;
	if (rc == STORE_OK)
		rc = event_insert(s, id, now, actor, from, lifecycle_status_name(to),
				  *message ? message : NULL);
	if (rc == STORE_OK)
		rc = txn_commit(s);
	else
		txn_rollback(s);
	if (rc != STORE_OK && rc != STORE_CONFLICT && rc != STORE_DUPLICATE)
		return rc;
	gen_request_release(out);
	int rc2 = store_request_get(s, id, NULL, out);
	return rc2 ? rc2 : rc;
}

/* affected, or -1 while the action runs (NULL). */
static int affected_row(void *ctx, const struct sqlcell *c)
{
	*(long long *)ctx = c[0].null ? -1 : c[0].i;
	return 1;
}

int store_action_begin(struct store *s, const char *action_id, const char *actor,
		       const char *kind, int64_t now, long long *affected)
{
	struct sqlv p[] = { SV_STR(action_id), SV_STR(actor), SV_STR(kind), SV_TIME(now) };
	int rc = run(s, Q_ACTION_INSERT, p, NULL, NULL, NULL, NULL);
	*affected = -1;
	if (rc != STORE_DUPLICATE)
		return rc;
	struct sqlv q[] = { SV_STR(action_id) };
	rc = run(s, Q_ACTION_GET, q, affected_row, affected, NULL, NULL);
	return rc ? rc : STORE_DUPLICATE;
}

int store_action_finish(struct store *s, const char *action_id, unsigned affected)
{
	struct sqlv p[] = { SV_INT(affected), SV_STR(action_id) };
	return run(s, Q_ACTION_FINISH, p, NULL, NULL, NULL, NULL);
}

/* ---- metrics ---- */

struct transitions_ctx {
	int (*fn)(void *ctx, const char *actor_kind, const char *to, unsigned long long n);
	void *ctx;
};

static int transition_row(void *ctx, const struct sqlcell *c)
{
	struct transitions_ctx *t = ctx;
	return t->fn(t->ctx, c[0].null ? "" : c[0].s, c[1].null ? "" : c[1].s,
		     (unsigned long long)c[2].i);
}

int store_metric_transitions(struct store *s,
			     int (*fn)(void *ctx, const char *actor_kind, const char *to,
				       unsigned long long n), void *ctx)
{
	struct transitions_ctx t = { fn, ctx };
	return run(s, Q_METRIC_TRANSITIONS, NULL, transition_row, &t, NULL, NULL);
}

static int histogram_row(void *ctx, const struct sqlcell *c)
{
	struct store_histogram *h = ctx;
	h->count = (unsigned long long)c[0].i;
	h->sum_ms = c[1].i;
	for (int k = 0; k < STORE_HIST_BUCKETS; k++)
		h->le[k] = (unsigned long long)c[2 + k].i;
	return 1;
}

int store_metric_histogram(struct store *s, enum store_hist which,
			   const long long bounds_ms[STORE_HIST_BUCKETS], struct store_histogram *out)
{
	struct sqlv p[STORE_HIST_BUCKETS];
	memset(out, 0, sizeof(*out));
	for (int k = 0; k < STORE_HIST_BUCKETS; k++)
		p[k] = SV_INT(bounds_ms[k]);
	return run(s, which == HIST_CLAIM_LATENCY ? Q_METRIC_CLAIM_LATENCY : Q_METRIC_DURATION,
		   p, histogram_row, out, NULL, NULL);
}
