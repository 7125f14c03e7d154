#!/usr/bin/env bash
# The production layout as an operator installs it: every systemd unit passes
# `systemd-analyze verify` with no output at all (it exits 0 on unknown keys
# and bad values, printing only warnings), the nginx site passes `nginx -t`
# unchanged, and the shipped sample configuration parses.
#
# By default (make check) on the files of the build tree, laid out as `make
# install` lays them out. With `--installed [ROOT]` (ROOT defaults to /) on
# the files installed there with the Debian layout (--prefix=/usr
# --sysconfdir=/etc, units in /lib/systemd/system), as the Debian package
# installs them (tests/package/deb.sh): the units, the site and gentrackctl
# as installed, every unit installed, and the man pages the units name.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs systemd-analyze nginx

# INSTALLED: the root without its trailing slash ("" for /); MODE says which.
MODE=build INSTALLED=""
if [[ ${1:-} == --installed ]]; then
	MODE=installed
	INSTALLED=${2:-/}
	INSTALLED=${INSTALLED%/}
fi

trap 'rm -rf "$GT_TMP"' EXIT
work=$GT_TMP/production
mkdir -p "$work/units" "$work/nginx/logs"

units=(gentrack-fcgi.service gentrack-fcgi-activated.service gentrack-fcgi.socket
	gentrack-reaper.service gentrack-reaper.timer gentrack-deliver.service)
