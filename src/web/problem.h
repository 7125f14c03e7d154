#ifndef GENTRACK_PROBLEM_H
#define GENTRACK_PROBLEM_H

#include "base/strbuf.h"

/*
 * RFC 9457 problem details: every error the service answers is
 * application/problem+json with "type", "title", "status" and "detail".
 * The type is a URN naming the kind of problem ("urn:gentrack:problem:<slug>")
 * so clients can switch on it; the title is the same for every instance of a
 * type, the detail says what was wrong with this request.
 */
#define PROBLEM_CONTENT_TYPE "application/problem+json"

struct problem {
	int status;                 /* HTTP status, 400..599 */
	const char *slug;           /* static, e.g. "invalid-body"; NULL = from status */
	char detail[512];           /* this occurrence, for people */
	/* optional extension member with a string value, e.g. existing_request_id */
	const char *extra_key;      /* static or NULL */
	char extra_value[64];
	/* optional extension member with an integer value, e.g. max */
	const char *extra_int_key;  /* static or NULL */
	long long extra_int;
};

/* Fills p (detail printf-style); returns p for chaining into a return. */
struct problem *problem_set(struct problem *p, int status, const char *slug,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The reason phrase of an HTTP status ("Not Found"); "Error" when unknown. */
const char *problem_status_title(int status);
/* Appends the JSON body of p to sb (check sb->oom). */
void problem_render(const struct problem *p, struct strbuf *sb);

#endif
