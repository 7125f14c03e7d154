#ifndef GENTRACK_TESTS_ITEST_H
#define GENTRACK_TESTS_ITEST_H

/*
 * Shared by the integration programs that test the store against the real
 * MariaDB their shell wrapper started ($GENTRACK_CONFIG): the configuration,
 * a store, and a plain connection to check what was written behind the
 * store's back, as an operator's SQL console would. Test-only SQL below is
 * built with printf from values the tests made themselves, never from input.
 */
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "store/store.h"
#include "base/uuid.h"

static const char *itest_program = "test";
static MYSQL *itest_raw;

/* Set-up failures are not test failures: exit 99, automake's hard error. */
static inline void itest_fatal(const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s: %s\n", itest_program, what, detail);
	exit(99);
}

/* Loads the configuration, connects a store (*st) and the plain connection. */
static inline void itest_open(const char *program, struct config *cfg, struct store **st)
{
	char err[512];
	itest_program = program;
	if (config_load(cfg, NULL, err, sizeof(err)) < 0)
		itest_fatal("config", err);
	*st = store_new(cfg);
	if (!*st || store_connect(*st))
		itest_fatal("connect", *st ? store_last_error(*st) : "out of memory");
	itest_raw = mysql_init(NULL);
	int tcp = cfg->store_host && *cfg->store_host;
	if (!itest_raw ||
	    !mysql_real_connect(itest_raw, tcp ? cfg->store_host : "localhost", cfg->store_user,
				cfg->store_password, cfg->store_database,
				tcp ? (unsigned)cfg->store_port : 0, tcp ? NULL : cfg->store_socket, 0))
		itest_fatal("plain connection", itest_raw ? mysql_error(itest_raw) : "out of memory");
}

static inline void itest_close(struct config *cfg, struct store *st)
{
	store_free(st);
	mysql_close(itest_raw);
	config_release(cfg);
}

static inline void itest_vexec(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static inline void itest_vexec(const char *fmt, va_list ap)
{
	char sql[1024];
	vsnprintf(sql, sizeof(sql), fmt, ap);
	if (mysql_query(itest_raw, sql))
		itest_fatal(sql, mysql_error(itest_raw));
}

/* Runs a statement; its result, if any, is left for mysql_store_result(itest_raw). */
static inline void itest_exec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void itest_exec(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	itest_vexec(fmt, ap);
	va_end(ap);
}

/* The first column of the first row of m's last statement as a number, or -1
 * (for a test's own connection too, e.g. one per thread). */
static inline long itest_first_long(MYSQL *m)
{
	MYSQL_RES *res = mysql_store_result(m);
	MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
	long n = row && row[0] ? atol(row[0]) : -1;
	if (res)
		mysql_free_result(res);
	return n;
}

/* The first column of the first row as a number (a COUNT(*), a version), or -1. */
static inline long itest_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline long itest_long(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	itest_vexec(fmt, ap);
	va_end(ap);
	return itest_first_long(itest_raw);
}

/* A pending request as the client API creates it, made straight in the store. */
struct itest_pending {
	const char *owner;          /* borrowed; the test's own, with its run tag */
	const char *entity_type;    /* borrowed */
	unsigned count;             /* entities requested */
	unsigned priority;          /* PRIORITY_MIN..MAX */
	int64_t at;                 /* requested_at, µs; its UUIDv7 id is of this millisecond */
	const char *actor;          /* of the "created" event; NULL: client:test */
};

/*
 * Creates p through store_request_create, with empty constraints and
 * metadata and its "created" event; its id, made by ids.
 * Exits 99 when the store refuses: seeding is set-up, not what a test
 * asserts.
 */
static inline struct uuid itest_create_pending(struct store *st, struct uuid_gen *ids,
					       const struct itest_pending *p)
{
	struct gen_request r;
	struct uuid existing;
	gen_request_init(&r);
	if (uuid_v7_next(ids, p->at / 1000, &r.id))
		itest_fatal("uuid", "clock");
	snprintf(r.owner, sizeof(r.owner), "%s", p->owner);
	snprintf(r.entity_type, sizeof(r.entity_type), "%s", p->entity_type);
	r.status = GEN_PENDING;
	r.requested_count = p->count;
	r.version = 1;
	r.priority = p->priority;
	r.requested_at = r.updated_at = p->at;
	r.constraints_json = strdup("{}");
	r.metadata_json = strdup("{}");
	if (!r.constraints_json || !r.metadata_json)
		itest_fatal("create", "out of memory");
	if (store_request_create(st, &r, p->actor ? p->actor : "client:test", NULL, NULL, &existing))
		itest_fatal("create", store_last_error(st));
	struct uuid id = r.id;
	gen_request_release(&r);
	return id;
}

/* An id as 32 hex digits for UNHEX(); four buffers, so one call may use several. */
static inline const char *itest_hex(const struct uuid *id)
{
	static char ring[4][33];
	static int next;
	char *hex = ring[next++ % 4];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id->b[i]);
	return hex;
}

#endif
