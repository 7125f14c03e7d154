#include "build_config.h"

#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "base/number.h"
#include "base/uuid.h"
#include "base/banned.h"

#define UUID_MAX_MS ((int64_t)1 << 48)
#define RAND_B_LIMIT ((uint64_t)1 << 62)
#define RAND_A_LIMIT ((uint64_t)1 << 12)

/* sodium_init() takes a lock on every call; remember that it succeeded. */
static atomic_int sodium_ready;

static int ensure_sodium(void)
{
	if (atomic_load(&sodium_ready))
		return 0;
	if (sodium_init() < 0)
		return -1;
	atomic_store(&sodium_ready, 1);
	return 0;
}

void uuid_gen_init(struct uuid_gen *g)
{
	g->last_ms = -1;
	memset(&g->last, 0, sizeof(g->last));
}

static void put_ms(struct uuid *u, int64_t ms)
{
	for (int i = 5; i >= 0; i--) {
		u->b[i] = (unsigned char)(ms & 0xff);
		ms >>= 8;
	}
}

static void fresh_random(struct uuid *u, int64_t ms)
{
	put_ms(u, ms);
	randombytes_buf(u->b + 6, 10);
	u->b[6] = (unsigned char)(0x70 | (u->b[6] & 0x0f));
	u->b[8] = (unsigned char)(0x80 | (u->b[8] & 0x3f));
}

/*
 * Adds step to the 74 random bits of u (rand_a:rand_b as one counter).
 * -1 when the counter would overflow.
 */
static int add_to_random(struct uuid *u, uint64_t step)
{
	uint64_t hi = ((uint64_t)(u->b[6] & 0x0f) << 8) | u->b[7];
	uint64_t lo = u->b[8] & 0x3f;
	for (int i = 9; i < 16; i++)
		lo = (lo << 8) | u->b[i];

	lo += step; /* lo < 2^62 and step <= 2^16: no uint64 wrap */
	if (lo >= RAND_B_LIMIT) {
		lo -= RAND_B_LIMIT;
		if (++hi >= RAND_A_LIMIT)
			return -1;
	}
	u->b[6] = (unsigned char)(0x70 | (hi >> 8));
	u->b[7] = (unsigned char)(hi & 0xff);
	for (int i = 15; i >= 9; i--) {
		u->b[i] = (unsigned char)(lo & 0xff);
		lo >>= 8;
	}
	u->b[8] = (unsigned char)(0x80 | (lo & 0x3f));
	return 0;
}

int uuid_v7_next(struct uuid_gen *g, int64_t unix_ms, struct uuid *out)
{
	if (unix_ms < 0 || unix_ms >= UUID_MAX_MS)
		return -1;
	if (ensure_sodium() < 0)
		return -1;

	struct uuid u;
	int64_t ms = unix_ms;
	if (g->last_ms >= 0 && unix_ms <= g->last_ms) {
		/* Same millisecond or the clock stepped back: count on from the last id. */
		ms = g->last_ms;
		u = g->last;
		uint64_t step = (uint64_t)randombytes_uniform(1u << 16) + 1;
		if (add_to_random(&u, step) < 0) {
			/* Counter exhausted: borrow the next millisecond, as RFC 9562 allows. */
			if (++ms >= UUID_MAX_MS)
				return -1;
			fresh_random(&u, ms);
		}
	} else {
		fresh_random(&u, ms);
	}
	g->last_ms = ms;
	g->last = u;
	*out = u;
	return 0;
}

int64_t uuid_v7_unix_ms(const struct uuid *u)
{
	int64_t ms = 0;
	for (int i = 0; i < 6; i++)
		ms = (ms << 8) | u->b[i];
	return ms;
}

void uuid_format(const struct uuid *u, char out[UUID_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u->b[i] >> 4];
		out[o++] = hex[u->b[i] & 0xf];
	}
	out[o] = '\0';
}

int uuid_parse(const char *s, size_t len, struct uuid *out)
{
	struct uuid u;
	if (len != UUID_STR_LEN)
		return -1;
	size_t pos = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			if (s[pos++] != '-')
				return -1;
		}
		int h = number_hex_digit(s[pos]);
		int l = number_hex_digit(s[pos + 1]);
		if (h < 0 || l < 0)
			return -1;
		u.b[i] = (unsigned char)(h << 4 | l);
		pos += 2;
	}
	*out = u;
	return 0;
}

int uuid_compare(const struct uuid *a, const struct uuid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}
