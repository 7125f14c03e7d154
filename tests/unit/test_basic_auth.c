#include "build_config.h"

#include <dirent.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "web/basic_auth.h"
#include "unit.h"

static void test_parse(void)
{
	struct basic_credentials c;
	/* "admin:s3cret:with:colons" */
	CU_ASSERT_EQUAL(basic_auth_parse("Basic YWRtaW46czNjcmV0OndpdGg6Y29sb25z", &c), 0);
	CU_ASSERT_STRING_EQUAL(c.user, "admin");
	CU_ASSERT_STRING_EQUAL(c.password, "s3cret:with:colons");
	CU_ASSERT_EQUAL(c.password_len, strlen("s3cret:with:colons"));
	/* Scheme in any case, extra spaces, no padding, an empty password. */
	CU_ASSERT_EQUAL(basic_auth_parse("basic   YWxpY2U6", &c), 0);
	CU_ASSERT_STRING_EQUAL(c.user, "alice");
	CU_ASSERT_EQUAL(c.password_len, 0);
	CU_ASSERT_EQUAL(basic_auth_parse("BASIC YWxpY2U6eA", &c), 0);   /* "alice:x" unpadded */
	CU_ASSERT_STRING_EQUAL(c.password, "x");
	basic_auth_clear(&c);
	CU_ASSERT_PTR_NULL(c.user);
}

static void test_refused(void)
{
	struct basic_credentials c;
	CU_ASSERT_EQUAL(basic_auth_parse(NULL, &c), -1);
	CU_ASSERT_EQUAL(basic_auth_parse("", &c), -1);
	CU_ASSERT_EQUAL(basic_auth_parse("Bearer gtk_abc", &c), -1);
	CU_ASSERT_EQUAL(basic_auth_parse("Basic", &c), -1);
	CU_ASSERT_EQUAL(basic_auth_parse("Basic ", &c), -1);
	CU_ASSERT_EQUAL(basic_auth_parse("BasicYWxpY2U6eA==", &c), -1);
	CU_ASSERT_EQUAL(basic_auth_parse("Basic !!!!", &c), -1);
	CU_ASSERT_EQUAL(basic_auth_parse("Basic YWxpY2U=", &c), -1);      /* "alice": no colon */
	CU_ASSERT_EQUAL(basic_auth_parse("Basic OnB3", &c), -1);          /* ":pw": empty user */
	CU_ASSERT_EQUAL(basic_auth_parse("Basic YQBiOmM=", &c), -1);      /* "a\0b:c": NUL */
	CU_ASSERT_EQUAL(basic_auth_parse("Basic YWxpY2U6eA== junk", &c), -1);
	/* Longer than BASIC_AUTH_MAX decoded. */
	char big[2000] = "Basic ";
	memset(big + 6, 'Q', sizeof(big) - 7);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(basic_auth_parse(big, &c), -1);
}

static void test_verify(void)
{
	char hash[crypto_pwhash_STRBYTES];
	CU_ASSERT_EQUAL_FATAL(crypto_pwhash_str(hash, "right-password", 14,
						crypto_pwhash_OPSLIMIT_MIN,
						crypto_pwhash_MEMLIMIT_MIN), 0);
	CU_ASSERT_EQUAL(basic_auth_verify(hash, "right-password", 14), 0);
	CU_ASSERT_EQUAL(basic_auth_verify(hash, "wrong-password", 14), -1);
	CU_ASSERT_EQUAL(basic_auth_verify(hash, "right-passwor", 13), -1);
	/* No account: the dummy hash is checked, and the answer is no. */
	CU_ASSERT_EQUAL(basic_auth_verify(NULL, "right-password", 14), -1);
	CU_ASSERT_EQUAL(basic_auth_verify(NULL, "", 0), -1);
}

/* The highest nice value among this process's threads, from /proc (field 19
 * of a task's stat line, counted after the command name's parenthesis). */
static int highest_thread_nice(void)
{
	int highest = -21;
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *t;
	while (tasks && (t = readdir(tasks))) {
		char path[300], line[1024];
		if (t->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", t->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(line, 1, sizeof(line) - 1, f);
		fclose(f);
		line[n] = '\0';
		const char *p = strrchr(line, ')');
		for (int field = 2; p && field < 19; field++)
			p = strchr(p + 1, ' ');
		int nice;
		if (p && sscanf(p + 1, "%d", &nice) == 1 && nice > highest)
			highest = nice;
	}
	if (tasks)
		closedir(tasks);
	return highest;
}

static atomic_int verifying, seen_nice;

static void *watch_nice(void *arg)
{
	(void)arg;
	while (atomic_load(&verifying)) {
		int n = highest_thread_nice();
		if (n > atomic_load(&seen_nice))
			atomic_store(&seen_nice, n);
		usleep(2000);
	}
	return NULL;
}

/* Argon2id runs at nice 19 while the caller keeps its own priority: a
 * burst of sign-ins cannot take the cores from the API's requests. */
static void test_verify_low_priority(void)
{
	pthread_t watcher;
	id_t self = (id_t)syscall(SYS_gettid);
	int before = getpriority(PRIO_PROCESS, self);

	atomic_store(&seen_nice, -21);
	atomic_store(&verifying, 1);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&watcher, NULL, watch_nice, NULL), 0);
	/* The dummy hash has the interactive limits: a check long enough to see. */
	CU_ASSERT_EQUAL(basic_auth_verify(NULL, "a-guess", 7), -1);
	atomic_store(&verifying, 0);
	pthread_join(watcher, NULL);
	CU_ASSERT_EQUAL(atomic_load(&seen_nice), 19);
	CU_ASSERT_EQUAL(getpriority(PRIO_PROCESS, self), before);
}

static const struct unit_case cases[] = {
	{ "Basic header parsed", test_parse },
	{ "malformed headers refused", test_refused },
	{ "password verify, unknown user", test_verify },
	{ "verify runs at the lowest priority", test_verify_low_priority },
	{ NULL, NULL },
};

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	return unit_run("basic_auth", cases);
}
