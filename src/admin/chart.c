#include "build_config.h"

#include <stdio.h>

#include "admin/chart.h"
#include "admin/html.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "base/banned.h"

/* The drawing, in the viewBox's units: the plot inside margins, the legend above it. */
#define W 720
#define H 280
#define LEFT 56
#define RIGHT 16
#define TOP 40
#define BOTTOM 48
#define PLOT_W (W - LEFT - RIGHT)
#define PLOT_H (H - TOP - BOTTOM)
#define MARKERS 12               /* markers per series along its line: enough to tell them apart */

/* A series' look: a colour, and what tells it apart without colour. */
static const struct series_style {
	const char *stroke;
	const char *dash;            /* stroke-dasharray; "" for a solid line */
	char marker;                 /* o circle, s square, t triangle, d diamond */
} styles[CHART_SERIES_MAX] = {
	{ "#17692f", "", 'o' },
	{ "#9a6700", "7 3", 's' },
	{ "#a01919", "2 3", 't' },
	{ "#1f5fbf", "10 3 2 3", 'd' },
};

void chart_scale_for(unsigned long long max, struct chart_scale *out)
{
	static const unsigned mult[] = { 1, 2, 5 };
	unsigned long long decade = 1;
	/* So the steps below never overflow; a larger value is drawn at the top. */
	if (max > CHART_VALUE_MAX)
		max = CHART_VALUE_MAX;
	for (;;) {
		for (unsigned k = 0; k < 3; k++) {
			unsigned long long step = decade * mult[k];
			unsigned long long steps = (max + step - 1) / step;
			if (steps <= 5) {
				out->step = step;
				out->top = steps ? steps * step : step;
				return;
			}
		}
		decade *= 10;
	}
}

int64_t chart_tick_step(int64_t span_us)
{
	static const int64_t steps[] = {
		1 * US_PER_MIN, 5 * US_PER_MIN, 10 * US_PER_MIN, 15 * US_PER_MIN, 30 * US_PER_MIN,
		60 * US_PER_MIN, 120 * US_PER_MIN, 180 * US_PER_MIN, 240 * US_PER_MIN,
		360 * US_PER_MIN, 720 * US_PER_MIN, 1440 * US_PER_MIN,
	};
	size_t n = sizeof(steps) / sizeof(steps[0]);
	for (size_t k = 0; k < n; k++)
		if (span_us / steps[k] <= 8)
			return steps[k];
	return steps[n - 1] * (span_us / (steps[n - 1] * 8) + 1);
}

static double x_of(const struct chart *ch, int64_t t)
{
	int64_t span = ch->step_us * (int64_t)(ch->n > 1 ? ch->n - 1 : 1);
	if (ch->n <= 1)
		return LEFT + PLOT_W / 2.0;
	return LEFT + (double)(t - ch->start_us) * PLOT_W / (double)span;
}

static double y_of(const struct chart_scale *sc, unsigned long long v)
{
	if (v > sc->top)
		v = sc->top;
	return TOP + PLOT_H - (double)v * PLOT_H / (double)sc->top;
}

static void marker(struct strbuf *sb, char shape, double x, double y, const char *stroke)
{
	switch (shape) {
	case 's':
		strbuf_addf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"6\" fill=\"%s\"/>",
			    x - 3, y - 3, stroke);
		break;
	case 't':
		strbuf_addf(sb, "<path d=\"M%.1f %.1fl4 7h-8z\" fill=\"%s\"/>", x, y - 4, stroke);
		break;
	case 'd':
		strbuf_addf(sb, "<path d=\"M%.1f %.1fl4 4-4 4-4-4z\" fill=\"%s\"/>", x, y - 4, stroke);
		break;
	default:
		strbuf_addf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, stroke);
		break;
	}
}

/* "HH:MM" of t, UTC, and the date on a tick at midnight. */
static void tick_label(char *out, size_t size, int64_t t)
{
	struct civil_time ct;
	time_to_civil(t, &ct);
	if (!ct.hour && !ct.minute)
		snprintf(out, size, "%02d-%02d", ct.month, ct.day);
	else
		snprintf(out, size, "%02d:%02d", ct.hour, ct.minute);
}

