#include "build_config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "worker/generator.h"
#include "base/utf8.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "base/banned.h"

/* A child that exited while something it started still holds its pipes. */
#define LEFTOVER_MS 200
#define CHUNK 65536

struct run {
	const struct generator_opts *o;
	pid_t pid;
	int in_fd, out_fd, err_fd;  /* our ends; -1 once closed */
	size_t in_off;              /* bytes of input written */
	size_t max_output, max_stderr;
	int64_t grace_ms;
	struct strbuf out;          /* stdout, at most max_output bytes */
	char *err;                  /* the last stderr bytes: room for 2 * max_stderr */
	size_t err_len;
	int err_cut;                /* earlier stderr bytes were dropped */
	int too_large, timed_out, aborted, nomem;
	int killing, sent_kill;
	int64_t kill_at;            /* when SIGKILL follows SIGTERM */
	int reaped, lost;           /* lost: waitpid said ECHILD */
	int wstatus;
	int64_t reaped_at;
};

void generator_result_init(struct generator_result *r)
{
	r->status = GENERATOR_ERROR;
	r->entity = NULL;
	r->error = NULL;
	r->exit_code = -1;
	r->elapsed_ms = 0;
}

void generator_result_release(struct generator_result *r)
{
	json_decref(r->entity);
	free(r->error);
	generator_result_init(r);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void start_kill(struct run *r, int64_t now)
{
	if (r->killing)
		return;
	r->killing = 1;
	kill(-r->pid, SIGTERM);
	r->kill_at = now + r->grace_ms;
}

static void keep_stderr(struct run *r, const char *buf, size_t n)
{
	size_t cap = r->max_stderr;
	if (n >= cap) {
		memcpy(r->err, buf + n - cap, cap);
		r->err_cut |= r->err_len > 0 || n > cap;
		r->err_len = cap;
		return;
	}
	if (r->err_len + n > 2 * cap) {
		size_t keep = r->err_len < cap ? r->err_len : cap;
		memmove(r->err, r->err + r->err_len - keep, keep);
		r->err_len = keep;
		r->err_cut = 1;
	}
	memcpy(r->err + r->err_len, buf, n);
	r->err_len += n;
}

static void pump_input(struct run *r)
{
	const struct generator_opts *o = r->o;
	size_t rest = o->input_len - r->in_off;
	ssize_t n = write(r->in_fd, o->input + r->in_off, rest < CHUNK ? rest : CHUNK);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		/* EPIPE: the child does not want (more of) its input. */
		close_fd(&r->in_fd);
		return;
	}
	r->in_off += (size_t)n;
	if (r->in_off >= o->input_len)
		close_fd(&r->in_fd);
}

static void pump_output(struct run *r, int *fd, int is_stdout, int64_t now)
{
	char buf[CHUNK];
	ssize_t n = read(*fd, buf, sizeof(buf));
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			close_fd(fd);
		return;
	}
	if (n == 0) {
		close_fd(fd);
		return;
	}
	if (!is_stdout) {
		keep_stderr(r, buf, (size_t)n);
		return;
	}
	/* Once the child is being stopped its output is drained and dropped. */
	if (r->killing)
		return;
	if (r->out.len + (size_t)n > r->max_output) {
		r->too_large = 1;
		start_kill(r, now);
		return;
	}
	if (strbuf_add(&r->out, buf, (size_t)n) < 0) {
		r->nomem = 1;
		start_kill(r, now);
	}
}

static void try_reap(struct run *r, int64_t now)
{
	if (r->reaped)
		return;
	pid_t w = waitpid(r->pid, &r->wstatus, WNOHANG);
	if (w == r->pid || (w < 0 && errno == ECHILD)) {
		r->reaped = 1;
		r->lost = w < 0;
		r->reaped_at = now;
	}
}

/* Timeout, tick and the SIGKILL that follows a SIGTERM, as they fall due. */
static void check_clocks(struct run *r, int64_t *now, int64_t deadline, int64_t *next_tick)
{
	const struct generator_opts *o = r->o;
	if (!r->killing) {
		if (*now >= deadline) {
			r->timed_out = 1;
			start_kill(r, *now);
		} else if (*now >= *next_tick) {
			if (o->tick(o->tick_ctx)) {
				r->aborted = 1;
				start_kill(r, *now);
			}
			*now = time_mono_ms();
			*next_tick = *now + o->tick_ms;
		}
	}
	if (r->killing && !r->sent_kill && *now >= r->kill_at) {
		kill(-r->pid, SIGKILL);
		r->sent_kill = 1;
	}
}

