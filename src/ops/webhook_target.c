#include "build_config.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model/webhook.h"
#include "ops/webhook_target.h"
#include "base/banned.h"

static int ipv4_private(const unsigned char *a)
{
	return a[0] == 0 || a[0] == 10 || a[0] == 127 ||         /* this, private, loopback */
	       (a[0] == 100 && (a[1] & 0xc0) == 64) ||            /* shared (CGNAT) */
	       (a[0] == 169 && a[1] == 254) ||                    /* link-local */
	       (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) ||
	       (a[0] == 192 && a[1] == 0 && a[2] == 0) ||          /* IETF protocol assignments */
	       (a[0] == 198 && (a[1] & 0xfe) == 18) ||            /* benchmarking */
	       a[0] >= 224;                                        /* multicast, reserved, broadcast */
}

static int ipv6_private(const struct in6_addr *a)
{
	const unsigned char *b = a->s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
		return ipv4_private(b + 12);
	return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
	       IN6_IS_ADDR_SITELOCAL(a) || IN6_IS_ADDR_MULTICAST(a) ||
	       (b[0] & 0xfe) == 0xfc ||                           /* unique local */
	       (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b); /* NAT64 */
}

/* Host and port of the URL, through libcurl's own parser: the one that will connect. */
static int url_host_port(const char *url, struct webhook_target *out, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	int ret = -1;
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
		snprintf(err, errlen, "the URL does not parse");
		goto cleanup;
	}
	const char *h = host;
	size_t len = strlen(h);
	if (h[0] == '[' && len > 2) {
		h++;
		len -= 2;
	}
	if (len >= sizeof(out->host)) {
		snprintf(err, errlen, "the URL's host is too long");
		goto cleanup;
	}
	memcpy(out->host, h, len);
	out->host[len] = '\0';
	out->port = atoi(port);
	ret = 0;
cleanup:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

int webhook_target_resolve(const char *url, int allow_private, struct webhook_target *out,
			   char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char port[16];
	memset(out, 0, sizeof(*out));
	if (webhook_url_check(url, err, errlen) < 0 || url_host_port(url, out, err, errlen) < 0)
		return -1;
	snprintf(port, sizeof(port), "%d", out->port);
	int gai = getaddrinfo(out->host, port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "cannot resolve %s: %s", out->host, gai_strerror(gai));
		return -1;
	}
	int ret = 0;
	/* Every address: a name with one public and one private address is refused. */
	for (struct addrinfo *ai = res; ai && ret == 0; ai = ai->ai_next) {
		char text[INET6_ADDRSTRLEN] = "";
		int private;
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)ai->ai_addr;
			private = ipv4_private((const unsigned char *)&sa->sin_addr);
			inet_ntop(AF_INET, &sa->sin_addr, text, sizeof(text));
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
			private = ipv6_private(&sa->sin6_addr);
			inet_ntop(AF_INET6, &sa->sin6_addr, text, sizeof(text));
		} else {
			continue;
		}
		if (private && !allow_private) {
			snprintf(err, errlen, "%s resolves to %s, a loopback, private or reserved "
				 "address (allowed only with [webhooks] allow_private = true)",
				 out->host, text);
			ret = -2;
		} else if (!out->address[0]) {
			snprintf(out->address, sizeof(out->address),
				 ai->ai_family == AF_INET6 ? "[%s]" : "%s", text);
		}
	}
	freeaddrinfo(res);
	if (ret == 0 && !out->address[0]) {
		snprintf(err, errlen, "%s has no IPv4 or IPv6 address", out->host);
		ret = -1;
	}
	return ret;
}
