#include "build_config.h"

#include <limits.h>
#include <string.h>

#include "admin/chart.h"
#include "base/limits.h"
#include "unit.h"

/* 2026-12-07T06:00:00Z in µs: ticks on the hour fall on whole hours. */
#define T0 (INT64_C(1796623200) * US_PER_S)

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The number of x,y pairs in the k-th polyline's points. */
static size_t points_of(const char *svg, unsigned k)
{
	const char *p = svg;
	for (unsigned i = 0; i <= k; i++) {
		p = strstr(p, "<polyline");
		if (!p)
			return 0;
		p++;
	}
	p = strstr(p, "points=\"");
	if (!p)
		return 0;
	size_t n = 0;
	for (p += 8; *p && *p != '"'; p++)
		n += *p == ',';
	return n;
}

static void draw(const struct chart *ch, struct strbuf *sb)
{
	chart_svg(sb, ch);
	CU_ASSERT_FALSE(sb->oom);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb->buf, "<svg"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb->buf, "</svg>"));
	/* Nothing the Content-Security-Policy (style-src 'self') would refuse. */
	CU_ASSERT_PTR_NULL(strstr(sb->buf, "style="));
	CU_ASSERT_PTR_NULL(strstr(sb->buf, "<script"));
	CU_ASSERT_PTR_NULL(strstr(sb->buf, "<style"));
}

static void test_scale(void)
{
	struct chart_scale sc;
	chart_scale_for(0, &sc);
	CU_ASSERT_EQUAL(sc.step, 1);
	CU_ASSERT_EQUAL(sc.top, 1);
	chart_scale_for(1, &sc);
	CU_ASSERT_EQUAL(sc.top, 1);
	chart_scale_for(3, &sc);
	CU_ASSERT_EQUAL(sc.step, 1);
	CU_ASSERT_EQUAL(sc.top, 3);
	chart_scale_for(7, &sc);
	CU_ASSERT_EQUAL(sc.step, 2);
	CU_ASSERT_EQUAL(sc.top, 8);
	chart_scale_for(100, &sc);
	CU_ASSERT_EQUAL(sc.step, 20);
	CU_ASSERT_EQUAL(sc.top, 100);
	chart_scale_for(101, &sc);
	CU_ASSERT_EQUAL(sc.step, 50);
	CU_ASSERT_EQUAL(sc.top, 150);
	chart_scale_for(123456, &sc);
	CU_ASSERT_TRUE(sc.top >= 123456 && sc.top / sc.step <= 5);
	/* Past CHART_VALUE_MAX the scale stops growing (no overflow); values are drawn at the top. */
	chart_scale_for(ULLONG_MAX, &sc);
	CU_ASSERT_EQUAL(sc.top, CHART_VALUE_MAX);
	CU_ASSERT_TRUE(sc.top / sc.step <= 5);
}

static void test_tick_step(void)
{
	CU_ASSERT_EQUAL(chart_tick_step(6 * 60 * US_PER_MIN), 60 * US_PER_MIN);
	CU_ASSERT_EQUAL(chart_tick_step(24 * 60 * US_PER_MIN), 180 * US_PER_MIN);
	CU_ASSERT_EQUAL(chart_tick_step(5 * US_PER_MIN), US_PER_MIN);
}

