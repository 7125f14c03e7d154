#ifndef GENTRACK_JSON_INDENT_H
#define GENTRACK_JSON_INDENT_H

#include <stddef.h>
#include "base/strbuf.h"

/*
 * A JSON text laid out for people, as jansson's JSON_INDENT(2) lays it out
 * ("{\n  \"a\": [\n    1\n  ]\n}", empty containers as "{}" and "[]"), in
 * one pass over the text, without building a tree: the strings and numbers
 * are copied as they are, only the blanks between tokens change.
 *
 * Indenting costs the square of the depth (each line repeats its level's
 * blanks), so a small text of deeply nested arrays would grow a thousandfold;
 * the caller bounds both. 0 with the indented text appended to out; -1 with
 * out as it was (but for a sticky oom) when the text nests deeper than
 * max_depth (at most JSON_INDENT_DEPTH_LIMIT), when its indented form would
 * pass max_out bytes, or when the scan finds it is not one well-nested JSON
 * value (an unclosed string, an unbalanced or mismatched bracket): the caller
 * then shows the text as it is.
 */
#define JSON_INDENT_DEPTH_LIMIT 64

int json_indent(struct strbuf *out, const char *text, size_t len, unsigned max_depth,
		size_t max_out);

#endif
