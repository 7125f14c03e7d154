#ifndef GENTRACK_RESOURCE_H
#define GENTRACK_RESOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "base/jsonw.h"
#include "base/limits.h"
#include "model/lifecycle.h"
#include "base/strbuf.h"
#include "base/uuid.h"

/*
 * The generation request as the service sees it (one row of
 * generation_requests), and its JSON rendering (SPEC §3 "The resource").
 */

#define TIME_NONE INT64_MIN /* a NULL time column */

struct gen_request {
	struct uuid id;
	char owner[OWNER_MAX + 1];
	char entity_type[ENTITY_TYPE_MAX + 1];
	char *subject_key;            /* owned; NULL when none */
	size_t subject_key_len;
	enum gen_status status;
	unsigned requested_count;
	unsigned generated_count;
	unsigned failed_count;
	unsigned attempt;
	uint64_t version;             /* bumped by every change; the ETag */
	char *worker_id;              /* owned; NULL when none */
	int64_t lease_expires_at;     /* µs or TIME_NONE, likewise below */
	int64_t requested_at;
	int64_t started_at;
	int64_t completed_at;
	int64_t cancelled_at;
	int64_t updated_at;
	char failure_reason[FAILURE_CODE_MAX + 1]; /* "" when none */
	char *error_message;          /* owned; NULL when none */
	char *constraints_json;       /* owned; compact JSON object text */
	char *metadata_json;          /* owned; compact JSON object text */
	char webhook[WEBHOOK_NAME_MAX + 1]; /* the owner's endpoint it reports to; "" none */
	unsigned priority;            /* PRIORITY_MIN..MAX; gen_request_init: PRIORITY_DEFAULT */
	/* Written at create only, never read back or rendered: the hash of the
	 * request's status token, valid until the time (TIME_NONE: no token). */
	unsigned char status_token_hash[32];
	int64_t status_token_expires_at;
};

/* One generated entity: its index and JSON text (owned). */
struct gen_entity {
	unsigned idx;
	char *json;
	size_t json_len;
};

struct gen_entity_list {
	struct gen_entity *items;     /* owned array */
	size_t count;
	size_t alloc;
	/* Or the whole list at once, as the request row keeps it (sql/010): one
	 * JSON array, in index order (owned; NULL when the list is in items). */
	char *array_json;
	size_t array_len;
};

/*
 * An entity type as the API, the admin pages and the worker accept it:
 * [a-z][a-z0-9_]{0,63}, so at most ENTITY_TYPE_MAX bytes. s[0..len) need not
 * be NUL-terminated (a NUL inside is refused). 1 when valid, else 0.
 */
int resource_entity_type_valid(const char *s, size_t len);

/* Zero-fills r with every time TIME_NONE and the default priority. */
void gen_request_init(struct gen_request *r);
/* Frees what r owns and re-initialises it. */
void gen_request_release(struct gen_request *r);
void gen_entity_list_release(struct gen_entity_list *l);

/* Which optional parts render_request adds. */
enum {
	RESOURCE_ENTITIES = 1 << 0,   /* "entities": [...] (needs `entities`) */
	RESOURCE_NO_CONSTRAINTS = 1 << 1, /* leave out the client's "constraints" */
	RESOURCE_NO_METADATA = 1 << 2,    /* and its "metadata" */
};

/*
 * Appends the resource JSON of r to sb (check sb->oom). `entities` is only
 * read when RESOURCE_ENTITIES is set.
 */
void resource_render(const struct gen_request *r, const struct gen_entity_list *entities,
		     unsigned flags, struct strbuf *sb);
/* The same members into an object the caller opened on w, so it can add its own. */
void resource_render_members(const struct gen_request *r, const struct gen_entity_list *entities,
			     unsigned flags, struct jsonw *w);
/* "key": RFC 3339 time, or null for TIME_NONE. */
void resource_render_time(struct jsonw *w, const char *key, int64_t us);

#endif
