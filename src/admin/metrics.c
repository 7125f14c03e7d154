#include "build_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/metrics.h"
#include "base/banned.h"

void metrics_family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_addf(sb, "# HELP %s ", name);
	/* HELP text escapes only backslash and newline. */
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (*p == '\n')
			strbuf_addstr(sb, "\\n");
		else
			strbuf_addch(sb, *p);
	}
	strbuf_addf(sb, "\n# TYPE %s %s\n", name, type);
}

void metrics_number(struct strbuf *sb, double v)
{
	if (isnan(v)) {
		strbuf_addstr(sb, "NaN");
		return;
	}
	if (isinf(v)) {
		strbuf_addstr(sb, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* No libm: an integer below 1e15 converts to long long exactly. */
	if (v > -1e15 && v < 1e15 && v == (double)(long long)v) {
		strbuf_addf(sb, "%.0f", v);
		return;
	}
	char buf[32];
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	strbuf_addstr(sb, buf);
}

static void label_value(struct strbuf *sb, const char *v)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\\')
			strbuf_addstr(sb, "\\\\");
		else if (*p == '"')
			strbuf_addstr(sb, "\\\"");
		else if (*p == '\n')
			strbuf_addstr(sb, "\\n");
		else
			strbuf_addch(sb, *p);
	}
}

void metrics_sample(struct strbuf *sb, const char *name, const char *const *labels,
		    double value)
{
	strbuf_addstr(sb, name);
	if (labels && labels[0]) {
		strbuf_addch(sb, '{');
		for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
			strbuf_addf(sb, "%s%s=\"", i ? "," : "", labels[i]);
			label_value(sb, labels[i + 1]);
			strbuf_addch(sb, '"');
		}
		strbuf_addch(sb, '}');
	}
	strbuf_addch(sb, ' ');
	metrics_number(sb, value);
	strbuf_addch(sb, '\n');
}

void metrics_histogram(struct strbuf *sb, const char *name, const char *help,
		       const double *bounds, const unsigned long long *le, size_t n,
		       unsigned long long count, double sum)
{
	char bucket[128], le_text[40];
	metrics_family(sb, name, "histogram", help);
	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	for (size_t k = 0; k < n; k++) {
		struct strbuf num = STRBUF_INIT;
		metrics_number(&num, bounds[k]);
		snprintf(le_text, sizeof(le_text), "%s", num.oom ? "0" : num.buf);
		strbuf_release(&num);
		const char *labels[] = { "le", le_text, NULL };
		metrics_sample(sb, bucket, labels, (double)le[k]);
	}
	const char *inf[] = { "le", "+Inf", NULL };
	metrics_sample(sb, bucket, inf, (double)count);
	snprintf(bucket, sizeof(bucket), "%s_sum", name);
	metrics_sample(sb, bucket, NULL, sum);
	snprintf(bucket, sizeof(bucket), "%s_count", name);
	metrics_sample(sb, bucket, NULL, (double)count);
}
