/*
 * gentrack-fcgi: the FastCGI application, a pre-forked pool of children that
 * each hold one store connection and answer one request at a time.
 */
#include "build_config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bin/routes.h"
#include "web/dispatch.h"
#include "model/auth.h"
#include "web/http.h"
#include "base/log.h"
#include "web/pool.h"
#include "store/store.h"
#include "live/publish.h"
#include "live/repair.h"
#include "base/banned.h"

struct fcgi_main {
	struct config cfg;
	int listen_fd;
	struct login_limit *logins;   /* failed admin sign-ins, shared by the children */
	struct verify_turn *verify;   /* the pool's one Argon2id turn and its last result */
};

static int child_main(void *ctx)
{
	struct fcgi_main *m = ctx;
	struct store *store = store_new(&m->cfg);
	struct http_request *req = http_request_new(m->listen_fd);
	struct http_response resp;
	struct dispatcher disp;
	int status = 0, live_on = 0;
	struct live *live = live_new(&m->cfg, &live_on);

	http_response_init(&resp);
	if (!store || !req || (live_on && !live)) {
		log_error("out of memory starting a worker");
		status = 1;
		goto cleanup;
	}
	dispatch_init(&disp, &routes_table, &m->cfg, store);
	admin_auth_share(&disp.admin_auth, m->logins, m->verify);
	/* Every change this child commits is published after its commit. */
	disp.live = live;
	if (live)
		store_set_change_listener(store, live_on_change, live);
	/* Connect up front so the first request is fast; a failure here is not
	 * fatal (the store logs why) and the next request tries again. */
	(void)store_connect(store);
	while (!pool_child_should_stop()) {
		pool_child_idle();
		if (pool_child_should_stop() || http_request_accept(req) < 0)
			break;
		pool_child_busy();
		dispatch_handle(&disp, req, &resp);
		if (http_send(req, &resp) < 0)
			log_debug("client went away before the answer was sent");
		http_request_finish(req);
	}
	/* Left the loop without being asked to: the parent restarts us. */
	if (!pool_child_should_stop())
		status = 1;
cleanup:
	http_response_release(&resp);
	http_request_free(req);
	store_free(store);
	live_free(live);
	config_release(&m->cfg);
	return status;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gentrack-fcgi [--config FILE] [--workers N] [--listen ADDR] [--pid-file FILE]\n"
		"\n"
		"  --config FILE    configuration (default $GENTRACK_CONFIG or %s)\n"
		"  --workers N      worker processes (default: [server] workers)\n"
		"  --listen ADDR    unix socket path or 127.0.0.1:PORT (default: [server] listen,\n"
		"                   or the socket on fd 0 from spawn-fcgi / systemd)\n"
		"  --pid-file FILE  write the supervisor's pid here\n",
		CONFIG_DEFAULT_PATH);
}

static int parse_workers(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 256)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "workers", required_argument, NULL, 'w' },
		{ "listen", required_argument, NULL, 'l' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fcgi_main m;
	const char *config_path = NULL, *listen_addr = NULL, *pid_file = NULL;
	int workers = 0, opt;
	char err[512];

	log_init("gentrack-fcgi");
	while ((opt = getopt_long(argc, argv, "c:w:l:p:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'l': listen_addr = optarg; break;
		case 'p': pid_file = optarg; break;
		case 'w':
			if (parse_workers(optarg, &workers) < 0) {
				fprintf(stderr, "gentrack-fcgi: --workers must be 1..256, not '%s'\n", optarg);
				return 1;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (config_load(&m.cfg, config_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "gentrack-fcgi: %s\n", err);
		return 1;
	}
	log_set_level((enum log_level)log_level_parse(m.cfg.log_level));
	if (auth_init() < 0 || http_init() < 0 || live_global_init() < 0) {
		fprintf(stderr, "gentrack-fcgi: cannot initialise libsodium, libfcgi or libcurl\n");
		config_release(&m.cfg);
		return 1;
	}
	if (!workers)
		workers = m.cfg.workers;
	m.listen_fd = http_listen(listen_addr ? listen_addr : m.cfg.listen, err, sizeof(err));
	if (m.listen_fd < 0) {
		fprintf(stderr, "gentrack-fcgi: %s\n", err);
		config_release(&m.cfg);
		return 1;
	}
	if (pid_file) {
		FILE *f = fopen(pid_file, "w");
		if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f)) {
			fprintf(stderr, "gentrack-fcgi: cannot write %s: %s\n", pid_file, strerror(errno));
			config_release(&m.cfg);
			return 1;
		}
	}
	log_info("serving with %d workers on %s", workers,
		 (listen_addr ? listen_addr : *m.cfg.listen ? m.cfg.listen : "fd 0"));
	/* Before the fork: one count of failed sign-ins for the whole pool. */
	m.logins = login_limit_new_shared(LOGIN_LIMIT_WINDOW_S * US_PER_S);
	if (!m.logins)
		log_warn("no shared memory for the sign-in limits: each child counts its own");
	m.verify = verify_turn_new_shared(ADMIN_CACHE_TTL_S * US_PER_S);
	if (!m.verify)
		log_warn("no shared memory for the sign-in checks: each child checks on its own");
	/* The supervisor republishes what the children (and gentrackctl) failed
	 * to publish; it connects to the store at its first round, after the
	 * children were forked, and they never touch its connection. */
	struct live_repair *repair = live_repair_new(&m.cfg);
	int status = pool_run(workers, child_main, &m, repair ? live_repair_tick : NULL, repair);
	live_repair_free(repair);
	login_limit_free_shared(m.logins);
	verify_turn_free_shared(m.verify);
	if (pid_file)
		unlink(pid_file);
	config_release(&m.cfg);
	return status;
}
