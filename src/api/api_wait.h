#ifndef GENTRACK_API_WAIT_H
#define GENTRACK_API_WAIT_H

#include "live/publish.h"
#include "web/handler.h"

/*
 * The long poll of SPEC §3 (issue 13): GET .../{id}?wait=N with an
 * If-None-Match that names the request's current version is handed to
 * nginx, which waits for the next message of the request's channel (Nchan,
 * nginx/live-subscriber.conf) or N seconds, holding no FastCGI child, and
 * then hands the request back to the application: that second pass answers
 * as a plain GET (the resource and its ETag, or 304), so the answer is
 * always the store's, never Nchan's message.
 *
 * api_client_get does the rest: it checks the caller and the version first,
 * takes the channel's mark (live_channel_mark), reads the request once more
 * (a change committed before the mark was taken is in that read; one after
 * it has a message past the mark, which ends the wait at once), and only
 * then calls api_wait_hand_over.
 */
#define API_WAIT_MIN_S 1
#define API_WAIT_MAX_S 60

/* ?wait=N of the request: 0 with *seconds 0 when absent, or 0 with N;
 * -1 with a 400 answered (not a whole number from 1 to 60, or repeated). */
int api_wait_seconds(struct call *c, unsigned *seconds);
/* True when this call is nginx handing a wait back (the request came
 * through the internal location that ends a wait): answer it at once. */
int api_wait_is_over(const struct call *c);
/* Answers c with the hand-over to nginx: wait up to `seconds` for a message
 * of the channel of `id` past `mark`. */
void api_wait_hand_over(struct call *c, const struct uuid *id, unsigned seconds,
			const char mark[LIVE_MARK_MAX]);

#endif
