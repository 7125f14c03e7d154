/*
 * The worker API bodies (validate_worker_body). The first byte picks the call
 * (claim, heartbeat, entities, complete); the rest is the body, unterminated.
 */
#include "build_config.h"

#include "fuzz.h"
#include "api/validate.h"

#define MAX_LEASE 3600

static int visible_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum worker_call call = (enum worker_call)(data[0] % 4);
	size_t len = size - 1;
	char *body = fuzz_copy(data + 1, len);
	struct worker_input in;
	struct problem p;

	memset(&p, 0, sizeof(p));
	if (validate_worker_body(body, len, call, MAX_LEASE, &in, &p) < 0) {
		fuzz_check_problem(&p);
		FUZZ_ASSERT(in.entity_json == NULL && in.error == NULL);
		free(body);
		return 0;
	}
	size_t idlen = strnlen(in.worker_id, sizeof(in.worker_id));
	FUZZ_ASSERT(idlen >= 1 && idlen <= WORKER_ID_MAX);
	FUZZ_ASSERT(visible_ascii(in.worker_id));
	FUZZ_ASSERT(in.attempt <= 1000000);
	FUZZ_ASSERT(in.lease_seconds == 0 ||
		    (in.lease_seconds >= 1 && in.lease_seconds <= MAX_LEASE));
	if (call == WORKER_CLAIM) {
		FUZZ_ASSERT(in.n_types >= 1 && in.n_types <= WORKER_TYPES_MAX);
		for (size_t i = 0; i < in.n_types; i++) {
			size_t n = strnlen(in.entity_types[i], sizeof(in.entity_types[i]));
			FUZZ_ASSERT(n < sizeof(in.entity_types[i]));
			FUZZ_ASSERT(resource_entity_type_valid(in.entity_types[i], n));
		}
	} else {
		FUZZ_ASSERT(in.n_types == 0);
	}
	if (call == WORKER_ENTITY) {
		FUZZ_ASSERT(in.index <= 1000000);
		FUZZ_ASSERT(!in.entity_json != !in.error);
		if (in.entity_json)
			fuzz_check_object_text(in.entity_json);
		if (in.error) {
			FUZZ_ASSERT(strlen(in.error) <= ENTITY_ERROR_MAX);
			FUZZ_ASSERT(fuzz_utf8_valid(in.error, strlen(in.error)));
		}
	} else {
		FUZZ_ASSERT(in.entity_json == NULL && in.error == NULL);
	}
	worker_input_release(&in);
	free(body);
	return 0;
}
