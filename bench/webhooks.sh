#!/usr/bin/env bash
# Webhook delivery figures (issue 16): deliveries per second to a loopback
# receiver, and the delay from a request's completion to its receipt (p50,
# p99), with one and with two deliverers.
#
#   bench/webhooks.sh [--quick]     (--quick: a few seconds, a smoke)
#
# Starts its own stack in bench/.stack/webhooks (MariaDB, nginx, FastCGI),
# a receiver that answers 204 at once (bench/webhook_sink.mjs), and one
# endpoint for it. One request is completed through the API, so the outbox
# holds one real delivery; its payload (about 0.5 KiB) is the template.
#
# Throughput: N deliveries due at once (copies of the template, each its own
# webhook-id, as N requests ending together would write them), then 1 or 2
# `gentrackctl deliver` (one pass each, in parallel) until none is left:
# N / wall time. Every delivery is checked delivered, after one attempt.
#
# Delay: `gentrackctl deliver --follow` (1 or 2 of them, --interval 1, the
# default, and 0.1) while outbox rows arrive one by one at RATE a second
# (one INSERT each, autocommit: what the transaction that ends a request
# commits); delay = the receiver's arrival time - the row's created_at
# (the completion's time), both from this machine's clock.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$repo} abs_top_builddir=${abs_top_builddir:-$repo}
stack=$repo/tests/harness/stack.sh
dir=${BENCH_STACK_DIR:-$abs_top_builddir/bench/.stack/webhooks}
ctl=$abs_top_builddir/src/gentrackctl

N=2000 M=300 RATE=20
[[ ${1:-} == --quick ]] && { N=200; M=30; }

