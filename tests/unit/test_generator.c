/* generator: real /bin/sh children, real pipes, real signals. */
#include "build_config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "worker/generator.h"
#include "unit.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs `sh -c script` with input on stdin; the result is the caller's to release. */
static int run_sh(const char *script, const char *input, int64_t timeout_ms,
		  struct generator_result *r)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct generator_opts o = {
		.argv = argv,
		.input = input,
		.input_len = input ? strlen(input) : 0,
		.timeout_ms = timeout_ms,
		.kill_grace_ms = 500,
	};
	generator_result_init(r);
	return generator_run(&o, r);
}

static int starts_with(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* True when pid is gone or a zombie (this container's PID 1 reaps slowly). */
static int pid_gone(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static int wait_gone(long pid, int tenths)
{
	for (int i = 0; i < tenths; i++) {
		if (pid_gone(pid))
			return 1;
		usleep(100000);
	}
	return pid_gone(pid);
}

static long read_pid_file(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = -1;
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return pid;
}

static void test_success_object(void)
{
	struct generator_result r;
	CU_ASSERT_EQUAL(run_sh("cat >/dev/null; printf '{\"question\":\"7 x 8\",\"answer\":56}\\n'",
			       "{}", 5000, &r), 0);
	CU_ASSERT_EQUAL(r.status, GENERATOR_OK);
	CU_ASSERT_PTR_NULL(r.error);
	CU_ASSERT_EQUAL(r.exit_code, 0);
	CU_ASSERT_FATAL(json_is_object(r.entity));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.entity, "answer")), 56);
	generator_result_release(&r);
}

static void test_nonzero_exit(void)
{
	struct generator_result r;
	CU_ASSERT_EQUAL(run_sh("echo 'model overloaded' >&2; exit 3", NULL, 5000, &r), -1);
	CU_ASSERT_EQUAL(r.status, GENERATOR_FAILED);
	CU_ASSERT_EQUAL(r.exit_code, 3);
	CU_ASSERT_STRING_EQUAL(r.error, "exit status 3: model overloaded");
	CU_ASSERT_PTR_NULL(r.entity);
	generator_result_release(&r);

	run_sh("exit 1", NULL, 5000, &r);
	CU_ASSERT_STRING_EQUAL(r.error, "exit status 1");
	generator_result_release(&r);
}

static void test_stderr_cut_short(void)
{
	struct generator_result r;
	/* 10 KB of 'x' then the useful last line: the tail is kept. */
	run_sh("i=0; while [ $i -lt 100 ]; do printf '%0100d\\n' 0 >&2; i=$((i+1)); done;"
	       " echo 'the real error' >&2; exit 2", NULL, 5000, &r);
	CU_ASSERT_EQUAL(r.status, GENERATOR_FAILED);
	CU_ASSERT(starts_with(r.error, "exit status 2: ..."));
	CU_ASSERT(r.error && strlen(r.error) <= GENERATOR_MAX_STDERR_DEFAULT + 32);
	CU_ASSERT(r.error && strstr(r.error, "the real error") != NULL);
	generator_result_release(&r);
}

/*
 * Issue 20: the kept end of a long German, Japanese or emoji stderr begins
 * before, on each byte of, or after a character. The error quotes it from
 * the first whole character: no '?' for the half one the cut left.
 */
