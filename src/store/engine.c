#include "build_config.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/utf8.h"
#include "store/engine.h"
#include "base/banned.h"

#define COLBUF_INITIAL 256
/* A number from limits.h, pasted into SQL text. */
#define ENGINE_STR_(x) #x
#define ENGINE_STR(x) ENGINE_STR_(x)
#define COLBUF_MAX (64u << 20)
/* Over three times the statements there are (about 70): short probes. 2^8,
 * the top byte of the hash. */
#define STMT_SLOTS 256

/* A statement prepared on this connection, found by its query's address. */
struct stmt_slot {
	const struct engine_query *q;
	MYSQL_STMT *st;
};

struct store {
	const struct config *cfg;
	MYSQL *mysql;                 /* NULL while disconnected */
	struct stmt_slot stmts[STMT_SLOTS];  /* prepared on this connection */
	unsigned n_stmts;
	int in_txn;
	char *colbuf[ENGINE_MAX_BINDS];      /* result buffers reused by every query */
	unsigned long colcap[ENGINE_MAX_BINDS];
	unsigned host_at;             /* the [store] hosts entry tried first by the next connect */
	unsigned conflict;            /* 1213 or 1205 met since the last begin, else 0 */
	int commit_unknown;           /* the last COMMIT lost its connection: outcome unknown */
	int sync_wait;                /* this session's wsrep_sync_wait: 0 or 1 (reads causal) */
	int no_sync_wait;             /* the server has no wsrep_sync_wait: never set it */
	unsigned connect_error;       /* error of the last failed connect, 0 after a success */
	unsigned connect_failures;    /* failed connects since the last success */
	unsigned lost_error;          /* error of the last connection lost, 0 once the store answered */
	unsigned lost_count;          /* connections lost since the store last answered */
	store_race_fn race;           /* tests only: called between a decision and its write */
	void *race_ctx;
	unsigned io_timeout;          /* s, per read or write; 0: IO_TIMEOUT_DEFAULT_S */
	store_change_fn on_change;    /* told of the requests each commit changed */
	void *change_ctx;
	struct uuid changed[ENGINE_CHANGES_MAX]; /* by the open transaction */
	unsigned n_changed;
	char error[512];
};

void store_set_race_hook(struct store *s, store_race_fn fn, void *ctx)
{
	s->race = fn;
	s->race_ctx = ctx;
}

void engine_race_point(struct store *s, enum store_race_point at)
{
	if (s->race)
		s->race(s->race_ctx, at);
}

void store_set_change_listener(struct store *s, store_change_fn fn, void *ctx)
{
	s->on_change = fn;
	s->change_ctx = ctx;
}

/* Tells the listener of the changes committed, and forgets them. */
static void announce_changes(struct store *s)
{
	struct uuid ids[ENGINE_CHANGES_MAX];
	unsigned n = s->n_changed;

	s->n_changed = 0;
	if (!s->on_change || n == 0)
		return;
	/* A copy: the listener may open transactions of its own. */
	memcpy(ids, s->changed, n * sizeof(ids[0]));
	s->on_change(s->change_ctx, s, ids, n);
}

void engine_note_change(struct store *s, const struct uuid *id)
{
	if (!s->on_change)
		return;
	for (unsigned i = 0; i < s->n_changed; i++)
		if (memcmp(s->changed[i].b, id->b, sizeof(id->b)) == 0)
			return;
	/* Every transaction of ours changes one request; the cap is a guard. */
	if (s->n_changed < ENGINE_CHANGES_MAX)
		s->changed[s->n_changed++] = *id;
	if (!s->in_txn)
		announce_changes(s);
}

void engine_set_error(struct store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* MariaDB's messages quote values ("Duplicate entry '...'"): cut whole. */
	utf8_vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

int engine_oom(struct store *s)
{
	engine_set_error(s, "out of memory");
	return STORE_ERROR;
}

int engine_sink_result(struct store *s, const struct engine_sink *sink, int rc)
{
	return rc == STORE_OK && sink->failed ? engine_oom(s) : rc;
}

const char *store_last_error(const struct store *s)
{
	return s->error;
}

const struct config *engine_config(const struct store *s)
{
	return s->cfg;
}

struct store *store_new(const struct config *cfg)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = cfg;
	return s;
}

