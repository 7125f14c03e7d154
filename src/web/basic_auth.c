#include "build_config.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "model/auth.h"
#include "web/basic_auth.h"
#include "base/banned.h"

/* An Argon2id hash (interactive limits, as auth_password_hash makes) of a
 * password nobody knows: the stand-in for accounts that do not exist. */
static const char dummy_hash[] =
	"$argon2id$v=19$m=65536,t=2,p=1$7bMIBeKUIcK3xcMmNoNUBQ$"
	"IR9qJLRSv4YD8X1nyscfXKfgiptXE5y1xCWn3TrVHzI";

int basic_auth_parse(const char *header, struct basic_credentials *out)
{
	size_t bin_len = 0, n;
	const char *end = NULL;

	memset(out, 0, sizeof(*out));
	if (auth_scheme_token(header, "Basic", &header, &n) < 0 ||
	    n == 0 || n > (BASIC_AUTH_MAX + 2) / 3 * 4)
		return -1;
	/* Some clients drop the padding: accept both forms, nothing else. */
	if (sodium_base642bin((unsigned char *)out->buf, BASIC_AUTH_MAX, header, n, NULL,
			      &bin_len, &end, sodium_base64_VARIANT_ORIGINAL) ||
	    end != header + n) {
		if (sodium_base642bin((unsigned char *)out->buf, BASIC_AUTH_MAX, header, n, NULL,
				      &bin_len, &end, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) ||
		    end != header + n)
			goto refuse;
	}
	out->buf[bin_len] = '\0';
	for (size_t i = 0; i < bin_len; i++) {
		unsigned char c = (unsigned char)out->buf[i];
		if (c < 0x20 || c == 0x7f)
			goto refuse;
	}
	char *colon = memchr(out->buf, ':', bin_len);
	if (!colon || colon == out->buf)
		goto refuse;
	*colon = '\0';
	out->user = out->buf;
	out->password = colon + 1;
	out->password_len = bin_len - (size_t)(colon + 1 - out->buf);
	return 0;
refuse:
	basic_auth_clear(out);
	return -1;
}

struct verify_job {
	const char *hash;
	const char *password;
	size_t len;
	int matched;
};

/*
 * The verify thread's body. It lowers its own priority to the least (nice
 * 19 applies to this thread only: Linux keeps a nice value per thread), so
 * that while it runs Argon2id the scheduler gives the cores to the children
 * answering polls and heartbeats first; on an idle machine it runs at full
 * speed. It cannot raise it again, which is why it is a thread of its own.
 */
static void *verify_low_priority(void *arg)
{
	struct verify_job *job = arg;
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	job->matched = crypto_pwhash_str_verify(job->hash, job->password, job->len) == 0;
	return job;
}

int basic_auth_verify(const char *hash, const char *password, size_t len)
{
	struct verify_job job = { hash ? hash : dummy_hash, password, len, 0 };
	pthread_t thread;

	/* A thread per check: a few a minute at most (web/login_limit.h), and
	 * nothing to set up again in a child the pool forks. Without a thread
	 * (EAGAIN), the check runs here at the child's priority. */
	if (pthread_create(&thread, NULL, verify_low_priority, &job) == 0)
		pthread_join(thread, NULL);
	else
		job.matched = crypto_pwhash_str_verify(job.hash, password, len) == 0;
	return job.matched && hash ? 0 : -1;
}

void basic_auth_clear(struct basic_credentials *c)
{
	sodium_memzero(c->buf, sizeof(c->buf));
	c->user = c->password = NULL;
	c->password_len = 0;
}
