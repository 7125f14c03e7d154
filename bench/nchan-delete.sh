#!/usr/bin/env bash
# Does a channel DELETE crash Nchan? (issue 13; bench/RESULTS.md "The Nchan
# crash: cause and fix"). Nginx with Debian's Nchan and 2 workers alone, no
# gentrack: channels whose subscribers arrive around their final message,
# deleted at once (gentrack before h-live13), later, or never.
#
#   bench/nchan-delete.sh [--mode now|later|never] [--delay S] [--seconds S] [--runs N]
#
# Defaults: --mode later --delay 20 --seconds 40 --runs 1; 300 loops of
# bench/nchan-delete.py. Each run gets a fresh nginx (its own folder under
# bench/.stack/nchan-delete of the build tree, a free loopback port) and
# prints how many nginx workers died, with the Nchan lines that tell why.
# Exit 0 when none died, 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${abs_top_builddir:-$(cd "$here/.." && pwd)}/bench/.stack/nchan-delete
mode=later delay=20 seconds=40 runs=1
while (($#)); do
	case $1 in
	--mode) mode=${2:?}; shift ;;
	--delay) delay=${2:?}; shift ;;
	--seconds) seconds=${2:?}; shift ;;
	--runs) runs=${2:?}; shift ;;
	-h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/nchan-delete.sh: unknown option '$1' (try --help)" >&2; exit 1 ;;
	esac
	shift
done
[[ $mode =~ ^(now|later|never)$ ]] || { echo "bench/nchan-delete.sh: --mode now, later or never" >&2; exit 1; }
[[ -r /usr/lib/nginx/modules/ngx_nchan_module.so ]] || { echo "bench/nchan-delete.sh: libnginx-mod-nchan is not installed" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench/nchan-delete.sh: python3 not found" >&2; exit 1; }

port_busy() { grep -qiE "^ *[0-9]+: [0-9A-F]+:$(printf '%04X' "$1") [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6; }
master=""
stop() {
	[[ -n $master ]] || return 0
	kill -TERM "$master" 2>/dev/null || true
	for _ in $(seq 50); do
		[[ -e /proc/$master && $(awk '{print $3}' "/proc/$master/stat" 2>/dev/null) != Z ]] || break
		sleep 0.1
	done
	master=""
}
trap stop EXIT
died_total=0
for ((run = 1; run <= runs; run++)); do
	port=""
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 12000))
		port_busy "$p" || { port=$p; break; }
	done
	[[ -n $port ]] || { echo "bench/nchan-delete.sh: no free port" >&2; exit 1; }
	rm -rf "$out"
	mkdir -p "$out/logs"
	cat >"$out/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
worker_processes 2;
pid $out/nginx.pid;
error_log $out/logs/error.log notice;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $out/body;
    proxy_temp_path $out/proxy;
    fastcgi_temp_path $out/fastcgi;
    uwsgi_temp_path $out/uwsgi;
    scgi_temp_path $out/scgi;
    server {
        listen 127.0.0.1:$port reuseport;
        # As nginx/live-subscriber.conf and live-publisher.conf have them.
        location ~ "^/sub/(\\w+)\$" {
            nchan_subscriber eventsource;
            nchan_channel_id \$1;
            nchan_subscriber_first_message -1;
            nchan_subscribe_existing_channels_only on;
            nchan_subscriber_timeout 300s;
        }
        location ~ "^/pub/(\\w+)\$" {
            nchan_publisher;
            nchan_channel_id \$1;
            nchan_message_buffer_length 32;
            nchan_message_timeout 1h;
        }
    }
}
CONF
	nginx -p "$out/" -c "$out/nginx.conf" -e "$out/logs/error.log"
	for _ in $(seq 50); do [[ -s $out/nginx.pid ]] && break; sleep 0.1; done
	master=$(tr -dc '0-9' <"$out/nginx.pid")
	counts=$(python3 "$here/nchan-delete.py" "$port" "$mode" "$seconds" 300 "$delay")
	died=$(grep -a -c 'exited on signal' "$out/logs/error.log" || true)
	label=$mode
	[[ $mode != later ]] || label="${delay} s later"
	echo "run $run, DELETE $label: $counts; nginx workers died: $died"
	if ((died)); then
		grep -a -E 'exited on signal|WAITING|expired channel|Assertion' "$out/logs/error.log" |
			sed -e 's/^[0-9/]* [0-9:]* //' -e 's/[0-9]*#[0-9]*/N#N/' -e 's/process [0-9]*/process N/' \
				-e 's/0*[0-9A-F]\{12,\}/P/g' -e 's#/c[0-9x]*#/CH#g' | sort | uniq -c | sort -rn | head -n 5
	fi
	died_total=$((died_total + died))
	stop
done
((died_total == 0))