/* Statements die with their connection: the next run prepares them anew. */
static void store_disconnect(struct store *s)
{
	/* The connection first: mysql_close() detaches its statements, so
	 * closing them then only frees them. Closed the other way round, a
	 * statement whose result an error cut short (see result_broken) is
	 * "flushed" by reading a rest that never comes, for the read timeout. */
	if (s->mysql)
		mysql_close(s->mysql);
	s->mysql = NULL;
	for (unsigned k = 0; k < STMT_SLOTS; k++) {
		if (s->stmts[k].st)
			mysql_stmt_close(s->stmts[k].st);
		s->stmts[k] = (struct stmt_slot){ NULL, NULL };
	}
	s->n_stmts = 0;
	s->in_txn = 0;
	s->sync_wait = 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	store_disconnect(s);
	for (int i = 0; i < ENGINE_MAX_BINDS; i++)
		free(s->colbuf[i]);
	free(s);
}

_Static_assert(ENGINE_DEADLOCK == ER_LOCK_DEADLOCK && ENGINE_LOCK_WAIT == ER_LOCK_WAIT_TIMEOUT,
	       "engine.h's conflict codes are the server's");

/* Errors after which the connection is gone and must be made anew. */
static int is_connection_error(unsigned err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST ||
	       err == CR_SERVER_LOST_EXTENDED || err == CR_CONNECTION_ERROR ||
	       err == CR_CONN_HOST_ERROR || err == ER_CONNECTION_KILLED ||
	       err == CR_COMMANDS_OUT_OF_SYNC || err == 4031 /* client idle timeout */ ||
	       /* A Galera node out of the primary component (lost its peers, or
	        * still joining): another node may well answer. */
	       err == ER_UNKNOWN_COM_ERROR ||
	       /* A COMMIT such a node could not see through ("Got error 6 during
	        * COMMIT": it left the primary component meanwhile). Whether the
	        * cluster has the write set is not known there: as after a
	        * connection lost at COMMIT (engine_commit_unknown), and the next
	        * connection goes to another node. On one server (a commit that
	        * hit a full disk) the same: a 503, and a new connection. */
	       err == ER_ERROR_DURING_COMMIT;
}

/* A hung server must not hang a worker past nginx's timeout. */
#define IO_TIMEOUT_DEFAULT_S 30

void store_set_io_timeout(struct store *s, unsigned seconds)
{
	s->io_timeout = seconds;
}

static void set_connect_options(MYSQL *m, const struct config *c, unsigned io_s)
{
	unsigned io_timeout = io_s ? io_s : IO_TIMEOUT_DEFAULT_S;
	unsigned timeout = (unsigned)c->store_connect_timeout;
	if (timeout > io_timeout)
		timeout = io_timeout;

	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* READ COMMITTED: every transition is a conditional update or a locked
	 * read, so nothing needs repeatable reads, and scans keep no locks on
	 * rows they pass over (claims would otherwise queue behind each other).
	 * group_concat_max_len: the entity array kept on a request row is built
	 * with GROUP_CONCAT up to ENTITIES_ROW_MAX (store/work.c), whatever the
	 * server's default; a cut there would be an error in strict mode. */
	mysql_options(m, MYSQL_INIT_COMMAND,
		      "SET time_zone = '+00:00', innodb_lock_wait_timeout = 5, "
		      "tx_isolation = 'READ-COMMITTED', "
		      "group_concat_max_len = " ENGINE_STR(ENTITIES_ROW_MAX) ", "
		      "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'");
}

/*
 * Where a connection may go: the [store] hosts, in order, else host:port,
 * else the unix socket.
 */
