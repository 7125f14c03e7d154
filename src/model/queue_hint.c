#include "build_config.h"

#include <string.h>

#include "model/queue_hint.h"
#include "base/banned.h"

unsigned queue_head_ahead(const struct uuid *ids, unsigned count, const struct uuid *id)
{
	unsigned older = 0;
	while (older < count && uuid_compare(&ids[older], id) < 0)
		older++;
	return older;
}

/* The slot for a type: its own, else an unused one, else the stalest. */
static struct queue_head *slot_for(struct queue_hint *h, const char *entity_type)
{
	struct queue_head *stalest = &h->heads[0];
	for (unsigned i = 0; i < QUEUE_HINT_TYPES; i++) {
		struct queue_head *q = &h->heads[i];
		if (q->fetched_at && !strcmp(q->entity_type, entity_type))
			return q;
		if (q->fetched_at < stalest->fetched_at)
			stalest = q;
	}
	return stalest;
}

int queue_hint_ahead(struct queue_hint *h, queue_fetch_fn fetch, void *ctx,
		     const char *entity_type, const struct uuid *id, int64_t now,
		     unsigned *ahead)
{
	struct queue_head *q = slot_for(h, entity_type);
	int fresh = q->fetched_at && !strcmp(q->entity_type, entity_type) &&
		    now >= q->fetched_at && now - q->fetched_at < QUEUE_HINT_TTL_US;

	*ahead = 0;
	if (!fresh) {
		unsigned count = 0;
		q->fetched_at = 0;  /* unused until the fetch succeeds */
		int rc = fetch(ctx, entity_type, QUEUE_HINT_CAP, q->ids, &count);
		if (rc)
			return rc;
		size_t len = strlen(entity_type);
		if (len > ENTITY_TYPE_MAX)
			len = ENTITY_TYPE_MAX;
		memcpy(q->entity_type, entity_type, len);
		q->entity_type[len] = '\0';
		q->count = count > QUEUE_HINT_CAP ? QUEUE_HINT_CAP : count;
		q->fetched_at = now > 0 ? now : 1;
	}
	*ahead = queue_head_ahead(q->ids, q->count, id);
	return 0;
}
