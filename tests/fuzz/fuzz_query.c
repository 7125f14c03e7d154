/*
 * query_parse on a QUERY_STRING (a C string), and the lookups handlers make.
 * Also the admin forms, which parse an x-www-form-urlencoded body the same way.
 */
#include "build_config.h"

#include "fuzz.h"
#include "base/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *qs = fuzz_cstr(data, size);
	struct query q;
	char err[256];

	memset(err, 0x55, sizeof(err));
	if (query_parse(qs, &q, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(q.params == NULL && q.count == 0);
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_ASSERT(err[0] != '\0');
		free(qs);
		return 0;
	}
	FUZZ_ASSERT(q.count <= QUERY_MAX_PARAMS);
	FUZZ_ASSERT((q.count == 0) == (q.params == NULL));
	size_t raw_len = strlen(qs);
	for (size_t i = 0; i < q.count; i++) {
		const struct query_param *qp = &q.params[i];
		FUZZ_ASSERT(qp->name && qp->value);
		/* Decoding only shrinks, and no value holds a NUL. */
		FUZZ_ASSERT(strlen(qp->value) == qp->value_len);
		FUZZ_ASSERT(qp->value_len <= raw_len);
		FUZZ_ASSERT(strlen(qp->name) <= raw_len);
		/* The first occurrence wins, and is counted. */
		const char *first = query_get(&q, qp->name);
		FUZZ_ASSERT(first != NULL);
		FUZZ_ASSERT(query_count(&q, qp->name) >= 1);
		size_t j = 0;
		while (strcmp(q.params[j].name, qp->name))
			j++;
		FUZZ_ASSERT(first == q.params[j].value);
	}
	query_release(&q);
	FUZZ_ASSERT(q.params == NULL && q.count == 0);
	free(qs);
	return 0;
}
