#include "build_config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/limits.h"
#include "base/number.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/utf8.h"
#include "base/banned.h"

/* Far beyond any sane config or password file; stops reading /dev/zero forever. */
#define CONFIG_MAX_FILE (1024 * 1024)
#define CONFIG_MAX_PASSWORD 4096
#define MIB ((int64_t)1024 * 1024)
/* Ten years: long enough for any timeout, short enough for microsecond math. */
#define TEN_YEARS ((int64_t)3650 * 86400)

enum cfg_type {
	CFG_STRING,        /* any text */
	CFG_NONEMPTY,      /* any text but "" */
	CFG_INT,           /* int in min..max */
	CFG_DURATION,      /* int64_t seconds in min..max */
	CFG_SIZE,          /* size_t bytes in min..max */
	CFG_PASSWORD_FILE, /* read into store_password */
	CFG_BASE_URL,
	CFG_ORIGINS,       /* "" or origins (http(s)://host[:port]) separated by blanks */
	CFG_LOG_LEVEL,
	CFG_BOOL,          /* int 0 or 1: on/off, yes/no, true/false, 1/0 */
	CFG_TOKEN,         /* "" or METRICS_TOKEN_MIN..MAX visible ASCII characters */
	CFG_TOKEN_FILE,    /* the same, read from a file into the token */
	CFG_HOSTS,         /* "host[:port], ..." into store_hosts */
	CFG_PEERS,         /* "host:port, ..." into live_peers */
};

struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	size_t offset;
	int64_t min, max;
};

#define KEY(sec, name, type, field, min, max) \
	{ sec, name, type, offsetof(struct config, field), min, max }

static const struct cfg_key keys[] = {
	KEY("store", "host", CFG_STRING, store_host, 0, 0),
	KEY("store", "port", CFG_INT, store_port, 1, 65535),
	KEY("store", "hosts", CFG_HOSTS, store_hosts, 0, 0),
	KEY("store", "socket", CFG_STRING, store_socket, 0, 0),
	KEY("store", "user", CFG_NONEMPTY, store_user, 0, 0),
	KEY("store", "password", CFG_STRING, store_password, 0, 0),
	KEY("store", "password_file", CFG_PASSWORD_FILE, store_password, 0, 0),
	KEY("store", "database", CFG_NONEMPTY, store_database, 0, 0),
	KEY("store", "connect_timeout", CFG_DURATION, store_connect_timeout, 1, 3600),
	KEY("store", "migrations_dir", CFG_NONEMPTY, migrations_dir, 0, 0),
	KEY("server", "listen", CFG_STRING, listen, 0, 0),
	KEY("server", "workers", CFG_INT, workers, 1, 256),
	KEY("server", "max_body", CFG_SIZE, max_body, 1, 16 * MIB),
	KEY("server", "base_url", CFG_BASE_URL, base_url, 0, 0),
	KEY("limits", "max_count", CFG_INT, max_count, 1, REQUESTED_COUNT_MAX),
	KEY("limits", "default_lease", CFG_DURATION, default_lease, 1, LEASE_SECONDS_MAX),
	KEY("limits", "max_lease", CFG_DURATION, max_lease, 1, LEASE_SECONDS_MAX),
	KEY("limits", "max_attempts", CFG_INT, max_attempts, 1, 100),
	KEY("limits", "stale_after", CFG_DURATION, stale_after, 1, TEN_YEARS),
	KEY("limits", "pending_timeout", CFG_DURATION, pending_timeout, 1, TEN_YEARS),
	KEY("limits", "idempotency_ttl", CFG_DURATION, idempotency_ttl, 1, TEN_YEARS),
	KEY("limits", "list_limit", CFG_INT, list_limit, 1, 1000),
	KEY("limits", "list_max", CFG_INT, list_max, 1, 1000),
	KEY("limits", "max_pending_per_owner", CFG_INT, max_pending_per_owner, 0, OWNER_LIMIT_MAX),
	KEY("limits", "max_processing_per_owner", CFG_INT, max_processing_per_owner, 0,
	    OWNER_LIMIT_MAX),
	KEY("log", "level", CFG_LOG_LEVEL, log_level, 0, 0),
	KEY("live", "nchan_socket", CFG_STRING, nchan_socket, 0, 0),
	KEY("live", "peers", CFG_PEERS, live_peers, 0, 0),
	KEY("tokens", "status_token_ttl", CFG_DURATION, status_token_ttl, 60, 30 * 86400),
	KEY("tokens", "allow_cancel", CFG_BOOL, token_allow_cancel, 0, 0),
	KEY("http", "cors_origins", CFG_ORIGINS, cors_origins, 0, 0),
	KEY("metrics", "allow_loopback", CFG_BOOL, metrics_allow_loopback, 0, 0),
	KEY("metrics", "token", CFG_TOKEN, metrics_token, 0, 0),
	KEY("metrics", "token_file", CFG_TOKEN_FILE, metrics_token, 0, 0),
	KEY("webhooks", "allow_private", CFG_BOOL, webhooks_allow_private, 0, 0),
	KEY("webhooks", "retry_schedule_divisor", CFG_INT, webhooks_retry_divisor, 1, 1000000),
	KEY("webhooks", "timeout_seconds", CFG_INT, webhooks_timeout_s, 1, 15),
	KEY("webhooks", "lease_seconds", CFG_INT, webhooks_lease_s, 2, 3600),
	KEY("claims", "fair_share", CFG_BOOL, claims_fair_share, 0, 0),
};

