#include "build_config.h"

#include "model/queue_state.h"
#include "model/resource.h"
#include "base/banned.h"

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
	jsonw_object_end(w);
}