static void axes(struct strbuf *sb, const struct chart *ch, const struct chart_scale *sc)
{
	/* Counts: a grid line and a label per step. */
	for (unsigned long long v = 0; v <= sc->top; v += sc->step) {
		double y = y_of(sc, v);
		strbuf_addf(sb, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>"
				"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%llu</text>",
			    LEFT, y, W - RIGHT, y, v ? "#e3e7ec" : "#5f6b7a", LEFT - 6, y + 4, v);
	}
	/* Times: a tick and a label at each multiple of the tick step inside the window. */
	if (ch->n) {
		int64_t end = ch->start_us + ch->step_us * (int64_t)(ch->n - 1);
		int64_t tick = chart_tick_step(end - ch->start_us);
		int64_t t = ch->start_us % tick ? ch->start_us + tick - ch->start_us % tick : ch->start_us;
		char label[16];
		for (; t <= end; t += tick) {
			double x = x_of(ch, t);
			tick_label(label, sizeof(label), t);
			strbuf_addf(sb, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#5f6b7a\"/>"
					"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
				    x, TOP + PLOT_H, x, TOP + PLOT_H + 5, x, TOP + PLOT_H + 18, label);
		}
	}
	strbuf_addf(sb, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#5f6b7a\"/>",
		    LEFT, TOP, LEFT, TOP + PLOT_H);
	strbuf_addf(sb, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", LEFT + PLOT_W / 2, H - 8);
	html_text(sb, ch->x_label);
	strbuf_addf(sb, "</text><text x=\"-%d\" y=\"14\" text-anchor=\"middle\" "
			"transform=\"rotate(-90)\">", TOP + PLOT_H / 2);
	html_text(sb, ch->unit);
	strbuf_addstr(sb, "</text>");
}

static unsigned long long series_total(const struct chart *ch, const struct chart_series *s,
				       unsigned long long *peak)
{
	unsigned long long sum = 0;
	*peak = 0;
	for (unsigned i = 0; i < ch->n; i++) {
		sum += s->values[i];
		if (s->values[i] > *peak)
			*peak = s->values[i];
	}
	return sum;
}

/* The legend, above the plot: each series' line sample, marker and name with its total. */
static void legend(struct strbuf *sb, const struct chart *ch, unsigned n_series)
{
	strbuf_addstr(sb, "<g class=\"legend\">");
	for (unsigned k = 0; k < n_series; k++) {
		const struct series_style *st = &styles[k];
		unsigned long long peak, total = series_total(ch, &ch->series[k], &peak);
		int x = LEFT + (int)k * (PLOT_W / CHART_SERIES_MAX);
		strbuf_addf(sb, "<line x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\" stroke=\"%s\" "
				"stroke-width=\"2\"%s%s%s/>", x, x + 28, st->stroke,
			    *st->dash ? " stroke-dasharray=\"" : "", st->dash, *st->dash ? "\"" : "");
		marker(sb, st->marker, x + 14, 14, st->stroke);
		strbuf_addf(sb, "<text x=\"%d\" y=\"18\">", x + 34);
		html_text(sb, ch->series[k].name);
		strbuf_addf(sb, " (%llu)</text>", total);
	}
	strbuf_addstr(sb, "</g>");
}

static void series_line(struct strbuf *sb, const struct chart *ch, const struct chart_scale *sc,
			unsigned k)
{
	const struct series_style *st = &styles[k];
	const struct chart_series *s = &ch->series[k];
	unsigned long long peak, total = series_total(ch, s, &peak);
	strbuf_addstr(sb, "<g class=\"series\"><title>");
	html_text(sb, s->name);
	strbuf_addf(sb, ": %llu in all, at most %llu ", total, peak);
	html_text(sb, ch->unit);
	strbuf_addf(sb, "</title><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
			"stroke-linejoin=\"round\"", st->stroke);
	if (*st->dash)
		strbuf_addf(sb, " stroke-dasharray=\"%s\"", st->dash);
	strbuf_addstr(sb, " points=\"");
	for (unsigned i = 0; i < ch->n; i++)
		strbuf_addf(sb, "%s%.1f,%.1f", i ? " " : "",
			    x_of(ch, ch->start_us + ch->step_us * (int64_t)i), y_of(sc, s->values[i]));
	strbuf_addstr(sb, "\"/>");
	/* Markers every n/MARKERS points, each series shifted so theirs do not sit together. */
	unsigned every = ch->n / MARKERS ? ch->n / MARKERS : 1;
	for (unsigned i = (k * every) / CHART_SERIES_MAX; i < ch->n; i += every)
		marker(sb, st->marker, x_of(ch, ch->start_us + ch->step_us * (int64_t)i),
		       y_of(sc, s->values[i]), st->stroke);
	strbuf_addstr(sb, "</g>");
}

/* "HH:MM UTC" of point i's bucket; "HH:MM–HH:MM UTC" when it spans more than a minute. */
static void point_label(struct strbuf *sb, const struct chart *ch, unsigned i)
{
	int64_t t = ch->start_us + ch->step_us * (int64_t)i;
	struct civil_time from, to;
	time_to_civil(t, &from);
	strbuf_addf(sb, "%02d:%02d", from.hour, from.minute);
	if (ch->step_us > US_PER_MIN) {
		time_to_civil(t + ch->step_us, &to);
		strbuf_addf(sb, "\xe2\x80\x93%02d:%02d", to.hour, to.minute);
	}
	strbuf_addstr(sb, " UTC");
}

/*
 * Each point's exact counts, which a line of hundreds of points cannot show:
 * an invisible column over each bucket where something happened, its <title>
 * the tooltip ("12:04 UTC: 3 failed") and what a script reads. Empty buckets
 * get none, so a quiet day adds nothing to the page.
 */
static void point_titles(struct strbuf *sb, const struct chart *ch, unsigned n_series)
{
	double col = ch->n > 1 ? (double)PLOT_W / (ch->n - 1) : PLOT_W;
	strbuf_addstr(sb, "<g class=\"points\">");
	for (unsigned i = 0; i < ch->n; i++) {
		int any = 0;
		for (unsigned k = 0; k < n_series; k++)
			any |= ch->series[k].values[i] != 0;
		if (!any)
			continue;
		double x = x_of(ch, ch->start_us + ch->step_us * (int64_t)i);
		strbuf_addf(sb, "<rect x=\"%.1f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
				"fill=\"#000\" fill-opacity=\"0\"><title>", x - col / 2, TOP, col, PLOT_H);
		point_label(sb, ch, i);
		const char *sep = ": ";
		for (unsigned k = 0; k < n_series; k++) {
			if (!ch->series[k].values[i])
				continue;
			strbuf_addf(sb, "%s%llu ", sep, ch->series[k].values[i]);
			html_text(sb, ch->series[k].name);
			sep = ", ";
		}
		strbuf_addstr(sb, "</title></rect>");
	}
	strbuf_addstr(sb, "</g>");
}

void chart_svg(struct strbuf *sb, const struct chart *ch)
{
	unsigned n_series = ch->n_series < CHART_SERIES_MAX ? ch->n_series : CHART_SERIES_MAX;
	unsigned long long max = 0;
	struct chart_scale sc;
	for (unsigned k = 0; k < n_series; k++)
		for (unsigned i = 0; i < ch->n; i++)
			if (ch->series[k].values[i] > max)
				max = ch->series[k].values[i];
	chart_scale_for(max, &sc);

	strbuf_addstr(sb, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" ");
	strbuf_addf(sb, "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
			"font-family=\"system-ui, sans-serif\" font-size=\"12\" fill=\"#1d2330\" "
			"aria-labelledby=\"", W, H, W, H);
	html_text(sb, ch->id);
	strbuf_addstr(sb, "-title ");
	html_text(sb, ch->id);
	strbuf_addstr(sb, "-desc\"><title id=\"");
	html_text(sb, ch->id);
	strbuf_addstr(sb, "-title\">");
	html_text(sb, ch->title);
	strbuf_addstr(sb, "</title><desc id=\"");
	html_text(sb, ch->id);
	strbuf_addstr(sb, "-desc\">");
	html_text(sb, ch->desc);
	if (!ch->n)
		strbuf_addstr(sb, " No data.");
	else if (!max)
		strbuf_addstr(sb, " Nothing in this window: every count is 0.");
	strbuf_addstr(sb, "</desc>");
	legend(sb, ch, n_series);
	axes(sb, ch, &sc);
	if (!ch->n)
		strbuf_addf(sb, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">No data</text>",
			    LEFT + PLOT_W / 2, TOP + PLOT_H / 2);
	for (unsigned k = 0; k < n_series; k++)
		series_line(sb, ch, &sc, k);
	point_titles(sb, ch, n_series);
	strbuf_addstr(sb, "</svg>");
}
