/*
 * The worker's check of a claim answer (claim_parse, src/worker/claim.c):
 * the input is the body of a 200 to POST /api/v1/worker/claim, read as
 * wclient reads it. A parse that succeeds must give what the worker may
 * act on without a second look: a canonical id, attempt, requested_count
 * and lease_seconds within base/limits.h, and at most requested_count
 * pending indexes, each in [0, requested_count) and none twice. A refusal
 * must leave nothing behind and say why in printable ASCII (it goes to the
 * log, and never quotes what the server sent).
 */
#include "build_config.h"

#include "fuzz.h"
#include "base/limits.h"
#include "worker/claim.h"

static void check_claim(const struct claim *c)
{
	struct uuid u;
	FUZZ_ASSERT(strlen(c->id) == UUID_STR_LEN);
	FUZZ_ASSERT(uuid_parse(c->id, UUID_STR_LEN, &u) == 0);
	for (size_t i = 0; i < UUID_STR_LEN; i++)
		FUZZ_ASSERT(c->id[i] == '-' || (c->id[i] >= '0' && c->id[i] <= '9') ||
			    (c->id[i] >= 'a' && c->id[i] <= 'f'));
	FUZZ_ASSERT(c->attempt >= 1 && c->attempt <= ATTEMPT_MAX);
	FUZZ_ASSERT(c->requested_count >= 1 && c->requested_count <= REQUESTED_COUNT_MAX);
	FUZZ_ASSERT(c->lease_seconds == 0 ||
		    (c->lease_seconds >= 1 && c->lease_seconds <= LEASE_SECONDS_MAX));
	FUZZ_ASSERT(c->n_pending <= (size_t)c->requested_count);
	FUZZ_ASSERT((c->pending == NULL) == (c->n_pending == 0));
	unsigned char *seen = calloc((size_t)c->requested_count, 1);
	FUZZ_ASSERT(seen);
	for (size_t i = 0; i < c->n_pending; i++) {
		long k = c->pending[i];
		FUZZ_ASSERT(k >= 0 && k < c->requested_count);
		FUZZ_ASSERT(!seen[k]);
		seen[k] = 1;
	}
	free(seen);
}

static void check_refusal(const struct claim *c, const char *err)
{
	size_t n = strnlen(err, 256);
	FUZZ_ASSERT(n >= 1 && n < 256);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(err[i] >= 0x20 && err[i] < 0x7f);
	FUZZ_ASSERT(c->pending == NULL && c->n_pending == 0 && c->id[0] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *answer = json_loadb((const char *)data, size, 0, NULL);
	struct claim c, again;
	char err[256], err2[256];

	memset(err, 'x', sizeof(err));
	int rc = claim_parse(answer, &c, err, sizeof(err));
	if (rc == 0)
		check_claim(&c);
	else
		check_refusal(&c, err);
	/* Pure: the same answer, the same verdict and the same claim. */
	int rc2 = claim_parse(answer, &again, err2, sizeof(err2));
	FUZZ_ASSERT(rc2 == rc);
	if (rc == 0) {
		FUZZ_ASSERT(strcmp(c.id, again.id) == 0 && c.attempt == again.attempt &&
			    c.n_pending == again.n_pending);
		FUZZ_ASSERT(c.n_pending == 0 ||
			    memcmp(c.pending, again.pending, c.n_pending * sizeof(*c.pending)) == 0);
	} else {
		FUZZ_ASSERT(strcmp(err, err2) == 0);
	}
	claim_release(&c);
	claim_release(&again);
	json_decref(answer);
	return 0;
}
