#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "model/resource.h"
#include "base/timeutil.h"
#include "base/banned.h"

int resource_entity_type_valid(const char *s, size_t len)
{
	if (len < 1 || len > ENTITY_TYPE_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

void gen_request_init(struct gen_request *r)
{
	memset(r, 0, sizeof(*r));
	r->lease_expires_at = TIME_NONE;
	r->requested_at = TIME_NONE;
	r->started_at = TIME_NONE;
	r->completed_at = TIME_NONE;
	r->cancelled_at = TIME_NONE;
	r->updated_at = TIME_NONE;
	r->status_token_expires_at = TIME_NONE;
	r->priority = PRIORITY_DEFAULT;
}

void gen_request_release(struct gen_request *r)
{
	free(r->subject_key);
	free(r->worker_id);
	free(r->error_message);
	free(r->constraints_json);
	free(r->metadata_json);
	gen_request_init(r);
}

void gen_entity_list_release(struct gen_entity_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].json);
	free(l->items);
	free(l->array_json);
	memset(l, 0, sizeof(*l));
}

static void render_time(struct jsonw *w, const char *key, int64_t us)
{
	char buf[TIME_RFC3339_LEN + 1];
	jsonw_key(w, key);
	if (us == TIME_NONE) {
		jsonw_null(w);
		return;
	}
	time_format_rfc3339(us, buf);
	jsonw_string(w, buf, TIME_RFC3339_LEN);
}

/* Stored JSON was validated and re-encoded on the way in: embed it as is. */
static void render_json_text(struct jsonw *w, const char *key, const char *json)
{
	jsonw_key(w, key);
	if (json && *json)
		jsonw_raw(w, json, strlen(json));
	else
		jsonw_raw(w, "{}", 2);
}

void resource_render(const struct gen_request *r, const struct gen_entity_list *entities,
		     unsigned flags, struct strbuf *sb)
{
	struct jsonw w;
	jsonw_init(&w, sb);
	jsonw_object_begin(&w);
	resource_render_members(r, entities, flags, &w);
	jsonw_object_end(&w);
}

void resource_render_time(struct jsonw *w, const char *key, int64_t us)
{
	render_time(w, key, us);
}

void resource_render_members(const struct gen_request *r, const struct gen_entity_list *entities,
			     unsigned flags, struct jsonw *w)
{
	char id[UUID_STR_LEN + 1];

	uuid_format(&r->id, id);
	jsonw_key(w, "request_id");
	jsonw_string(w, id, UUID_STR_LEN);
	jsonw_key(w, "entity_type");
	jsonw_cstr(w, r->entity_type);
	jsonw_key(w, "subject_key");
	if (r->subject_key)
		jsonw_string(w, r->subject_key, r->subject_key_len);
	else
		jsonw_null(w);
	jsonw_key(w, "status");
	jsonw_cstr(w, lifecycle_status_name(r->status));
	jsonw_key(w, "requested_count");
	jsonw_int(w, r->requested_count);
	jsonw_key(w, "generated_count");
	jsonw_int(w, r->generated_count);
	jsonw_key(w, "failed_count");
	jsonw_int(w, r->failed_count);
	jsonw_key(w, "progress");
	jsonw_double(w, lifecycle_progress(r->generated_count, r->failed_count,
					    r->requested_count));
	jsonw_key(w, "attempt");
	jsonw_int(w, r->attempt);
	render_time(w, "requested_at", r->requested_at);
	render_time(w, "started_at", r->started_at);
	render_time(w, "completed_at", r->completed_at);
	render_time(w, "cancelled_at", r->cancelled_at);
	jsonw_key(w, "failure_reason");
	jsonw_cstr(w, r->failure_reason[0] ? r->failure_reason : NULL);
	jsonw_key(w, "error_message");
	jsonw_cstr(w, r->error_message);
	jsonw_key(w, "webhook");
	jsonw_cstr(w, r->webhook[0] ? r->webhook : NULL);
	jsonw_key(w, "priority");
	jsonw_int(w, r->priority);
	if (!(flags & RESOURCE_NO_CONSTRAINTS))
		render_json_text(w, "constraints", r->constraints_json);
	if (!(flags & RESOURCE_NO_METADATA))
		render_json_text(w, "metadata", r->metadata_json);
	if ((flags & RESOURCE_ENTITIES) && entities && entities->array_json) {
		/* Rendered when the entities were recorded: copied, not parsed. */
		jsonw_key(w, "entities");
		jsonw_raw(w, entities->array_json, entities->array_len);
	} else if ((flags & RESOURCE_ENTITIES) && entities) {
		jsonw_key(w, "entities");
		jsonw_array_begin(w);
		for (size_t i = 0; i < entities->count; i++)
			jsonw_raw(w, entities->items[i].json, entities->items[i].json_len);
		jsonw_array_end(w);
	}
}
