#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "model/queue_hint.h"
#include "unit.h"

/* Ids 1..n as UUIDs that sort like the numbers. */
static struct uuid id_of(unsigned n)
{
	struct uuid u;
	memset(&u, 0, sizeof(u));
	u.b[14] = (unsigned char)(n >> 8);
	u.b[15] = (unsigned char)n;
	return u;
}

/* A queue of pending ids `first`..`last` per type, and how often it was read. */
struct queue_source {
	unsigned first, last;
	unsigned fetches;
	char last_type[ENTITY_TYPE_MAX + 1];
	int fail;
};

static int fetch(void *ctx, const char *type, unsigned cap, struct uuid *ids, unsigned *count)
{
	struct queue_source *q = ctx;
	q->fetches++;
	snprintf(q->last_type, sizeof(q->last_type), "%s", type);
	if (q->fail)
		return -1;
	*count = 0;
	for (unsigned n = q->first; n <= q->last && *count < cap; n++)
		ids[(*count)++] = id_of(n);
	return 0;
}

static void test_head_counting(void)
{
	struct uuid ids[QUEUE_HINT_CAP];
	for (unsigned i = 0; i < QUEUE_HINT_CAP; i++)
		ids[i] = id_of(10 + i);
	struct uuid first = id_of(10), third = id_of(12), early = id_of(3), late = id_of(500);
	CU_ASSERT_EQUAL(queue_head_ahead(ids, QUEUE_HINT_CAP, &first), 0);
	CU_ASSERT_EQUAL(queue_head_ahead(ids, QUEUE_HINT_CAP, &third), 2);
	/* Created after the head was read: behind everything in it. */
	CU_ASSERT_EQUAL(queue_head_ahead(ids, QUEUE_HINT_CAP, &late), QUEUE_HINT_CAP);
	CU_ASSERT_EQUAL(queue_head_ahead(ids, 5, &late), 5);
	/* Older than the whole head (claimed since, or never pending): nothing ahead. */
	CU_ASSERT_EQUAL(queue_head_ahead(ids, QUEUE_HINT_CAP, &early), 0);
	CU_ASSERT_EQUAL(queue_head_ahead(ids, 0, &late), 0);
}

static void test_head_is_reused_for_a_second(void)
{
	struct queue_hint h;
	struct queue_source q = { .first = 1, .last = 100 };
	struct uuid fifth = id_of(5), hundredth = id_of(100);
	unsigned ahead = 99;
	memset(&h, 0, sizeof(h));

	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &q, "problem", &fifth, 1000000, &ahead), 0);
	CU_ASSERT_EQUAL(ahead, 4);
	CU_ASSERT_EQUAL(q.fetches, 1);
	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &q, "problem", &hundredth, 1900000, &ahead), 0);
	CU_ASSERT_EQUAL(ahead, QUEUE_HINT_CAP);
	CU_ASSERT_EQUAL(q.fetches, 1);
	/* A second later the queue has moved on: read again. */
	q.first = 4;
	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &q, "problem", &fifth, 2000000, &ahead), 0);
	CU_ASSERT_EQUAL(ahead, 1);
	CU_ASSERT_EQUAL(q.fetches, 2);
	/* A clock that went back is no reason to trust an old head. */
	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &q, "problem", &fifth, 500000, &ahead), 0);
	CU_ASSERT_EQUAL(q.fetches, 3);
}

static void test_types_have_their_own_heads(void)
{
	struct queue_hint h;
	struct queue_source problems = { .first = 1, .last = 3 };
	struct queue_source quizzes = { .first = 50, .last = 60 };
	struct uuid id = id_of(55);
	unsigned ahead;
	memset(&h, 0, sizeof(h));

	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &problems, "problem", &id, 1, &ahead), 0);
	CU_ASSERT_EQUAL(ahead, 3);
	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &quizzes, "quiz", &id, 2, &ahead), 0);
	CU_ASSERT_EQUAL(ahead, 5);
	CU_ASSERT_STRING_EQUAL(quizzes.last_type, "quiz");
	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &problems, "problem", &id, 3, &ahead), 0);
	CU_ASSERT_EQUAL(ahead, 3);
	CU_ASSERT_EQUAL(problems.fetches, 1);
}

static void test_more_types_than_slots(void)
{
	struct queue_hint h;
	struct queue_source q = { .first = 1, .last = 2 };
	struct uuid id = id_of(9);
	char type[16];
	unsigned ahead;
	memset(&h, 0, sizeof(h));

	for (unsigned t = 0; t < QUEUE_HINT_TYPES + 3; t++) {
		snprintf(type, sizeof(type), "type_%u", t);
		CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &q, type, &id, 10 + t, &ahead), 0);
		CU_ASSERT_EQUAL(ahead, 2);
	}
	CU_ASSERT_EQUAL(q.fetches, QUEUE_HINT_TYPES + 3);
	/* The most recent types are still remembered; the first was evicted. */
	snprintf(type, sizeof(type), "type_%u", QUEUE_HINT_TYPES + 2);
	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &q, type, &id, 20, &ahead), 0);
	CU_ASSERT_EQUAL(q.fetches, QUEUE_HINT_TYPES + 3);
	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &q, "type_0", &id, 21, &ahead), 0);
	CU_ASSERT_EQUAL(q.fetches, QUEUE_HINT_TYPES + 4);
}

static void test_failed_read_is_not_remembered(void)
{
	struct queue_hint h;
	struct queue_source q = { .first = 1, .last = 5, .fail = 1 };
	struct uuid id = id_of(9);
	unsigned ahead = 99;
	memset(&h, 0, sizeof(h));

	CU_ASSERT_NOT_EQUAL(queue_hint_ahead(&h, fetch, &q, "problem", &id, 1, &ahead), 0);
	CU_ASSERT_EQUAL(ahead, 0);
	q.fail = 0;
	CU_ASSERT_EQUAL(queue_hint_ahead(&h, fetch, &q, "problem", &id, 2, &ahead), 0);
	CU_ASSERT_EQUAL(ahead, 5);
	CU_ASSERT_EQUAL(q.fetches, 2);
}

static const struct unit_case cases[] = {
	{ "counting within a queue head", test_head_counting },
	{ "a head is reused for a second", test_head_is_reused_for_a_second },
	{ "each type has its own head", test_types_have_their_own_heads },
	{ "more types than slots", test_more_types_than_slots },
	{ "a failed read is not remembered", test_failed_read_is_not_remembered },
	{ NULL, NULL },
};

UNIT_MAIN("queue_hint", cases)
