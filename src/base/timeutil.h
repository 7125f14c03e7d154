#ifndef GENTRACK_TIMEUTIL_H
#define GENTRACK_TIMEUTIL_H

#include <signal.h>
#include <stdint.h>

/*
 * Times are int64 microseconds since the Unix epoch, UTC, throughout the code.
 * The store converts to DATETIME(6) through struct civil_time; the API prints
 * RFC 3339 with microseconds and 'Z'.
 */

#define TIME_RFC3339_LEN 27 /* "2026-11-24T10:30:00.123456Z", without NUL */

struct civil_time {
	int year, month, day;        /* month 1..12, day 1..31 */
	int hour, minute, second;    /* 0..23, 0..59, 0..59 */
	int micro;                   /* 0..999999 */
};

/* CLOCK_REALTIME now, in microseconds. */
int64_t time_now_us(void);
/*
 * CLOCK_MONOTONIC now, in milliseconds: for deadlines, timeouts and backoff
 * (a clock step must not stretch or cut them), never for stored times.
 */
int64_t time_mono_ms(void);

/* The longest slice time_nap_ms sleeps before looking at *stop again. */
#define TIME_NAP_SLICE_MS 100
/*
 * Sleeps ms on the monotonic clock, in slices of at most TIME_NAP_SLICE_MS so
 * that a raised *stop (a signal handler's flag; stop may be NULL) ends the
 * nap within a slice. 0 once the time is up, -1 when *stop ended it (also
 * when it was raised before the call).
 */
int time_nap_ms(int64_t ms, const volatile sig_atomic_t *stop);
/* Proleptic Gregorian conversion, no libc time zone involved. */
void time_to_civil(int64_t us, struct civil_time *out);
/*
 * 0, or -1 when a field is out of range (e.g. Feb 30, hour 24, second 60, a
 * year outside 0..9999).
 */
int time_from_civil(const struct civil_time *c, int64_t *us);
/*
 * "2026-11-24T10:30:00.123456Z" into out (TIME_RFC3339_LEN + 1 bytes); exact
 * for years 0..9999, truncated (never overflowing) outside them.
 */
void time_format_rfc3339(int64_t us, char out[TIME_RFC3339_LEN + 1]);
/*
 * Parses RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)",
 * 't'/'z' accepted, fraction 1..9 digits (truncated to microseconds).
 * 0, or -1 when malformed or out of range.
 */
int time_parse_rfc3339(const char *s, int64_t *us);
/*
 * Parses a duration: a non-negative integer with an optional unit s, m, h or d
 * ("600", "90s", "10m", "1h", "7d"); no unit means seconds. Rejects empty,
 * signs, spaces, other units and overflow past INT64_MAX seconds.
 * 0 and *seconds set, or -1.
 */
int time_parse_duration(const char *s, int64_t *seconds);

#endif
