#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "admin/admin.h"
#include "admin/chart.h"
#include "admin/html.h"
#include "admin/page.h"
#include "admin/throughput.h"
#include "base/jsonw.h"
#include "base/timeutil.h"
#include "model/queue_state.h"
#include "model/resource.h"
#include "store/store.h"
#include "base/banned.h"

/* The series, in the chart's order (chart.c gives each its dash and marker). */
enum { SERIES_COMPLETED, SERIES_PARTIAL, SERIES_FAILED, SERIES_NEW, SERIES_COUNT };
static const char *const series_names[SERIES_COUNT] = { "completed", "partial", "failed", "new" };

/* What one chart shows: its window and the counts the store gave. */
struct throughput {
	struct store_chart_window w;
	unsigned long long *values;     /* owned: SERIES_COUNT arrays of w.n, one block */
};

int throughput_choice_read(struct call *c, const struct query *q, struct throughput_choice *ch,
			   char *err, size_t size)
{
	const char *hours = query_get(q, "hours");
	const char *type = query_get(q, "type");
	ch->hours = THROUGHPUT_HOURS_SHORT;
	ch->type = NULL;
	if (hours && *hours) {
		if (!strcmp(hours, "24")) {
			ch->hours = THROUGHPUT_HOURS_LONG;
		} else if (strcmp(hours, "6")) {
			snprintf(err, size, "The charts show the last 6 or 24 hours: hours=6 or hours=24.");
			return STORE_INVALID;
		}
	}
	if (!type || !*type)
		return 0;
	if (!resource_entity_type_valid(type, strlen(type))) {
		snprintf(err, size, "An entity type is [a-z][a-z0-9_]{0,63}: type= is not one.");
		return STORE_INVALID;
	}
	int known = store_entity_type_known(c->store, type);
	if (known < 0)
		return known;
	if (!known) {
		snprintf(err, size, "No request of type %s was ever made here: nothing to chart.", type);
		return STORE_INVALID;
	}
	ch->type = type;
	return 0;
}

int throughput_choice_page(struct call *c, const struct query *q, struct throughput_choice *ch)
{
	char err[200];
	int rc = throughput_choice_read(c, q, ch, err, sizeof(err));
	if (rc == STORE_INVALID)
		admin_error_page(c, 400, err);
	else if (rc)
		page_store_error(c, rc);
	return rc ? -1 : 0;
}

/* A minute a point over 6 h, five minutes over 24 h; the last point is the current bucket. */
static void window_of(const struct throughput_choice *ch, int64_t now, struct store_chart_window *w)
{
	w->entity_type = ch->type;
	w->bucket_us = ch->hours == THROUGHPUT_HOURS_LONG ? 5 * US_PER_MIN : US_PER_MIN;
	w->n = (unsigned)((int64_t)ch->hours * 60 * US_PER_MIN / w->bucket_us);
	int64_t end = (now / w->bucket_us + 1) * w->bucket_us;
	w->start = end - (int64_t)ch->hours * 60 * US_PER_MIN;
}

static unsigned long long *series_of(const struct throughput *t, int k)
{
	return t->values + (size_t)k * t->w.n;
}

/* Reads ch's window's counts into *t (release it). A store code, or STORE_ERROR for no memory. */
static int throughput_load(struct call *c, const struct throughput_choice *ch, struct throughput *t)
{
	window_of(ch, c->now, &t->w);
	t->values = calloc((size_t)SERIES_COUNT * t->w.n, sizeof(*t->values));
	if (!t->values)
		return STORE_ERROR;
	struct store_chart_counts out = {
		series_of(t, SERIES_COMPLETED), series_of(t, SERIES_PARTIAL),
		series_of(t, SERIES_FAILED), series_of(t, SERIES_NEW),
	};
	return store_chart_counts(c->store, &t->w, &out);
}

static void throughput_release(struct throughput *t)
{
	free(t->values);
	t->values = NULL;
}

static const char *bucket_words(const struct throughput *t)
{
	return t->w.bucket_us == US_PER_MIN ? "minute" : "5 minutes";
}

/* A link of the chart's navigation: the current choice is marked, not linked away. */
static void nav_link(struct strbuf *sb, const char *path, unsigned hours, const char *type,
		     int current, const char *text)
{
	strbuf_addstr(sb, "<a href=\"");
	html_text(sb, path);
	strbuf_addf(sb, "?hours=%u", hours);
	if (type) {
		strbuf_addstr(sb, "&amp;type=");
		html_url_encode(sb, type);
	}
	strbuf_addf(sb, "#charts\"%s>", current ? " aria-current=\"true\"" : "");
	html_text(sb, text);
	strbuf_addstr(sb, "</a>");
}

static void nav(struct strbuf *sb, const struct throughput_choice *ch, const char *path,
		const struct throughput_types *types)
{
	int listed = 0;
	strbuf_addstr(sb, "<p class=\"chart-nav\">Window: ");
	nav_link(sb, path, THROUGHPUT_HOURS_SHORT, ch->type, ch->hours == THROUGHPUT_HOURS_SHORT,
		 "last 6 h");
	strbuf_addstr(sb, " \xc2\xb7 ");
	nav_link(sb, path, THROUGHPUT_HOURS_LONG, ch->type, ch->hours == THROUGHPUT_HOURS_LONG,
		 "last 24 h");
	strbuf_addstr(sb, "<br>Entity type: ");
	nav_link(sb, path, ch->hours, NULL, !ch->type, "all types");
	for (unsigned i = 0; types && i < types->n; i++) {
		const char *t = types->rows[i].entity_type;
		int current = ch->type && !strcmp(ch->type, t);
		listed |= current;
		strbuf_addstr(sb, " \xc2\xb7 ");
		nav_link(sb, path, ch->hours, t, current, t);
	}
	if (ch->type && !listed) {
		strbuf_addstr(sb, " \xc2\xb7 ");
		nav_link(sb, path, ch->hours, ch->type, 1, ch->type);
	}
	strbuf_addstr(sb, "</p>");
}

