#ifndef GENTRACK_METRICS_H
#define GENTRACK_METRICS_H

#include <stddef.h>

#include "base/strbuf.h"

/*
 * The Prometheus text exposition format (version 0.0.4), written into a
 * strbuf: a family's # HELP and # TYPE lines, then its samples. Label values
 * are escaped (\\, \", \n); numbers are written as Prometheus parses them.
 */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* "# HELP name help\n# TYPE name type\n"; type is counter, gauge or histogram. */
void metrics_family(struct strbuf *sb, const char *name, const char *type, const char *help);
/*
 * One sample: name{k1="v1",...} value. labels is NULL or a NULL-terminated
 * list of name, value, name, value...
 */
void metrics_sample(struct strbuf *sb, const char *name, const char *const *labels,
		    double value);
/*
 * A whole histogram family in seconds: bounds (ascending, seconds) and
 * cumulative counts (le[k] = observations <= bounds[k]), then +Inf = count,
 * _sum and _count.
 */
void metrics_histogram(struct strbuf *sb, const char *name, const char *help,
		       const double *bounds, const unsigned long long *le, size_t n,
		       unsigned long long count, double sum);
/* A number as Prometheus writes it: integers plainly, else the shortest %g that round-trips. */
void metrics_number(struct strbuf *sb, double v);

#endif