/* How long poll may wait: until the next clock falls due, at most 100 ms. */
static int64_t poll_wait(const struct run *r, int64_t now, int64_t deadline, int64_t next_tick)
{
	/* Pipes closed, child not reaped yet: look again soon. */
	int64_t wait = r->out_fd < 0 && r->err_fd < 0 ? 5 : 100;
	if (!r->killing) {
		if (deadline - now < wait)
			wait = deadline - now;
		if (next_tick - now < wait)
			wait = next_tick - now;
	} else if (!r->sent_kill && r->kill_at - now < wait) {
		wait = r->kill_at - now;
	}
	return wait < 0 ? 0 : wait;
}

/* One poll over the open pipes, then the reads and writes it allows. -1 on EINTR. */
static int pump_pipes(struct run *r, int64_t wait)
{
	struct pollfd pfd[3];
	int nfd = 0, in_i = -1, out_i = -1, err_i = -1;
	if (r->in_fd >= 0 && !r->killing) {
		pfd[nfd] = (struct pollfd){ .fd = r->in_fd, .events = POLLOUT };
		in_i = nfd++;
	}
	if (r->out_fd >= 0) {
		pfd[nfd] = (struct pollfd){ .fd = r->out_fd, .events = POLLIN };
		out_i = nfd++;
	}
	if (r->err_fd >= 0) {
		pfd[nfd] = (struct pollfd){ .fd = r->err_fd, .events = POLLIN };
		err_i = nfd++;
	}
	if (poll(pfd, (nfds_t)nfd, (int)wait) < 0)
		return errno == EINTR ? -1 : 0;
	int64_t now = time_mono_ms();
	if (in_i >= 0 && pfd[in_i].revents)
		pump_input(r);
	if (out_i >= 0 && pfd[out_i].revents)
		pump_output(r, &r->out_fd, 1, now);
	if (err_i >= 0 && pfd[err_i].revents)
		pump_output(r, &r->err_fd, 0, now);
	return 0;
}

/* The poll loop: returns once the child is reaped and its pipes are closed. */
static void supervise(struct run *r, int64_t start)
{
	const struct generator_opts *o = r->o;
	int64_t deadline = o->timeout_ms > 0 ? start + o->timeout_ms : INT64_MAX;
	int64_t next_tick = o->tick && o->tick_ms > 0 ? start + o->tick_ms : INT64_MAX;

	for (;;) {
		int64_t now = time_mono_ms();
		try_reap(r, now);
		if (r->reaped && r->out_fd < 0 && r->err_fd < 0)
			break;
		if (r->reaped && now - r->reaped_at >= LEFTOVER_MS) {
			/* Something the generator started still holds its pipes. */
			kill(-r->pid, SIGKILL);
			break;
		}
		check_clocks(r, &now, deadline, &next_tick);
		/* A signal (SIGTERM to the worker): let the tick look at once. */
		if (pump_pipes(r, poll_wait(r, now, deadline, next_tick)) < 0 &&
		    next_tick != INT64_MAX)
			next_tick = 0;
	}
	close_fd(&r->in_fd);
	close_fd(&r->out_fd);
	close_fd(&r->err_fd);
	/* Still not reaped (pipes held by a leftover): the SIGKILL above ends it. */
	while (!r->reaped) {
		pid_t w = waitpid(r->pid, &r->wstatus, 0);
		if (w == r->pid || (w < 0 && errno == ECHILD)) {
			r->reaped = 1;
			r->lost = w < 0;
		}
	}
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_exec(const struct generator_opts *o, pid_t parent, int in_r, int out_w,
		       int err_w, int report)
{
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
#else
	(void)parent;
#endif
	setpgid(0, 0);
	int fds[3] = { in_r, out_w, err_w };
	for (int i = 0; i < 3; i++) {
		if (fds[i] == i) {
			fcntl(i, F_SETFD, 0);
		} else if (dup2(fds[i], i) < 0) {
			int e = errno;
			ssize_t ignored = write(report, &e, sizeof(e));
			(void)ignored;
			_exit(127);
		}
	}
	/* Nothing else of ours (the worker's HTTP connection) goes to the child. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 1024; fd++)
			if (fd != report)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(o->argv[0], o->argv);
	int e = errno;
	ssize_t ignored = write(report, &e, sizeof(e));
	(void)ignored;
	_exit(127);
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static void add_duration(struct strbuf *sb, int64_t ms)
{
	if (ms % 1000 == 0)
		strbuf_addf(sb, "%lld s", (long long)(ms / 1000));
	else
		strbuf_addf(sb, "%.1f s", (double)ms / 1000.0);
}

/* ": <stderr>" (its tail, trimmed), or nothing when stderr was empty. */
static void add_stderr(struct strbuf *sb, const struct run *r)
{
	const char *s = r->err;
	size_t len = r->err_len;
	int cut = r->err_cut;
	if (len > r->max_stderr) {
		s += len - r->max_stderr;
		len = r->max_stderr;
		cut = 1;
	}
	/* The kept tail may begin inside a character: start at the next one. */
	if (cut) {
		size_t partial = utf8_partial_head(s, len);
		s += partial;
		len -= partial;
	}
	while (len && strchr(" \t\r\n", *s))
		s++, len--;
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	if (!len)
		return;
	strbuf_addstr(sb, cut ? ": ..." : ": ");
	strbuf_add(sb, s, len);
}

static int only_blanks(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]))
			return 0;
	return 1;
}

