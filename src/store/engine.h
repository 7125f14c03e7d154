#ifndef GENTRACK_STORE_ENGINE_H
#define GENTRACK_STORE_ENGINE_H

/*
 * The store's engine, for src/store/ files only: the connection, its prepared
 * statements, running one with binds, transactions, and the error of the
 * last failure. engine.c is the only file that includes mysql.h; the concern
 * files (keys.c, requests.c, work.c, ...) hold their statements and the
 * functions that run them.
 *
 * A statement is a `static const struct engine_query` next to the function
 * that runs it. Its address names it: the engine prepares it the first time
 * it runs on a connection, keeps it for the next runs, and prepares it again
 * after a reconnect. Only such static statements may be run (never SQL built
 * from input), so the set of texts is fixed and the cache never fills.
 */
#include <stddef.h>
#include <string.h>

#include "store/store.h"

/*
 * Types of the parameters and of the result columns, one letter each:
 *   i = integer, s = text, b = bytes (BINARY/BLOB), t = DATETIME(6) as µs.
 */
struct engine_query {
	const char *sql;
	const char *params;   /* one type letter per '?' */
	const char *columns;  /* one type letter per result column; "" for none */
};

/* At most this many parameters or result columns per statement. */
#define ENGINE_MAX_BINDS 32
/* Requests one transaction may change and announce (engine_note_change). */
#define ENGINE_CHANGES_MAX 4

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

/* Called for each row; non-zero stops the fetch. Must not run other queries. */
typedef int (*row_fn)(void *ctx, const struct sqlcell *cells);

/*
 * The one adapter between a row reader and the caller's typed callback
 * (store_key_list, store_request_list, ...): the reader turns the cells into
 * the caller's row type, casts fn back to the caller's type and calls it.
 * void (*)(void) is C's generic function pointer: a cast to it and back is
 * defined, and -Wcast-function-type allows it.
 */
typedef void (*engine_any_fn)(void);
struct engine_sink {
	engine_any_fn fn;
	void *ctx;
	int failed;         /* the reader ran out of memory: the call answers STORE_ERROR */
};
#define ENGINE_SINK(f, c) ((struct engine_sink){ (engine_any_fn)(f), (c), 0 })

/*
 * Runs q with params (as many as q->params has letters). For a SELECT, calls
 * fn for each row; *rows and *affected are set when not NULL. A read that
 * hits a dead connection outside a transaction is retried once after a
 * reconnect: that is how a child recovers after wait_timeout or a restart.
 */
int engine_run(struct store *s, const struct engine_query *q, const struct sqlv *params,
	       row_fn fn, void *ctx, unsigned long long *affected, size_t *rows);
/*
 * A write that waits for no row lock: q's SQL starts with ENGINE_NOWAIT.
 * When a row it needs is locked by another transaction it writes nothing,
 * sets *locked and answers STORE_OK; the caller's transaction goes on (the
 * server undid that statement only) and no conflict is recorded. Otherwise
 * *locked is 0 and the answer is engine_run's. For rows that only spread
 * writes (the sharded counters): the caller tries another one.
 */
#define ENGINE_NOWAIT "SET STATEMENT innodb_lock_wait_timeout = 0 FOR "
int engine_run_nowait(struct store *s, const struct engine_query *q, const struct sqlv *params,
		      int *locked);

/*
 * The same for a read that must see every write the cluster committed
 * before it, wherever it was made: a client's GET through one host right
 * after its 202 from another, a worker's call after its claim. With several
 * [store] hosts it runs with wsrep_sync_wait = 1 (the node first applies
 * what it has not yet); with one, it is engine_run. Only where needed:
 * each such read waits for a round of the cluster.
 */
int engine_run_causal(struct store *s, const struct engine_query *q, const struct sqlv *params,
		      row_fn fn, void *ctx, unsigned long long *affected, size_t *rows);
/* The AUTO_INCREMENT id the last run of q (an INSERT) made. */
long long engine_insert_id(struct store *s, const struct engine_query *q);
/*
 * Runs several statements of ours (a migration file shipped with the
 * program, never input) as one multi-statement query. `what` names it in
 * errors.
 */
int engine_run_script(struct store *s, const char *sql, const char *what);

/*
 * The transaction changed request `id` (store_set_change_listener): its
 * listener hears of it after the commit, or now when no transaction is open
 * (the statement committed by itself).
 */
void engine_note_change(struct store *s, const struct uuid *id);

/* Transactions: begin retries once on a connection that died idle. */
int engine_begin(struct store *s);
/*
 * A transaction that must see every write the cluster committed before it
 * (a worker's call after its claim, a cancel right after the create): its
 * START TRANSACTION runs with wsrep_sync_wait = 1, as engine_run_causal's
 * reads do (a server waits for nothing inside a transaction).
 */
int engine_begin_causal(struct store *s);
int engine_commit(struct store *s);
void engine_rollback(struct store *s);
/* Commits when rc is STORE_OK, else rolls back; the outcome. */
int engine_finish(struct store *s, int rc);
/*
 * The server error that made a statement of the transaction begun last
 * answer STORE_UNAVAILABLE, ENGINE_DEADLOCK or ENGINE_LOCK_WAIT, or 0.
 * Either way the transaction is void as a whole: store/retry.c runs it again.
 */
#define ENGINE_DEADLOCK 1213    /* ER_LOCK_DEADLOCK; under Galera, a lost certification too */
#define ENGINE_LOCK_WAIT 1205   /* ER_LOCK_WAIT_TIMEOUT, after innodb_lock_wait_timeout (5 s) */
unsigned engine_conflict(const struct store *s);

/*
 * Whether the last engine_commit lost its connection before the answer came,
 * or its Galera node answered 1180 (it left the primary component during the
 * commit): the transaction may then have committed (replicated before the
 * node went), and only a read of what it wrote can tell.
 */
int engine_commit_unknown(const struct store *s);

/*
 * Where an actor has decided from what it read and is about to write: the
 * race hook of store_set_race_hook() runs here (nothing in production).
 */
void engine_race_point(struct store *s, enum store_race_point at);

/* The detail store_last_error() returns. */
void engine_set_error(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records "out of memory"; STORE_ERROR. */
int engine_oom(struct store *s);
/* The configuration the store was made for (borrowed). */
const struct config *engine_config(const struct store *s);
/* STORE_ERROR after an out-of-memory in a reader (sink->failed), else rc. */
int engine_sink_result(struct store *s, const struct engine_sink *sink, int rc);

/*
 * Cells: a NUL-terminated copy (NULL for SQL NULL or no memory), or into a
 * buffer of `size` bytes, cut if need be before the character that would not fit.
 */
char *engine_cell_dup(const struct sqlcell *c);
void engine_cell_copy(const struct sqlcell *c, char *out, size_t size);
/* A 16-byte id cell into *out (left as is when NULL or of another size). */
void engine_cell_uuid(const struct sqlcell *c, struct uuid *out);
/* A DATETIME cell as µs, TIME_NONE for NULL. */
int64_t engine_cell_time(const struct sqlcell *c);

#endif