if [[ $MODE == build ]]; then
	# The units as `make install` writes them, pointing at the binaries just
	# built (verify checks that ExecStart is executable); their man pages are
	# not installed: verify does not look for them.
	for in in "$GT_SRCDIR"/systemd/*.service.in; do
		unit=$(basename "$in" .in)
		sed -e "s|@bindir@|$GT_BUILDDIR/src|g" -e "s|@sysconfdir@|/etc|g" "$in" >"$work/units/$unit"
	done
	cp "$GT_SRCDIR"/systemd/gentrack-fcgi.socket "$GT_SRCDIR"/systemd/gentrack-reaper.timer "$work/units/"
	unitdir=$work/units
	verify_flags=(--man=no)
	GENTRACKCTL=$GT_BUILDDIR/src/gentrackctl
	site=$GT_SRCDIR/nginx/gentrack.conf
	sample=$GT_SRCDIR/etc/gentrack.conf.sample
else
	echo "# the installed layout under ${INSTALLED:-/}"
	unitdir=$INSTALLED/lib/systemd/system
	# Under a root other than /, ExecStart names /usr/bin, which is not there:
	# verify copies that point into the root (and skips the man pages).
	verify_flags=()
	if [[ -n $INSTALLED ]]; then
		for f in "$unitdir"/gentrack-*; do
			sed -e "s|=/usr/bin/|=$INSTALLED/usr/bin/|" "$f" >"$work/units/$(basename "$f")"
		done
		unitdir=$work/units
		verify_flags=(--man=no)
	fi
	# Every gentrack unit installed, the list above and any other.
	for f in "$unitdir"/gentrack-*; do
		unit=$(basename "$f")
		[[ " ${units[*]} " == *" $unit "* ]] || units+=("$unit")
	done
	GENTRACKCTL=$INSTALLED/usr/bin/gentrackctl
	site=$INSTALLED/etc/nginx/sites-available/gentrack.conf
	# The package ships the sample with its documentation; make install
	# next to the configuration.
	sample=$INSTALLED/usr/share/doc/gentrack/examples/gentrack.conf.sample
	[[ -f $sample ]] || sample=$INSTALLED/etc/gentrack/gentrack.conf.sample

	installed_file() { [[ -f $INSTALLED$1 ]] || { GT_DETAIL="$INSTALLED$1 is not there"; return 1; }; }
	for f in /usr/bin/gentrack-fcgi /usr/bin/gentrackctl /usr/bin/gentrack-worker \
		/usr/lib/sysusers.d/gentrack.conf /etc/gentrack/gentrack.conf \
		/etc/nginx/sites-available/gentrack.conf /etc/apache2/sites-available/gentrack.conf; do
		check "installed: $f" installed_file "$f"
	done
	same_migrations() {
		local want got
		want=$(cd "$GT_SRCDIR/sql" && ls -- *.sql)
		got=$(cd "$INSTALLED/usr/share/gentrack/sql" 2>/dev/null && ls -- *.sql)
		eq "$got" "$want"
	}
	check "installed: every migration of sql/ in /usr/share/gentrack/sql" same_migrations
	installed_man() {
		compgen -G "$INSTALLED/usr/share/man/$1*" >/dev/null ||
			{ GT_DETAIL="no $INSTALLED/usr/share/man/$1"; return 1; }
	}
	for page in man1/gentrackctl.1 man1/gentrack-worker.1 man5/gentrack.conf.5 man8/gentrack-fcgi.8; do
		check "installed: $page" installed_man "$page"
	done
	installed_conf_parses() {
		local out
		out=$("$GENTRACKCTL" --config "$INSTALLED/etc/gentrack/gentrack.conf" check-config 2>&1)
		[[ $? -eq 0 && $out == "configuration OK:"* ]] && return 0
		GT_DETAIL=$out
		return 1
	}
	check "the installed /etc/gentrack/gentrack.conf parses" installed_conf_parses
fi

verify_silent() {
	local out
	out=$(cd "$unitdir" && systemd-analyze verify "${verify_flags[@]}" "$unitdir/$1" 2>&1)
	local rc=$?
	[[ $rc -eq 0 && -z $out ]] && return 0
	GT_DETAIL="exit $rc: $out"
	return 1
}
for unit in "${units[@]}"; do
	check "systemd-analyze verify $unit: clean" verify_silent "$unit"
done

has_line() { grep -qFx "$2" "$unitdir/$1" || { GT_DETAIL="no line '$2' in $1"; return 1; }; }
check "the reaper service is a oneshot" has_line gentrack-reaper.service "Type=oneshot"
check "the timer runs every minute" has_line gentrack-reaper.timer "OnCalendar=*-*-* *:*:00"
check "the timer catches up after downtime" has_line gentrack-reaper.timer "Persistent=true"
# Where ExecStart finds gentrackctl: the build, or the installed /usr/bin
# (under another root, the copies above point into it).
if [[ $MODE == build ]]; then bindir=$GT_BUILDDIR/src; else bindir=$INSTALLED/usr/bin; fi
check "the deliverer runs deliver --follow" \
	has_line gentrack-deliver.service "ExecStart=$bindir/gentrackctl --config /etc/gentrack/gentrack.conf deliver --follow"
check "... and comes back after a failure" has_line gentrack-deliver.service "Restart=on-failure"
# Hardened as the others: the same lines, all of them.
hardening() { grep -E '^(NoNewPrivileges|Protect|Private|Restrict|LockPersonality|MemoryDeny|SystemCall|Capability|Ambient)' "$unitdir/$1"; }
check "the deliverer is hardened as the reaper, line for line" \
	eq "$(hardening gentrack-deliver.service)" "$(hardening gentrack-reaper.service)"
for unit in gentrack-fcgi.service gentrack-fcgi-activated.service gentrack-reaper.service \
	gentrack-deliver.service; do
	check "$unit: NoNewPrivileges" has_line "$unit" "NoNewPrivileges=yes"
	check "$unit: ProtectSystem=strict" has_line "$unit" "ProtectSystem=strict"
	check "$unit: PrivateTmp" has_line "$unit" "PrivateTmp=yes"
	check "$unit: a dedicated user" has_line "$unit" "User=gentrack"
done
check "the activated service takes the socket on stdin" \
	has_line gentrack-fcgi-activated.service "StandardInput=socket"

# nginx -t on the production site, unchanged, inside a minimal main config.
cat >"$work/nginx/nginx.conf" <<CONF
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events {}
http {
	include /etc/nginx/mime.types;
	client_body_temp_path $work/nginx/body;
	fastcgi_temp_path $work/nginx/fastcgi;
	proxy_temp_path $work/nginx/proxy;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	include $site;
}
CONF
nginx_t() {
	local out
	out=$(nginx -t -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" 2>&1)
	[[ $? -eq 0 && $out == *"syntax is ok"* && $out == *"test is successful"* ]] && return 0
	GT_DETAIL=$out
	return 1
}
check "nginx -t passes on ${site#"$GT_SRCDIR"/}" nginx_t

sample_ok() {
	local out
	out=$("$GENTRACKCTL" --config "$sample" check-config 2>&1)
	[[ $? -eq 0 && $out == "configuration OK:"* ]] && return 0
	GT_DETAIL=$out
	return 1
}
check "the sample gentrack.conf parses" sample_ok
# A TLS terminator on the same host makes every request loopback (issue 20).
sample_metrics_closed() {
	local out
	out=$("$GENTRACKCTL" --config "$sample" check-config 2>&1)
	[[ $out == *$'\n/metrics: admins; loopback is not trusted' ]] && return 0
	GT_DETAIL=$out
	return 1
}
check "the sample leaves /metrics to admins, not loopback" sample_metrics_closed
sample_documents() {
	local key
	for key in allow_loopback token token_file; do
		grep -qE "^# $key =" "$sample" ||
			{ GT_DETAIL="no '# $key =' line in the sample"; return 1; }
	done
}
check "the sample documents [metrics] allow_loopback, token, token_file" sample_documents
open_metrics() { # open_metrics TEXT: check-config of a config of TEXT says loopback is trusted
	local conf=$work/metrics.conf out
	printf '%s\n' "$1" >"$conf"
	out=$("$GENTRACKCTL" --config "$conf" check-config 2>&1)
	[[ $out == *"/metrics: admins, the metrics token, and anyone from loopback"* ]] && return 0
	GT_DETAIL=$out
	return 1
}
check "check-config names an open /metrics" \
	open_metrics "$(printf '[metrics]\nallow_loopback = on\ntoken = %s' "$(printf 'x%.0s' {1..32})")"

finish