static const char *const sections[] = { "store", "server", "limits", "log", "live", "tokens",
					"metrics", "http", "webhooks", "claims" };

static char *dup_mem(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Replaces *slot with a copy of s; the old value stays on allocation failure. */
static int set_string(char **slot, const char *s)
{
	char *p = dup_mem(s, strlen(s));
	if (!p)
		return -1;
	free(*slot);
	*slot = p;
	return 0;
}

int config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	if (set_string(&c->store_host, "") ||
	    set_string(&c->store_socket, "/run/mysqld/mysqld.sock") ||
	    set_string(&c->store_user, "gentrack") ||
	    set_string(&c->store_password, "") ||
	    set_string(&c->store_database, "gentrack") ||
	    set_string(&c->migrations_dir, GENTRACK_SQL_DIR) ||
	    set_string(&c->listen, "") ||
	    set_string(&c->base_url, "") ||
	    set_string(&c->log_level, "info") ||
	    set_string(&c->nchan_socket, "") ||
	    set_string(&c->cors_origins, "") ||
	    set_string(&c->metrics_token, "")) {
		config_release(c);
		return -1;
	}
	c->store_port = 3306;
	c->store_connect_timeout = 5;
	c->workers = 4;
	c->max_body = 64 * 1024;
	c->max_count = 10;
	c->default_lease = 60;
	c->max_lease = 3600;
	c->max_attempts = 3;
	c->stale_after = 600;
	c->pending_timeout = 3600;
	c->idempotency_ttl = 24 * 3600;
	c->list_limit = 20;
	c->list_max = 100;
	c->status_token_ttl = 24 * 3600;
	c->token_allow_cancel = 1;
	c->claims_fair_share = 1;
	c->webhooks_retry_divisor = 1;
	c->webhooks_timeout_s = 15;
	c->webhooks_lease_s = 60;
	return 0;
}

void config_release(struct config *c)
{
	char **strings[] = {
		&c->store_host, &c->store_socket, &c->store_user, &c->store_password,
		&c->store_database, &c->migrations_dir, &c->listen, &c->base_url,
		&c->log_level, &c->nchan_socket, &c->metrics_token, &c->cors_origins,
	};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
}

/* Sizes take KiB and MiB suffixes, either case. */
static const struct number_unit size_units[] = {
	{ 'k', 1024 }, { 'K', 1024 }, { 'm', MIB }, { 'M', MIB }, { '\0', 0 },
};

/* "https://host[:port]" with nothing after the authority; a trailing '/' is dropped. */
static int check_base_url(char *v);

/* Each blank-separated word an origin: what check_base_url takes, less any
 * trailing '/' (a browser's Origin header has none, and compares exactly). */
static int check_origins(const char *v)
{
	char one[256];
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " \t");
		if (n) {
			if (n >= sizeof(one) || p[n - 1] == '/')
				return -1;
			memcpy(one, p, n);
			one[n] = '\0';
			if (check_base_url(one) < 0)
				return -1;
		}
		p += n;
		p += strspn(p, " \t");
	}
	return 0;
}

static int check_base_url(char *v)
{
	size_t len = strlen(v);
	if (len == 0)
		return 0;
	while (len > 0 && v[len - 1] == '/')
		v[--len] = '\0';
	const char *host;
	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		return -1;
	if (*host == '\0' || *host == ':')
		return -1;
	/* A DNS host name or IP address ([IPv6] too) and :port, nothing else: it is put in
	 * front of a path in the Operation-Location header. */
	for (const char *p = host; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == ':' ||
		      ch == '[' || ch == ']'))
			return -1;
	}
	return 0;
}

