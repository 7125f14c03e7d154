#include "build_config.h"

#include "model/queue_state.h"
#include "model/resource.h"
#include "base/banned.h"

/* A duration in seconds, to the millisecond; null for none. */
static void render_seconds(struct jsonw *w, const char *key, int64_t us)
{
	jsonw_key(w, key);
	if (us < 0)
		jsonw_null(w);
	else
		jsonw_double(w, (double)(us / 1000) / 1000.0);
}

static void render_activity(const struct queue_activity *a, struct jsonw *w)
{
	jsonw_key(w, "last_hour");
	jsonw_object_begin(w);
	jsonw_key(w, "completed");
	jsonw_int(w, (long long)a->completed);
	jsonw_key(w, "partial");
	jsonw_int(w, (long long)a->partial);
	jsonw_key(w, "failed");
	jsonw_int(w, (long long)a->failed);
	render_seconds(w, "p50_seconds", a->p50_us);
	render_seconds(w, "p95_seconds", a->p95_us);
	jsonw_object_end(w);
	jsonw_key(w, "workers");
	jsonw_int(w, a->workers);
}

void queue_state_render(const struct queue_state *q, int64_t now, struct jsonw *w)
{
	jsonw_object_begin(w);
	jsonw_key(w, "entity_type");
	jsonw_cstr(w, q->entity_type);
	jsonw_key(w, "pending");
	jsonw_int(w, (long long)q->pending);
	resource_render_time(w, "oldest_pending_at", q->oldest_pending_at);
	jsonw_key(w, "oldest_pending_age_seconds");
	if (q->oldest_pending_at == TIME_NONE)
		jsonw_null(w);
	else
		jsonw_int(w, (now - q->oldest_pending_at) / US_PER_S);
	jsonw_key(w, "processing");
	jsonw_int(w, (long long)q->processing);
	jsonw_key(w, "paused");
	jsonw_bool(w, q->paused);
	jsonw_key(w, "paused_by");
	jsonw_cstr(w, q->paused ? q->paused_by : NULL);
	resource_render_time(w, "paused_at", q->paused ? q->paused_at : TIME_NONE);
	jsonw_key(w, "pause_reason");
	jsonw_cstr(w, q->paused ? q->pause_reason : NULL);
	if (q->hour.known)
		render_activity(&q->hour, w);
	jsonw_object_end(w);
}
