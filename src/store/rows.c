#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "base/banned.h"

enum gen_status rows_status(const struct sqlcell *c)
{
	enum gen_status st;
	if (c->null || lifecycle_status_parse(c->s, &st) < 0)
		return GEN_FAILED;
	return st;
}

int rows_read_request(const struct sqlcell *c, struct gen_request *r)
{
	gen_request_init(r);
	engine_cell_uuid(&c[0], &r->id);
	engine_cell_copy(&c[1], r->owner, sizeof(r->owner));
	engine_cell_copy(&c[2], r->entity_type, sizeof(r->entity_type));
	if (!c[3].null) {
		r->subject_key = engine_cell_dup(&c[3]);
		r->subject_key_len = c[3].len;
		if (!r->subject_key)
			goto oom;
	}
	r->status = rows_status(&c[4]);
	r->requested_count = (unsigned)c[5].i;
	r->generated_count = (unsigned)c[6].i;
	r->failed_count = (unsigned)c[7].i;
	r->attempt = (unsigned)c[8].i;
	r->version = (uint64_t)c[9].i;
	if (!c[10].null && !(r->worker_id = engine_cell_dup(&c[10])))
		goto oom;
	int64_t *times[] = { &r->lease_expires_at, &r->requested_at, &r->started_at,
			     &r->completed_at, &r->cancelled_at, &r->updated_at };
	for (int k = 0; k < 6; k++)
		*times[k] = engine_cell_time(&c[11 + k]);
	engine_cell_copy(&c[17], r->failure_reason, sizeof(r->failure_reason));
	if (!c[18].null && !(r->error_message = engine_cell_dup(&c[18])))
		goto oom;
	r->constraints_json = engine_cell_dup(&c[19]);
	r->metadata_json = engine_cell_dup(&c[20]);
	engine_cell_copy(&c[21], r->webhook, sizeof(r->webhook));
	r->priority = (unsigned)c[22].i;
	if ((!c[19].null && !r->constraints_json) || (!c[20].null && !r->metadata_json))
		goto oom;
	return 0;
oom:
	gen_request_release(r);
	return -1;
}

int rows_one_request(void *ctx, const struct sqlcell *c)
{
	struct rows_one *o = ctx;
	o->failed = rows_read_request(c, o->out) < 0;
	return 1;
}

int rows_request_sink(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct gen_request *) =
		(int (*)(void *, const struct gen_request *))k->fn;
	struct gen_request r;
	if (rows_read_request(c, &r) < 0) {
		k->failed = 1;
		return 1;
	}
	int stop = fn(k->ctx, &r);
	gen_request_release(&r);
	return stop;
}

int rows_uuid(void *ctx, const struct sqlcell *c)
{
	engine_cell_uuid(&c[0], ctx);
	return 1;
}

int rows_uuid_batch(void *ctx, const struct sqlcell *c)
{
	struct rows_ids *b = ctx;
	if (b->n >= b->cap)
		return 1;
	if (!c[0].null && c[0].len == 16)
		memcpy(b->ids[b->n++].b, c[0].s, 16);
	return 0;
}

int rows_entity(void *ctx, const struct sqlcell *c)
{
	struct gen_entity_list *l = ctx;
	if (c[1].null)
		return 0;
	if (l->count == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 8;
		struct gen_entity *items = realloc(l->items, n * sizeof(*items));
		if (!items)
			return -1;
		l->items = items;
		l->alloc = n;
	}
	char *json = engine_cell_dup(&c[1]);
	if (!json)
		return -1;
	l->items[l->count++] = (struct gen_entity){ (unsigned)c[0].i, json, c[1].len };
	return 0;
}

int rows_u64(void *ctx, const struct sqlcell *c)
{
	*(unsigned long long *)ctx = c[0].null ? 0 : (unsigned long long)c[0].i;
	return 1;
}

int rows_plan(void *ctx, const struct sqlcell *c)
{
	struct store_plan *p = ctx;
	engine_cell_copy(&c[3], p->access, sizeof(p->access));
	engine_cell_copy(&c[5], p->key, sizeof(p->key));
	engine_cell_copy(&c[9], p->extra, sizeof(p->extra));
	p->rows = c[8].null ? -1 : atol(c[8].s);
	return 1;
}

int rows_plan_requests(void *ctx, const struct sqlcell *c)
{
	if (c[2].null || strcmp(c[2].s, "generation_requests"))
		return 0;
	return rows_plan(ctx, c);
}