static void test_series_and_axes(void)
{
	unsigned long long a[360] = { 0 }, b[360] = { 0 };
	a[10] = 7;
	a[359] = 3;
	b[100] = 2;
	struct chart_series s[] = { { "completed", a }, { "failed", b } };
	struct chart ch = {
		.id = "c1", .title = "Requests per minute", .desc = "What finished.",
		.unit = "requests per minute", .x_label = "time (UTC)",
		.start_us = T0, .step_us = US_PER_MIN, .n = 360, .series = s, .n_series = 2,
	};
	struct strbuf sb = STRBUF_INIT;
	draw(&ch, &sb);
	CU_ASSERT_EQUAL(count_of(sb.buf, "<polyline"), 2);
	CU_ASSERT_EQUAL(points_of(sb.buf, 0), 360);
	CU_ASSERT_EQUAL(points_of(sb.buf, 1), 360);
	/* Accessible names: the chart's, its description, each series'. */
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "aria-labelledby=\"c1-title c1-desc\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<title id=\"c1-title\">Requests per minute</title>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<desc id=\"c1-desc\">What finished.</desc>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<title>completed: 10 in all, at most 7 requests per minute</title>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<title>failed: 2 in all, at most 2 requests per minute</title>"));
	/* The legend with totals; a dash for the second series, none for the first. */
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">completed (10)</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">failed (2)</text>"));
	CU_ASSERT_EQUAL(count_of(sb.buf, "stroke-dasharray=\"7 3\""), 2);  /* legend + line */
	/* Counts 0..8 by 2, times on the hour (6 h: 06:00 .. 11:00, the window ends 11:59). */
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">8</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">6</text>"));
	CU_ASSERT_PTR_NULL(strstr(sb.buf, ">10</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">06:00</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">11:00</text>"));
	CU_ASSERT_PTR_NULL(strstr(sb.buf, ">12:00</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">requests per minute</text>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">time (UTC)</text>"));
	/* The first point at the plot's left edge, at the bottom (0); the peak at the top. */
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "points=\"56.0,232.0 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, " 74.1,64.0 "));  /* 7 of 8: 7/8 of the way up */
	strbuf_release(&sb);
}

static void test_all_zero(void)
{
	unsigned long long z[5] = { 0 };
	struct chart_series s[] = { { "new", z } };
	struct chart ch = {
		.id = "z", .title = "t", .desc = "d.", .unit = "u", .x_label = "x",
		.start_us = T0, .step_us = US_PER_MIN, .n = 5, .series = s, .n_series = 1,
	};
	struct strbuf sb = STRBUF_INIT;
	draw(&ch, &sb);
	CU_ASSERT_EQUAL(points_of(sb.buf, 0), 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "every count is 0"));
	/* A scale of 0..1: flat on the bottom line, no division by zero. */
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">1</text>"));
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "nan"));
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "inf"));
	strbuf_release(&sb);
}

static void test_empty(void)
{
	struct chart_series s[] = { { "new", NULL } };
	struct chart ch = {
		.id = "e", .title = "t", .desc = "d.", .unit = "u", .x_label = "x",
		.start_us = T0, .step_us = US_PER_MIN, .n = 0, .series = s, .n_series = 1,
	};
	struct strbuf sb = STRBUF_INIT;
	draw(&ch, &sb);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "No data"));
	CU_ASSERT_EQUAL(points_of(sb.buf, 0), 0);
	strbuf_release(&sb);

	/* One point: in the middle, no division by zero. */
	unsigned long long one[1] = { 4 };
	s[0].values = one;
	ch.n = 1;
	draw(&ch, &sb);
	CU_ASSERT_EQUAL(points_of(sb.buf, 0), 1);
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "nan"));
	strbuf_release(&sb);
}

static void test_escaping(void)
{
	unsigned long long v[2] = { 1, 2 };
	struct chart_series s[] = { { "<b>new</b> & \"old\"", v } };
	struct chart ch = {
		.id = "x\"y", .title = "type <script>alert(1)</script>", .desc = "it's & more",
		.unit = "per <minute>", .x_label = "time & date",
		.start_us = T0, .step_us = US_PER_MIN, .n = 2, .series = s, .n_series = 1,
	};
	struct strbuf sb = STRBUF_INIT;
	draw(&ch, &sb);
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "<script>"));
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "<b>"));
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "x\"y"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "type &lt;script&gt;alert(1)&lt;/script&gt;"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "it&#39;s &amp; more"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "&lt;b&gt;new&lt;/b&gt; &amp; &quot;old&quot; (3)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "per &lt;minute&gt;"));
	strbuf_release(&sb);
}

