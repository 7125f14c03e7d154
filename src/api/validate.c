#include "build_config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/validate.h"
#include "base/json_type.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "model/webhook.h"
#include "base/banned.h"


int validate_is_json_content_type(const char *ct)
{
	static const char json[] = "application/json";
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, json, sizeof(json) - 1))
		return 0;
	ct += sizeof(json) - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Parses a whole body as one JSON value; a problem naming the position if not. */
static json_t *parse_body(const char *body, size_t len, struct problem *p)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		problem_set(p, 400, "malformed-json",
			    "request body is not valid JSON (line %d, column %d): %s",
			    jerr.line, jerr.column, jerr.text);
	return root;
}

/* Re-encodes an optional object member compactly ("{}" when absent or null). */
static int take_object(json_t *root, const char *name, char **out, struct problem *p)
{
	json_t *v = json_object_get(root, name);
	if (!v || json_is_null(v)) {
		*out = strdup("{}");
	} else if (!json_is_object(v)) {
		problem_set(p, 400, "invalid-field", "'%s' must be a JSON object, not %s",
			    name, json_type_name(v));
		return -1;
	} else {
		*out = json_dumps(v, JSON_COMPACT);
	}
	if (!*out) {
		problem_set(p, 500, NULL, "out of memory");
		return -1;
	}
	return 0;
}

static const char *const create_fields[] = {
	"entity_type", "count", "subject_key", "constraints", "metadata", "webhook", "priority",
	NULL,
};

static int known_field(const char *const *fields, const char *name)
{
	for (; *fields; fields++)
		if (!strcmp(*fields, name))
			return 1;
	return 0;
}

static int check_fields(json_t *root, const char *const *fields, struct problem *p)
{
	const char *name;
	json_t *v;
	json_object_foreach(root, name, v) {
		if (!known_field(fields, name)) {
			problem_set(p, 400, "invalid-field", "unknown field '%.*s'",
				    (int)utf8_prefix_len(name, strlen(name), QUOTED_NAME_MAX), name);
			return -1;
		}
	}
	return 0;
}

/*
 * A whole body that must be one JSON object with only the given members: the
 * object (a new reference: you own it), or NULL with p set.
 */
static json_t *parse_object(const char *body, size_t len, const char *const *fields,
			    struct problem *p)
{
	json_t *root = parse_body(body, len, p);
	if (!root)
		return NULL;
	if (!json_is_object(root)) {
		problem_set(p, 400, "invalid-body", "request body must be a JSON object, not %s",
			    json_type_name(root));
		json_decref(root);
		return NULL;
	}
	if (check_fields(root, fields, p) < 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int validate_create_body(const char *body, size_t len, unsigned max_count,
			 struct create_input *out, struct problem *p)
{
	json_t *root = NULL;
	json_t *v;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	root = parse_object(body, len, create_fields, p);
	if (!root)
		goto cleanup;

	v = json_object_get(root, "entity_type");
	if (!v) {
		problem_set(p, 400, "invalid-field", "'entity_type' is required");
		goto cleanup;
	}
	if (!json_is_string(v) || !resource_entity_type_valid(json_string_value(v), json_string_length(v))) {
		problem_set(p, 400, "invalid-field",
			    "'entity_type' must be a string matching [a-z][a-z0-9_]{0,63}");
		goto cleanup;
	}
	memcpy(out->entity_type, json_string_value(v), json_string_length(v) + 1);

	out->count = 1;
	v = json_object_get(root, "count");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v)) {
			problem_set(p, 400, "invalid-field", "'count' must be an integer, not %s",
				    json_type_name(v));
			goto cleanup;
		}
		json_int_t n = json_integer_value(v);
		if (n < 1 || n > (json_int_t)max_count) {
			problem_set(p, 400, "invalid-field", "'count' must be between 1 and %u",
				    max_count);
			goto cleanup;
		}
		out->count = (unsigned)n;
	}

	out->priority = PRIORITY_DEFAULT;
	v = json_object_get(root, "priority");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < PRIORITY_MIN ||
		    json_integer_value(v) > PRIORITY_MAX) {
			problem_set(p, 400, "invalid-field",
				    "'priority' must be an integer from %d to %d (higher is "
				    "claimed first; %d when absent)",
				    PRIORITY_MIN, PRIORITY_MAX, PRIORITY_DEFAULT);
			goto cleanup;
		}
		out->priority = (unsigned)json_integer_value(v);
	}

	v = json_object_get(root, "subject_key");
	if (v && !json_is_null(v)) {
		size_t n = json_is_string(v) ? json_string_length(v) : 0;
		if (!json_is_string(v) || n < 1 || n > SUBJECT_KEY_MAX) {
			problem_set(p, 400, "invalid-field",
				    "'subject_key' must be a string of 1 to %d bytes",
				    SUBJECT_KEY_MAX);
			goto cleanup;
		}
		out->subject_key = malloc(n + 1);
		if (!out->subject_key) {
			problem_set(p, 500, NULL, "out of memory");
			goto cleanup;
		}
		memcpy(out->subject_key, json_string_value(v), n + 1);
		out->subject_key_len = n;
	}

	/* Only a name: which of its owner's endpoints is looked up by the handler. */
	v = json_object_get(root, "webhook");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
		    !webhook_name_valid(json_string_value(v))) {
			problem_set(p, 400, "invalid-field",
				    "'webhook' must be the name of one of your webhook endpoints "
				    "(1 to %d of A-Z a-z 0-9 . _ -)", WEBHOOK_NAME_MAX);
			goto cleanup;
		}
		memcpy(out->webhook, json_string_value(v), json_string_length(v) + 1);
	}

	if (take_object(root, "constraints", &out->constraints_json, p) < 0 ||
	    take_object(root, "metadata", &out->metadata_json, p) < 0)
		goto cleanup;
	ret = 0;