/* How read_capped went; errno still says why for READ_CANNOT_OPEN. */
enum read_status {
	READ_OK,
	READ_CANNOT_OPEN,
	READ_TOO_LARGE,
	READ_CANNOT_READ,
	READ_HAS_NUL,
	READ_NO_MEMORY,
};

/*
 * The whole of path into sb (released by the caller either way), refused
 * past max bytes, so that a path like /dev/zero cannot make us read forever.
 */
static enum read_status read_capped(const char *path, size_t max, struct strbuf *sb)
{
	enum read_status st = READ_OK;
	FILE *f = fopen(path, "rb");
	if (!f)
		return READ_CANNOT_OPEN;
	char chunk[4096];
	size_t n;
	while (st == READ_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (sb->len + n > max)
			st = READ_TOO_LARGE;
		else
			strbuf_add(sb, chunk, n);
	}
	if (st == READ_OK && ferror(f))
		st = READ_CANNOT_READ;
	else if (st == READ_OK && sb->oom)
		st = READ_NO_MEMORY;
	else if (st == READ_OK && memchr(sb->buf, '\0', sb->len))
		st = READ_HAS_NUL;
	fclose(f);
	return st;
}

/*
 * Says why read_capped failed. A config file's own errors start with its
 * path, as every error about the file does; a password_file's error is the
 * detail of a bad value ("bad value for 'password_file' ...: "), so there the
 * path is quoted inside the sentence.
 */
static void read_failure(enum read_status st, const char *path, size_t max, int as_value,
			 char *why, size_t whylen)
{
	const char *sys = strerror(errno);
	switch (st) {
	case READ_OK:
		break;
	case READ_CANNOT_OPEN:
		if (as_value)
			utf8_snprintf(why, whylen, "cannot open '%s': %s", path, sys);
		else
			utf8_snprintf(why, whylen, "%s: cannot open: %s", path, sys);
		break;
	case READ_TOO_LARGE:
		if (as_value)
			utf8_snprintf(why, whylen, "'%s' is longer than %zu bytes", path, max);
		else
			utf8_snprintf(why, whylen, "%s: larger than %zu bytes", path, max);
		break;
	case READ_CANNOT_READ:
		if (as_value)
			utf8_snprintf(why, whylen, "cannot read '%s'", path);
		else
			utf8_snprintf(why, whylen, "%s: cannot read", path);
		break;
	case READ_HAS_NUL:
		if (as_value)
			utf8_snprintf(why, whylen, "'%s' contains a NUL byte", path);
		else
			utf8_snprintf(why, whylen, "%s: contains a NUL byte", path);
		break;
	case READ_NO_MEMORY:
		if (as_value)
			snprintf(why, whylen, "out of memory");
		else
			utf8_snprintf(why, whylen, "%s: out of memory", path);
		break;
	}
}

/* Reads a password file into *out, without its trailing newline. */
static int read_password_file(const char *path, char **out, char *why, size_t whylen)
{
	int rc = -1;
	struct strbuf sb = STRBUF_INIT;
	enum read_status st = read_capped(path, CONFIG_MAX_PASSWORD, &sb);
	if (st != READ_OK) {
		read_failure(st, path, CONFIG_MAX_PASSWORD, 1, why, whylen);
		goto cleanup;
	}
	if (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
		sb.len--;
	if (sb.len > 0 && sb.buf[sb.len - 1] == '\r')
		sb.len--;
	char *p = dup_mem(sb.buf, sb.len);
	if (!p) {
		snprintf(why, whylen, "out of memory");
		goto cleanup;
	}
	free(*out);
	*out = p;
	rc = 0;
cleanup:
	strbuf_release(&sb);
	return rc;
}

/* A metrics token: sent as "Authorization: Bearer <token>", long enough not to be guessed. */
static int check_token(const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);
	if (n == 0)
		return 0;
	int visible = 1;
	for (size_t i = 0; i < n; i++)
		visible &= v[i] > ' ' && v[i] < 0x7f;
	if (!visible || n < METRICS_TOKEN_MIN || n > METRICS_TOKEN_MAX) {
		snprintf(why, whylen, "must be %d to %d visible ASCII characters, no blanks "
			 "(e.g. openssl rand -hex 32)", METRICS_TOKEN_MIN, METRICS_TOKEN_MAX);
		return -1;
	}
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			*out = !strcmp(v, yes[i]);
			return 0;
		}
	}
	return -1;
}