static void test_huge_value(void)
{
	unsigned long long v[3] = { 0, ULLONG_MAX, 1 };
	struct chart_series s[] = { { "new", v } };
	struct chart ch = {
		.id = "h", .title = "t", .desc = "d.", .unit = "u", .x_label = "x",
		.start_us = T0, .step_us = US_PER_MIN, .n = 3, .series = s, .n_series = 1,
	};
	struct strbuf sb = STRBUF_INIT;
	draw(&ch, &sb);
	/* Drawn at the top (y 40), not above the plot. */
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, " 380.0,40.0 "));
	strbuf_release(&sb);
}

static void test_styles_differ(void)
{
	unsigned long long v[24] = { 0 };
	struct chart_series s[] = { { "a", v }, { "b", v }, { "c", v }, { "d", v }, { "e", v } };
	struct chart ch = {
		.id = "s", .title = "t", .desc = "d.", .unit = "u", .x_label = "x",
		.start_us = T0, .step_us = 5 * US_PER_MIN, .n = 24, .series = s, .n_series = 5,
	};
	struct strbuf sb = STRBUF_INIT;
	draw(&ch, &sb);
	/* At most CHART_SERIES_MAX lines, each with its own marker shape. */
	CU_ASSERT_EQUAL(count_of(sb.buf, "<polyline"), CHART_SERIES_MAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<circle"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<rect"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "l4 7h-8z"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "l4 4-4 4-4-4z"));
	CU_ASSERT_PTR_NULL(strstr(sb.buf, ">e ("));
	strbuf_release(&sb);
}

static void test_point_titles(void)
{
	unsigned long long a[360] = { 0 }, b[360] = { 0 };
	a[4] = 8;
	b[4] = 2;
	b[359] = 1;
	struct chart_series s[] = { { "completed", a }, { "failed", b } };
	struct chart ch = {
		.id = "p", .title = "t", .desc = "d.", .unit = "u", .x_label = "x",
		.start_us = T0, .step_us = US_PER_MIN, .n = 360, .series = s, .n_series = 2,
	};
	struct strbuf sb = STRBUF_INIT;
	draw(&ch, &sb);
	/* One column per bucket with a count, its series that are not 0, in order. */
	CU_ASSERT_EQUAL(count_of(sb.buf, "fill-opacity=\"0\""), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<title>06:04 UTC: 8 completed, 2 failed</title>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<title>11:59 UTC: 1 failed</title>"));
	/* Centred on its point (x 56 + 4 × 648/359), a bucket wide, the plot high. */
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<rect x=\"62.3\" y=\"40\" width=\"1.81\" height=\"192\""));
	strbuf_release(&sb);

	/* Five-minute buckets say where they end; the last ends at the next hour. */
	unsigned long long c[288] = { 0 };
	c[287] = 3;
	s[0].values = c;
	ch.n = 288;
	ch.n_series = 1;
	ch.step_us = 5 * US_PER_MIN;
	draw(&ch, &sb);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "<title>05:55\xe2\x80\x93" "06:00 UTC: 3 completed</title>"));
	CU_ASSERT_EQUAL(count_of(sb.buf, "fill-opacity=\"0\""), 1);
	strbuf_release(&sb);
}

static const struct unit_case cases[] = {
	{ "y scale: 1, 2, 5 steps, at least 1", test_scale },
	{ "x ticks: an hour over 6 h, 3 h over 24 h", test_tick_step },
	{ "a point per value, titles, legend, axes", test_series_and_axes },
	{ "all-zero series", test_all_zero },
	{ "no points, one point", test_empty },
	{ "every text escaped", test_escaping },
	{ "a value past the scale's cap drawn at the top", test_huge_value },
	{ "a dash and a marker per series", test_styles_differ },
	{ "a title with the counts of each point that has any", test_point_titles },
	{ NULL, NULL },
};

UNIT_MAIN("chart", cases)
