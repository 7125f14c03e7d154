#ifndef GENTRACK_ADMIN_CHART_H
#define GENTRACK_ADMIN_CHART_H

#include <stdint.h>

#include "base/strbuf.h"

/*
 * Line charts as inline SVG, for the admin pages: pure (series in, markup
 * out), no script, and nothing the pages' Content-Security-Policy refuses
 * (presentation attributes, no style attribute). Readable without colour:
 * each series has its own dash and marker, shown in the legend; the axes
 * carry time ticks (UTC) and counts; the chart and each series have a
 * <title>, the chart a <desc>, and each point where a series is not 0 an
 * invisible column whose <title> gives its counts ("12:04 UTC: 3 failed").
 * Every text written is HTML-escaped.
 */

/* At most this many series per chart (one style each). */
#define CHART_SERIES_MAX 4
/* The largest value a scale reaches; a larger one is drawn at the top. */
#define CHART_VALUE_MAX 1000000000000000ULL

/* One line: n values (the chart's n), borrowed. */
struct chart_series {
	const char *name;                   /* in the legend and the titles */
	const unsigned long long *values;
};

struct chart {
	const char *id;                     /* unique on the page: the titles' ids derive from it */
	const char *title;
	const char *desc;                   /* what it shows, for screen readers */
	const char *unit;                   /* the y axis, e.g. "requests per minute" */
	const char *x_label;                /* the x axis, e.g. "time (UTC), a point per minute" */
	int64_t start_us;                   /* the first point's time, µs since the epoch, UTC */
	int64_t step_us;                    /* between points */
	unsigned n;                         /* points per series; 0 draws an empty frame */
	const struct chart_series *series;  /* borrowed */
	unsigned n_series;                  /* at most CHART_SERIES_MAX (more are not drawn) */
};

/* The y axis: ticks every `step` from 0 to `top` (>= the largest value, at least 1). */
struct chart_scale {
	unsigned long long step, top;
};
/* A scale for values up to max (at most CHART_VALUE_MAX): step 1, 2 or 5 × 10^k, at most 5 steps up to top. */
void chart_scale_for(unsigned long long max, struct chart_scale *out);
/* The x ticks' spacing for a window of span_us: the smallest of a fixed list giving <= 8. */
int64_t chart_tick_step(int64_t span_us);
/* Appends the <svg> of ch to sb. */
void chart_svg(struct strbuf *sb, const struct chart *ch);

#endif