/* A token file: a password file (one trailing newline dropped) holding a valid token. */
static int read_token_file(const char *path, char **out, char *why, size_t whylen)
{
	char *token = NULL;
	int rc = read_password_file(path, &token, why, whylen);
	if (rc == 0 && *token == '\0') {
		snprintf(why, whylen, "'%s' is empty", path);
		rc = -1;
	}
	if (rc == 0 && check_token(token, why, whylen) < 0)
		rc = -1;
	if (rc == 0) {
		free(*out);
		*out = token;
		token = NULL;
	}
	free(token);
	return rc;
}

static const char *trim(const char *s, size_t *len);

/* A host name or an IPv4 address, or an IPv6 one in brackets: no blanks,
 * nothing MariaDB's connector would read as something else. */
static int host_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > CONFIG_HOST_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == ':' ||
		      ch == '[' || ch == ']' || ch == '_'))
			return 0;
	}
	return 1;
}

/* One "host[:port]" of a hosts list; an IPv6 address goes in brackets. */
static int parse_one_host(const char *s, size_t n, struct config_host *h)
{
	size_t name_len = n;
	const char *name = s;
	int64_t port = 0;
	const char *colon = NULL;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return -1;
		name = s + 1;
		name_len = (size_t)(close - name);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return -1;
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', n);
		if (colon)
			name_len = (size_t)(colon - s);
	}
	if (colon) {
		char digits[8];
		size_t dn = (size_t)(s + n - colon - 1);
		if (dn == 0 || dn >= sizeof(digits))
			return -1;
		memcpy(digits, colon + 1, dn);
		digits[dn] = '\0';
		if (number_parse(digits, NULL, &port) < 0 || port < 1 || port > 65535)
			return -1;
	}
	if (!host_name_ok(name, name_len) || (s[0] != '[' && memchr(name, ':', name_len)))
		return -1;
	memcpy(h->name, name, name_len);
	h->name[name_len] = '\0';
	h->port = (int)port;
	return 0;
}

/*
 * "host[:port], host[:port], ..." into out[0..max), *n set; "" clears the
 * list. need_port: a missing port is an error (a peer has no default).
 */
