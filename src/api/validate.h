#ifndef GENTRACK_VALIDATE_H
#define GENTRACK_VALIDATE_H

#include <stddef.h>

#include "base/limits.h"
#include "web/problem.h"
#include "model/resource.h"

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
	char webhook[WEBHOOK_NAME_MAX + 1]; /* the endpoint named, "" when absent */
	unsigned priority;        /* PRIORITY_MIN..MAX, PRIORITY_DEFAULT when absent */
};

/* Media type check: application/json, any case, optional parameters. */
int validate_is_json_content_type(const char *content_type);
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
 * The body of POST /admin/api/bulk-retry: an object of the string fields
 * below (each NULL when absent or null), no others. 0 with out filled
 * (owned: validate_bulk_retry_release), or -1 with p set.
 */
enum {
	VBR_ENTITY_TYPE, VBR_STATUS, VBR_FAILURE_REASON, VBR_FINISHED_AFTER, VBR_FINISHED_BEFORE,
	VBR_REASON, VBR_ACTION_ID, VALIDATE_BULK_RETRY_FIELDS
};
struct validate_bulk_retry {
	char *field[VALIDATE_BULK_RETRY_FIELDS];
};
int validate_bulk_retry_body(const char *body, size_t len, struct validate_bulk_retry *out,
			     struct problem *p);
void validate_bulk_retry_release(struct validate_bulk_retry *b);

/*
 * An Idempotency-Key header value: 1..255 bytes of visible ASCII, optionally
 * as a quoted structured-field string ("...") whose quotes are dropped.
 * 0 with key/len pointing into value, or -1 with p set.
 */
int validate_idempotency_key(const char *value, const char **key, size_t *len,
			     struct problem *p);

/* ---- worker API bodies ---- */


enum worker_call { WORKER_CLAIM, WORKER_HEARTBEAT, WORKER_ENTITY, WORKER_COMPLETE };

struct worker_input {
	char worker_id[WORKER_ID_MAX + 1];   /* visible ASCII */
	unsigned attempt;                    /* 1 or more; 0 for a claim */
	long long lease_seconds;             /* 0 when not given */
	char entity_types[WORKER_TYPES_MAX][ENTITY_TYPE_MAX + 1]; /* claim */
	size_t n_types;
	unsigned index;                      /* entities */
	char *entity_json;                   /* owned: compact object text, or NULL */
	char *error;                         /* owned: the failure text, or NULL */
};

/*
 * Parses the body of one worker call: worker_id always; claim: entity_types
 * (1..8) and lease_seconds (1..max_lease); heartbeat: attempt, lease_seconds;
 * entities: attempt, index and exactly one of entity (an object) or error
 * (a string of at most 1024 bytes); complete: attempt. 0, or -1 with p set.
 */
int validate_worker_body(const char *body, size_t len, enum worker_call call,
			 long long max_lease, struct worker_input *out, struct problem *p);
void worker_input_release(struct worker_input *in);

#endif
