#include "build_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/number.h"
#include "web/etag.h"
#include "base/banned.h"

void etag_format(uint64_t version, char out[ETAG_MAX_LEN])
{
	_Static_assert(ETAG_MAX_LEN >= NUMBER_U64_DIGITS + 4, "\"v<digits>\" and the NUL fit");
	size_t n = 0;
	out[n++] = '"';
	out[n++] = 'v';
	n += number_u64_format(version, out + n);
	out[n++] = '"';
	out[n] = '\0';
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* RFC 9110 etagc: %x21 / %x23-7E / obs-text. */
static int is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/*
 * Reads one entity-tag at *pp; sets *opaque / *len to the quoted part (weak
 * comparison ignores W/). 0, or -1 when malformed.
 */
static int read_tag(const char **pp, const char **opaque, size_t *len)
{
	const char *p = *pp;
	if (p[0] == 'W' && p[1] == '/')
		p += 2;
	if (*p != '"')
		return -1;
	const char *start = p++;
	while (is_etagc((unsigned char)*p))
		p++;
	if (*p != '"')
		return -1;
	p++;
	*opaque = start;
	*len = (size_t)(p - start);
	*pp = p;
	return 0;
}

int etag_none_match(const char *header, const char *etag)
{
	const char *want;
	size_t want_len;
	int matched = 0;

	if (!header || !etag)
		return 0;
	const char *e = etag;
	if (read_tag(&e, &want, &want_len) < 0 || *e != '\0')
		return 0;

	const char *p = skip_ows(header);
	if (*p == '*')
		return *skip_ows(p + 1) == '\0';

	/* A list, where RFC 9110 §5.6.1 asks recipients to accept empty elements. */
	for (;;) {
		p = skip_ows(p);
		if (*p == '\0')
			break;
		if (*p == ',') {
			p++;
			continue;
		}
		const char *tag;
		size_t tag_len;
		if (read_tag(&p, &tag, &tag_len) < 0)
			return 0;
		if (tag_len == want_len && memcmp(tag, want, want_len) == 0)
			matched = 1;
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return 0;
	}
	return matched;
}

long long etag_single_version(const char *header)
{
	const char *tag;
	size_t len;
	char ours[ETAG_MAX_LEN];
	unsigned long long v = 0;

	if (!header)
		return -1;
	const char *p = skip_ows(header);
	if (read_tag(&p, &tag, &len) < 0 || *skip_ows(p) != '\0')
		return -1;
	/* tag is "v<digits>" with its quotes; at most 18 digits cannot overflow. */
	if (len < 4 || len > 21 || tag[1] != 'v')
		return -1;
	for (size_t i = 2; i + 1 < len; i++) {
		if (tag[i] < '0' || tag[i] > '9')
			return -1;
		v = v * 10 + (unsigned long long)(tag[i] - '0');
	}
	/* Only the spelling we hand out ("v042" is another tag than "v42"). */
	etag_format(v, ours);
	if (strlen(ours) != len || memcmp(ours, tag, len))
		return -1;
	return (long long)v;
}