static int parse_host_list(const char *v, struct config_host *out, unsigned *n_out,
			   unsigned max, int need_port)
{
	struct config_host hosts[CONFIG_HOSTS_MAX > CONFIG_LIVE_PEERS_MAX ?
				 CONFIG_HOSTS_MAX : CONFIG_LIVE_PEERS_MAX];
	unsigned n = 0;

	/* Values come trimmed. Every comma separates two entries: "a," is a
	 * mistake, not one host. */
	int dangling = *v && v[strlen(v) - 1] == ',';
	for (const char *p = v; *p;) {
		size_t len = strcspn(p, ",");
		const char *item = trim(p, &len);
		if (dangling || len == 0 || n == max || parse_one_host(item, len, &hosts[n]) < 0 ||
		    (need_port && hosts[n].port == 0))
			return -1;
		n++;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	memcpy(out, hosts, n * sizeof(hosts[0]));
	*n_out = n;
	return 0;
}

static int parse_hosts(struct config *c, const char *v, char *why, size_t whylen)
{
	if (parse_host_list(v, c->store_hosts, &c->store_n_hosts, CONFIG_HOSTS_MAX, 0) == 0)
		return 0;
	snprintf(why, whylen, "must be host[:port] separated by commas, "
		 "at most %d of them (e.g. 10.0.0.1:3306, 10.0.0.2:3306)", CONFIG_HOSTS_MAX);
	return -1;
}

static int parse_peers(struct config *c, const char *v, char *why, size_t whylen)
{
	if (parse_host_list(v, c->live_peers, &c->live_n_peers, CONFIG_LIVE_PEERS_MAX, 1) == 0)
		return 0;
	snprintf(why, whylen, "must be host:port separated by commas, at most %d of them "
		 "(the other hosts' Nchan publishers, e.g. 10.0.0.2:8089, 10.0.0.3:8089)",
		 CONFIG_LIVE_PEERS_MAX);
	return -1;
}

static void range_text(const struct cfg_key *k, char *buf, size_t len)
{
	if (k->type == CFG_DURATION)
		snprintf(buf, len, "must be a duration (600, 90s, 10m, 1h, 7d) from %llds to %llds",
			 (long long)k->min, (long long)k->max);
	else if (k->type == CFG_SIZE)
		snprintf(buf, len, "must be a size (65536, 64k, 1M) from %lld to %lld bytes",
			 (long long)k->min, (long long)k->max);
	else
		snprintf(buf, len, "must be %lld..%lld", (long long)k->min, (long long)k->max);
}

/* Stores value v (NUL-terminated, may be modified) for key k. 0, or -1 with why set. */
static int apply(struct config *c, const struct cfg_key *k, char *v, char *why, size_t whylen)
{
	char *base = (char *)c + k->offset;
	int64_t n;

	switch (k->type) {
	case CFG_NONEMPTY:
		if (*v == '\0') {
			snprintf(why, whylen, "must not be empty");
			return -1;
		}
		/* fall through */
	case CFG_STRING:
		break;
	case CFG_INT:
		if (number_parse(v, NULL, &n) < 0 || n < k->min || n > k->max)
			goto range;
		*(int *)(void *)base = (int)n;
		return 0;
	case CFG_DURATION:
		if (time_parse_duration(v, &n) < 0 || n < k->min || n > k->max)
			goto range;
		*(int64_t *)(void *)base = n;
		return 0;
	case CFG_SIZE:
		if (number_parse(v, size_units, &n) < 0 || n < k->min || n > k->max)
			goto range;
		*(size_t *)(void *)base = (size_t)n;
		return 0;
	case CFG_PASSWORD_FILE:
		if (*v == '\0') /* "" is the default: the password key applies */
			return 0;
		return read_password_file(v, (char **)(void *)base, why, whylen);
	case CFG_BASE_URL:
		if (check_base_url(v) < 0) {
			snprintf(why, whylen, "must be http(s)://host[:port] with no path");
			return -1;
		}
		break;
	case CFG_ORIGINS:
		if (check_origins(v) < 0) {
			snprintf(why, whylen, "must be origins as browsers send them, "
				 "http(s)://host[:port] with no path, separated by blanks");
			return -1;
		}
		break;
	case CFG_LOG_LEVEL:
		if (strcmp(v, "debug") && strcmp(v, "info") && strcmp(v, "warn") &&
		    strcmp(v, "error")) {
			snprintf(why, whylen, "must be debug, info, warn or error");
			return -1;
		}
		break;
	case CFG_BOOL:
		if (parse_bool(v, (int *)(void *)base) < 0) {
			snprintf(why, whylen, "must be on or off (yes/no, true/false, 1/0)");
			return -1;
		}
		return 0;
	case CFG_TOKEN:
		if (check_token(v, why, whylen) < 0)
			return -1;
		break;
	case CFG_TOKEN_FILE:
		return *v ? read_token_file(v, (char **)(void *)base, why, whylen) : 0;
	case CFG_HOSTS:
		return parse_hosts(c, v, why, whylen);
	case CFG_PEERS:
		return parse_peers(c, v, why, whylen);
	}
	if (set_string((char **)(void *)base, v) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
range:
	range_text(k, why, whylen);
	return -1;
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Trims blanks around s[0..*len) and returns the new start. */
static const char *trim(const char *s, size_t *len)
{
	size_t n = *len;
	while (n > 0 && is_blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	*len = n;
	return s;
}

static int slice_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/*
 * Handles one line. 0, or -1 with the reason in why. *section is the index
 * into sections[] of the current section, -1 before the first header.
 */
static int parse_line(struct config *c, const char *line, size_t len, int *section,
		      char *why, size_t whylen)
{
	const char *s = trim(line, &len);
	if (len == 0 || *s == '#' || *s == ';')
		return 0;

	if (*s == '[') {
		if (s[len - 1] != ']' || len < 2) {
			snprintf(why, whylen, "section header without closing ']'");
			return -1;
		}
		size_t nlen = len - 2;
		const char *name = trim(s + 1, &nlen);
		for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
			if (slice_is(name, nlen, sections[i])) {
				*section = (int)i;
				return 0;
			}
		}
		utf8_snprintf(why, whylen, "unknown section [%.*s]", (int)nlen, name);
		return -1;
	}

	const char *eq = memchr(s, '=', len);
	if (!eq) {
		snprintf(why, whylen, "expected 'key = value' or '[section]'");
		return -1;
	}
	size_t klen = (size_t)(eq - s);
	const char *key = trim(s, &klen);
	size_t vlen = len - (size_t)(eq - s) - 1;
	const char *val = trim(eq + 1, &vlen);
	if (klen == 0) {
		snprintf(why, whylen, "missing key before '='");
		return -1;
	}
	if (*section < 0) {
		utf8_snprintf(why, whylen, "key '%.*s' outside a section", (int)klen, key);
		return -1;
	}
	const char *sec = sections[*section];
	const struct cfg_key *k = NULL;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, sec) == 0 && slice_is(key, klen, keys[i].name)) {
			k = &keys[i];
			break;
		}
	}
	if (!k) {
		utf8_snprintf(why, whylen, "unknown key '%.*s' in [%s]", (int)klen, key, sec);
		return -1;
	}
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
		val++;
		vlen -= 2;
	}
	char *v = dup_mem(val, vlen);
	if (!v) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	char detail[256];
	int rc = apply(c, k, v, detail, sizeof(detail));
	if (rc < 0)
		utf8_snprintf(why, whylen, "bad value for '%s' in [%s]: %s", k->name, sec, detail);
	free(v);
	return rc;
}

