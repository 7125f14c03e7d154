#ifndef GENTRACK_TERMTEXT_H
#define GENTRACK_TERMTEXT_H

#include <stddef.h>

#include "base/strbuf.h"

/*
 * Stored text (anything a client, a worker or a generator wrote) made safe to
 * print on an operator's terminal, as `ls -b` and git's quoted paths do:
 * every byte a terminal could act on is shown as an escape, so a stored
 * ESC sequence can neither rewrite a line nor set the window title, and a
 * stored newline cannot forge a line of its own.
 *
 * The escapes, in JSON's spelling so that text and JSON previews read alike:
 *   \n \r \t       newline, carriage return, tab
 *   \u00XX         every other control character: C0 (U+0000-U+001F), DEL
 *                  (U+007F) and C1 (U+0080-U+009F), e.g. \u001b for ESC,
 *                  \u009b for the 8-bit CSI
 *   \xHH           a byte that is not part of valid UTF-8 (RFC 3629)
 *   \\             a backslash (plain text only, so that the stored text
 *                  "\u001b" and a stored ESC look different)
 * Everything else, printable ASCII and valid UTF-8 (ü, 日本), is copied as is.
 */

/* s is JSON text: its backslashes are escapes already, and stay single. */
#define TERMTEXT_JSON 1u
/* No cut: the whole text. */
#define TERMTEXT_ALL ((size_t)-1)

/*
 * Appends the shown form of s[0..len) to sb, at most max_cols columns (each
 * character, and each byte of an escape, counted as one), never cutting a
 * character or an escape in two. Returns the columns appended. Allocation
 * failure is sb's sticky oom.
 */
size_t termtext_add(struct strbuf *sb, const char *s, size_t len, unsigned flags,
		    size_t max_cols);
/* The columns termtext_add would append for the whole of s[0..len), for alignment. */
size_t termtext_cols(const char *s, size_t len, unsigned flags);

#endif
