/* The build's config.h (feature macros) first; the module's header has the same name. */
#include "build_config.h"
#include "base/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/utf8.h"
#include "unit.h"

static char err[1024];

/* Writes text to a new temporary file; its path goes into path (>= 32 bytes). */
static int write_temp(char *path, size_t len, const char *text)
{
	snprintf(path, len, "/tmp/gentrack-test-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* Loads text over fresh defaults; the config is released by the caller. */
static int load(struct config *c, const char *text)
{
	CU_ASSERT_EQUAL_FATAL(config_init(c), 0);
	err[0] = '\0';
	return config_load_string(c, "t.conf", text, err, sizeof(err));
}

static void expect_error(const char *text, const char *want)
{
	struct config c;
	CU_ASSERT_EQUAL(load(&c, text), -1);
	CU_ASSERT_STRING_EQUAL(err, want);
	config_release(&c);
}

static void test_defaults(void)
{
	struct config c;
	CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
	CU_ASSERT_STRING_EQUAL(c.store_host, "");
	CU_ASSERT_EQUAL(c.store_port, 3306);
	CU_ASSERT_STRING_EQUAL(c.store_socket, "/run/mysqld/mysqld.sock");
	CU_ASSERT_STRING_EQUAL(c.store_user, "gentrack");
	CU_ASSERT_STRING_EQUAL(c.store_password, "");
	CU_ASSERT_STRING_EQUAL(c.store_database, "gentrack");
	CU_ASSERT_EQUAL(c.store_connect_timeout, 5);
	CU_ASSERT_STRING_EQUAL(c.migrations_dir, GENTRACK_SQL_DIR);
	CU_ASSERT_STRING_EQUAL(c.listen, "");
	CU_ASSERT_EQUAL(c.workers, 4);
	CU_ASSERT_EQUAL(c.max_body, 65536);
	CU_ASSERT_STRING_EQUAL(c.base_url, "");
	CU_ASSERT_EQUAL(c.max_count, 10);
	CU_ASSERT_EQUAL(c.default_lease, 60);
	CU_ASSERT_EQUAL(c.max_lease, 3600);
	CU_ASSERT_EQUAL(c.max_attempts, 3);
	CU_ASSERT_EQUAL(c.stale_after, 600);
	CU_ASSERT_EQUAL(c.pending_timeout, 3600);
	CU_ASSERT_EQUAL(c.idempotency_ttl, 86400);
	CU_ASSERT_EQUAL(c.list_limit, 20);
	CU_ASSERT_EQUAL(c.list_max, 100);
	CU_ASSERT_EQUAL(c.max_pending_per_owner, 0);
	CU_ASSERT_EQUAL(c.max_processing_per_owner, 0);
	CU_ASSERT_STRING_EQUAL(c.log_level, "info");
	/* /metrics for an admin only, until the operator opens it (issue 20). */
	CU_ASSERT_EQUAL(c.metrics_allow_loopback, 0);
	CU_ASSERT_STRING_EQUAL(c.metrics_token, "");
	/* Webhooks to public addresses only, on the real schedule. */
	CU_ASSERT_EQUAL(c.webhooks_allow_private, 0);
	CU_ASSERT_EQUAL(c.webhooks_retry_divisor, 1);
	CU_ASSERT_EQUAL(c.webhooks_timeout_s, 15);
	CU_ASSERT_EQUAL(c.webhooks_lease_s, 60);
	config_release(&c);
	CU_ASSERT_PTR_NULL(c.store_host);
	CU_ASSERT_PTR_NULL(c.metrics_token);
	config_release(&c); /* twice is harmless */
}

static void test_every_key(void)
{
	struct config c;
	int rc = load(&c,
		"# full file\n"
		"; other comment style\n"
		"\n"
		"[store]\n"
		"host = db.example\n"
		"port = 3307\n"
		"socket = /tmp/my.sock\n"
		"user = gt\n"
		"password = s3cret #not a comment\n"
		"database = gtdb\n"
		"connect_timeout = 1m\n"
		"migrations_dir = /opt/sql\n"
		"[server]\n"
		"listen = 127.0.0.1:9000\n"
		"workers = 16\n"
		"max_body = 1M\n"
		"base_url = https://api.example:8443/\n"
		"[limits]\n"
		"max_count = 50\n"
		"default_lease = 2m\n"
		"max_lease = 1h\n"
		"max_attempts = 5\n"
		"stale_after = 20m\n"
		"pending_timeout = 2h\n"
		"idempotency_ttl = 7d\n"
		"list_limit = 30\n"
		"list_max = 500\n"
		"max_pending_per_owner = 10\n"
		"max_processing_per_owner = 2\n"
		"[log]\n"
		"level = debug\n"
		"[metrics]\n"
		"allow_loopback = on\n"
		"token = 0123456789abcdef0123456789abcdef\n"
		"[webhooks]\n"
		"allow_private = true\n"
		"retry_schedule_divisor = 1000\n"
		"timeout_seconds = 2\n"
		"lease_seconds = 4\n");
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_STRING_EQUAL(c.store_host, "db.example");
	CU_ASSERT_EQUAL(c.store_port, 3307);
	CU_ASSERT_STRING_EQUAL(c.store_socket, "/tmp/my.sock");
	CU_ASSERT_STRING_EQUAL(c.store_user, "gt");
	CU_ASSERT_STRING_EQUAL(c.store_password, "s3cret #not a comment");
	CU_ASSERT_STRING_EQUAL(c.store_database, "gtdb");
	CU_ASSERT_EQUAL(c.store_connect_timeout, 60);
	CU_ASSERT_STRING_EQUAL(c.migrations_dir, "/opt/sql");
	CU_ASSERT_STRING_EQUAL(c.listen, "127.0.0.1:9000");
	CU_ASSERT_EQUAL(c.workers, 16);
	CU_ASSERT_EQUAL(c.max_body, 1024 * 1024);
	CU_ASSERT_STRING_EQUAL(c.base_url, "https://api.example:8443");
	CU_ASSERT_EQUAL(c.max_count, 50);
	CU_ASSERT_EQUAL(c.default_lease, 120);
	CU_ASSERT_EQUAL(c.max_lease, 3600);
	CU_ASSERT_EQUAL(c.max_attempts, 5);
	CU_ASSERT_EQUAL(c.stale_after, 1200);
	CU_ASSERT_EQUAL(c.pending_timeout, 7200);
	CU_ASSERT_EQUAL(c.idempotency_ttl, 604800);
	CU_ASSERT_EQUAL(c.max_pending_per_owner, 10);
	CU_ASSERT_EQUAL(c.max_processing_per_owner, 2);
	CU_ASSERT_EQUAL(c.list_limit, 30);
	CU_ASSERT_EQUAL(c.list_max, 500);
	CU_ASSERT_STRING_EQUAL(c.log_level, "debug");
	CU_ASSERT_EQUAL(c.metrics_allow_loopback, 1);
	CU_ASSERT_STRING_EQUAL(c.metrics_token, "0123456789abcdef0123456789abcdef");
	CU_ASSERT_EQUAL(c.webhooks_allow_private, 1);
	CU_ASSERT_EQUAL(c.webhooks_retry_divisor, 1000);
	CU_ASSERT_EQUAL(c.webhooks_timeout_s, 2);
	CU_ASSERT_EQUAL(c.webhooks_lease_s, 4);
	config_release(&c);
}

static void test_layout_tolerance(void)
{
	struct config c;
	/* Blanks everywhere, CRLF, a section repeated, keys after comments. */
	int rc = load(&c,
		"  [ server ]  \r\n"
		"\tworkers\t=\t8\t\r\n"
		"   # indented comment\r\n"
		"[log]\r\n"
		"level=warn\r\n"
		"[server]\r\n"
		"listen=   /run/gentrack.sock   \r\n"
		"workers = 9");   /* no final newline */
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(c.workers, 9);
	CU_ASSERT_STRING_EQUAL(c.log_level, "warn");
	CU_ASSERT_STRING_EQUAL(c.listen, "/run/gentrack.sock");
	config_release(&c);
}

static void test_quotes(void)
{
	struct config c;
	int rc = load(&c,
		"[store]\n"
		"password = \"  spaced # kept  \"\n"
		"user = \"\"quoted\"\"\n"
		"socket = \"\n"
		"database = \"gentrack\"\n"
		"host = \"half\n");
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(c.store_password, "  spaced # kept  ");
	/* Only one pair around the whole value is removed. */
	CU_ASSERT_STRING_EQUAL(c.store_user, "\"quoted\"");
	CU_ASSERT_STRING_EQUAL(c.store_socket, "\"");
	CU_ASSERT_STRING_EQUAL(c.store_database, "gentrack");
	CU_ASSERT_STRING_EQUAL(c.store_host, "\"half");
	config_release(&c);
	expect_error("[store]\nuser = \"\"\n",
		     "t.conf:2: bad value for 'user' in [store]: must not be empty\n"
		     ">>> user = \"\"");
}

static void test_header_example_error(void)
{
	expect_error("# c\n\n[server]\nlisten = x\nworkers = lots\nmax_body = 1k\n",
		     "t.conf:5: bad value for 'workers' in [server]: must be 1..256\n"
		     ">>> workers = lots");
}

static void test_structure_errors(void)
{
	expect_error("workers = 4\n",
		     "t.conf:1: key 'workers' outside a section\n>>> workers = 4");
	expect_error("[store]\n[database]\n",
		     "t.conf:2: unknown section [database]\n>>> [database]");
	expect_error("[store]\nworkers = 4\n",
		     "t.conf:2: unknown key 'workers' in [store]\n>>> workers = 4");
	expect_error("[server]\n\nWorkers = 4\n",
		     "t.conf:3: unknown key 'Workers' in [server]\n>>> Workers = 4");
	expect_error("[log]\njust some words\n",
		     "t.conf:2: expected 'key = value' or '[section]'\n>>> just some words");
	expect_error("[log\n",
		     "t.conf:1: section header without closing ']'\n>>> [log");
	expect_error("[log]\n = debug\n",
		     "t.conf:2: missing key before '='\n>>>  = debug");
	/* The offending line is printed as written, without the CR. */
	expect_error("[log]\r\n  bogus = 1  \r\n",
		     "t.conf:2: unknown key 'bogus' in [log]\n>>>   bogus = 1  ");
}

static void test_int_values(void)
{
	struct config c;
	CU_ASSERT_EQUAL(load(&c, "[server]\nworkers = 1\n[store]\nport = 65535\n"), 0);
	CU_ASSERT_EQUAL(c.workers, 1);
	CU_ASSERT_EQUAL(c.store_port, 65535);
	config_release(&c);
	CU_ASSERT_EQUAL(load(&c, "[server]\nworkers = 256\n"), 0);
	CU_ASSERT_EQUAL(c.workers, 256);
	config_release(&c);

	expect_error("[server]\nworkers = 0\n",
		     "t.conf:2: bad value for 'workers' in [server]: must be 1..256\n>>> workers = 0");
	expect_error("[server]\nworkers = 257\n",
		     "t.conf:2: bad value for 'workers' in [server]: must be 1..256\n>>> workers = 257");
	expect_error("[server]\nworkers = -1\n",
		     "t.conf:2: bad value for 'workers' in [server]: must be 1..256\n>>> workers = -1");
	expect_error("[server]\nworkers = 4x\n",
		     "t.conf:2: bad value for 'workers' in [server]: must be 1..256\n>>> workers = 4x");
	expect_error("[server]\nworkers =\n",
		     "t.conf:2: bad value for 'workers' in [server]: must be 1..256\n>>> workers =");
	expect_error("[server]\nworkers = 99999999999999999999999\n",
		     "t.conf:2: bad value for 'workers' in [server]: must be 1..256\n"
		     ">>> workers = 99999999999999999999999");
	expect_error("[webhooks]\ntimeout_seconds = 16\n",
		     "t.conf:2: bad value for 'timeout_seconds' in [webhooks]: must be 1..15\n"
		     ">>> timeout_seconds = 16");
	expect_error("[webhooks]\nlease_seconds = 1\n",
		     "t.conf:2: bad value for 'lease_seconds' in [webhooks]: must be 2..3600\n"
		     ">>> lease_seconds = 1");
	expect_error("[store]\nport = 0\n",
		     "t.conf:2: bad value for 'port' in [store]: must be 1..65535\n>>> port = 0");
	expect_error("[limits]\nmax_attempts = 101\n",
		     "t.conf:2: bad value for 'max_attempts' in [limits]: must be 1..100\n"
		     ">>> max_attempts = 101");
	expect_error("[limits]\nmax_pending_per_owner = -1\n",
		     "t.conf:2: bad value for 'max_pending_per_owner' in [limits]: must be 0..1000000\n"
		     ">>> max_pending_per_owner = -1");
	expect_error("[limits]\nmax_processing_per_owner = 1000001\n",
		     "t.conf:2: bad value for 'max_processing_per_owner' in [limits]: "
		     "must be 0..1000000\n>>> max_processing_per_owner = 1000001");
	expect_error("[limits]\nmax_count = 100001\n",
		     "t.conf:2: bad value for 'max_count' in [limits]: must be 1..100000\n"
		     ">>> max_count = 100001");
	expect_error("[limits]\nlist_max = 1001\n",
		     "t.conf:2: bad value for 'list_max' in [limits]: must be 1..1000\n"
		     ">>> list_max = 1001");
}

static void test_durations(void)
{
	struct config c;
	CU_ASSERT_EQUAL(load(&c, "[limits]\nmax_lease = 1d\ndefault_lease = 90s\n"
				 "stale_after = 600\nidempotency_ttl = 3650d\n"
				 "[store]\nconnect_timeout = 1h\n"), 0);
	CU_ASSERT_EQUAL(c.max_lease, 86400);
	CU_ASSERT_EQUAL(c.default_lease, 90);
	CU_ASSERT_EQUAL(c.stale_after, 600);
	CU_ASSERT_EQUAL(c.idempotency_ttl, INT64_C(3650) * 86400);
	CU_ASSERT_EQUAL(c.store_connect_timeout, 3600);
	config_release(&c);

	expect_error("[store]\nconnect_timeout = 0\n",
		     "t.conf:2: bad value for 'connect_timeout' in [store]: must be a duration "
		     "(600, 90s, 10m, 1h, 7d) from 1s to 3600s\n>>> connect_timeout = 0");
	expect_error("[store]\nconnect_timeout = 61m\n",
		     "t.conf:2: bad value for 'connect_timeout' in [store]: must be a duration "
		     "(600, 90s, 10m, 1h, 7d) from 1s to 3600s\n>>> connect_timeout = 61m");
	expect_error("[limits]\nmax_lease = 2d\n",
		     "t.conf:2: bad value for 'max_lease' in [limits]: must be a duration "
		     "(600, 90s, 10m, 1h, 7d) from 1s to 86400s\n>>> max_lease = 2d");
	expect_error("[limits]\nstale_after = 10 m\n",
		     "t.conf:2: bad value for 'stale_after' in [limits]: must be a duration "
		     "(600, 90s, 10m, 1h, 7d) from 1s to 315360000s\n>>> stale_after = 10 m");
	expect_error("[limits]\npending_timeout = 1w\n",
		     "t.conf:2: bad value for 'pending_timeout' in [limits]: must be a duration "
		     "(600, 90s, 10m, 1h, 7d) from 1s to 315360000s\n>>> pending_timeout = 1w");
	expect_error("[limits]\nidempotency_ttl = 3651d\n",
		     "t.conf:2: bad value for 'idempotency_ttl' in [limits]: must be a duration "
		     "(600, 90s, 10m, 1h, 7d) from 1s to 315360000s\n>>> idempotency_ttl = 3651d");
}

static void test_sizes(void)
{
	static const struct { const char *text; size_t bytes; } ok[] = {
		{ "1", 1 }, { "65536", 65536 }, { "64k", 65536 }, { "64K", 65536 },
		{ "1m", 1048576 }, { "16M", 16777216 }, { "16384k", 16777216 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[64];
		struct config c;
		snprintf(text, sizeof(text), "[server]\nmax_body = %s\n", ok[i].text);
		CU_ASSERT_EQUAL(load(&c, text), 0);
		CU_ASSERT_EQUAL(c.max_body, ok[i].bytes);
		config_release(&c);
	}
	static const char *const bad[] = {
		"0", "0k", "17M", "16385k", "16777217", "1G", "1kb", "1 k", "k", "-1",
		"1.5M", "9223372036854775807k",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[64], want[256];
		struct config c;
		snprintf(text, sizeof(text), "[server]\nmax_body = %s\n", bad[i]);
		snprintf(want, sizeof(want),
			 "t.conf:2: bad value for 'max_body' in [server]: must be a size "
			 "(65536, 64k, 1M) from 1 to 16777216 bytes\n>>> max_body = %s", bad[i]);
		CU_ASSERT_EQUAL(load(&c, text), -1);
		CU_ASSERT_STRING_EQUAL(err, want);
		config_release(&c);
	}
}

static void test_log_level(void)
{
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	for (size_t i = 0; i < 4; i++) {
		char text[64];
		struct config c;
		snprintf(text, sizeof(text), "[log]\nlevel = %s\n", levels[i]);
		CU_ASSERT_EQUAL(load(&c, text), 0);
		CU_ASSERT_STRING_EQUAL(c.log_level, levels[i]);
		config_release(&c);
	}
	expect_error("[log]\nlevel = verbose\n",
		     "t.conf:2: bad value for 'level' in [log]: must be debug, info, warn or error\n"
		     ">>> level = verbose");
	expect_error("[log]\nlevel = INFO\n",
		     "t.conf:2: bad value for 'level' in [log]: must be debug, info, warn or error\n"
		     ">>> level = INFO");
}

/* [http] cors_origins: exact origins, as browsers send them, or nothing. */
static void test_cors_origins(void)
{
	static const char *const ok[] = {
		"", "https://shop.example", "https://shop.example http://127.0.0.1:8080",
		"  https://a.example\thttps://[::1]:8443  ",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[160];
		struct config c;
		snprintf(text, sizeof(text), "[http]\ncors_origins = %s\n", ok[i]);
		CU_ASSERT_EQUAL(load(&c, text), 0);
		config_release(&c);
	}
	static const char *const bad[] = {
		"https://shop.example/", "shop.example", "https://shop.example/app",
		"https://a.example, https://b.example", "*", "null",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[160];
		struct config c;
		snprintf(text, sizeof(text), "[http]\ncors_origins = %s\n", bad[i]);
		CU_ASSERT_EQUAL(load(&c, text), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad value for 'cors_origins' in [http]"));
		config_release(&c);
	}
}

static void test_base_url(void)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "", "" },
		{ "https://gen.example", "https://gen.example" },
		{ "https://gen.example:8443", "https://gen.example:8443" },
		{ "http://127.0.0.1:8080/", "http://127.0.0.1:8080" },
		{ "https://[::1]:8443", "https://[::1]:8443" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[128];
		struct config c;
		snprintf(text, sizeof(text), "[server]\nbase_url = %s\n", ok[i].in);
		CU_ASSERT_EQUAL(load(&c, text), 0);
		CU_ASSERT_STRING_EQUAL(c.base_url, ok[i].out);
		config_release(&c);
	}
	static const char *const bad[] = {
		"gen.example", "ftp://gen.example", "https://", "https:///x",
		"https://gen.example/api", "https://gen example", "https://u@gen.example",
		"https://gen.example?x", "https://:443",
		/* Characters no host has (found by fuzzing): they would reach a header. */
		"https://exa\"mple.org", "https://gen<x>.example", "https://gen.example%2f",
		"https://gen_example.org",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128], want[256];
		struct config c;
		snprintf(text, sizeof(text), "[server]\nbase_url = %s\n", bad[i]);
		snprintf(want, sizeof(want),
			 "t.conf:2: bad value for 'base_url' in [server]: "
			 "must be http(s)://host[:port] with no path\n>>> base_url = %s", bad[i]);
		CU_ASSERT_EQUAL(load(&c, text), -1);
		CU_ASSERT_STRING_EQUAL(err, want);
		config_release(&c);
	}
}

static void test_store_hosts(void)
{
	struct config c;
	CU_ASSERT_EQUAL(load(&c, "[store]\nhosts = 10.0.0.1:3307, db-2.example ,[::1]:3309,"
			     "localhost\nport = 3310\n"), 0);
	CU_ASSERT_EQUAL(c.store_n_hosts, 4);
	CU_ASSERT_STRING_EQUAL(c.store_hosts[0].name, "10.0.0.1");
	CU_ASSERT_EQUAL(c.store_hosts[0].port, 3307);
	CU_ASSERT_STRING_EQUAL(c.store_hosts[1].name, "db-2.example");
	/* No port: the [store] port, whichever line comes first. */
	CU_ASSERT_EQUAL(c.store_hosts[1].port, 0);
	CU_ASSERT_STRING_EQUAL(c.store_hosts[2].name, "::1");
	CU_ASSERT_EQUAL(c.store_hosts[2].port, 3309);
	CU_ASSERT_STRING_EQUAL(c.store_hosts[3].name, "localhost");
	config_release(&c);

	/* A later line replaces the list; "" clears it (back to host or socket). */
	CU_ASSERT_EQUAL(load(&c, "[store]\nhosts = a:1, b:2\nhosts = c:3\n"), 0);
	CU_ASSERT_EQUAL(c.store_n_hosts, 1);
	CU_ASSERT_STRING_EQUAL(c.store_hosts[0].name, "c");
	config_release(&c);
	CU_ASSERT_EQUAL(load(&c, "[store]\nhosts = a:1\nhosts =\n"), 0);
	CU_ASSERT_EQUAL(c.store_n_hosts, 0);
	config_release(&c);

	static const char *const bad[] = {
		"a:0", "a:65536", "a:", "a:x", ":3306", "a,,b", "a,", "a b:1", "::1:3306",
		"[::1", "[::1]x", "a;b", "1,2,3,4,5,6,7,8,9",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "[store]\nhosts = %s\n", bad[i]);
		CU_ASSERT_EQUAL(load(&c, text), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad value for 'hosts' in [store]"));
		config_release(&c);
	}
}

static void test_live_peers(void)
{
	struct config c;
	CU_ASSERT_EQUAL(load(&c, "[live]\nnchan_socket = /run/n.sock\n"), 0);
	CU_ASSERT_EQUAL(c.live_n_peers, 0);
	config_release(&c);
	CU_ASSERT_EQUAL(load(&c, "[live]\npeers = 10.0.0.2:8089 , app-c.internal:8089,[fd00::3]:80\n"
			     "nchan_socket = /run/n.sock\n"), 0);
	CU_ASSERT_EQUAL(c.live_n_peers, 3);
	CU_ASSERT_STRING_EQUAL(c.live_peers[0].name, "10.0.0.2");
	CU_ASSERT_EQUAL(c.live_peers[0].port, 8089);
	CU_ASSERT_STRING_EQUAL(c.live_peers[1].name, "app-c.internal");
	CU_ASSERT_STRING_EQUAL(c.live_peers[2].name, "fd00::3");
	CU_ASSERT_EQUAL(c.live_peers[2].port, 80);
	config_release(&c);
	CU_ASSERT_EQUAL(load(&c, "[live]\nnchan_socket = /run/n.sock\npeers = a:1\npeers =\n"), 0);
	CU_ASSERT_EQUAL(c.live_n_peers, 0);
	config_release(&c);

	/* A peer has no default port; a URL is not a host. */
	static const char *const bad[] = {
		"10.0.0.2", "a:1,b", "http://a:1", "a:0", "a:1,", "a:1 b:2", "1:1,2:1,3:1,4:1,5:1,6:1,7:1,8:1,9:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "[live]\nnchan_socket = /s\npeers = %s\n", bad[i]);
		CU_ASSERT_EQUAL(load(&c, text), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad value for 'peers' in [live]"));
		config_release(&c);
	}
	expect_error("[live]\npeers = 10.0.0.2:8089\n",
		     "t.conf: [live] peers needs [live] nchan_socket (this host's own Nchan publisher)");
}

static void test_cross_checks(void)
{
	expect_error("[limits]\ndefault_lease = 2h\n",
		     "t.conf: default_lease (7200s) is greater than max_lease (3600s)");
	expect_error("[limits]\nlist_limit = 200\n",
		     "t.conf: list_limit (200) is greater than list_max (100)");
	/* Order does not matter: raising the maximum later in the file is fine. */
	struct config c;
	CU_ASSERT_EQUAL(load(&c, "[limits]\ndefault_lease = 2h\nlist_limit = 200\n"
				 "max_lease = 1d\nlist_max = 1000\n"), 0);
	CU_ASSERT_EQUAL(c.default_lease, 7200);
	CU_ASSERT_EQUAL(c.list_limit, 200);
	config_release(&c);
}

static void test_password_file(void)
{
	char pw[64], text[256];
	struct config c;
	CU_ASSERT_EQUAL_FATAL(write_temp(pw, sizeof(pw), "from file \"#;\n"), 0);
	snprintf(text, sizeof(text), "[store]\npassword = inline\npassword_file = %s\n", pw);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_STRING_EQUAL(c.store_password, "from file \"#;");
	config_release(&c);
	unlink(pw);

	/* Only one trailing newline goes; CRLF too; no newline at all is fine. */
	CU_ASSERT_EQUAL_FATAL(write_temp(pw, sizeof(pw), "two\n\n"), 0);
	snprintf(text, sizeof(text), "[store]\npassword_file = \"%s\"\n", pw);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_STRING_EQUAL(c.store_password, "two\n");
	config_release(&c);
	unlink(pw);
	CU_ASSERT_EQUAL_FATAL(write_temp(pw, sizeof(pw), "crlf\r\n"), 0);
	snprintf(text, sizeof(text), "[store]\npassword_file = %s\n", pw);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_STRING_EQUAL(c.store_password, "crlf");
	config_release(&c);
	unlink(pw);
	CU_ASSERT_EQUAL_FATAL(write_temp(pw, sizeof(pw), "bare"), 0);
	snprintf(text, sizeof(text), "[store]\npassword_file = %s\n", pw);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_STRING_EQUAL(c.store_password, "bare");
	config_release(&c);
	unlink(pw);

	/* An empty password_file leaves the password key in charge. */
	CU_ASSERT_EQUAL(load(&c, "[store]\npassword = p\npassword_file =\n"), 0);
	CU_ASSERT_STRING_EQUAL(c.store_password, "p");
	config_release(&c);

	expect_error("[store]\npassword_file = /nonexistent/gentrack-pw\n",
		     "t.conf:2: bad value for 'password_file' in [store]: cannot open "
		     "'/nonexistent/gentrack-pw': No such file or directory\n"
		     ">>> password_file = /nonexistent/gentrack-pw");
}

static void test_booleans(void)
{
	static const struct { const char *text; int want; } cases[] = {
		{ "on", 1 }, { "yes", 1 }, { "true", 1 }, { "1", 1 },
		{ "off", 0 }, { "no", 0 }, { "false", 0 }, { "0", 0 },
	};
	char text[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		snprintf(text, sizeof(text), "[metrics]\nallow_loopback = %s\n", cases[i].text);
		CU_ASSERT_EQUAL(load(&c, text), 0);
		CU_ASSERT_EQUAL(c.metrics_allow_loopback, cases[i].want);
		config_release(&c);
	}
	expect_error("[metrics]\nallow_loopback = maybe\n",
		     "t.conf:2: bad value for 'allow_loopback' in [metrics]: must be on or off "
		     "(yes/no, true/false, 1/0)\n>>> allow_loopback = maybe");
	expect_error("[metrics]\nallow_loopback = ON\n",
		     "t.conf:2: bad value for 'allow_loopback' in [metrics]: must be on or off "
		     "(yes/no, true/false, 1/0)\n>>> allow_loopback = ON");
}

#define TOKEN_RULE "must be 32 to 512 visible ASCII characters, no blanks (e.g. openssl rand -hex 32)"

static void test_metrics_token(void)
{
	struct config c;
	char path[64], text[700], want[800], long_token[514];
	CU_ASSERT_EQUAL(load(&c, "[metrics]\ntoken = \"\"\n"), 0);
	CU_ASSERT_STRING_EQUAL(c.metrics_token, "");
	config_release(&c);
	expect_error("[metrics]\ntoken = short\n",
		     "t.conf:2: bad value for 'token' in [metrics]: " TOKEN_RULE "\n>>> token = short");
	expect_error("[metrics]\ntoken = \"0123456789abcdef 0123456789abcdef\"\n",
		     "t.conf:2: bad value for 'token' in [metrics]: " TOKEN_RULE
		     "\n>>> token = \"0123456789abcdef 0123456789abcdef\"");
	memset(long_token, 'x', 513);
	long_token[513] = '\0';
	snprintf(text, sizeof(text), "[metrics]\ntoken = %s\n", long_token);
	snprintf(want, sizeof(want), "t.conf:2: bad value for 'token' in [metrics]: " TOKEN_RULE
		 "\n>>> token = %s", long_token);
	expect_error(text, want);
	long_token[512] = '\0';
	snprintf(text, sizeof(text), "[metrics]\ntoken = %s\n", long_token);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_EQUAL(strlen(c.metrics_token), 512);
	config_release(&c);

	/* token_file: one trailing newline dropped, the same rule. */
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), "fedcba9876543210fedcba9876543210\n"), 0);
	snprintf(text, sizeof(text), "[metrics]\ntoken = 0123456789abcdef0123456789abcdef\n"
		 "token_file = %s\n", path);
	CU_ASSERT_EQUAL(load(&c, text), 0);
	CU_ASSERT_STRING_EQUAL(c.metrics_token, "fedcba9876543210fedcba9876543210");
	config_release(&c);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), "too short\n"), 0);
	snprintf(text, sizeof(text), "[metrics]\ntoken_file = %s\n", path);
	snprintf(want, sizeof(want), "t.conf:2: bad value for 'token_file' in [metrics]: " TOKEN_RULE
		 "\n>>> token_file = %s", path);
	expect_error(text, want);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), ""), 0);
	snprintf(text, sizeof(text), "[metrics]\ntoken_file = %s\n", path);
	snprintf(want, sizeof(want), "t.conf:2: bad value for 'token_file' in [metrics]: "
		 "'%s' is empty\n>>> token_file = %s", path, path);
	expect_error(text, want);
	unlink(path);
}

