/*
 * gentrack-worker: the reference worker. Claims generation requests over the
 * worker API and runs a generator command once per entity (see worker.h);
 * its command line is worker/options.h.
 */
#include "build_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/log.h"
#include "worker/options.h"
#include "worker/worker.h"
#include "base/banned.h"

/* A program started with 0, 1 or 2 closed must not hand a pipe that number. */
static void open_standard_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (n >= 0 && n != fd)
			close(n);
	}
}

int main(int argc, char **argv)
{
	struct options op;
	int ret = 1;

	log_init("gentrack-worker");
	open_standard_fds();
	switch (options_parse(&op, argc, argv)) {
	case OPTIONS_GO: break;
	case OPTIONS_HELP: return 0;
	default: return 1;
	}
	if (options_load(&op) < 0)
		goto cleanup;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "gentrack-worker: cannot initialise libcurl\n");
		goto cleanup;
	}
	ret = worker_main(&op.run);
	curl_global_cleanup();
cleanup:
	options_release(&op);
	return ret;
}
