/*
 * The client's request bodies: the create body (validate_create_body) and the
 * optional cancel body {"reason": ...} (validate_reason_body), fed the same
 * bytes as an unterminated buffer, as http_read_body hands them over.
 */
#include "build_config.h"

#include "fuzz.h"
#include "api/validate.h"

#define MAX_COUNT 10

static void check_create(const char *body, size_t size)
{
	struct create_input in;
	struct problem p;

	memset(&p, 0, sizeof(p));
	if (validate_create_body(body, size, MAX_COUNT, &in, &p) < 0) {
		fuzz_check_problem(&p);
		FUZZ_ASSERT(in.subject_key == NULL && in.constraints_json == NULL &&
			    in.metadata_json == NULL);
		return;
	}
	size_t tlen = strnlen(in.entity_type, sizeof(in.entity_type));
	FUZZ_ASSERT(tlen < sizeof(in.entity_type));
	FUZZ_ASSERT(resource_entity_type_valid(in.entity_type, tlen));
	FUZZ_ASSERT(in.count >= 1 && in.count <= MAX_COUNT);
	if (in.subject_key) {
		FUZZ_ASSERT(in.subject_key_len >= 1 && in.subject_key_len <= SUBJECT_KEY_MAX);
		/* jansson refuses \u0000 without JSON_ALLOW_NUL: no NUL inside. */
		FUZZ_ASSERT(strlen(in.subject_key) == in.subject_key_len);
		FUZZ_ASSERT(fuzz_utf8_valid(in.subject_key, in.subject_key_len));
	} else {
		FUZZ_ASSERT(in.subject_key_len == 0);
	}
	fuzz_check_object_text(in.constraints_json);
	fuzz_check_object_text(in.metadata_json);
	create_input_release(&in);
	FUZZ_ASSERT(in.subject_key == NULL && in.constraints_json == NULL);
}

static void check_reason(const char *body, size_t size)
{
	char *reason = (char *)1;
	struct problem p;

	memset(&p, 0, sizeof(p));
	if (validate_reason_body(body, size, &reason, &p) < 0) {
		fuzz_check_problem(&p);
		FUZZ_ASSERT(reason == NULL);
		return;
	}
	if (size == 0)
		FUZZ_ASSERT(reason == NULL);
	if (reason) {
		FUZZ_ASSERT(strlen(reason) <= 1024);
		FUZZ_ASSERT(fuzz_utf8_valid(reason, strlen(reason)));
	}
	free(reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_copy(data, size);
	check_create(body, size);
	check_reason(body, size);
	free(body);
	return 0;
}
