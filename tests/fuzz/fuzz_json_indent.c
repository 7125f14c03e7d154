/*
 * json_indent on any text, as the admin detail page runs it on stored JSON:
 * never past its output cap, the buffer as it was on a refusal, and on a
 * success a text that means what the input meant. On what jansson writes
 * (the stored form), the layout of jansson's own JSON_INDENT(2).
 */
#include "build_config.h"

#include "fuzz.h"
#include "base/json_indent.h"

#define DEPTH 32

static void check_refusal_or_meaning(const char *text, size_t size)
{
	struct strbuf out = STRBUF_INIT;
	size_t cap = 8 * size + 1024;
	strbuf_addstr(&out, "|");
	int rc = json_indent(&out, text, size, DEPTH, cap);
	FUZZ_ASSERT(out.buf[0] == '|' && out.buf[out.len] == '\0');
	if (rc < 0) {
		FUZZ_ASSERT(out.len == 1);
	} else {
		FUZZ_ASSERT(out.len - 1 <= cap);
		/* Whatever jansson makes of the input, it makes of the output. */
		json_t *in = json_loadb(text, size, JSON_DECODE_ANY, NULL);
		json_t *again = json_loadb(out.buf + 1, out.len - 1, JSON_DECODE_ANY, NULL);
		FUZZ_ASSERT(!in == !again);
		FUZZ_ASSERT(!in || json_equal(in, again));
		json_decref(in);
		json_decref(again);
	}
	strbuf_release(&out);
}

/* jansson's compact text of the input, indented: jansson's indented text. */
static void check_stored_form(const char *text, size_t size)
{
	json_t *j = json_loadb(text, size, JSON_DECODE_ANY, NULL);
	if (!j)
		return;
	char *stored = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	char *want = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
	struct strbuf out = STRBUF_INIT;
	if (stored && want &&
	    json_indent(&out, stored, strlen(stored), JSON_INDENT_DEPTH_LIMIT, (size_t)-1) == 0)
		FUZZ_ASSERT(!strcmp(out.buf, want));
	strbuf_release(&out);
	free(stored);
	free(want);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	check_refusal_or_meaning(text, size);
	check_stored_form(text, size);
	free(text);
	return 0;
}
