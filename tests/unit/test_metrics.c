#include "build_config.h"

#include <string.h>

#include "admin/metrics.h"
#include "unit.h"

static void test_family_and_samples(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *labels[] = { "actor", "worker", "to", "a\"b\\c\nd", NULL };
	metrics_family(&sb, "gentrack_x_total", "counter", "Things\\done\nwell.");
	metrics_sample(&sb, "gentrack_x_total", labels, 3);
	metrics_sample(&sb, "gentrack_y", NULL, 0.25);
	CU_ASSERT_FALSE(sb.oom);
	CU_ASSERT_STRING_EQUAL(sb.buf,
			       "# HELP gentrack_x_total Things\\\\done\\nwell.\n"
			       "# TYPE gentrack_x_total counter\n"
			       "gentrack_x_total{actor=\"worker\",to=\"a\\\"b\\\\c\\nd\"} 3\n"
			       "gentrack_y 0.25\n");
	strbuf_release(&sb);
}

static void expect_number(double v, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	metrics_number(&sb, v);
	CU_ASSERT_STRING_EQUAL(sb.buf, want);
	strbuf_release(&sb);
}

static void test_numbers(void)
{
	expect_number(0, "0");
	expect_number(12345678901.0, "12345678901");
	expect_number(0.05, "0.05");
	expect_number(-1.5, "-1.5");
	expect_number(1.0 / 3.0, "0.3333333333333333");
	expect_number(1e300, "1e+300");
	expect_number(1.0 / 0.0, "+Inf");
	expect_number(-1.0 / 0.0, "-Inf");
	expect_number(0.0 / 0.0, "NaN");
}

static void test_histogram(void)
{
	struct strbuf sb = STRBUF_INIT;
	const double bounds[] = { 0.5, 1, 5 };
	const unsigned long long le[] = { 1, 3, 4 };
	metrics_histogram(&sb, "gentrack_h_seconds", "Latency.", bounds, le, 3, 6, 42.5);
	CU_ASSERT_STRING_EQUAL(sb.buf,
			       "# HELP gentrack_h_seconds Latency.\n"
			       "# TYPE gentrack_h_seconds histogram\n"
			       "gentrack_h_seconds_bucket{le=\"0.5\"} 1\n"
			       "gentrack_h_seconds_bucket{le=\"1\"} 3\n"
			       "gentrack_h_seconds_bucket{le=\"5\"} 4\n"
			       "gentrack_h_seconds_bucket{le=\"+Inf\"} 6\n"
			       "gentrack_h_seconds_sum 42.5\n"
			       "gentrack_h_seconds_count 6\n");
	strbuf_release(&sb);
}

/*
 * The store keeps bounds and sums in ms (sql/005_counters.sql); /metrics
 * divides by 1000: the le labels must stay the ones dashboards already
 * query (0.05, not 0.050000000000000003), and the sum exact to the ms.
 */
static void test_histogram_from_ms(void)
{
	static const long long bounds_ms[] = { 50, 100, 500, 1000, 15000, 3600000 };
	const unsigned long long le[] = { 1, 1, 2, 2, 3, 3 };
	double bounds[6];
	for (int k = 0; k < 6; k++)
		bounds[k] = (double)bounds_ms[k] / 1000.0;
	struct strbuf sb = STRBUF_INIT;
	metrics_histogram(&sb, "gentrack_c_seconds", "Claims.", bounds, le, 6, 4,
			  (double)1234567 / 1000.0);
	CU_ASSERT_STRING_EQUAL(sb.buf,
			       "# HELP gentrack_c_seconds Claims.\n"
			       "# TYPE gentrack_c_seconds histogram\n"
			       "gentrack_c_seconds_bucket{le=\"0.05\"} 1\n"
			       "gentrack_c_seconds_bucket{le=\"0.1\"} 1\n"
			       "gentrack_c_seconds_bucket{le=\"0.5\"} 2\n"
			       "gentrack_c_seconds_bucket{le=\"1\"} 2\n"
			       "gentrack_c_seconds_bucket{le=\"15\"} 3\n"
			       "gentrack_c_seconds_bucket{le=\"3600\"} 3\n"
			       "gentrack_c_seconds_bucket{le=\"+Inf\"} 4\n"
			       "gentrack_c_seconds_sum 1234.567\n"
			       "gentrack_c_seconds_count 4\n");
	strbuf_release(&sb);
}

static const struct unit_case cases[] = {
	{ "HELP, TYPE and samples with escaped labels", test_family_and_samples },
	{ "numbers as Prometheus writes them", test_numbers },
	{ "a histogram with +Inf, _sum and _count", test_histogram },
	{ "a histogram kept in ms, written in seconds", test_histogram_from_ms },
	{ NULL, NULL },
};

UNIT_MAIN("metrics", cases)