/* Turns the finished run into r->status, entity and error. */
static void conclude(struct run *run, struct generator_result *res)
{
	struct strbuf msg = STRBUF_INIT;
	const struct generator_opts *o = run->o;
	int ws = run->wstatus;

	res->status = GENERATOR_FAILED;
	if (run->lost)
		res->exit_code = -1;
	else if (WIFEXITED(ws))
		res->exit_code = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		res->exit_code = -WTERMSIG(ws);

	if (run->nomem) {
		res->status = GENERATOR_ERROR;
		strbuf_addstr(&msg, "out of memory reading the generator's output");
	} else if (run->aborted) {
		res->status = GENERATOR_ABORTED;
		strbuf_addstr(&msg, "aborted");
	} else if (run->timed_out) {
		strbuf_addstr(&msg, "timed out after ");
		add_duration(&msg, o->timeout_ms);
	} else if (run->too_large) {
		strbuf_addf(&msg, "output too large (more than %zu bytes on stdout)", run->max_output);
	} else if (run->lost) {
		res->status = GENERATOR_ERROR;
		strbuf_addstr(&msg, "lost track of the generator process (reaped elsewhere)");
	} else if (WIFSIGNALED(ws)) {
		strbuf_addf(&msg, "killed by signal %d (%s)", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
		add_stderr(&msg, run);
	} else if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		strbuf_addf(&msg, "exit status %d", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
		add_stderr(&msg, run);
	} else if (only_blanks(run->out.buf, run->out.len)) {
		strbuf_addstr(&msg, "no output on stdout");
		add_stderr(&msg, run);
	} else {
		json_error_t jerr;
		json_t *v = json_loadb(run->out.buf, run->out.len,
				       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
		if (!v) {
			strbuf_addf(&msg, "invalid JSON on stdout: %s (line %d, column %d)",
				    jerr.text, jerr.line, jerr.column);
		} else if (!json_is_object(v)) {
			strbuf_addf(&msg, "not a JSON object (got %s)", json_kind(v));
			json_decref(v);
		} else {
			res->status = GENERATOR_OK;
			res->entity = v;
		}
	}
	if (res->status != GENERATOR_OK) {
		if (msg.oom) {
			res->error = strdup("out of memory");
		} else {
			res->error = malloc(msg.len + 1);
			if (res->error)
				utf8_sanitize_copy(msg.buf, msg.len, res->error, msg.len + 1);
		}
	}
	strbuf_release(&msg);
}

static void set_error(struct generator_result *res, enum generator_status st,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_error(struct generator_result *res, enum generator_status st,
		      const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	res->status = st;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	res->error = strbuf_detach(&sb, NULL);
}

/*
 * Forks and execs the command with its three pipes; on 0 the child runs and
 * r holds our ends (non-blocking). -1 with res set when it could not start:
 * the pipes or fork failed, or exec did (reported through a fourth pipe).
 */
static int start_child(struct run *r, struct generator_result *res, int64_t start)
{
	const struct generator_opts *o = r->o;
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	int rep_p[2] = { -1, -1 };
	int ret = -1;

	if (pipe2(in_p, O_CLOEXEC) < 0 || pipe2(out_p, O_CLOEXEC) < 0 ||
	    pipe2(err_p, O_CLOEXEC) < 0 || pipe2(rep_p, O_CLOEXEC) < 0) {
		set_error(res, GENERATOR_ERROR, "cannot make pipes: %s", strerror(errno));
		goto cleanup;
	}
	pid_t parent = getpid();
	r->pid = fork();
	if (r->pid < 0) {
		set_error(res, GENERATOR_ERROR, "cannot fork: %s", strerror(errno));
		goto cleanup;
	}
	if (r->pid == 0)
		child_exec(o, parent, in_p[0], out_p[1], err_p[1], rep_p[1]);
	/* Both sides set the group, so a kill(-pid) never misses it. */
	setpgid(r->pid, r->pid);
	close_fd(&in_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	close_fd(&rep_p[1]);

	/* exec closes the report pipe (EOF); a failed exec sends its errno first. */
	int child_errno = 0;
	ssize_t got;
	do
		got = read(rep_p[0], &child_errno, sizeof(child_errno));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(child_errno)) {
		int ws;
		while (waitpid(r->pid, &ws, 0) < 0 && errno == EINTR)
			;
		set_error(res, GENERATOR_FAILED, "cannot run '%s': %s", o->argv[0],
			  strerror(child_errno));
		res->elapsed_ms = time_mono_ms() - start;
		goto cleanup;
	}

	r->in_fd = in_p[1];
	r->out_fd = out_p[0];
	r->err_fd = err_p[0];
	in_p[1] = out_p[0] = err_p[0] = -1;
	fcntl(r->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(r->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(r->err_fd, F_SETFL, O_NONBLOCK);
	if (!o->input || o->input_len == 0)
		close_fd(&r->in_fd);
	ret = 0;
cleanup:
	for (int i = 0; i < 2; i++) {
		close_fd(&in_p[i]);
		close_fd(&out_p[i]);
		close_fd(&err_p[i]);
		close_fd(&rep_p[i]);
	}
	return ret;
}

int generator_run(const struct generator_opts *o, struct generator_result *res)
{
	struct run r;
	struct sigaction ign, old_pipe;
	int64_t start = time_mono_ms();

	memset(&r, 0, sizeof(r));
	strbuf_init(&r.out);
	r.o = o;
	r.pid = -1;
	r.in_fd = r.out_fd = r.err_fd = -1;
	r.max_output = o->max_output ? o->max_output : GENERATOR_MAX_OUTPUT_DEFAULT;
	r.max_stderr = o->max_stderr ? o->max_stderr : GENERATOR_MAX_STDERR_DEFAULT;
	r.grace_ms = o->kill_grace_ms > 0 ? o->kill_grace_ms : GENERATOR_KILL_GRACE_DEFAULT_MS;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);

	generator_result_release(res);
	if (!o->argv || !o->argv[0]) {
		set_error(res, GENERATOR_ERROR, "no generator command");
		goto cleanup;
	}
	r.err = malloc(2 * r.max_stderr);
	if (!r.err) {
		set_error(res, GENERATOR_ERROR, "out of memory");
		goto cleanup;
	}
	if (start_child(&r, res, start) < 0)
		goto cleanup;
	supervise(&r, start);
	res->elapsed_ms = time_mono_ms() - start;
	conclude(&r, res);
cleanup:
	close_fd(&r.in_fd);
	close_fd(&r.out_fd);
	close_fd(&r.err_fd);
	free(r.err);
	strbuf_release(&r.out);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return res->status == GENERATOR_OK ? 0 : -1;
}