static void test_load_file(void)
{
	char path[64], want[512];
	struct config c;
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path),
					 "[server]\nworkers = 7\n[log]\nlevel = error\n"), 0);
	CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
	CU_ASSERT_EQUAL(config_load_file(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.workers, 7);
	CU_ASSERT_STRING_EQUAL(c.log_level, "error");
	/* A second text applies over the first. */
	CU_ASSERT_EQUAL(config_load_string(&c, "more", "[server]\nmax_body = 2k\n",
					   err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.workers, 7);
	CU_ASSERT_EQUAL(c.max_body, 2048);
	config_release(&c);
	unlink(path);

	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), "[server]\n\nbogus = 1\n"), 0);
	CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
	CU_ASSERT_EQUAL(config_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: unknown key 'bogus' in [server]\n>>> bogus = 1", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	config_release(&c);
	unlink(path);

	CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
	CU_ASSERT_EQUAL(config_load_file(&c, "/nonexistent/g.conf", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/g.conf: cannot open: No such file or directory");
	config_release(&c);
}

static void test_pick_path(void)
{
	int required = -1;
	unsetenv("GENTRACK_CONFIG");
	CU_ASSERT_STRING_EQUAL(config_pick_path(NULL, &required), CONFIG_DEFAULT_PATH);
	CU_ASSERT_EQUAL(required, 0);
	setenv("GENTRACK_CONFIG", "", 1);
	CU_ASSERT_STRING_EQUAL(config_pick_path(NULL, &required), CONFIG_DEFAULT_PATH);
	CU_ASSERT_EQUAL(required, 0);
	setenv("GENTRACK_CONFIG", "/env/g.conf", 1);
	CU_ASSERT_STRING_EQUAL(config_pick_path(NULL, &required), "/env/g.conf");
	CU_ASSERT_EQUAL(required, 1);
	CU_ASSERT_STRING_EQUAL(config_pick_path("/cli/g.conf", &required), "/cli/g.conf");
	CU_ASSERT_EQUAL(required, 1);
	unsetenv("GENTRACK_CONFIG");
}

static void test_config_load(void)
{
	char path[64];
	struct config c;
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), "[limits]\nmax_count = 77\n"), 0);
	unsetenv("GENTRACK_CONFIG");
	CU_ASSERT_EQUAL(config_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.max_count, 77);
	CU_ASSERT_EQUAL(c.workers, 4); /* the rest are defaults */
	config_release(&c);

	setenv("GENTRACK_CONFIG", path, 1);
	CU_ASSERT_EQUAL(config_load(&c, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.max_count, 77);
	config_release(&c);
	unlink(path);

	/* Named explicitly or through the environment, a missing file is an error. */
	CU_ASSERT_EQUAL(config_load(&c, NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file or directory"));
	unsetenv("GENTRACK_CONFIG");
	CU_ASSERT_EQUAL(config_load(&c, "/nonexistent/g.conf", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/g.conf: cannot open: No such file or directory");
	/* A failed load leaves nothing to release; releasing anyway is safe. */
	config_release(&c);

	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), "[limits]\nmax_count = many\n"), 0);
	CU_ASSERT_EQUAL(config_load(&c, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: bad value for 'max_count' in [limits]"));
	unlink(path);
}

static void test_long_line_in_small_buffer(void)
{
	/* A huge offending line is cut to the caller's buffer, never overflowing it. */
	static char text[10000];
	memcpy(text, "[log]\nlevel = ", 14);
	memset(text + 14, 'x', sizeof(text) - 15);
	struct config c;
	char small[64];
	CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
	CU_ASSERT_EQUAL(config_load_string(&c, "t.conf", text, small, sizeof(small)), -1);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_EQUAL(strncmp(small, "t.conf:2: bad value for 'level'", 31), 0);
	config_release(&c);
}

/* Whether s is whole UTF-8 characters only. */
static int whole_utf8(const char *s)
{
	return utf8_valid(s, strlen(s));
}

/*
 * Issue 20: an operator's long line of 2-, 3- and 4-byte characters, cut to
 * a 128-byte buffer (the quoted line) and to the 512 bytes of the reason
 * (an unknown key's name): k ASCII bytes in front move each cut across the
 * bytes of a character. The message keeps whole characters only.
 */
static void test_long_text_cut_between_characters(void)
{
	static const char *const wide[] = { "\xc3\xbc", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
	static const char *const heads[] = { "[log]\nlevel = ", "[store]\n" };
	char text[1200], small[128];
	for (size_t h = 0; h < 2; h++) {
		for (size_t w = 0; w < 3; w++) {
			size_t cl = strlen(wide[w]);
			for (size_t k = 0; k < cl; k++) {
				size_t len = (size_t)snprintf(text, sizeof(text), "%s%.*s", heads[h],
							      (int)k, "xyz");
				while (len + cl < 800)
					memcpy(text + len, wide[w], cl), len += cl;
				snprintf(text + len, sizeof(text) - len, "%s", h ? " = 1\n" : "\n");
				struct config c;
				CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
				char *out = h ? err : small;
				size_t size = h ? sizeof(err) : sizeof(small);
				CU_ASSERT_EQUAL(config_load_string(&c, "t.conf", text, out, size), -1);
				CU_ASSERT(whole_utf8(out));
				CU_ASSERT(strlen(out) > (h ? 500 : size - 1 - cl));
				config_release(&c);
			}
		}
	}
}

/* The file readers' refusals, in the config's voice and in a value's. */
static void test_read_refusals(void)
{
	char path[64], text[256], want[512];
	struct config c;

	/* /dev/zero never ends: both readers stop at their cap. */
	expect_error("[store]\npassword_file = /dev/zero\n",
		     "t.conf:2: bad value for 'password_file' in [store]: '/dev/zero' is longer "
		     "than 4096 bytes\n>>> password_file = /dev/zero");
	CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
	CU_ASSERT_EQUAL(config_load_file(&c, "/dev/zero", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "/dev/zero: larger than 1048576 bytes");
	config_release(&c);

	/* A NUL byte inside: write_temp writes strings, so put it in by hand. */
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), ""), 0);
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite("pw\0x\n", 1, 5, f);
	fclose(f);
	snprintf(text, sizeof(text), "[store]\npassword_file = %s\n", path);
	snprintf(want, sizeof(want), "t.conf:2: bad value for 'password_file' in [store]: "
		 "'%s' contains a NUL byte\n>>> password_file = %s", path, path);
	expect_error(text, want);
	CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
	CU_ASSERT_EQUAL(config_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: contains a NUL byte", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	config_release(&c);
	unlink(path);

	/* A folder opens but does not read. */
	CU_ASSERT_EQUAL_FATAL(config_init(&c), 0);
	CU_ASSERT_EQUAL(config_load_file(&c, "/tmp", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "/tmp: cannot read");
	config_release(&c);
}

static const struct unit_case cases[] = {
	{ "defaults", test_defaults },
	{ "file read refusals", test_read_refusals },
	{ "every key", test_every_key },
	{ "blanks, CRLF, repeated sections", test_layout_tolerance },
	{ "quotes", test_quotes },
	{ "header example error", test_header_example_error },
	{ "structure errors", test_structure_errors },
	{ "integer values and ranges", test_int_values },
	{ "durations", test_durations },
	{ "sizes", test_sizes },
	{ "log level", test_log_level },
	{ "base_url", test_base_url },
	{ "cors_origins", test_cors_origins },
	{ "store hosts", test_store_hosts },
	{ "live peers", test_live_peers },
	{ "cross checks", test_cross_checks },
	{ "password_file", test_password_file },
	{ "booleans", test_booleans },
	{ "[metrics] token and token_file", test_metrics_token },
	{ "load_file", test_load_file },
	{ "pick_path", test_pick_path },
	{ "config_load", test_config_load },
	{ "long line in small buffer", test_long_line_in_small_buffer },
	{ "long multi-byte text is cut between characters", test_long_text_cut_between_characters },
	{ NULL, NULL },
};

UNIT_MAIN("config", cases)