bash "$stack" down "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
SINK="" FOLLOW=()
# Only what this script started, by pid.
cleanup() {
	[[ ${#FOLLOW[@]} -eq 0 ]] || kill "${FOLLOW[@]}" 2>/dev/null || true
	[[ -z $SINK ]] || kill "$SINK" 2>/dev/null || true
	bash "$stack" down "$dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
bash "$stack" up "$dir" >"$dir.up.log" 2>&1 || { cat "$dir.up.log" >&2; exit 1; }
# shellcheck source=/dev/null
. "$dir/credentials.env"
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B gentrack -e "$1"; }

mkdir -p "$dir/sink"
node "$here/webhook_sink.mjs" "$dir/sink" >"$dir/sink.log" 2>&1 &
SINK=$!
for _ in $(seq 100); do [[ -s $dir/sink/port ]] && break; sleep 0.1; done
port=$(cat "$dir/sink/port")
conf=$dir/webhooks.conf
{ cat "$GENTRACK_CONFIG"; printf '[webhooks]\nallow_private = true\n'; } >"$conf"
wctl=("$ctl" --config "$conf")
"${wctl[@]}" webhook add --owner acme --name sink --url "http://127.0.0.1:$port/hook" >/dev/null 2>&1

# The template: one request of acme, claimed, one entity, completed.
call() { # call KEY METHOD PATH BODY
	curl -sS --max-time 10 -X "$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		--data-binary "$4" "$BASE_URL$3"
}
id=$(call "$CLIENT_KEY" POST /api/v1/generation-requests '{"entity_type":"bench_hook","count":1}' | jq -r .request_id)
call "$WORKER_KEY" POST /api/v1/worker/claim '{"worker_id":"bench","entity_types":["bench_hook"]}' >/dev/null
call "$WORKER_KEY" POST "/api/v1/worker/generation-requests/$id/entities" \
	'{"worker_id":"bench","attempt":1,"index":0,"entity":{"text":"hello"}}' >/dev/null
call "$WORKER_KEY" POST "/api/v1/worker/generation-requests/$id/complete" '{"worker_id":"bench","attempt":1}' >/dev/null
tmpl=$(sql "SELECT id FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$id', '-', ''))")
[[ $tmpl == msg_* ]] || { echo "webhooks bench: the completed request wrote no delivery" >&2; exit 1; }
"${wctl[@]}" deliver >/dev/null
payload_len=$(sql "SELECT LENGTH(payload) FROM webhook_deliveries WHERE id = '$tmpl'")

# copy_sql PREFIX SEQ: the INSERT of copy SEQ of the template, due now.
copy_sql() {
	printf "INSERT INTO webhook_deliveries (id, request_id, endpoint_id, event_type, payload, created_at, next_attempt_at) SELECT CONCAT('msg_%s', LPAD(%s, %d, '0')), request_id, endpoint_id, event_type, payload, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM webhook_deliveries WHERE id = '%s'" \
		"$1" "$2" $((24 - ${#1})) "$tmpl"
}
batch_state() { sql "SELECT COUNT(*), COALESCE(SUM(state = 'delivered' AND attempts = 1), 0) FROM webhook_deliveries WHERE id LIKE 'msg\\_$1%'" | tr '\t' ' '; }

throughput() { # throughput K: N due at once, K one-pass deliverers
	local k=$1 prefix=t$1 t0 t1 pids=() i
	sql "INSERT INTO webhook_deliveries (id, request_id, endpoint_id, event_type, payload, created_at, next_attempt_at)
	     SELECT CONCAT('msg_$prefix', LPAD(s.seq, $((24 - ${#prefix})), '0')), d.request_id, d.endpoint_id,
	            d.event_type, d.payload, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
	     FROM seq_1_to_$N s JOIN webhook_deliveries d ON d.id = '$tmpl'"
	t0=$(date +%s.%N)
	for ((i = 0; i < k; i++)); do
		"${wctl[@]}" deliver >"$dir/t$k-$i.out" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(date +%s.%N)
	local st
	st=$(batch_state "$prefix")
	[[ $st == "$N $N" ]] || { echo "webhooks bench: throughput $k: $st of $N delivered after one attempt" >&2; exit 1; }
	awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f %.2f\n", n / (b - a), b - a }'
}

delay() { # delay K INTERVAL: M rows at RATE/s, K --follow deliverers; "p50 p99 max" in ms
	local k=$1 interval=$2 prefix="d$1i${2/./}" i script=$dir/insert.sql
	FOLLOW=()
	for ((i = 0; i < k; i++)); do
		"${wctl[@]}" deliver --follow --interval "$interval" >"$dir/$prefix-$i.out" 2>&1 &
		FOLLOW+=($!)
	done
	: >"$script"
	for ((i = 1; i <= M; i++)); do
		printf '%s;\nDO SLEEP(%s);\n' "$(copy_sql "$prefix" "$i")" "$(awk -v r="$RATE" 'BEGIN { printf "%.4f", 1 / r }')" >>"$script"
	done
	kill -USR1 "$SINK"   # forget earlier arrivals
	sleep 0.2
	mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B gentrack <"$script"
	for _ in $(seq 300); do
		[[ $(batch_state "$prefix") == "$M $M" ]] && break
		sleep 0.1
	done
	kill -TERM "${FOLLOW[@]}"
	wait "${FOLLOW[@]}" || true
	FOLLOW=()
	rm -f "$dir/sink/arrivals"
	kill -USR1 "$SINK"
	for _ in $(seq 50); do [[ -e $dir/sink/arrivals ]] && break; sleep 0.1; done
	sql "SET time_zone = '+00:00'; SELECT id, ROUND(UNIX_TIMESTAMP(created_at) * 1000) FROM webhook_deliveries WHERE id LIKE 'msg\\_$prefix%'" >"$dir/$prefix.created"
	awk 'NR == FNR { made[$1] = $2; next } ($1 in made) { print $2 - made[$1] }' \
		"$dir/$prefix.created" "$dir/sink/arrivals" | sort -n >"$dir/$prefix.delays"
	local n
	n=$(wc -l <"$dir/$prefix.delays")
	[[ $n == "$M" ]] || { echo "webhooks bench: delay $k/$interval: $n of $M arrived" >&2; exit 1; }
	awk '{ d[NR] = $1 } END { i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; printf "%d %d %d\n", d[i50], d[i99], d[NR] }' "$dir/$prefix.delays"
}

printf 'gentrack webhooks bench: %s cores, %s, %s, load before: %s\n' "$(nproc)" \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'payload %s bytes; receiver answers 204 on 127.0.0.1; HEAD %s\n\n' "$payload_len" \
	"$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '| deliverers | %s due at once: deliveries/s | wall s |\n| ---: | ---: | ---: |\n' "$N"
for k in 1 2; do
	read -r rate secs < <(throughput "$k")
	printf '| %d | %s | %s |\n' "$k" "$rate" "$secs"
done
printf '\n| deliverers | --interval | completions | delay p50 ms | p99 ms | max ms |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n'
for k in 1 2; do
	for interval in 1 0.1; do
		read -r p50 p99 max < <(delay "$k" "$interval")
		printf '| %d | %s s | %d at %d/s | %s | %s | %s |\n' "$k" "$interval" "$M" "$RATE" "$p50" "$p99" "$max"
	done
done
printf '\nload after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
