#include "build_config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "web/http.h"
#include "base/log.h"
#include "web/pool.h"
#include "base/banned.h"

#define MAX_WORKERS 256
/* A child that dies sooner than this after its start is restarted after a pause. */
#define FAST_DEATH_SECONDS 1
#define SHUTDOWN_GRACE_SECONDS 60

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t child_exited;
static volatile sig_atomic_t hangup_received;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	/* Makes a child's FCGX_Accept_r return instead of accepting again. */
	http_shutdown_pending();
}

static void on_sigchld(int sig)
{
	(void)sig;
	child_exited = 1;
}

/* The configuration is read once, before the fork: SIGHUP (a habit from
 * daemons that reload) must not end the supervisor and orphan its children. */
static void on_hangup(int sig)
{
	(void)sig;
	hangup_received = 1;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked accept() or pause must see EINTR. */
	sigaction(sig, &sa, NULL);
}

static sigset_t stop_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return set;
}

int pool_child_should_stop(void)
{
	return stop_requested;
}

void pool_child_busy(void)
{
	sigset_t set = stop_signals();
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void pool_child_idle(void)
{
	sigset_t set = stop_signals();
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

struct slot {
	pid_t pid;          /* 0 when the slot has no child */
	time_t started;     /* when the current (or last) child was forked */
	time_t not_before;  /* no restart before this time */
};

static pid_t spawn(pool_child_fn child_main, void *ctx)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* Child: default SIGCHLD, our stop handler, no signal blocked, then the accept loop. */
	sigset_t none;
	sigemptyset(&none);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	set_handler(SIGTERM, on_stop_signal);
	set_handler(SIGINT, on_stop_signal);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* exit, not _exit: the child owns nothing the parent's atexit handlers
	 * would double-free, and LeakSanitizer checks the request path on exit. */
	exit(child_main(ctx));
}

static int live_children(const struct slot *slots, int n)
{
	int live = 0;
	for (int i = 0; i < n; i++)
		live += slots[i].pid != 0;
	return live;
}

static void signal_children(const struct slot *slots, int n, int sig)
{
	for (int i = 0; i < n; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, sig);
}

/* Collects exited children, logging the ones that were not asked to stop. */
static void reap(struct slot *slots, int n, int stopping)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < n; i++) {
			if (slots[i].pid != pid)
				continue;
			slots[i].pid = 0;
			if (stopping)
				break;
			/* A child that dies at once would otherwise be forked in a tight loop. */
			time_t now = time(NULL);
			if (now - slots[i].started < FAST_DEATH_SECONDS)
				slots[i].not_before = now + 1;
			if (WIFSIGNALED(status))
				log_warn("worker %ld killed by signal %d; restarting", (long)pid,
					 WTERMSIG(status));
			else
				log_warn("worker %ld exited with status %d; restarting", (long)pid,
					 WEXITSTATUS(status));
			break;
		}
	}
}

int pool_run(int workers, pool_child_fn child_main, void *ctx, pool_tick_fn on_tick,
	     void *tick_ctx)
{
	struct slot slots[MAX_WORKERS];
	sigset_t chld, empty;
	time_t stop_at = 0;

	if (workers < 1 || workers > MAX_WORKERS)
		return 1;
	memset(slots, 0, sizeof(slots));
	set_handler(SIGTERM, on_stop_signal);
	set_handler(SIGINT, on_stop_signal);
	set_handler(SIGCHLD, on_sigchld);
	set_handler(SIGHUP, on_hangup);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&empty);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigaddset(&chld, SIGTERM);
	sigaddset(&chld, SIGINT);
	sigaddset(&chld, SIGHUP);
	/* Signals are only taken while sleeping below, never mid-bookkeeping. */
	sigprocmask(SIG_BLOCK, &chld, NULL);

	for (;;) {
		time_t now = time(NULL);
		if (!stop_requested) {
			for (int i = 0; i < workers; i++) {
				if (slots[i].pid || now < slots[i].not_before)
					continue;
				pid_t pid = spawn(child_main, ctx);
				if (pid < 0) {
					log_error("fork failed: %s", strerror(errno));
					break;
				}
				slots[i].pid = pid;
				slots[i].started = now;
			}
		} else if (!stop_at) {
			log_info("stopping: letting %d workers finish their requests",
				 live_children(slots, workers));
			stop_at = now + SHUTDOWN_GRACE_SECONDS;
			signal_children(slots, workers, SIGTERM);
		}
		if (stop_requested && live_children(slots, workers) == 0)
			break;
		if (stop_at && now >= stop_at) {
			log_warn("workers still busy after %d s; killing them", SHUTDOWN_GRACE_SECONDS);
			signal_children(slots, workers, SIGKILL);
		}

		/* Sleep until a signal, or 1 s (to re-send SIGTERM to a child that
		 * took it just before blocking in accept and so never saw EINTR). */
		struct timespec tick = { 1, 0 };
		sigset_t mask = empty;
		sigprocmask(SIG_SETMASK, &mask, NULL);
		nanosleep(&tick, NULL);
		sigprocmask(SIG_BLOCK, &chld, NULL);
		if (hangup_received) {
			hangup_received = 0;
			log_info("SIGHUP ignored: the configuration is read at start; "
				 "restart gentrack-fcgi to apply a change");
		}
		if (child_exited) {
			child_exited = 0;
			reap(slots, workers, stop_requested);
		}
		if (stop_at)
			signal_children(slots, workers, SIGTERM);
		else if (on_tick && !stop_requested)
			on_tick(tick_ctx);
	}
	log_info("stopped");
	return 0;
}