static void test_stderr_tail_starts_on_a_character(void)
{
	static const char *const wide[] = { "\xc3\xbc", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
	static const char head[] = "Zeit\xc3\xbc" "berschreitung: ";
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	char script[512], text[512], want[600];
	struct generator_result r;

	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		for (size_t j = 0; j < cl; j++) {
			/* head, the character 40 times, then j ASCII bytes: j moves
			 * where the last 64 bytes begin across the character's bytes. */
			snprintf(script, sizeof(script),
				 "printf '%%s' '%s' >&2; i=0; while [ $i -lt 40 ]; do "
				 "printf '%%s' '%s' >&2; i=$((i+1)); done; printf '%%s' '%.*s' >&2; exit 1",
				 head, wide[w], (int)j, "xyz");
			size_t len = (size_t)snprintf(text, sizeof(text), "%s", head);
			for (int i = 0; i < 40; i++, len += cl)
				memcpy(text + len, wide[w], cl);
			memcpy(text + len, "xyz", j);
			len += j;
			const char *tail = text + len - 64;
			size_t into = (size_t)(tail - text - (sizeof(head) - 1)) % cl;
			tail += (cl - into) % cl;
			snprintf(want, sizeof(want), "exit status 1: ...%.*s",
				 (int)(text + len - tail), tail);

			argv[2] = script;
			struct generator_opts o = { .argv = argv, .timeout_ms = 5000,
						    .max_stderr = 64, .kill_grace_ms = 500 };
			generator_result_init(&r);
			CU_ASSERT_EQUAL(generator_run(&o, &r), -1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(r.error);
			CU_ASSERT_STRING_EQUAL(r.error, want);
			generator_result_release(&r);
		}
	}
}

static void test_invalid_json(void)
{
	struct generator_result r;
	run_sh("echo '{\"a\": '", NULL, 5000, &r);
	CU_ASSERT_EQUAL(r.status, GENERATOR_FAILED);
	CU_ASSERT(starts_with(r.error, "invalid JSON on stdout: "));
	generator_result_release(&r);

	run_sh("echo '{\"a\": 1} trailing'", NULL, 5000, &r);
	CU_ASSERT(starts_with(r.error, "invalid JSON on stdout: "));
	generator_result_release(&r);

	run_sh("printf '{\"s\": \"\\377\"}'", NULL, 5000, &r);
	CU_ASSERT(starts_with(r.error, "invalid JSON on stdout: "));
	generator_result_release(&r);

	run_sh("echo '   '", NULL, 5000, &r);
	CU_ASSERT_STRING_EQUAL(r.error, "no output on stdout");
	generator_result_release(&r);
}

static void test_not_an_object(void)
{
	struct generator_result r;
	run_sh("echo '[1, 2]'", NULL, 5000, &r);
	CU_ASSERT_EQUAL(r.status, GENERATOR_FAILED);
	CU_ASSERT_STRING_EQUAL(r.error, "not a JSON object (got array)");
	CU_ASSERT_PTR_NULL(r.entity);
	generator_result_release(&r);

	run_sh("echo '\"text\"'", NULL, 5000, &r);
	CU_ASSERT_STRING_EQUAL(r.error, "not a JSON object (got string)");
	generator_result_release(&r);
}

static void test_timeout_kills_group(void)
{
	char pidfile[] = "/tmp/gentrack-test-gen-XXXXXX";
	int fd = mkstemp(pidfile);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	char script[256];
	/* A grandchild in the same group must die too. */
	snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; wait", pidfile);
	struct generator_result r;
	int64_t t0 = now_ms();
	run_sh(script, NULL, 1000, &r);
	int64_t took = now_ms() - t0;
	CU_ASSERT_EQUAL(r.status, GENERATOR_FAILED);
	CU_ASSERT_STRING_EQUAL(r.error, "timed out after 1 s");
	CU_ASSERT(took >= 1000 && took < 3000);
	long sleeper = read_pid_file(pidfile);
	CU_ASSERT(sleeper > 0);
	if (sleeper > 0)
		CU_ASSERT(wait_gone(sleeper, 20));
	unlink(pidfile);
	generator_result_release(&r);
}

static void test_timeout_ignoring_sigterm(void)
{
	struct generator_result r;
	int64_t t0 = now_ms();
	/* SIGTERM is ignored: SIGKILL follows after the 500 ms grace. */
	run_sh("trap '' TERM; while :; do sleep 0.1; done", NULL, 500, &r);
	int64_t took = now_ms() - t0;
	CU_ASSERT_STRING_EQUAL(r.error, "timed out after 0.5 s");
	CU_ASSERT(took < 2500);
	generator_result_release(&r);
}

static long max_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void test_huge_output_refused(void)
{
	struct generator_result r;
	long before = max_rss_kb();
	int64_t t0 = now_ms();
	/* 100 MB, and then it would go on forever: it must be stopped. */
	run_sh("head -c 100000000 /dev/zero; exec yes", NULL, 20000, &r);
	int64_t took = now_ms() - t0;
	long after = max_rss_kb();
	CU_ASSERT_EQUAL(r.status, GENERATOR_FAILED);
	CU_ASSERT_STRING_EQUAL(r.error, "output too large (more than 1048576 bytes on stdout)");
	CU_ASSERT(took < 5000);
	CU_ASSERT(after - before < 16 * 1024);
	CU_ASSERT(r.exit_code < 0); /* ended by a signal */
	generator_result_release(&r);
}

static void test_stdin_delivered(void)
{
	struct generator_result r;
	run_sh("cat", "{\"entity_type\":\"problem\",\"index\":3}", 5000, &r);
	CU_ASSERT_EQUAL_FATAL(r.status, GENERATOR_OK);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.entity, "index")), 3);
	generator_result_release(&r);

	/* 600 KB each way: more than a pipe holds, in both directions at once. */
	size_t n = 600 * 1024;
	char *big = malloc(n + 16);
	CU_ASSERT_FATAL(big != NULL);
	memcpy(big, "{\"pad\":\"", 8);
	memset(big + 8, 'a', n);
	memcpy(big + 8 + n, "\"}", 3);
	run_sh("cat", big, 5000, &r);
	CU_ASSERT_EQUAL(r.status, GENERATOR_OK);
	CU_ASSERT_EQUAL(strlen(json_string_value(json_object_get(r.entity, "pad"))), n);
	generator_result_release(&r);
	free(big);

	/* A child that never reads its input is no problem either. */
	run_sh("echo '{}'", "{\"x\":1}", 5000, &r);
	CU_ASSERT_EQUAL(r.status, GENERATOR_OK);
	generator_result_release(&r);
}

