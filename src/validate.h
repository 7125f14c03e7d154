#ifndef GENTRACK_VALIDATE_H
#define GENTRACK_VALIDATE_H

#include <stddef.h>

#include "problem.h"
#include "resource.h"

/*
 * Validation of client input: bodies (parsed with jansson, duplicate keys and
 * invalid UTF-8 refused) and single values. Each failure fills a 400 problem
 * whose detail names the field and what it must be.
 */

struct create_input {
	char entity_type[ENTITY_TYPE_MAX + 1];
	unsigned count;
	char *subject_key;        /* owned; NULL when absent */
	size_t subject_key_len;
	char *constraints_json;   /* owned; compact re-encoded object, "{}" when absent */
	char *metadata_json;      /* owned; likewise */
};

/* Media type check: application/json, any case, optional parameters. */
int validate_is_json_content_type(const char *content_type);
/* [a-z][a-z0-9_]{0,63} */
int validate_entity_type(const char *s, size_t len);

/*
 * Parses and checks a create body. 0 with *out filled (release it), or -1
 * with p set (nothing to release).
 */
int validate_create_body(const char *body, size_t len, unsigned max_count,
			 struct create_input *out, struct problem *p);
void create_input_release(struct create_input *in);

/*
 * An optional body {"reason": "..."} (reason at most 1024 bytes). An empty
 * body is no reason. 0 with *reason (owned, may be NULL), or -1 with p set.
 */
int validate_reason_body(const char *body, size_t len, char **reason, struct problem *p);

/*
 * An Idempotency-Key header value: 1..255 bytes of visible ASCII, optionally
 * as a quoted structured-field string ("...") whose quotes are dropped.
 * 0 with key/len pointing into value, or -1 with p set.
 */
int validate_idempotency_key(const char *value, const char **key, size_t *len,
			     struct problem *p);

#endif
