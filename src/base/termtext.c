#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "base/termtext.h"
#include "base/utf8.h"
#include "base/banned.h"

/* The code point of the valid character of n (1..4) bytes at s. */
static unsigned code_point(const unsigned char *s, size_t n)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned cp = s[0] & lead_mask[n];
	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* The escape of the character cp into esc: 1, or 0 when it is shown as itself. */
static int escape_char(unsigned cp, unsigned flags, char esc[8])
{
	switch (cp) {
	case '\n':
		snprintf(esc, 8, "\\n");
		return 1;
	case '\r':
		snprintf(esc, 8, "\\r");
		return 1;
	case '\t':
		snprintf(esc, 8, "\\t");
		return 1;
	case '\\':
		if (flags & TERMTEXT_JSON)
			return 0;
		snprintf(esc, 8, "\\\\");
		return 1;
	default:
		break;
	}
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
		snprintf(esc, 8, "\\u%04x", cp);
		return 1;
	}
	return 0;
}

/* One character of the input as shown: its bytes, or its escape. */
struct piece {
	const void *bytes;
	size_t len;      /* bytes to append, also the columns of an escape */
	size_t cols;
	size_t used;     /* input bytes it stands for */
	char esc[8];
};

static void next_piece(const unsigned char *p, size_t avail, unsigned flags, struct piece *pc)
{
	size_t n = utf8_char_len(p, avail);
	if (n == 0) {
		snprintf(pc->esc, sizeof(pc->esc), "\\x%02x", p[0]);
		pc->used = 1;
	} else if (escape_char(code_point(p, n), flags, pc->esc)) {
		pc->used = n;
	} else {
		pc->bytes = p;
		pc->len = pc->used = n;
		pc->cols = 1;
		return;
	}
	pc->bytes = pc->esc;
	pc->len = pc->cols = strlen(pc->esc);
}

size_t termtext_add(struct strbuf *sb, const char *s, size_t len, unsigned flags,
		    size_t max_cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, cols = 0;
	struct piece pc;

	while (i < len) {
		next_piece(p + i, len - i, flags, &pc);
		if (cols + pc.cols > max_cols)
			break;
		strbuf_add(sb, pc.bytes, pc.len);
		cols += pc.cols;
		i += pc.used;
	}
	return cols;
}

size_t termtext_cols(const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, cols = 0;
	struct piece pc;

	while (i < len) {
		next_piece(p + i, len - i, flags, &pc);
		cols += pc.cols;
		i += pc.used;
	}
	return cols;
}