int config_load_string(struct config *c, const char *name, const char *text,
		       char *err, size_t errlen)
{
	int section = -1;
	int lineno = 0;
	char why[512];

	for (const char *p = text; *p; ) {
		size_t n = strcspn(p, "\n");
		const char *line = p;
		p += n + (p[n] == '\n');
		lineno++;
		size_t len = n;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (parse_line(c, line, len, &section, why, sizeof(why)) < 0) {
			utf8_snprintf(err, errlen, "%s:%d: %s\n>>> %.*s", name, lineno, why,
				      (int)len, line);
			return -1;
		}
	}
	/* Checked once at the end, so the keys may come in any order. */
	if (c->default_lease > c->max_lease) {
		utf8_snprintf(err, errlen, "%s: default_lease (%llds) is greater than max_lease (%llds)",
			      name, (long long)c->default_lease, (long long)c->max_lease);
		return -1;
	}
	/* The peers get this host's publishes: without its own Nchan there are none. */
	if (c->live_n_peers > 0 && !c->nchan_socket[0]) {
		utf8_snprintf(err, errlen, "%s: [live] peers needs [live] nchan_socket "
			      "(this host's own Nchan publisher)", name);
		return -1;
	}
	if (c->list_limit > c->list_max) {
		utf8_snprintf(err, errlen, "%s: list_limit (%d) is greater than list_max (%d)",
			      name, c->list_limit, c->list_max);
		return -1;
	}
	return 0;
}

/*
 * Reads path into a NUL-terminated string. When missing_ok and the file does
 * not exist, returns 0 with *text NULL.
 */
static int read_file(const char *path, int missing_ok, char **text, char *err, size_t errlen)
{
	int rc = -1;
	struct strbuf sb = STRBUF_INIT;
	*text = NULL;
	enum read_status st = read_capped(path, CONFIG_MAX_FILE, &sb);
	if (st == READ_CANNOT_OPEN && missing_ok && errno == ENOENT) {
		rc = 0;
		goto cleanup;
	}
	if (st != READ_OK) {
		read_failure(st, path, CONFIG_MAX_FILE, 0, err, errlen);
		goto cleanup;
	}
	*text = strbuf_detach(&sb, NULL);
	if (!*text) {
		utf8_snprintf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	rc = 0;
cleanup:
	strbuf_release(&sb);
	return rc;
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	char *text;
	if (read_file(path, 0, &text, err, errlen) < 0)
		return -1;
	int rc = config_load_string(c, path, text, err, errlen);
	free(text);
	return rc;
}

const char *config_pick_path(const char *explicit_path, int *required)
{
	if (explicit_path) {
		*required = 1;
		return explicit_path;
	}
	const char *env = getenv("GENTRACK_CONFIG");
	if (env && *env) {
		*required = 1;
		return env;
	}
	*required = 0;
	return CONFIG_DEFAULT_PATH;
}

int config_load(struct config *c, const char *explicit_path, char *err, size_t errlen)
{
	int required;
	const char *path = config_pick_path(explicit_path, &required);
	char *text = NULL;
	int rc = -1;

	if (config_init(c) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (read_file(path, !required, &text, err, errlen) < 0)
		goto cleanup;
	if (text && config_load_string(c, path, text, err, errlen) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	free(text);
	if (rc < 0)
		config_release(c);
	return rc;
}
