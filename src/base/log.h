#ifndef GENTRACK_LOG_H
#define GENTRACK_LOG_H

/*
 * One line per event to stderr: "2026-11-24T10:30:00.123456Z gentrack-fcgi[4242] warn: message".
 * Under systemd stderr goes to the journal; under ./dev to a log file. The
 * sink is swappable so tests (or a future syslog mode) can capture lines.
 */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

typedef void (*log_sink_fn)(enum log_level level, const char *line);

/* The program name printed on each line (borrowed: keep it alive). */
void log_init(const char *program);
void log_set_level(enum log_level level);
/* "debug", "info", "warn", "error"; -1 if unknown. */
int log_level_parse(const char *name);
/* NULL restores the stderr sink. */
void log_set_sink(log_sink_fn sink);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
