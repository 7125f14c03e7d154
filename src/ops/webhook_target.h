#ifndef GENTRACK_WEBHOOK_TARGET_H
#define GENTRACK_WEBHOOK_TARGET_H

/*
 * Where a webhook URL points: its host and port resolved, every address
 * checked (loopback, private, link-local, unspecified, multicast refused
 * unless allowed), so that a registered endpoint cannot turn the deliverer
 * against the hosts behind it. The deliverer then pins the address it
 * checked (CURLOPT_RESOLVE): DNS cannot change between check and connect.
 */
#include <stddef.h>

struct webhook_target {
	char host[256];         /* as in the URL, without IPv6 brackets */
	int port;
	char address[64];       /* the first address, numeric (IPv6 in brackets) */
};

/*
 * Syntax (model/webhook.h), then resolution and the address check. 0, or -1
 * with why in err.
 */
/* -2 instead of -1 when the address is refused (no use trying again). */
int webhook_target_resolve(const char *url, int allow_private, struct webhook_target *out,
			   char *err, size_t errlen);

#endif
