#ifndef GENTRACK_HTML_H
#define GENTRACK_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

/*
 * Writing HTML safely: every value that is not a literal of ours goes through
 * html_escape, which makes it text in element content and in quoted
 * attribute values alike (& < > " ' are replaced). Invalid UTF-8 bytes become
 * U+FFFD, so a stored value can never produce markup or break the page's
 * encoding.
 */

/* Appends s (len bytes) escaped. */
void html_escape(struct strbuf *sb, const char *s, size_t len);
/* The same for a NUL-terminated string; NULL writes nothing. */
void html_text(struct strbuf *sb, const char *s);
/*
 * A value cut to at most `max` characters (never inside a UTF-8 sequence),
 * with "…" when cut, inside <span title="the whole value">, so hovering shows
 * it all. An uncut value is written as plain text.
 */
void html_cut(struct strbuf *sb, const char *s, size_t max);
/* An age as people read it: "45 s", "12 min", "3 h 5 min", "2 d 4 h"; "–" when negative or unknown. */
void html_age(char *out, size_t size, int64_t age_us);
/* Whether s (len bytes) is valid UTF-8 with no control characters but \n, \r, \t. */
int html_text_valid(const char *s, size_t len);
/* Appends s escaped for a URL query value (%XX for everything but A-Z a-z 0-9 - _ . ~). */
void html_url_encode(struct strbuf *sb, const char *s);

#endif