cleanup:
	if (ret < 0)
		create_input_release(out);
	json_decref(root);
	return ret;
}

void create_input_release(struct create_input *in)
{
	free(in->subject_key);
	free(in->constraints_json);
	free(in->metadata_json);
	memset(in, 0, sizeof(*in));
}

static const char *const reason_fields[] = { "reason", NULL };

int validate_reason_body(const char *body, size_t len, char **reason, struct problem *p)
{
	json_t *root = NULL;
	int ret = -1;

	*reason = NULL;
	if (len == 0)
		return 0;
	root = parse_object(body, len, reason_fields, p);
	if (!root)
		goto cleanup;
	json_t *v = json_object_get(root, "reason");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v) || json_string_length(v) > CANCEL_REASON_MAX) {
			problem_set(p, 400, "invalid-field",
				    "'reason' must be a string of at most %d bytes", CANCEL_REASON_MAX);
			goto cleanup;
		}
		*reason = strdup(json_string_value(v));
		if (!*reason) {
			problem_set(p, 500, NULL, "out of memory");
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	json_decref(root);
	return ret;
}

static const char *const bulk_retry_fields[] = {
	"entity_type", "status", "failure_reason", "finished_after", "finished_before", "reason",
	"action_id", NULL
};

int validate_bulk_retry_body(const char *body, size_t len, struct validate_bulk_retry *out,
			     struct problem *p)
{
	int ret = -1;
	memset(out, 0, sizeof(*out));
	json_t *root = parse_object(body, len, bulk_retry_fields, p);
	if (!root)
		goto cleanup;
	/* Every field a string, failure_reason also null (any); their meaning
	 * is the admin layer's (bulk_retry_filter), shared with the form. */
	for (int i = 0; i < VALIDATE_BULK_RETRY_FIELDS; i++) {
		json_t *v = json_object_get(root, bulk_retry_fields[i]);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_string(v) || json_string_length(v) > CANCEL_REASON_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			problem_set(p, 400, "invalid-field", "'%s' must be a string of at most %d bytes",
				    bulk_retry_fields[i], CANCEL_REASON_MAX);
			goto cleanup;
		}
		out->field[i] = strdup(json_string_value(v));
		if (!out->field[i]) {
			problem_set(p, 500, NULL, "out of memory");
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	if (ret < 0)
		validate_bulk_retry_release(out);
	json_decref(root);
	return ret;
}

void validate_bulk_retry_release(struct validate_bulk_retry *b)
{
	for (int i = 0; i < VALIDATE_BULK_RETRY_FIELDS; i++) {
		free(b->field[i]);
		b->field[i] = NULL;
	}
}

int validate_idempotency_key(const char *value, const char **key, size_t *len,
			     struct problem *p)
{
	size_t n = strlen(value);
	if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
		value++;
		n -= 2;
	}
	if (n < 1 || n > IDEMPOTENCY_KEY_MAX) {
		problem_set(p, 400, "invalid-idempotency-key",
			    "Idempotency-Key must be 1 to %d characters", IDEMPOTENCY_KEY_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
			problem_set(p, 400, "invalid-idempotency-key",
				    "Idempotency-Key must be visible ASCII characters");
			return -1;
		}
	}
	*key = value;
	*len = n;
	return 0;
}

/* ---- worker API bodies ---- */

static const char *const worker_fields[][6] = {
	[WORKER_CLAIM] = { "worker_id", "entity_types", "lease_seconds", NULL },
	[WORKER_HEARTBEAT] = { "worker_id", "attempt", "lease_seconds", NULL },
	[WORKER_ENTITY] = { "worker_id", "attempt", "index", "entity", "error", NULL },
	[WORKER_COMPLETE] = { "worker_id", "attempt", NULL },
};

