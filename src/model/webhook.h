#ifndef GENTRACK_WEBHOOK_H
#define GENTRACK_WEBHOOK_H

/*
 * Completion webhooks as the Standard Webhooks specification signs them
 * (issue 16): secrets, message ids, the signature, the events an endpoint
 * may subscribe to, and the syntax of an endpoint URL. Pure: no I/O (the
 * address checks and the POST are in ops/webhook_target.c, ops/deliverer.c).
 */
#include <stddef.h>

#include "base/limits.h"
#include "model/lifecycle.h"

/* "whsec_" + base64 of WEBHOOK_SECRET_BYTES random bytes. */
#define WEBHOOK_SECRET_PREFIX "whsec_"
#define WEBHOOK_SECRET_BYTES 32
#define WEBHOOK_SECRET_LEN (6 + 44)
/* The longest secret accepted for signing: base64 of 64 bytes. */
#define WEBHOOK_SECRET_MAX (6 + 88)
/* "msg_" + 24 base64url characters (18 random bytes). */
#define WEBHOOK_MSG_ID_LEN (4 + 24)
/* "v1," + base64 of a 32-byte HMAC. */
#define WEBHOOK_SIGNATURE_LEN (3 + 44)
/* An endpoint's URL (its name: WEBHOOK_NAME_MAX, base/limits.h). */
#define WEBHOOK_URL_MAX 2048
/* The event types' set as stored: "completed,partial,failed,cancelled". */
#define WEBHOOK_EVENTS_MAX 64

/* Fills out with a new secret (NUL-terminated); wipe it when done. */
void webhook_secret_generate(char out[WEBHOOK_SECRET_LEN + 1]);
/* Fills out with a new message id, the webhook-id of one delivery. */
void webhook_msg_id_generate(char out[WEBHOOK_MSG_ID_LEN + 1]);

/*
 * The webhook-signature of (msg_id, timestamp, body) under secret
 * ("whsec_..." of 24 to 64 bytes): "v1,<base64 HMAC-SHA256 of
 * msg_id.timestamp.body>". 0, or -1 when the secret is not one.
 */
int webhook_sign(const char *secret, const char *msg_id, long long timestamp,
		 const char *body, size_t body_len, char out[WEBHOOK_SIGNATURE_LEN + 1]);

/*
 * The events a list like "completed,partial" names, as a canonical list in
 * out ("completed,partial,failed,cancelled" order, no repeats). 0, or -1
 * when it names anything else or nothing.
 */
int webhook_events_parse(const char *list, char out[WEBHOOK_EVENTS_MAX + 1]);
/* The event type of a final status: "generation_request.completed", or NULL. */
const char *webhook_event_type(enum gen_status final);

/* 1-64 of A-Z a-z 0-9 . _ - */
int webhook_name_valid(const char *name);

/*
 * Checks an endpoint URL's syntax: http:// or https://, a host, no
 * credentials (user@), visible ASCII only, at most WEBHOOK_URL_MAX bytes.
 * 0, or -1 with why in err.
 */
int webhook_url_check(const char *url, char *err, size_t errlen);

/* The retry schedule: the delay in seconds before attempt n+1 after n failed attempts, or -1 when there is none left (dead). */
long long webhook_retry_delay(unsigned attempts_made);

#endif
