/*
 * The worker's reading of generator output. The parsing (conclude() in
 * src/worker/generator.c) is static, so the input goes through the public
 * generator_run with a real child: `cat` echoes it on stdout (mode 0), or
 * `sh -c 'cat >&2; exit 3'` returns it on stderr with a failure (mode 1);
 * the first byte picks the mode, the rest is what the generator prints.
 *
 * With `cat` the outcome is known in advance, so it is checked exactly: the
 * run succeeds if and only if jansson reads the bytes as one object (pipes
 * that lose or reorder bytes would show here). A failure's error text must be
 * valid UTF-8 with no control characters but tab and newline: the worker
 * sends it as a JSON string and the admin page shows it.
 */
#include "build_config.h"

#include "fuzz.h"
#include "worker/generator.h"

static int blanks_only(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

static void check_error_text(const char *e)
{
	FUZZ_ASSERT(e != NULL);
	size_t n = strlen(e);
	FUZZ_ASSERT(fuzz_utf8_valid(e, n));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)e[i];
		FUZZ_ASSERT(c >= 0x20 || c == '\t' || c == '\n');
		FUZZ_ASSERT(c != 0x7f);
	}
	json_t *s = json_string(e);
	FUZZ_ASSERT(s != NULL);
	json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const cat_argv[] = { "/bin/cat", NULL };
	static char *const sh_argv[] = { "/bin/sh", "-c", "cat >&2; exit 3", NULL };
	if (size < 1)
		return 0;
	int to_stderr = data[0] & 1;
	const uint8_t *out = data + 1;
	size_t len = size - 1;
	char *input = fuzz_copy(out, len);
	struct generator_opts o = {
		.argv = to_stderr ? sh_argv : cat_argv,
		.input = input,
		.input_len = len,
		.timeout_ms = 10000,
		.kill_grace_ms = 500,
	};
	struct generator_result r;

	generator_result_init(&r);
	int rc = generator_run(&o, &r);
	FUZZ_ASSERT(r.status != GENERATOR_ABORTED);
	FUZZ_ASSERT(r.status != GENERATOR_ERROR); /* fork, pipes, memory: not the input */
	FUZZ_ASSERT((rc == 0) == (r.status == GENERATOR_OK));
	if (to_stderr) {
		FUZZ_ASSERT(r.status == GENERATOR_FAILED && r.exit_code == 3);
		check_error_text(r.error);
		FUZZ_ASSERT(!strncmp(r.error, "exit status 3", 13));
	} else {
		json_t *want = blanks_only(out, len)
				       ? NULL
				       : json_loadb((const char *)out, len,
						    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
		int want_ok = want && json_is_object(want);
		FUZZ_ASSERT(r.exit_code == 0);
		FUZZ_ASSERT(want_ok == (r.status == GENERATOR_OK));
		if (r.status == GENERATOR_OK) {
			FUZZ_ASSERT(r.error == NULL);
			FUZZ_ASSERT(json_is_object(r.entity));
			FUZZ_ASSERT(json_equal(r.entity, want));
		} else {
			FUZZ_ASSERT(r.entity == NULL);
			check_error_text(r.error);
		}
		json_decref(want);
	}
	generator_result_release(&r);
	free(input);
	return 0;
}