struct endpoint {
	const char *host;    /* NULL: the socket */
	unsigned port;
};

static unsigned endpoint_count(const struct config *c)
{
	return c->store_n_hosts ? c->store_n_hosts : 1;
}

static struct endpoint endpoint_at(const struct config *c, unsigned i)
{
	if (c->store_n_hosts) {
		const struct config_host *h = &c->store_hosts[i];
		return (struct endpoint){ h->name, (unsigned)(h->port ? h->port : c->store_port) };
	}
	if (c->store_host && c->store_host[0])
		return (struct endpoint){ c->store_host, (unsigned)c->store_port };
	return (struct endpoint){ NULL, 0 };
}

static int connect_failed(struct store *s, const struct endpoint *at)
{
	const struct config *c = s->cfg;
	unsigned err = mysql_errno(s->mysql);

	if (at->host)
		engine_set_error(s, "cannot connect to MariaDB at %s:%u: %s (%u)",
				 at->host, at->port, mysql_error(s->mysql), err);
	else
		engine_set_error(s, "cannot connect to MariaDB at %s: %s (%u)",
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

/* One attempt at endpoint i. */
static int connect_to(struct store *s, unsigned i)
{
	const struct config *c = s->cfg;
	struct endpoint at = endpoint_at(c, i);

	s->mysql = mysql_init(NULL);
	if (!s->mysql)
		return engine_oom(s);
	set_connect_options(s->mysql, c, s->io_timeout);
	if (at.host) {
		/* A host is a TCP endpoint, "localhost" too (the connector would
		 * otherwise take that name for its default unix socket). */
		unsigned tcp = MYSQL_PROTOCOL_TCP;
		mysql_options(s->mysql, MYSQL_OPT_PROTOCOL, &tcp);
	}
	if (!mysql_real_connect(s->mysql, at.host ? at.host : "localhost",
				c->store_user, c->store_password, c->store_database,
				at.port, at.host ? NULL : c->store_socket,
				/* Conditional updates count matched rows, even when a
				 * value happens to be unchanged. */
				CLIENT_FOUND_ROWS))
		return connect_failed(s, &at);
	if (s->connect_failures)
		log_info("store reachable again%s%s after %u failed connection attempts",
			 at.host && c->store_n_hosts > 1 ? " at " : "",
			 at.host && c->store_n_hosts > 1 ? at.host : "", s->connect_failures);
	s->connect_error = 0;
	s->connect_failures = 0;
	return STORE_OK;
}

/*
 * The first endpoint that answers, starting from the one in use last (or the
 * next one, after its node was lost: classify()), each tried once.
 */
int store_connect(struct store *s)
{
	unsigned n = endpoint_count(s->cfg);
	int rc = STORE_UNAVAILABLE;

	if (s->mysql)
		return STORE_OK;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (s->host_at + k) % n;
		rc = connect_to(s, i);
		if (rc != STORE_UNAVAILABLE) {
			if (rc == STORE_OK)
				s->host_at = i;
			break;
		}
	}
	return rc;
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
	engine_set_error(s, "%s: %s (%u)", what, msg, err);
	if (is_connection_error(err)) {
		/* Once per burst (and again if the cause changes), as a failed
		 * connect: a cluster out of its primary component answers every
		 * connection, then refuses its first statement (1047). */
		if (err != s->lost_error)
			log_warn("store connection lost: %s", s->error);
		s->lost_error = err;
		s->lost_count++;
		store_disconnect(s);
		/* Its node may be gone: the next connect starts with the next one. */
		s->host_at = (s->host_at + 1) % endpoint_count(s->cfg);
		return STORE_UNAVAILABLE;
	}
	if (err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT) {
		/* A lost certification (Galera) or lock wait: the transaction's
		 * runner may run it again from its start (store/retry.c), and
		 * logs when it gives up. */
		log_debug("store busy: %s", s->error);
		s->conflict = err;
		return STORE_UNAVAILABLE;
	}
	log_error("store error: %s", s->error);
	return STORE_ERROR;
}

/* A statement went through: an outage of lost connections, if any, is over. */
static void store_answered(struct store *s)
{
	if (!s->lost_count)
		return;
	log_info("store answering again after %u lost connection%s", s->lost_count,
		 s->lost_count == 1 ? "" : "s");
	s->lost_count = 0;
	s->lost_error = 0;
}

static int stmt_classify(struct store *s, MYSQL_STMT *st, const char *what)
{
	return classify(s, mysql_stmt_errno(st), mysql_stmt_error(st), what);
}

/* The slot of q: where it is, or the free one where it goes. */
static struct stmt_slot *stmt_slot(struct store *s, const struct engine_query *q)
{
	/* Statements are static objects, so their addresses are spread and stable. */
	unsigned h = (unsigned)(((uint64_t)(uintptr_t)q * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
	for (unsigned probe = 0; probe < STMT_SLOTS; probe++) {
		struct stmt_slot *slot = &s->stmts[(h + probe) % STMT_SLOTS];
		if (!slot->q || slot->q == q)
			return slot;
	}
	return NULL;
}

/* q prepared on this connection: once, the first time it runs there. */
static MYSQL_STMT *prepared(struct store *s, const struct engine_query *q, int *rc)
{
	*rc = store_connect(s);
	if (*rc)
		return NULL;
	struct stmt_slot *slot = stmt_slot(s, q);
	if (slot && slot->st)
		return slot->st;
	/* Half full at most: a fuller table means SQL that is not one of ours. */
	if (!slot || s->n_stmts >= STMT_SLOTS / 2) {
		engine_set_error(s, "too many distinct statements");
		*rc = STORE_ERROR;
		return NULL;
	}
	MYSQL_STMT *st = mysql_stmt_init(s->mysql);
	if (!st) {
		*rc = classify(s, mysql_errno(s->mysql), mysql_error(s->mysql), "statement init");
		return NULL;
	}
	if (mysql_stmt_prepare(st, q->sql, (unsigned long)strlen(q->sql))) {
		*rc = stmt_classify(s, st, "prepare");
		mysql_stmt_close(st);
		return NULL;
	}
	*slot = (struct stmt_slot){ q, st };
	s->n_stmts++;
	return st;
}

long long engine_insert_id(struct store *s, const struct engine_query *q)
{
	struct stmt_slot *slot = s->mysql ? stmt_slot(s, q) : NULL;
	return slot && slot->st ? (long long)mysql_stmt_insert_id(slot->st) : 0;
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

/* The parameter binds of one run. */
struct param_binds {
	MYSQL_BIND b[ENGINE_MAX_BINDS];
	MYSQL_TIME time[ENGINE_MAX_BINDS];
	my_bool null[ENGINE_MAX_BINDS];
};

/* The result binds of one run, and what the connector writes into them. */
struct result_binds {
	MYSQL_BIND b[ENGINE_MAX_BINDS];
	MYSQL_TIME time[ENGINE_MAX_BINDS];
	my_bool null[ENGINE_MAX_BINDS], err[ENGINE_MAX_BINDS];
	unsigned long len[ENGINE_MAX_BINDS];
	long long i[ENGINE_MAX_BINDS];
};

static void bind_params(const char *types, const struct sqlv *params, struct param_binds *p)
{
	size_t n = strlen(types);
	memset(p->b, 0, sizeof(p->b[0]) * n);
	for (size_t k = 0; k < n; k++) {
		MYSQL_BIND *b = &p->b[k];
		p->null[k] = 0;
		b->is_null = &p->null[k];
		switch (types[k]) {
		case 'i':
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = (void *)&params[k].i;
			break;
		case 't':
			b->buffer_type = MYSQL_TYPE_DATETIME;
			if (params[k].i == TIME_NONE) {
				p->null[k] = 1;
			} else {
				us_to_mysql_time(params[k].i, &p->time[k]);
				b->buffer = &p->time[k];
			}
			break;
		default: /* 's', 'b' */
			b->buffer_type = types[k] == 'b' ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
			b->buffer = (void *)params[k].p;
			b->buffer_length = params[k].len;
			p->null[k] = params[k].p == NULL;
			break;
		}
	}
}

/* -1 when a text buffer cannot be had. */
static int bind_results(struct store *s, const char *types, struct result_binds *r)
{
	size_t n = strlen(types);
	memset(r->b, 0, sizeof(r->b[0]) * n);
	for (size_t k = 0; k < n; k++) {
		MYSQL_BIND *b = &r->b[k];
		b->is_null = &r->null[k];
		b->length = &r->len[k];
		b->error = &r->err[k];
		switch (types[k]) {
		case 'i':
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &r->i[k];
			break;
		case 't':
			b->buffer_type = MYSQL_TYPE_DATETIME;
			b->buffer = &r->time[k];
			break;
		default:
			if (colbuf_reserve(s, (unsigned)k, COLBUF_INITIAL))
				return -1;
			b->buffer_type = MYSQL_TYPE_BLOB;
			b->buffer = s->colbuf[k];
			/* Leave room for the NUL we add. */
			b->buffer_length = s->colcap[k] - 1;
			break;
		}
	}
	return 0;
}

/* A text longer than its buffer: grow the buffer, fetch the column again. */
static int refetch_truncated(struct store *s, MYSQL_STMT *st, const char *types,
			     struct result_binds *r)
{
	size_t n = strlen(types);
	int rebind = 0;
	for (size_t k = 0; k < n; k++) {
		if (!r->err[k] || (types[k] != 's' && types[k] != 'b'))
			continue;
		if (colbuf_reserve(s, (unsigned)k, r->len[k] + 1))
			return engine_oom(s);
		r->b[k].buffer = s->colbuf[k];
		r->b[k].buffer_length = s->colcap[k] - 1;
		if (mysql_stmt_fetch_column(st, &r->b[k], (unsigned)k, 0))
			return stmt_classify(s, st, "fetch column");
		rebind = 1;
	}
	if (rebind && mysql_stmt_bind_result(st, r->b))
		return stmt_classify(s, st, "rebind");
	return STORE_OK;
}

static void cells_of(struct store *s, const char *types, const struct result_binds *r,
		     struct sqlcell *cells)
{
	size_t n = strlen(types);
	for (size_t k = 0; k < n; k++) {
		cells[k] = (struct sqlcell){ .null = r->null[k] != 0 };
		if (r->null[k])
			continue;
		switch (types[k]) {
		case 'i':
			cells[k].i = r->i[k];
			break;
		case 't':
			cells[k].i = mysql_time_to_us(&r->time[k]);
			break;
		default:
			s->colbuf[k][r->len[k]] = '\0';
			cells[k].s = s->colbuf[k];
			cells[k].len = r->len[k];
			break;
		}
	}
}

/*
 * A result set that an error cut short: under Galera a brute-force abort
 * (1213) arrives after some rows. Connector/C then keeps the statement
 * waiting for the rest of its rows, and its next execute reads until the
 * read timeout. Such a connection is dropped (the server rolls back what it
 * held); the next statement connects anew. Returns rc.
 */
static int result_broken(struct store *s, int rc)
{
	if (s->mysql) {
		log_debug("store: result cut short, reconnecting: %s", s->error);
		store_disconnect(s);
	}
	return rc;
}

static int fetch_rows(struct store *s, MYSQL_STMT *st, const char *types,
		      struct result_binds *r, row_fn fn, void *ctx, size_t *rows)
{
	struct sqlcell cells[ENGINE_MAX_BINDS];
	size_t n = strlen(types);
	for (;;) {
		/* The connector sets these only when a column is truncated. */
		memset(r->err, 0, sizeof(r->err[0]) * n);
		int f = mysql_stmt_fetch(st);
		if (f == MYSQL_NO_DATA)
			return STORE_OK;
		if (f == 1)
			return result_broken(s, stmt_classify(s, st, "fetch"));
		if (f == MYSQL_DATA_TRUNCATED) {
			int rc = refetch_truncated(s, st, types, r);
			if (rc)
				return rc;
		}
		cells_of(s, types, r, cells);
		if (rows)
			(*rows)++;
		if (fn && fn(ctx, cells))
			return STORE_OK;
	}
}

/*
 * The session's wsrep_sync_wait: 1 makes reads (and START TRANSACTION)
 * wait until this node has applied what the cluster committed before them.
 * Only with several [store] hosts (a cluster); a server without the
 * variable (built without wsrep) is told nothing more.
 */
static int sync_wait_set(struct store *s, int causal)
{
	int want = causal && s->cfg->store_n_hosts > 1 && !s->no_sync_wait;
	if (want == s->sync_wait)
		return STORE_OK;
	const char *sql = want ? "SET SESSION wsrep_sync_wait = 1" : "SET SESSION wsrep_sync_wait = 0";
	if (mysql_real_query(s->mysql, sql, (unsigned long)strlen(sql)) == 0) {
		s->sync_wait = want;
		return STORE_OK;
	}
	unsigned err = mysql_errno(s->mysql);
	if (err == ER_UNKNOWN_SYSTEM_VARIABLE) {
		log_warn("store: the server has no wsrep_sync_wait: reads through another "
			 "node may not see a write just made");
		s->no_sync_wait = 1;
		s->sync_wait = 0;
		return STORE_OK;
	}
	return classify(s, err, mysql_error(s->mysql), "wsrep_sync_wait");
}

/*
 * For the statement about to run: on for a causal read (engine_run_causal),
 * off for any other read. A write is not affected (it waits for nothing),
 * so it leaves the setting as it is: a caller's usual reads and writes
 * switch it at most twice. Inside a transaction the server waits for nothing
 * (engine_begin_causal waits at the start), so nothing is switched there.
 */
static int sync_wait_for(struct store *s, const struct engine_query *q, int causal)
{
	if (!q->columns[0] || s->in_txn)
		return STORE_OK;
	return sync_wait_set(s, causal);
}

/* "execute" and the statement's start, for the error: which of the
 * transaction's statements met a conflict or failed. */
static const char *statement_name(const struct engine_query *q, char *buf, size_t size)
{
	const char *sql = q->sql;
	size_t n = strlen(ENGINE_NOWAIT);
	if (!strncmp(sql, ENGINE_NOWAIT, n))
		sql += n;
	snprintf(buf, size, "execute '%.60s'", sql);
	return buf;
}

/*
 * One try of engine_run. *again is set when it failed in a way that a retry
 * on a new connection may cure (the connection died before any row came).
 */
static int run_once(struct store *s, const struct engine_query *q, const struct sqlv *params,
		    row_fn fn, void *ctx, unsigned long long *affected, size_t *rows, int *again,
		    int causal)
{
	struct param_binds pb;
	struct result_binds rb;
	char what[80];
	int rc;

	*again = 0;
	MYSQL_STMT *st = prepared(s, q, &rc);
	if (!st) {
		*again = 1;
		return rc;
	}
	rc = sync_wait_for(s, q, causal);
	if (rc) {
		*again = 1;
		return rc;
	}
	bind_params(q->params, params, &pb);
	if ((q->params[0] && mysql_stmt_bind_param(st, pb.b)) || mysql_stmt_execute(st)) {
		*again = 1;
		return stmt_classify(s, st, statement_name(q, what, sizeof(what)));
	}
	store_answered(s);
	if (affected)
		*affected = (unsigned long long)mysql_stmt_affected_rows(st);
	if (!q->columns[0])
		return STORE_OK;
	if (bind_results(s, q->columns, &rb)) {
		mysql_stmt_free_result(st);
		return engine_oom(s);
	}
	if (mysql_stmt_bind_result(st, rb.b) || mysql_stmt_store_result(st)) {
		rc = result_broken(s, stmt_classify(s, st, "result"));
		*again = 1;
		return rc;
	}
	rc = fetch_rows(s, st, q->columns, &rb, fn, ctx, rows);
	if (s->mysql)
		mysql_stmt_free_result(st);
	return rc;
}

static int run_as(struct store *s, const struct engine_query *q, const struct sqlv *params,
		  row_fn fn, void *ctx, unsigned long long *affected, size_t *rows, int causal)
{
	/* Only reads are retried, and only outside a transaction: a write may
	 * have been applied before the connection died. */
	int attempts = (q->columns[0] && !s->in_txn) ? 2 : 1;
	int rc = STORE_OK;

	if (rows)
		*rows = 0;
	for (int attempt = 0; attempt < attempts; attempt++) {
		int again;
		rc = run_once(s, q, params, fn, ctx, affected, rows, &again, causal);
		if (!(again && rc == STORE_UNAVAILABLE && !s->mysql))
			return rc;
	}
	return rc;
}

int engine_run(struct store *s, const struct engine_query *q, const struct sqlv *params,
	       row_fn fn, void *ctx, unsigned long long *affected, size_t *rows)
{
	return run_as(s, q, params, fn, ctx, affected, rows, 0);
}

int engine_run_nowait(struct store *s, const struct engine_query *q, const struct sqlv *params,
		      int *locked)
{
	unsigned before = s->conflict;
	int rc = run_as(s, q, params, NULL, NULL, NULL, NULL, 0);

	*locked = 0;
	/* Still connected: a lock wait timeout, not a connection lost with it. */
	if (rc == STORE_UNAVAILABLE && s->conflict == ER_LOCK_WAIT_TIMEOUT && s->mysql) {
		s->conflict = before;
		*locked = 1;
		return STORE_OK;
	}
	return rc;
}

int engine_run_causal(struct store *s, const struct engine_query *q, const struct sqlv *params,
		      row_fn fn, void *ctx, unsigned long long *affected, size_t *rows)
{
	return run_as(s, q, params, fn, ctx, affected, rows, 1);
}

/* Runs a fixed statement of ours (transaction control) outside the cache. */
static int run_text(struct store *s, const char *sql)
{
	int rc = store_connect(s);
	if (rc)
		return rc;
	if (mysql_real_query(s->mysql, sql, (unsigned long)strlen(sql)))
		return classify(s, mysql_errno(s->mysql), mysql_error(s->mysql), sql);
	store_answered(s);
	return STORE_OK;
}

/*
 * Whether the server still holds a transaction of this session open: the
 * status of its last OK packet (an error packet leaves it as it was, so
 * after a failed statement it may say so of one already gone).
 */
static int server_in_txn(struct store *s)
{
	unsigned status = 0;
	if (!s->mysql || mariadb_get_infov(s->mysql, MARIADB_CONNECTION_SERVER_STATUS, &status))
		return 0;
	return (status & SERVER_STATUS_IN_TRANS) != 0;
}

/*
 * Ends the server's side of a transaction that must not commit. A ROLLBACK
 * that fails, for whatever reason, leaves the transaction's fate unknown
 * (with innodb_rollback_on_timeout OFF a 1205 undid only its statement):
 * the connection is dropped then, and the server rolls back what it held,
 * rather than let the next START TRANSACTION commit it.
 */
static void rollback_or_drop(struct store *s)
{
	if (!s->mysql)
		return;
	const char *sql = "ROLLBACK";
	if (mysql_real_query(s->mysql, sql, (unsigned long)strlen(sql)) == 0)
		return;
	log_warn("store: ROLLBACK failed, dropping the connection: %s (%u)",
		 mysql_error(s->mysql), mysql_errno(s->mysql));
	store_disconnect(s);
}

int engine_begin(struct store *s)
{
	/* A conflict belongs to the transaction it voided, not to the next. */
	s->conflict = 0;
	s->commit_unknown = 0;
	/* START TRANSACTION commits one left open: never a half-done one of ours. */
	if (s->in_txn || server_in_txn(s)) {
		log_warn("store: a transaction was left open; rolling it back");
		rollback_or_drop(s);
		s->in_txn = 0;
	}
	int rc = run_text(s, "START TRANSACTION");
	/* The first statement of a transaction may meet a connection that died idle. */
	if (rc == STORE_UNAVAILABLE && !s->mysql)
		rc = run_text(s, "START TRANSACTION");
	if (rc == STORE_OK) {
		s->in_txn = 1;
		s->n_changed = 0;
	}
	return rc;
}

int engine_begin_causal(struct store *s)
{
	/* Twice, as engine_begin: the connection may have died idle. */
	for (int attempt = 0; attempt < 2; attempt++) {
		int rc = store_connect(s);
		if (rc == STORE_OK)
			rc = sync_wait_set(s, 1);
		if (rc == STORE_OK)
			return engine_begin(s);
		if (!(rc == STORE_UNAVAILABLE && !s->mysql))
			return rc;
	}
	return STORE_UNAVAILABLE;
}

unsigned engine_conflict(const struct store *s)
{
	return s->conflict;
}

int engine_commit_unknown(const struct store *s)
{
	return s->commit_unknown;
}

int engine_commit(struct store *s)
{
	int connected = s->mysql != NULL;
	int rc = run_text(s, "COMMIT");
	/* Lost on the way (classify dropped it): the server may have committed. */
	s->commit_unknown = connected && rc == STORE_UNAVAILABLE && !s->mysql;
	/* A COMMIT that failed has ended its transaction so far (1213, and
	 * Galera's 1180 out of the primary component, left @@in_transaction 0),
	 * but nothing promises it, and the next START TRANSACTION would commit
	 * what is left: end it here. The conflict stays the COMMIT's. */
	if (rc != STORE_OK)
		rollback_or_drop(s);
	s->in_txn = 0;
	if (rc == STORE_OK)
		announce_changes(s);
	else
		s->n_changed = 0;
	return rc;
}

void engine_rollback(struct store *s)
{
	if (s->in_txn)
		rollback_or_drop(s);
	s->in_txn = 0;
	s->n_changed = 0;
}

int engine_finish(struct store *s, int rc)
{
	if (rc == STORE_OK)
		return engine_commit(s);
	engine_rollback(s);
	return rc;
}

int engine_run_script(struct store *s, const char *sql, const char *what)
{
	int rc = store_connect(s);
	if (rc)
		return rc;
	if (mysql_set_server_option(s->mysql, MYSQL_OPTION_MULTI_STATEMENTS_ON))
		return classify(s, mysql_errno(s->mysql), mysql_error(s->mysql), what);
	int status = mysql_real_query(s->mysql, sql, (unsigned long)strlen(sql));
	for (;;) {
		if (status) {
			rc = classify(s, mysql_errno(s->mysql), mysql_error(s->mysql), what);
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
	/* Multi-statements stay off everywhere else: no input ever runs as two. */
	if (s->mysql)
		mysql_set_server_option(s->mysql, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	return rc;
}

char *engine_cell_dup(const struct sqlcell *c)
{
	if (c->null)
		return NULL;
	char *p = malloc(c->len + 1);
	if (p)
		memcpy(p, c->s, c->len + 1);
	return p;
}

void engine_cell_copy(const struct sqlcell *c, char *out, size_t size)
{
	/* A cut copy goes back into utf8mb4 columns and JSON: never half a character. */
	size_t n = c->null ? 0 : utf8_prefix_len(c->s, c->len, size - 1);
	if (n)
		memcpy(out, c->s, n);
	out[n] = '\0';
}

void engine_cell_uuid(const struct sqlcell *c, struct uuid *out)
{
	if (!c->null && c->len == 16)
		memcpy(out->b, c->s, 16);
}

int64_t engine_cell_time(const struct sqlcell *c)
{
	return c->null ? TIME_NONE : c->i;
}
