#include "build_config.h"

#include "store/internal.h"
#include "base/banned.h"

/*
 * Owners' weights in the fair share of the claims (sql/021). The tags that
 * use them are taken at create (store/requests.c, share_take).
 */

static const struct engine_query Q_WEIGHT_SET = {
	"INSERT INTO owner_weights (owner, weight, updated_at) VALUES (?, ?, UTC_TIMESTAMP(6)) "
	"ON DUPLICATE KEY UPDATE weight = VALUES(weight), updated_at = VALUES(updated_at)",
	"si", "" };

int store_owner_weight_set(struct store *s, const char *owner, unsigned weight)
{
	if (weight < 1 || weight > OWNER_WEIGHT_MAX)
		return STORE_ERROR;
	struct sqlv p[] = { SV_STR(owner), SV_INT(weight) };
	return engine_run(s, &Q_WEIGHT_SET, p, NULL, NULL, NULL, NULL);
}

static const struct engine_query Q_WEIGHT_LIST = {
	"SELECT owner, weight FROM owner_weights ORDER BY owner", "", "si" };

struct weight_sink {
	int (*fn)(void *ctx, const char *owner, unsigned weight);
	void *ctx;
};

static int weight_row(void *ctx, const struct sqlcell *c)
{
	struct weight_sink *k = ctx;
	return k->fn(k->ctx, c[0].s, (unsigned)c[1].i);
}

int store_owner_weight_list(struct store *s,
			    int (*fn)(void *ctx, const char *owner, unsigned weight), void *ctx)
{
	struct weight_sink k = { fn, ctx };
	return engine_run(s, &Q_WEIGHT_LIST, NULL, weight_row, &k, NULL, NULL);
}
