/*
 * config_load_string over the defaults, as every main() does with the file's
 * text (read_file refuses a NUL byte, so the text is a C string).
 *
 * `password_file` is the one key that touches the file system (it reads the
 * named file): inputs naming it are skipped, so the fuzzer never blocks on
 * /dev/stdin or a FIFO. Its reading is covered by tests/unit/test_config.c.
 */
#include "build_config.h"

#include <string.h>

#include "base/config.h"
#include "fuzz.h"

static void check_config(const struct config *c)
{
	FUZZ_ASSERT(c->store_host && c->store_socket && c->store_user && c->store_password &&
		    c->store_database && c->migrations_dir && c->listen && c->base_url &&
		    c->log_level);
	FUZZ_ASSERT(c->store_port >= 1 && c->store_port <= 65535);
	FUZZ_ASSERT(c->store_user[0] != '\0' && c->store_database[0] != '\0' &&
		    c->migrations_dir[0] != '\0');
	FUZZ_ASSERT(c->store_connect_timeout >= 1 && c->store_connect_timeout <= 3600);
	FUZZ_ASSERT(c->workers >= 1 && c->workers <= 256);
	FUZZ_ASSERT(c->max_body >= 1 && c->max_body <= 16 * 1024 * 1024);
	FUZZ_ASSERT(c->max_count >= 1 && c->max_count <= 100000);
	FUZZ_ASSERT(c->max_lease >= 1 && c->max_lease <= 86400);
	FUZZ_ASSERT(c->default_lease >= 1 && c->default_lease <= c->max_lease);
	FUZZ_ASSERT(c->max_attempts >= 1 && c->max_attempts <= 100);
	FUZZ_ASSERT(c->stale_after >= 1 && c->pending_timeout >= 1 && c->idempotency_ttl >= 1);
	FUZZ_ASSERT(c->list_max >= 1 && c->list_max <= 1000);
	FUZZ_ASSERT(c->list_limit >= 1 && c->list_limit <= c->list_max);
	FUZZ_ASSERT(!strcmp(c->log_level, "debug") || !strcmp(c->log_level, "info") ||
		    !strcmp(c->log_level, "warn") || !strcmp(c->log_level, "error"));
	size_t n = strlen(c->base_url);
	if (n) {
		FUZZ_ASSERT(!strncmp(c->base_url, "http://", 7) ||
			    !strncmp(c->base_url, "https://", 8));
		FUZZ_ASSERT(c->base_url[n - 1] != '/');
		/* Only an authority, with nothing that could end a header line:
		 * safe to prefix to a path in Operation-Location. */
		const char *host = strstr(c->base_url, "://") + 3;
		FUZZ_ASSERT(*host && *host != ':');
		FUZZ_ASSERT(strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789-.:[]") == strlen(host));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pf[] = "password_file";
	if (memmem(data, size, pf, sizeof(pf) - 1))
		return 0;
	char *text = fuzz_cstr(data, size);
	struct config c;
	char err[1024];

	FUZZ_ASSERT(config_init(&c) == 0);
	memset(err, 0x55, sizeof(err));
	if (config_load_string(&c, "fuzz.conf", text, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_ASSERT(!strncmp(err, "fuzz.conf:", 10));
	} else {
		check_config(&c);
	}
	config_release(&c);
	config_release(&c); /* documented as safe twice */
	free(text);
	return 0;
}
