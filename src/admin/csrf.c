#include "build_config.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "admin/csrf.h"
#include "base/banned.h"

#define MAC_LEN 32
#define MAC_B64_LEN 43   /* 32 bytes, base64url without padding */

void csrf_key_derive(const char *password_hash, unsigned char key[CSRF_KEY_LEN])
{
	/* v2: bound to a session and an action (v1 tokens named only the admin). */
	static const unsigned char context[] = "gentrack csrf v2";
	crypto_generichash(key, CSRF_KEY_LEN, (const unsigned char *)password_hash,
			   strlen(password_hash), context, sizeof(context) - 1);
}

static void mac_of(const unsigned char key[CSRF_KEY_LEN], const unsigned char session[CSRF_SESSION_LEN],
		   const char *user, const char *action, long long expires, unsigned char mac[MAC_LEN])
{
	crypto_generichash_state st;
	char exp[24];
	int n = snprintf(exp, sizeof(exp), "%lld", expires);
	crypto_generichash_init(&st, key, CSRF_KEY_LEN, MAC_LEN);
	crypto_generichash_update(&st, session, CSRF_SESSION_LEN);
	/* Neither the user name nor the action holds a NUL: it ends each field. */
	crypto_generichash_update(&st, (const unsigned char *)user, strlen(user) + 1);
	crypto_generichash_update(&st, (const unsigned char *)action, strlen(action) + 1);
	crypto_generichash_update(&st, (const unsigned char *)exp, (unsigned long long)n);
	crypto_generichash_final(&st, mac, MAC_LEN);
}

void csrf_make(const unsigned char key[CSRF_KEY_LEN], const unsigned char session[CSRF_SESSION_LEN],
	       const char *user, const char *action, int64_t expires, char out[CSRF_TOKEN_MAX])
{
	unsigned char mac[MAC_LEN];
	char b64[MAC_B64_LEN + 1];
	mac_of(key, session, user, action, (long long)expires, mac);
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, CSRF_TOKEN_MAX, "%lld.%s", (long long)expires, b64);
	sodium_memzero(mac, sizeof(mac));
}

int csrf_verify(const unsigned char key[CSRF_KEY_LEN], const unsigned char session[CSRF_SESSION_LEN],
		const char *user, const char *action, const char *token, int64_t now)
{
	unsigned char want[MAC_LEN], got[MAC_LEN];
	long long expires = 0;
	size_t bin_len = 0;
	const char *p = token;

	if (!token)
		return -1;
	/* Digits only, no sign, no leading zero games: strtoll would allow too much. */
	for (int digits = 0; *p != '.'; p++, digits++) {
		if (*p < '0' || *p > '9' || digits >= 12)
			return -1;
		expires = expires * 10 + (*p - '0');
	}
	if (p == token || expires < now)
		return -1;
	p++;
	if (strlen(p) != MAC_B64_LEN ||
	    sodium_base642bin(got, sizeof(got), p, MAC_B64_LEN, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    bin_len != sizeof(got))
		return -1;
	mac_of(key, session, user, action, expires, want);
	return sodium_memcmp(want, got, sizeof(got)) == 0 ? 0 : -1;
}
