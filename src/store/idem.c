#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "store/internal.h"
#include "base/banned.h"

/* Idempotency-Key records (SPEC §3): one per (owner, key), claimed before a create. */

static const struct engine_query Q_IDEM_INSERT = {
	"INSERT INTO idempotency_keys (owner, idem_key, body_hash, state, created_at) "
	"VALUES (?, ?, ?, 'processing', ?)",
	"sbbt", "" };
static const struct engine_query Q_IDEM_GET = {
	"SELECT body_hash, state, request_id, response_status, response_body, created_at "
	"FROM idempotency_keys WHERE owner = ? AND idem_key = ?",
	"sb", "bsbist" };
/* Takes over a forgotten or abandoned record, fenced on the one we read. */
static const struct engine_query Q_IDEM_RECLAIM = {
	"UPDATE idempotency_keys SET body_hash = ?, state = 'processing', request_id = NULL, "
	"response_status = NULL, response_body = NULL, created_at = ? "
	"WHERE owner = ? AND idem_key = ? AND created_at = ?",
	"btsbt", "" };

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
	r->response_body = engine_cell_dup(&c[4]);
	r->failed = !c[4].null && !r->response_body;
	r->created_at = engine_cell_time(&c[5]);
	return 1;
}

/* What the record found says; takes row's response_body. */
static void idem_verdict(const struct store_idem *idem, struct idem_row *row,
			 struct store_idem_result *out)
{
	if (memcmp(row->body_hash, idem->body_hash, 32)) {
		out->state = IDEM_MISMATCH;
		free(row->response_body);
	} else if (!row->done) {
		out->state = IDEM_IN_PROGRESS;
		free(row->response_body);
	} else {
		out->state = IDEM_REPLAY;
		out->response_status = row->response_status;
		out->response_body = row->response_body;
		out->request_id = row->request_id;
	}
}

/* Takes the record over: 1 when it is ours now, 0 when someone else was faster. */
static int idem_reclaim(struct store *s, const struct store_idem *idem, int64_t now,
			int64_t created_at)
{
	struct sqlv re[] = { SV_BIN(idem->body_hash, 32), SV_TIME(now), SV_STR(idem->owner),
			     SV_BIN(idem->key, idem->key_len), SV_TIME(created_at) };
	unsigned long long n = 0;
	int rc = engine_run(s, &Q_IDEM_RECLAIM, re, NULL, NULL, &n, NULL);
	return rc ? rc : n == 1;
}

/*
 * The record's insert, as a transaction of its own under the retry loop:
 * the same key sent to two hosts at once inserts on two Galera nodes, and
 * the second to certify fails (1213) rather than meeting the duplicate. Run
 * again, it meets the first one's row: STORE_DUPLICATE, as on one server.
 */
static int idem_insert_txn(struct store *s, const struct sqlv *ins)
{
	int rc = engine_begin(s);
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_IDEM_INSERT, ins, NULL, NULL, NULL, NULL);
	return engine_finish(s, rc);
}

static int idem_insert(struct store *s, const struct sqlv *ins)
{
	struct retry r = RETRY_INIT("idempotency");
	int rc;
	do
		rc = idem_insert_txn(s, ins);
	while (retry_again(s, &r, rc));
	return rc;
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
		int rc = idem_insert(s, ins);
		if (rc == STORE_OK) {
			out->state = IDEM_NEW;
			return STORE_OK;
		}
		if (rc != STORE_DUPLICATE)
			return rc;
		struct idem_row row = { .created_at = TIME_NONE };
		size_t rows;
		rc = engine_run(s, &Q_IDEM_GET, get, idem_row_fn, &row, NULL, &rows);
		if (rc || row.failed) {
			free(row.response_body);
			return rc ? rc : STORE_ERROR;
		}
		if (!rows)
			continue; /* deleted meanwhile: insert again */
		int expired = now - row.created_at > ttl_s * US_PER_S;
		int stuck = !row.done && now - row.created_at > stuck_s * US_PER_S;
		if (expired || stuck) {
			free(row.response_body);
			rc = idem_reclaim(s, idem, now, row.created_at);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				out->state = IDEM_NEW;
				return STORE_OK;
			}
			continue;
		}
		idem_verdict(idem, &row, out);
		return STORE_OK;
	}
	out->state = IDEM_IN_PROGRESS;
	return STORE_OK;
}

static const struct engine_query Q_IDEM_FINISH = {
	"UPDATE idempotency_keys SET state = 'done', request_id = ?, response_status = ?, "
	"response_body = ? WHERE owner = ? AND idem_key = ?",
	"bissb", "" };

int idem_finish(struct store *s, const struct store_idem *idem, const struct uuid *id,
		const char *response_body)
{
	struct sqlv p[] = { SV_UUID(id), SV_INT(202), SV_STR(response_body),
			    SV_STR(idem->owner), SV_BIN(idem->key, idem->key_len) };
	return engine_run(s, &Q_IDEM_FINISH, p, NULL, NULL, NULL, NULL);
}

/* Only a record still being handled: a done one is the replay of a success. */
static const struct engine_query Q_IDEM_DELETE = {
	"DELETE FROM idempotency_keys WHERE owner = ? AND idem_key = ? AND state = 'processing'",
	"sb", "" };

int store_idem_abandon(struct store *s, const struct store_idem *idem)
{
	struct sqlv p[] = { SV_STR(idem->owner), SV_BIN(idem->key, idem->key_len) };
	return engine_run(s, &Q_IDEM_DELETE, p, NULL, NULL, NULL, NULL);
}
