#include "build_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/timeutil.h"
#include "base/utf8.h"

static const char *log_program = "gentrack";
static enum log_level log_threshold = LOG_INFO;
static log_sink_fn log_sink;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *program)
{
	log_program = program;
}

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(name, level_names[i]))
			return (int)i;
	return -1;
}

void log_set_sink(log_sink_fn sink)
{
	log_sink = sink;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < log_threshold)
		return;
	/* One buffer, one write: lines of concurrent children never interleave. */
	char line[2048];
	char stamp[TIME_RFC3339_LEN + 1];
	time_format_rfc3339(time_now_us(), stamp);
	int n = snprintf(line, sizeof(line), "%s %s[%ld] %s: ", stamp, log_program,
			 (long)getpid(), level_names[level]);
	if (n < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	/* Room for the newline; a long line is cut between characters, or the
	 * journal would keep it as a binary blob. */
	if (len > sizeof(line) - 2)
		len = (size_t)n + utf8_prefix_len(line + n, sizeof(line) - 1 - (size_t)n,
						  sizeof(line) - 2 - (size_t)n);
	/* Control characters from input must not forge log lines. */
	for (size_t i = (size_t)n; i < len; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	if (log_sink) {
		line[len] = '\0';
		log_sink(level, line);
		return;
	}
	line[len++] = '\n';
	ssize_t ignored = write(STDERR_FILENO, line, len);
	(void)ignored;
}