struct ticks {
	int count;
	int abort_after;
};

static int count_tick(void *ctx)
{
	struct ticks *t = ctx;
	t->count++;
	return t->abort_after && t->count >= t->abort_after;
}

static void test_tick_fires(void)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 1; echo '{}'", NULL };
	struct ticks t = { 0, 0 };
	struct generator_opts o = {
		.argv = argv, .timeout_ms = 5000, .tick_ms = 100, .tick = count_tick, .tick_ctx = &t,
	};
	struct generator_result r;
	generator_result_init(&r);
	CU_ASSERT_EQUAL(generator_run(&o, &r), 0);
	CU_ASSERT(t.count >= 5 && t.count <= 30);
	generator_result_release(&r);
}

static void test_abort_from_tick(void)
{
	char pidfile[] = "/tmp/gentrack-test-gen-XXXXXX";
	int fd = mkstemp(pidfile);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	char script[256];
	snprintf(script, sizeof(script), "echo $$ > %s; sleep 30", pidfile);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct ticks t = { 0, 3 };
	struct generator_opts o = {
		.argv = argv, .timeout_ms = 20000, .tick_ms = 100, .tick = count_tick, .tick_ctx = &t,
		.kill_grace_ms = 500,
	};
	struct generator_result r;
	generator_result_init(&r);
	int64_t t0 = now_ms();
	CU_ASSERT_EQUAL(generator_run(&o, &r), -1);
	CU_ASSERT(now_ms() - t0 < 2000);
	CU_ASSERT_EQUAL(r.status, GENERATOR_ABORTED);
	CU_ASSERT_STRING_EQUAL(r.error, "aborted");
	CU_ASSERT_EQUAL(t.count, 3);
	long pid = read_pid_file(pidfile);
	CU_ASSERT(pid > 0 && pid_gone(pid));
	unlink(pidfile);
	generator_result_release(&r);
}

