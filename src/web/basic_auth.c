#include "build_config.h"

#include <sodium.h>
#include <string.h>

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

int basic_auth_verify(const char *hash, const char *password, size_t len)
{
	int ok = crypto_pwhash_str_verify(hash ? hash : dummy_hash, password, len) == 0;
	return ok && hash ? 0 : -1;
}

void basic_auth_clear(struct basic_credentials *c)
{
	sodium_memzero(c->buf, sizeof(c->buf));
	c->user = c->password = NULL;
	c->password_len = 0;
}
