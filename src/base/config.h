#ifndef GENTRACK_CONFIG_H
#define GENTRACK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/*
 * The one INI file shared by gentrack-fcgi, gentrackctl and gentrack-worker.
 *
 *	# comment            ; comment too
 *	[store]
 *	socket = /run/mysqld/mysqld.sock
 *
 * Keys live in sections; a key outside its section, an unknown section or
 * key, a bad value and a line that is neither are errors that name the file,
 * the line number and print the offending line (like redis' config errors):
 *
 *	gentrack.conf:12: bad value for 'workers' in [server]: must be 1..256
 *	>>> workers = lots
 *
 * Values are the rest of the line after '=', trimmed of blanks; an optional
 * pair of double quotes around the whole value is removed. Durations take the
 * units of time_parse_duration() ("600", "10m", "1h", "7d"); sizes take an
 * optional k/K or m/M suffix (KiB / MiB). After the whole text is read,
 * default_lease <= max_lease and list_limit <= list_max are checked (an
 * error naming the file but no line, so the keys may come in any order).
 *
 * Every key and its default (also in README.md, "Configuration"):
 *
 * [store]   host (""), port (3306), socket ("/run/mysqld/mysqld.sock"),
 *           user ("gentrack"), password (""), password_file ("": else read
 *           the password from this file, one trailing newline dropped),
 *           database ("gentrack"), connect_timeout (5s),
 *           migrations_dir (GENTRACK_SQL_DIR, set by configure)
 *           hosts (""): several store nodes (a Galera cluster), as
 *           "host[:port], host[:port], ..." (at most CONFIG_HOSTS_MAX; a
 *           missing port is `port`'s); a connection goes to the first that
 *           answers and fails over to the next when its node is lost.
 *           hosts wins over host; when host is set, TCP to host:port is
 *           used; with neither, the socket.
 * [server]  listen ("": the socket passed on fd 0), workers (4),
 *           max_body (64k), base_url ("": derive from the request's Host;
 *           else http:// or https:// and host[:port], a trailing '/' dropped)
 * [limits]  max_count (10), default_lease (60s), max_lease (3600s),
 *           max_attempts (3), stale_after (600s), pending_timeout (3600s),
 *           idempotency_ttl (24h), list_limit (20), list_max (100),
 *           max_pending_per_owner (0), max_processing_per_owner (0)
 * [log]     level ("info": one of debug, info, warn, error)
 * [live]    nchan_socket ("": no live updates; else the unix socket of this
 *           host's Nchan publisher), peers (""): the other app hosts'
 *           Nchan publisher servers, "host:port, ..." (at most
 *           CONFIG_LIVE_PEERS_MAX, port required; needs nchan_socket):
 *           every change is published to each of them too (README
 *           "Scaling out").
 * [metrics] allow_loopback (off: on lets any loopback address read /metrics
 *           without credentials), token (""; else 32 to 512 visible ASCII
 *           characters that open /metrics as "Authorization: Bearer TOKEN"),
 *           token_file ("": else read the token from this file, as
 *           password_file). An admin's Basic credentials always do.
 * Booleans take on/off, yes/no, true/false, 1/0.
 */

#ifndef GENTRACK_SQL_DIR
#define GENTRACK_SQL_DIR "/usr/local/share/gentrack/sql"
#endif
#define CONFIG_DEFAULT_PATH "/etc/gentrack/gentrack.conf"

/* At most this many store nodes in [store] hosts. */
#define CONFIG_HOSTS_MAX 8
/* The longest host name or address of one of them. */
#define CONFIG_HOST_NAME_MAX 255

/* At most this many other app hosts in [live] peers. */
#define CONFIG_LIVE_PEERS_MAX 8

/* One store node of [store] hosts, or one host of [live] peers. */
struct config_host {
	char name[CONFIG_HOST_NAME_MAX + 1];
	int port;                   /* 1..65535; 0 = the [store] port */
};

struct config {
	/* [store] */
	char *store_host;           /* "" = use the unix socket */
	struct config_host store_hosts[CONFIG_HOSTS_MAX]; /* [store] hosts, in order of preference */
	unsigned store_n_hosts;     /* 0 = host (or the socket) */
	int store_port;             /* 1..65535 */
	char *store_socket;
	char *store_user;
	char *store_password;       /* from password or password_file */
	char *store_database;
	int64_t store_connect_timeout; /* seconds, 1..3600 */
	char *migrations_dir;

	/* [server] */
	char *listen;               /* "" = fd 0; a path, or host:port */
	int workers;                /* 1..256 */
	size_t max_body;            /* bytes, 1..(16 MiB) */
	char *base_url;             /* "" or "https://host[:port]" without trailing '/' */

	/* [limits] */
	int max_count;              /* 1..100000 */
	int64_t default_lease;      /* seconds, 1..max_lease */
	int64_t max_lease;          /* seconds, 1..86400 */
	int max_attempts;           /* 1..100 */
	int64_t stale_after;        /* seconds, 1..3650 days */
	int64_t pending_timeout;    /* seconds, 1..3650 days */
	int64_t idempotency_ttl;    /* seconds, 1..3650 days */
	int list_limit;             /* 1..list_max */
	int list_max;               /* 1..1000 */
	int max_pending_per_owner;  /* 0..OWNER_LIMIT_MAX, 0 = none: creates past it get 429;
	                             * an owner's row in owner_limits overrides it */
	int max_processing_per_owner; /* 0..OWNER_LIMIT_MAX, 0 = none: claims leave the
	                             * owner's requests past it pending */

	/* [log] */
	char *log_level;            /* "debug", "info", "warn" or "error" */

	/* [tokens] */
	int64_t status_token_ttl;   /* seconds a request's status token lives, 60..30 days */
	int token_allow_cancel;     /* 1: a status token may cancel its request (the default) */

	/* [live] */
	char *nchan_socket;         /* nginx's unix socket with the Nchan publisher; "" = no live updates */
	struct config_host live_peers[CONFIG_LIVE_PEERS_MAX]; /* the other hosts' publishers, port set */
	unsigned live_n_peers;      /* 0 = this host's Nchan only */

	/* [http] */
	char *cors_origins;         /* "" or blank-separated origins allowed to call the token routes */

	/* [metrics] */
	int metrics_allow_loopback; /* 0 or 1 */
	char *metrics_token;        /* "" = none; a secret */

	/* [webhooks] */
	int webhooks_allow_private; /* 0 or 1: endpoints on loopback/private/link-local addresses */
	int webhooks_retry_divisor; /* 1..1000000: the retry schedule divided by this; tests only */
	int webhooks_timeout_s;     /* 1..15: a delivery's POST gives up after this (default 15) */
	int webhooks_lease_s;       /* 2..3600: a deliverer's claim of a delivery lasts this
	                             * (default 60); another deliverer takes it after */

	/* [claims] */
	int claims_fair_share;      /* 0 or 1: fair share across owners (default 1); read by
	                             * creates, which tag each request for the claim order */
};

/* Fills every field with its default. 0, or -1 on allocation failure. */
int config_init(struct config *c);
/*
 * Reads the INI text of a file over the current values. 0, or -1 with a
 * message like the one above in err (the path as given is the file name).
 */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);
/* The same for text already in memory; `name` is used in messages. */
int config_load_string(struct config *c, const char *name, const char *text,
		       char *err, size_t errlen);
/*
 * Which file to read: `explicit_path` (from --config) if not NULL, else
 * $GENTRACK_CONFIG if set and non-empty, else CONFIG_DEFAULT_PATH.
 * *required is set to 1 when the file was named by either (a missing file is
 * then an error), 0 for the default path (a missing file means defaults).
 */
const char *config_pick_path(const char *explicit_path, int *required);
/*
 * config_pick_path + config_init + config_load_file in one: what every main()
 * does. 0, or -1 with err set; on failure c holds nothing to release.
 */
int config_load(struct config *c, const char *explicit_path, char *err, size_t errlen);
/* Frees the strings; safe to call twice or after a failed config_load. */
void config_release(struct config *c);

#endif