static void test_command_missing(void)
{
	char *argv[] = { "/nonexistent/gentrack-generator", NULL };
	struct generator_opts o = { .argv = argv, .timeout_ms = 5000 };
	struct generator_result r;
	generator_result_init(&r);
	CU_ASSERT_EQUAL(generator_run(&o, &r), -1);
	CU_ASSERT_EQUAL(r.status, GENERATOR_FAILED);
	CU_ASSERT_STRING_EQUAL(r.error,
			       "cannot run '/nonexistent/gentrack-generator': No such file or directory");
	generator_result_release(&r);

	char *argv2[] = { "gentrack-no-such-command-in-path", NULL };
	o.argv = argv2;
	generator_run(&o, &r);
	CU_ASSERT(starts_with(r.error, "cannot run 'gentrack-no-such-command-in-path'"));
	generator_result_release(&r);
}

static void test_killed_by_signal(void)
{
	struct generator_result r;
	run_sh("echo dying >&2; kill -9 $$", NULL, 5000, &r);
	CU_ASSERT_EQUAL(r.status, GENERATOR_FAILED);
	CU_ASSERT_EQUAL(r.exit_code, -9);
	CU_ASSERT(starts_with(r.error, "killed by signal 9"));
	CU_ASSERT(r.error && strstr(r.error, ": dying") != NULL);
	generator_result_release(&r);
}

static void test_leftover_holding_pipes(void)
{
	struct generator_result r;
	int64_t t0 = now_ms();
	/* The generator answers and exits, but a background child keeps stdout open. */
	run_sh("sleep 30 & echo '{\"ok\":true}'", NULL, 10000, &r);
	CU_ASSERT_EQUAL(r.status, GENERATOR_OK);
	CU_ASSERT(now_ms() - t0 < 2000);
	generator_result_release(&r);
}

static void test_no_fd_leak(void)
{
	/* The child sees only 0, 1 and 2, not this inheritable fd of ours. */
	struct generator_result r;
	int extra = open("/dev/null", O_RDONLY);
	CU_ASSERT_FATAL(extra >= 0);
	run_sh("n=$(ls /proc/self/fd | wc -l); echo \"{\\\"fds\\\": $n}\"", NULL, 5000, &r);
	CU_ASSERT_EQUAL_FATAL(r.status, GENERATOR_OK);
	/* ls itself opens one directory fd: 0, 1, 2 and that one. */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.entity, "fds")), 4);
	generator_result_release(&r);
	close(extra);
}


static const struct unit_case cases[] = {
	{ "a JSON object on stdout is the entity", test_success_object },
	{ "non-zero exit fails with its stderr", test_nonzero_exit },
	{ "stderr is cut short, keeping its end", test_stderr_cut_short },
	{ "the kept end of a multi-byte stderr starts on a character", test_stderr_tail_starts_on_a_character },
	{ "invalid JSON fails", test_invalid_json },
	{ "a JSON value that is not an object fails", test_not_an_object },
	{ "a hanging command is killed at the timeout, with its group", test_timeout_kills_group },
	{ "SIGKILL follows when SIGTERM is ignored", test_timeout_ignoring_sigterm },
	{ "100 MB on stdout is refused without memory growth", test_huge_output_refused },
	{ "stdin is delivered, even when large", test_stdin_delivered },
	{ "the tick callback fires while it runs", test_tick_fires },
	{ "abort from the tick callback kills it", test_abort_from_tick },
	{ "a command that does not exist fails clearly", test_command_missing },
	{ "death by signal is reported", test_killed_by_signal },
	{ "a leftover holding the pipes does not hang the run", test_leftover_holding_pipes },
	{ "no file descriptors leak into the child", test_no_fd_leak },
	{ NULL, NULL },
};

UNIT_MAIN("generator", cases)