void throughput_section(struct call *c, struct strbuf *sb, const struct throughput_choice *ch,
			const char *path, const struct throughput_types *types)
{
	struct throughput t = { 0 };
	struct strbuf title = STRBUF_INIT, desc = STRBUF_INIT, unit = STRBUF_INIT,
		      xlabel = STRBUF_INIT;
	char from[TIME_RFC3339_LEN + 1], to[TIME_RFC3339_LEN + 1];
	strbuf_addstr(sb, "<section id=\"charts\"><h2>Throughput</h2>");
	nav(sb, ch, path, types);
	if (throughput_load(c, ch, &t)) {
		strbuf_addstr(sb, "<p>The store could not be read.</p></section>");
		goto cleanup;
	}
	time_format_rfc3339(t.w.start, from);
	time_format_rfc3339(t.w.start + (int64_t)t.w.n * t.w.bucket_us, to);
	strbuf_addf(&title, "Requests per %s, last %u h, %s%s", bucket_words(&t), ch->hours,
		    ch->type ? "entity type " : "all entity types", ch->type ? ch->type : "");
	strbuf_addf(&desc, "Completed, partial and failed requests, counted when they finished, "
			   "and new requests, counted when they were requested, per %s from "
			   "%.16s to %.16s UTC.", bucket_words(&t), from, to);
	strbuf_addf(&unit, "requests per %s", bucket_words(&t));
	strbuf_addf(&xlabel, "time (UTC), a point per %s", bucket_words(&t));
	if (title.oom || desc.oom || unit.oom || xlabel.oom) {
		strbuf_addstr(sb, "<p>Out of memory.</p></section>");
		goto cleanup;
	}
	struct chart_series series[SERIES_COUNT];
	for (int k = 0; k < SERIES_COUNT; k++)
		series[k] = (struct chart_series){ series_names[k], series_of(&t, k) };
	struct chart chart = {
		.id = "chart-throughput", .title = title.buf, .desc = desc.buf, .unit = unit.buf,
		.x_label = xlabel.buf, .start_us = t.w.start, .step_us = t.w.bucket_us, .n = t.w.n,
		.series = series, .n_series = SERIES_COUNT,
	};
	strbuf_addstr(sb, "<figure class=\"chart-figure\">");
	chart_svg(sb, &chart);
	strbuf_addf(sb, "<figcaption class=\"muted\">A point per %s (%u points), the last one "
			"the %s now running; in brackets, the totals of the window. Finished: "
			"by completed_at; new: by requested_at (a retried request counts again "
			"at its retry).</figcaption></figure></section>",
		    bucket_words(&t), t.w.n, bucket_words(&t));
cleanup:
	throughput_release(&t);
	strbuf_release(&title);
	strbuf_release(&desc);
	strbuf_release(&unit);
	strbuf_release(&xlabel);
}

void admin_api_charts(struct call *c)
{
	struct problem p;
	struct query q = { 0 };
	struct throughput_choice ch;
	struct throughput t = { 0 };
	struct jsonw w;
	char err[200];
	unsigned long long totals[SERIES_COUNT] = { 0 };

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		handler_problem(c, problem_set(&p, 400, "invalid-query", "%s", err));
		return;
	}
	int rc = throughput_choice_read(c, &q, &ch, err, sizeof(err));
	if (rc == STORE_INVALID) {
		handler_problem(c, problem_set(&p, 400, "invalid-query", "%s", err));
		goto cleanup;
	}
	if (rc == 0)
		rc = throughput_load(c, &ch, &t);
	if (rc) {
		handler_store_problem(c, rc, "chart");
		goto cleanup;
	}
	jsonw_init(&w, &c->resp->body);
	jsonw_object_begin(&w);
	resource_render_time(&w, "as_of", c->now);
	jsonw_key(&w, "hours");
	jsonw_int(&w, ch.hours);
	jsonw_key(&w, "entity_type");
	jsonw_cstr(&w, ch.type);
	jsonw_key(&w, "bucket_seconds");
	jsonw_int(&w, t.w.bucket_us / US_PER_S);
	resource_render_time(&w, "start", t.w.start);
	resource_render_time(&w, "end", t.w.start + (int64_t)t.w.n * t.w.bucket_us);
	jsonw_key(&w, "points");
	jsonw_array_begin(&w);
	for (unsigned i = 0; i < t.w.n; i++) {
		jsonw_object_begin(&w);
		resource_render_time(&w, "at", t.w.start + (int64_t)i * t.w.bucket_us);
		for (int k = 0; k < SERIES_COUNT; k++) {
			unsigned long long v = series_of(&t, k)[i];
			totals[k] += v;
			jsonw_key(&w, series_names[k]);
			jsonw_int(&w, (long long)v);
		}
		jsonw_object_end(&w);
	}
	jsonw_array_end(&w);
	jsonw_key(&w, "totals");
	jsonw_object_begin(&w);
	for (int k = 0; k < SERIES_COUNT; k++) {
		jsonw_key(&w, series_names[k]);
		jsonw_int(&w, (long long)totals[k]);
	}
	jsonw_object_end(&w);
	jsonw_object_end(&w);
	c->resp->status = 200;
cleanup:
	throughput_release(&t);
	query_release(&q);
}
