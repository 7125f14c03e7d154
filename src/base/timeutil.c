#include "build_config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "base/number.h"
#include "base/timeutil.h"
#include "base/banned.h"


int64_t time_now_us(void)
{
	struct timespec ts;
	/* C11's timespec_get(TIME_UTC) is CLOCK_REALTIME, without needing POSIX. */
	if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
		return 0;
	return (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

int64_t time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int time_nap_ms(int64_t ms, const volatile sig_atomic_t *stop)
{
	int64_t end = time_mono_ms() + ms;
	for (;;) {
		if (stop && *stop)
			return -1;
		int64_t left = end - time_mono_ms();
		if (left <= 0)
			return 0;
		if (left > TIME_NAP_SLICE_MS)
			left = TIME_NAP_SLICE_MS;
		struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
		/* EINTR is fine: the next turn looks at *stop and the time left. */
		nanosleep(&ts, NULL);
	}
}

/* Floor division, so times before 1970 land on the right day. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void time_to_civil(int64_t us, struct civil_time *out)
{
	int64_t days = floor_div(us, US_PER_DAY);
	int64_t rest = us - days * US_PER_DAY;
	int64_t y;
	civil_from_days(days, &y, &out->month, &out->day);
	out->year = (int)y;
	int64_t secs = rest / US_PER_S;
	out->micro = (int)(rest % US_PER_S);
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
}

int time_from_civil(const struct civil_time *c, int64_t *us)
{
	/* Four-digit years keep every result far inside int64 microseconds. */
	if (c->year < 0 || c->year > 9999 || c->month < 1 || c->month > 12 ||
	    c->day < 1 || c->day > days_in_month(c->year, c->month) ||
	    c->hour < 0 || c->hour > 23 || c->minute < 0 || c->minute > 59 ||
	    c->second < 0 || c->second > 59 || c->micro < 0 || c->micro > 999999)
		return -1;
	int64_t days = days_from_civil(c->year, c->month, c->day);
	int64_t secs = days * 86400 + c->hour * 3600 + c->minute * 60 + c->second;
	*us = secs * US_PER_S + c->micro;
	return 0;
}

/* v as exactly n digits at p (v < 10^n). */
static void put_digits(char *p, int v, int n)
{
	while (n--) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void time_format_rfc3339(int64_t us, char out[TIME_RFC3339_LEN + 1])
{
	struct civil_time c;
	time_to_civil(us, &c);
	/* A status answer carries up to seven of these: no printf for them.
	 * A year outside four digits keeps snprintf's way of cutting it. */
	if (c.year < 0 || c.year > 9999) {
		snprintf(out, TIME_RFC3339_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
			 c.year, c.month, c.day, c.hour, c.minute, c.second, c.micro);
		return;
	}
	memcpy(out, "0000-00-00T00:00:00.000000Z", TIME_RFC3339_LEN + 1);
	put_digits(out, c.year, 4);
	put_digits(out + 5, c.month, 2);
	put_digits(out + 8, c.day, 2);
	put_digits(out + 11, c.hour, 2);
	put_digits(out + 14, c.minute, 2);
	put_digits(out + 17, c.second, 2);
	put_digits(out + 20, c.micro, 6);
}

/* Reads exactly n digits at s; -1 if any is not a digit. */
static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int time_parse_rfc3339(const char *s, int64_t *us)
{
	struct civil_time c = { 0 };
	/* Every check stops at the first mismatch, so a short string never overreads. */
	if (digits(s, 4, &c.year) || s[4] != '-' || digits(s + 5, 2, &c.month) ||
	    s[7] != '-' || digits(s + 8, 2, &c.day) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &c.hour) ||
	    s[13] != ':' || digits(s + 14, 2, &c.minute) || s[16] != ':' ||
	    digits(s + 17, 2, &c.second))
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int n = 0;
		p++;
		while (p[n] >= '0' && p[n] <= '9')
			n++;
		if (n < 1 || n > 9)
			return -1;
		for (int i = 0; i < 6; i++)
			c.micro = c.micro * 10 + (i < n ? p[i] - '0' : 0);
		p += n;
	}
	int offset_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	int64_t local;
	if (time_from_civil(&c, &local) < 0)
		return -1;
	*us = local - (int64_t)offset_min * 60 * US_PER_S;
	return 0;
}

int time_parse_duration(const char *s, int64_t *seconds)
{
	static const struct number_unit units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { '\0', 0 },
	};
	return number_parse(s, units, seconds);
}
