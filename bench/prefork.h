/*
 * The pre-fork supervisor that bench/ceiling-fcgi and bench/reference-fcgi
 * share: WORKERS children accepting on one FastCGI socket (as gentrack-fcgi
 * does), no restarts (a benchmark wants to know when a child died, not hide
 * it), SIGTERM or SIGINT to the parent stops the children and removes the
 * socket. Header-only: each program is built alone by bench/run.
 */
#ifndef BENCH_PREFORK_H
#define BENCH_PREFORK_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PREFORK_MAX_WORKERS 256

static volatile sig_atomic_t prefork_stopping;

static void prefork_on_term(int sig)
{
	(void)sig;
	prefork_stopping = 1;
}

/* Runs serve(sock) in n children until stopped; 0, or 1 when one died. */
static int prefork_run(const char *prog, const char *sock_path, int sock, int n,
		       int (*serve)(int sock))
{
	pid_t kids[PREFORK_MAX_WORKERS];
	int i, died = 0;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prefork_on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n && i < PREFORK_MAX_WORKERS; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
			n = i;
			prefork_stopping = 1;
			break;
		}
		if (kids[i] == 0) {
			/* The default disposition: a TERM from the parent ends the child at once. */
			signal(SIGTERM, SIG_DFL);
			_exit(serve(sock));
		}
	}
	while (!prefork_stopping) {
		pid_t pid = wait(NULL);
		if (pid < 0 && errno != EINTR)
			break;
		if (pid > 0) {
			fprintf(stderr, "%s: child %d exited\n", prog, (int)pid);
			died = 1;
			break;
		}
	}
	for (i = 0; i < n; i++)
		kill(kids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	unlink(sock_path);
	return died;
}

#endif
