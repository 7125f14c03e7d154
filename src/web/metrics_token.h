#ifndef GENTRACK_METRICS_TOKEN_H
#define GENTRACK_METRICS_TOKEN_H

/*
 * The `[metrics] token` of the configuration, the credential of a scraper
 * that is not an admin (SECURITY.md, "Who can call what"): a request to
 * /metrics with "Authorization: Bearer <token>" passes. Only a BLAKE2b-256
 * of the token is kept, and a presented token is hashed the same way and
 * compared with sodium_memcmp, so neither its bytes nor its length decide
 * how long a refusal takes.
 */
#define METRICS_TOKEN_DIGEST_LEN 32

struct metrics_token {
	int set;                                        /* 0: no token configured */
	unsigned char digest[METRICS_TOKEN_DIGEST_LEN]; /* BLAKE2b-256 of the token */
};

/* From the configured token (borrowed; "" = none). */
void metrics_token_init(struct metrics_token *t, const char *configured);
/*
 * 1 when `authorization` (the header's value, NULL for none) is "Bearer "
 * and the configured token, else 0 (always 0 with no token configured).
 */
int metrics_token_matches(const struct metrics_token *t, const char *authorization);

#endif
