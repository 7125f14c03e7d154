#!/usr/bin/env bash
# The client API end-to-end suite (tests/e2e/client_api.sh) through Debian's
# apache2 with the shipped apache/gentrack.conf instead of nginx, then the
# checks of Apache's own part below, on the same stack: its errors as
# problem+json (a body over the limit, a chunked body, the pool down or
# answering garbage, an oversized request), /events without Nchan, the access
# log's redaction of status tokens, and the shipped file as it is.
#
# Run as a test, this file runs client_api.sh with GENTRACK_FRONT=apache and
# names itself as its GT_FRONT_CHECKS; client_api.sh sources it at its end.
# jq programs and `eval` checks name their $variables inside single quotes.
# shellcheck disable=SC2016,SC2034

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
	. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"
	require_programs apache2
	for m in mpm_event authz_core alias mime rewrite headers reqtimeout proxy proxy_fcgi; do
		[[ -r /usr/lib/apache2/modules/mod_$m.so ]] ||
			skip_test "apache2 has no mod_$m (/usr/lib/apache2/modules)"
	done
	export GENTRACK_FRONT=apache
	export GT_FRONT_CHECKS
	GT_FRONT_CHECKS=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
	exec bash "$GT_SRCDIR/tests/e2e/client_api.sh"
fi

# ---- sourced by client_api.sh: its stack, helpers and variables ----
echo "# Apache's own part"
APX_DIR=$GT_STACK_DIR/apache
ACCESS_LOG=$APX_DIR/gentrack-access.log

check "the stack runs apache2, not nginx" \
	eval '[[ -s $APX_DIR/apache2.pid && ! -s $GT_STACK_DIR/nginx/nginx.pid ]]'
req GET /healthz
check "Server: no version" eq "$(hdr Server)" Apache

# Apache's own errors are problem+json too, with nothing written.
head -c 1100000 /dev/zero | tr '\0' ' ' >"$GT_TMP/over-limit"
refused "a body declared over 1 MiB" 413 api POST "$COLL" '' -H 'Content-Type: application/json' \
	--data-binary "@$GT_TMP/over-limit"
check "... refused by Apache, not the application" jtrue '.type=="about:blank" and .detail=="The request body is too large."'
refused "a chunked body" 411 api POST "$COLL" '{"entity_type":"problem"}' -H 'Transfer-Encoding: chunked'
check "... no Vary from the rewrite conditions" lacks "$(hdr Vary)" Content-Length
refused "TRACE" 405 req TRACE /api/v1/generation-requests
refused "a request target over 8 KiB" 414 req GET "/api/$(head -c 9000 /dev/zero | tr '\0' a)"
refused "a header line over 8 KiB" 400 req GET "$COLL" -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)"
refused "an error document asked for directly" 404 req GET /_gentrack_error/503.json
refused "a path outside the application's" 404 req GET /index.html

# The pool and its headers reach the application as behind nginx.
api GET "$COLL"
check "the bearer key reaches the application (CGIPassAuth)" status_is 200
create '{"entity_type":"problem"}'
check "create through Apache: 202, absolute Operation-Location" \
	eq "$ST $(hdr Operation-Location)" "202 $BASE_URL$COLL/$ID"
STOKEN=$(jb .status_token)

# No Nchan behind Apache: /events is a 501 that names the package; polling works.
api GET "$COLL/$ID/events" '' -H 'Accept: text/event-stream'
check "/events: 501 problem+json" is_problem 501
check "... of type live-updates-not-configured" jtrue '.type|endswith("live-updates-not-configured")'
check "... naming the Nchan package" jtrue '.detail|contains("libnginx-mod-nchan")'
req GET "$COLL/$ID?token=$STOKEN"
check "a status token in the query works" status_is 200

# The access log blanks a status token, wherever it is in the query.
req GET "$COLL/$ID/events?a=1&token=$STOKEN&b=2"
req GET "$COLL/$ID?xtoken=kept&token=$STOKEN"
check "access log: no status token in it" eval '! grep -qF -- "$STOKEN" "$ACCESS_LOG"'
check "access log: token=REDACTED, the rest of the query kept" \
	eval 'grep -qF -- "/events?a=1&token=REDACTED&b=2 HTTP/1.1\" 501 " "$ACCESS_LOG" &&
	      grep -qF -- "?xtoken=kept&token=REDACTED HTTP/1.1\" 200 " "$ACCESS_LOG"'
check "access log: Apache's own errors logged with their request" \
	eval 'grep -qF -- "\"GET /_gentrack_error/503.json HTTP/1.1\" 404 " "$ACCESS_LOG"'

# A pool that answers garbage: mod_proxy_fcgi's 503 (as nginx's 502 made
# 503), problem+json with Retry-After. socat stands in for the pool on its
# socket.
if command -v socat >/dev/null 2>&1; then
	bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi 2>/dev/null
	SOCK=$GT_STACK_DIR/fcgi.sock
	rm -f "$SOCK"
	socat "UNIX-LISTEN:$SOCK,fork,mode=666" SYSTEM:'echo not-fastcgi; sleep 0.2' 2>/dev/null &
	SOCAT_PID=$!
	wait_for 50 test -S "$SOCK"
	api GET "$COLL"
	check "pool answering garbage: 503 problem+json" is_problem 503
	check "... Retry-After 5" eq "$(hdr Retry-After)" 5
	kill "$SOCAT_PID" 2>/dev/null
	wait "$SOCAT_PID" 2>/dev/null
	rm -f "$SOCK"
	bash "$GT_STACK" up "$GT_STACK_DIR" 2>/dev/null
	api GET "$COLL"
	check "pool back after the garbage: 200" status_is 200
else
	echo "# skipped: the 502 of a pool answering garbage (no socat)"
fi

# The shipped file as an operator enables it, unchanged: apache2 -t with
# Debian's module folder (mod_proxy's and mod_rewrite's directives need them).
{
	echo "ServerRoot $GT_TMP"
	echo "ServerName localhost"
	echo "ErrorLog $GT_TMP/error.log"
	echo "Define APACHE_LOG_DIR $GT_TMP"
	for m in mpm_event authz_core alias mime rewrite headers reqtimeout proxy proxy_fcgi; do
		echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"
	done
	echo "Listen 127.0.0.1:80"
	echo "Include $GT_SRCDIR/apache/gentrack.conf"
} >"$GT_TMP/configtest.conf"
configtest=$(apache2 -t -f "$GT_TMP/configtest.conf" 2>&1)
check "apache2 -t on the shipped apache/gentrack.conf: Syntax OK" \
	eval '[[ $configtest == *"Syntax OK"* ]] || { GT_DETAIL=$configtest; false; }'
check "apache2 -t: no warning but the missing DocumentRoot of a machine without the package" \
	eval '[[ -z $(grep -v -e "Syntax OK" -e "DocumentRoot \[/usr/share/gentrack/apache/errors\] does not exist" <<<"$configtest") ]] || { GT_DETAIL=$configtest; false; }'