static int visible_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* An optional integer member in lo..hi; *out untouched when absent or null. */
static int take_int(json_t *root, const char *name, long long lo, long long hi,
		    long long *out, struct problem *p)
{
	json_t *v = json_object_get(root, name);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		problem_set(p, 400, "invalid-field", "'%s' must be an integer from %lld to %lld",
			    name, lo, hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int take_entity_types(json_t *root, struct worker_input *out, struct problem *p)
{
	json_t *types = json_object_get(root, "entity_types");
	size_t i;
	json_t *v;
	if (!json_is_array(types) || json_array_size(types) < 1 ||
	    json_array_size(types) > WORKER_TYPES_MAX) {
		problem_set(p, 400, "invalid-field",
			    "'entity_types' must be an array of 1 to %d entity types",
			    WORKER_TYPES_MAX);
		return -1;
	}
	json_array_foreach(types, i, v) {
		if (!json_is_string(v) ||
		    !resource_entity_type_valid(json_string_value(v), json_string_length(v))) {
			problem_set(p, 400, "invalid-field",
				    "'entity_types' must hold strings matching [a-z][a-z0-9_]{0,63}");
			return -1;
		}
		memcpy(out->entity_types[i], json_string_value(v), json_string_length(v) + 1);
	}
	out->n_types = json_array_size(types);
	return 0;
}

static int take_entity_or_error(json_t *root, struct worker_input *out, struct problem *p)
{
	json_t *entity = json_object_get(root, "entity");
	json_t *error = json_object_get(root, "error");
	if (!!entity == !!error) {
		problem_set(p, 400, "invalid-field", "give exactly one of 'entity' or 'error'");
		return -1;
	}
	if (entity) {
		if (!json_is_object(entity)) {
			problem_set(p, 400, "invalid-field", "'entity' must be a JSON object, not %s",
				    json_type_name(entity));
			return -1;
		}
		out->entity_json = json_dumps(entity, JSON_COMPACT);
		if (!out->entity_json) {
			problem_set(p, 500, NULL, "out of memory");
			return -1;
		}
		return 0;
	}
	if (!json_is_string(error) || json_string_length(error) > ENTITY_ERROR_MAX) {
		problem_set(p, 400, "invalid-field", "'error' must be a string of at most %d bytes",
			    ENTITY_ERROR_MAX);
		return -1;
	}
	out->error = strdup(json_string_value(error));
	if (!out->error) {
		problem_set(p, 500, NULL, "out of memory");
		return -1;
	}
	return 0;
}

int validate_worker_body(const char *body, size_t len, enum worker_call call,
			 long long max_lease, struct worker_input *out, struct problem *p)
{
	json_t *root = NULL;
	json_t *v;
	long long n;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	root = parse_object(body, len, worker_fields[call], p);
	if (!root)
		goto cleanup;
	v = json_object_get(root, "worker_id");
	if (!json_is_string(v) || json_string_length(v) < 1 ||
	    json_string_length(v) > WORKER_ID_MAX ||
	    !visible_ascii(json_string_value(v), json_string_length(v))) {
		problem_set(p, 400, "invalid-field",
			    "'worker_id' is required: 1 to %d visible ASCII characters", WORKER_ID_MAX);
		goto cleanup;
	}
	memcpy(out->worker_id, json_string_value(v), json_string_length(v) + 1);

	n = 0;
	if (take_int(root, "attempt", 1, ATTEMPT_MAX, &n, p) < 0)
		goto cleanup;
	/* Every call after the claim names its attempt: without it an old run
	 * under the same worker id could write into a newer attempt. */
	if (call != WORKER_CLAIM && n == 0) {
		problem_set(p, 400, "invalid-field",
			    "'attempt' is required: the attempt the claim answered");
		goto cleanup;
	}
	out->attempt = (unsigned)n;
	if (take_int(root, "lease_seconds", 1, max_lease, &out->lease_seconds, p) < 0)
		goto cleanup;
	if (call == WORKER_CLAIM && take_entity_types(root, out, p) < 0)
		goto cleanup;
	if (call == WORKER_ENTITY) {
		n = -1;
		if (take_int(root, "index", 0, 1000000, &n, p) < 0)
			goto cleanup;
		if (n < 0) {
			problem_set(p, 400, "invalid-field", "'index' is required");
			goto cleanup;
		}
		out->index = (unsigned)n;
		if (take_entity_or_error(root, out, p) < 0)
			goto cleanup;
	}
	ret = 0;
cleanup:
	if (ret < 0)
		worker_input_release(out);
	json_decref(root);
	return ret;
}

void worker_input_release(struct worker_input *in)
{
	free(in->entity_json);
	free(in->error);
	in->entity_json = NULL;
	in->error = NULL;
}
