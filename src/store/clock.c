#include "build_config.h"

#include "store/internal.h"
#include "base/banned.h"

/*
 * The store's clock. The transitions read UTC_TIMESTAMP(6) in the statement
 * that opens them (their locking read) and the poll in its only statement;
 * this is for the callers that have no such statement: the reaper, once per
 * run, and the admin pages.
 */

static const struct engine_query Q_NOW = { "SELECT UTC_TIMESTAMP(6)", "", "t" };

static int now_row(void *ctx, const struct sqlcell *c)
{
	*(int64_t *)ctx = engine_cell_time(&c[0]);
	return 1;
}

int store_now(struct store *s, int64_t *now)
{
	size_t rows = 0;
	*now = TIME_NONE;
	int rc = engine_run(s, &Q_NOW, NULL, now_row, now, NULL, &rows);
	if (rc == STORE_OK && (!rows || *now == TIME_NONE)) {
		engine_set_error(s, "the store's clock: no time read");
		return STORE_ERROR;
	}
	return rc;
}
