#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "model/auth.h"
#include "web/metrics_token.h"
#include "base/banned.h"

static void digest_of(const char *token, size_t len, unsigned char out[METRICS_TOKEN_DIGEST_LEN])
{
	crypto_generichash(out, METRICS_TOKEN_DIGEST_LEN, (const unsigned char *)token, len, NULL, 0);
}

void metrics_token_init(struct metrics_token *t, const char *configured)
{
	memset(t, 0, sizeof(*t));
	if (!configured || !*configured)
		return;
	digest_of(configured, strlen(configured), t->digest);
	t->set = 1;
}

int metrics_token_matches(const struct metrics_token *t, const char *authorization)
{
	unsigned char presented[METRICS_TOKEN_DIGEST_LEN];
	const char *token;
	size_t len;
	if (!t->set || auth_scheme_token(authorization, "Bearer", &token, &len) < 0 || !len)
		return 0;
	digest_of(token, len, presented);
	int same = sodium_memcmp(presented, t->digest, sizeof(presented)) == 0;
	sodium_memzero(presented, sizeof(presented));
	return same;
}
