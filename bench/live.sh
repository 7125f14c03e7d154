#!/usr/bin/env bash
# Live updates under load (issue 13, item 4): what holding many streams costs,
# how late an event is, and what the same waiters cost as pollers.
#
#   bench/live.sh [--quick] [--keep] [--phases abcd] [--rate R] [--nginx-workers N]
#
#   (a) hold: 20,000 subscribers on 2,000 pending requests, held ~30 s with
#       nothing changing: gentrack-fcgi's CPU over that quiet window (every
#       process of the pool) as % of one core, MariaDB's and nginx's too;
#       nginx's memory (RSS and PSS of all its processes) before and after,
#       per 10,000 subscribers.
#   (b) subscribe: 10,000 subscribers over 1,000 requests while the worker
#       (the load client itself) finishes 100 requests a second, each going
#       pending -> processing (claim) -> entity recorded -> completed, and a
#       new request takes each finished one's place (its subscribers move
#       to it): the delay from each change to each subscriber's event (p50,
#       p99, max), events expected vs received, CPU of nginx, gentrack-fcgi,
#       MariaDB and the client, over 30 s after a 5 s warm-up.
#   (c) poll: the same 10,000 waiters as pollers, each GETting its request
#       every 5 s with If-None-Match, under the same change load: the same
#       columns.
#   (d) changes only: the change load with no waiter, the floor under (b)
#       and (c).
#   Then the ratio pollers / subscribers of the server's CPU (nginx +
#   gentrack-fcgi + MariaDB), whole and above the floor (d).
#
#   --quick   2,000 subscribers held 5 s; 2,000 waiters over 200 requests at
#             20 a second for 8 s: checks that it works (about a minute).
#   --keep    leave the stack running afterwards (also BENCH_KEEP=1).
#   --phases abcd   run only these phases (e.g. --phases bd).
#   --rate R        requests finished a second in (b)-(d) (default 100).
#   --nginx-workers N   nginx's worker_processes (default 2, the harness's).
#   --relaxed-commits   keep the harness's innodb_flush_log_at_trx_commit = 2
#                   (a diagnosis: is the worker's rate held back by the log
#                   flush? Not the configuration the figures are for).
#
# The load client is bench/live-load.c (built here with cc, as bench/run
# builds its helpers: `make` and `make check` stay free of it); its header
# says how the delay is defined. Its own stack in bench/.stack/live (or
# .../live-quick) of the build tree, free loopback ports, MariaDB with
# durable commits as bench/run has it, 4 FastCGI children; nginx gets, for
# this benchmark only, worker_connections and worker_rlimit_nofile near the
# machine's hard descriptor limit and a bench server (bench/nginx-live.conf.in,
# reuseport, no create rate limit). Everything it started is stopped on exit.
#
# Exit status: 0 when every phase ran as it should (all subscribers held,
# events received = expected within 0.5 %, no 5xx, no failed worker call,
# at most 0.1 % of polls failed, at least 90 % of the asked rate finished,
# no nginx worker crashed); 1 otherwise. Targets missed (p99, CPU) are
# reported, not failures. The CPU ratio is printed only when (b), (c) and
# (d) all finished at least 90 % of the asked rate (else the loads differ).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$(cd "$here/.." && pwd)}
export abs_top_builddir=${abs_top_builddir:-$abs_top_srcdir}
src=$abs_top_srcdir/bench
out=$abs_top_builddir/bench
stack=$abs_top_srcdir/tests/harness/stack.sh

mode=full keep=${BENCH_KEEP:-} phases=abcd rate_opt="" ngx_workers=2 flush=1
while (($#)); do
	case $1 in
	--quick) mode=quick ;;
	--keep) keep=1 ;;
	--phases) phases=${2:?--phases needs letters}; shift ;;
	--rate) rate_opt=${2:?--rate needs a number}; shift ;;
	--nginx-workers) ngx_workers=${2:?--nginx-workers needs a number}; shift ;;
	--relaxed-commits) flush=2 ;;
	-h | --help) sed -n '2,52p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/live.sh: unknown option '$1' (try --help)" >&2; exit 1 ;;
	esac
	shift
done

case $mode in
full) hold=20000 hold_requests=2000 hold_s=30 waiters=10000 requests=1000 rate=100 run_s=35 warm_s=5 ;;
quick) hold=2000 hold_requests=200 hold_s=5 waiters=2000 requests=200 rate=20 run_s=8 warm_s=2 ;;
esac
poll_interval=5
[[ -z $rate_opt ]] || rate=$rate_opt
[[ $phases =~ ^[abcd]+$ ]] || { echo "bench/live.sh: --phases takes letters of abcd" >&2; exit 1; }
[[ $ngx_workers =~ ^[1-9]$ ]] || { echo "bench/live.sh: --nginx-workers takes 1..9" >&2; exit 1; }

die() { printf 'bench/live.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench/live.sh: %s\n' "$*" >&2; }

for cmd in nginx mariadb curl cc; do
	command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found (./dev deps installs it)"
done
[[ -r /usr/lib/nginx/modules/ngx_nchan_module.so ]] || die "libnginx-mod-nchan is not installed (./dev deps)"
[[ -x $abs_top_builddir/src/gentrack-fcgi && -x $abs_top_builddir/src/gentrackctl ]] ||
	die "gentrack is not built in $abs_top_builddir (run make)"

# ---------------------------------------------------------------- the client

mkdir -p "$out"
client=$out/live-load
if [[ ! -x $client || $src/live-load.c -nt $client ]]; then
	"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror \
		-o "$client" "$src/live-load.c" || die "could not build bench/live-load"
fi

# Descriptors: the hard limit is per process and cannot be raised without
# CAP_SYS_RESOURCE (20,000 on this machine kind). One client process holds
# at most this many waiters; nginx's two workers share the streams
# (reuseport), each allowed nearly the whole limit.
nofile=$(ulimit -Hn)
[[ $nofile == unlimited ]] && nofile=1048576
ulimit -n "$nofile"
per_proc=$((nofile - 200))
((per_proc > 10000)) && per_proc=10000
((per_proc >= 1000)) || die "the descriptor limit ($nofile) is too low for this benchmark"
((waiters + 64 <= nofile)) || die "$waiters waiters need a descriptor limit over $((waiters + 64)) (it is $nofile)"

# ---------------------------------------------------------------- the stack

dir=$out/.stack/live
[[ $mode == quick ]] && dir=$out/.stack/live-quick
clients=()
stop_all() {
	local pid
	for pid in "${clients[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${clients[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	clients=()
	[[ -n $keep ]] || bash "$stack" down "$dir" >>"$dir.log" 2>&1 || true
}
bash "$stack" down "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
: >"$dir.log"
trap stop_all EXIT
say "starting a private stack in $dir (log: $dir.log)"
bash "$stack" up "$dir" --workers 4 >>"$dir.log" 2>&1 || { tail -n 20 "$dir.log" >&2; die "the stack did not start"; }
# shellcheck source=/dev/null
. "$dir/credentials.env"
ngx=$dir/nginx
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B -r gentrack "$@"; }
# Durable commits and InnoDB's default pool, as bench/run measures.
sql -e "SET GLOBAL innodb_flush_log_at_trx_commit = $flush;
	SET GLOBAL innodb_buffer_pool_size = 134217728;"

port_busy() { grep -qiE "^ *[0-9]+: [0-9A-F]+:$(printf '%04X' "$1") [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6; }
bench_port=""
for ((i = 0; i < 200; i++)); do
	p=$((20000 + RANDOM % 12000))
	port_busy "$p" || { bench_port=$p; break; }
done
[[ -n $bench_port ]] || die "no free loopback port"
sed -e "s#@PORT@#$bench_port#g" -e "s#@LIVE_SUBSCRIBER@#$ngx/live/live-subscriber.conf#g" \
	"$src/nginx-live.conf.in" >"$ngx/bench-live.conf"
printf '\ninclude %s;\n' "$ngx/bench-live.conf" >>"$ngx/site.conf"
# This stack's nginx only: room for the streams in each worker.
grep -q 'worker_connections 1024;' "$ngx/nginx.conf" || die "nginx.conf has no 'worker_connections 1024;' to raise"
# And the error log at notice, not the harness's info (a line per publish
# connection closed, here thousands a second): crashes (alert) still show.
sed -i -e "s/worker_connections 1024;/worker_connections $((nofile - 100));/" \
	-e "s#error_log \(.*\) info;#error_log \1 notice;#" \
	-e "s/^worker_processes 2;/worker_processes $ngx_workers;\nworker_rlimit_nofile $nofile;/" "$ngx/nginx.conf"
nginx -t -q -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" 2>>"$dir.log" ||
	die "nginx rejected the bench configuration (see $dir.log)"
nginx -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" -s reload
url=http://127.0.0.1:$bench_port
for ((i = 0; i < 50; i++)); do
	[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CLIENT_KEY" \
		"$url/api/v1/generation-requests" || true) == 200 ]] && break
	sleep 0.1
done
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CLIENT_KEY" \
	"$url/api/v1/generation-requests") == 200 ]] || die "the bench server does not answer"
sleep 1 # the old workers leave

fcgi_pg=$(tr -dc '0-9' <"$dir/fcgi.pid")
ngx_pg=$(tr -dc '0-9' <"$ngx/nginx.pid")
db_pg=$(tr -dc '0-9' <"$dir/mysqld.pid")
hz=$(getconf CLK_TCK)

# CPU ticks used so far by each process group: "nginx app store"; with the
# times of reaped children (a crashed nginx worker's, a restarted child's).
cpu_ticks() {
	# A process may exit between the glob and the read: cat then fails.
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v ng="$ngx_pg" -v fc="$fcgi_pg" -v db="$db_pg" '
		{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); t = f[12] + f[13] + f[14] + f[15]
		  if (f[3] == ng) n += t; else if (f[3] == fc) a += t; else if (f[3] == db) d += t }
		END { printf "%d %d %d\n", n, a, d }'
}
# Rss and Pss (KiB) summed over nginx's processes: "rss pss".
nginx_mem() {
	local pid pg
	for f in /proc/[0-9]*/stat; do
		pid=${f#/proc/}
		pid=${pid%/stat}
		pg=$(awk '{s = $0; sub(/^.*\) /, "", s); split(s, x, " "); print x[3]}' "$f" 2>/dev/null) || continue
		[[ $pg == "$ngx_pg" ]] || continue
		awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END {printf "%d %d\n", r, p}' "/proc/$pid/smaps_rollup" 2>/dev/null || true
	done | awk '{r += $1; p += $2} END {printf "%d %d\n", r, p}'
}
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
failures=0
fail() { say "check failed: $*"; failures=$((failures + 1)); }
common=(--url "$url" --client-key "$CLIENT_KEY" --worker-key "$WORKER_KEY" --sources 8)
uptime_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- (a) hold

held=0 procs=0
if [[ $phases == *a* ]]; then
procs=$(((hold + per_proc - 1) / per_proc))
say "(a) $hold subscribers on $hold_requests requests ($procs client processes), held ${hold_s}s"
read -r mem_rss0 mem_pss0 < <(nginx_mem)
for ((k = 0; k < procs; k++)); do
	n=$((hold / procs)) r=$((hold_requests / procs))
	# --seconds bounds the hold; the window is over before it (TERM ends it).
	"$client" "${common[@]}" --mode subscribe --waiters "$n" --requests "$r" --rate 0 \
		--seconds $((hold_s + 120)) --warmup 0 --drain 0 --open-seconds 600 \
		>"$dir/hold.$k.out" 2>"$dir/hold.$k.err" &
	clients+=($!)
done
held_all() {
	local k
	for ((k = 0; k < procs; k++)); do
		grep -q '^HELD\|^LIVE' "$dir/hold.$k.out" 2>/dev/null || return 1
	done
}
# The cost of a subscription: CPU from the last create to the last stream
# held (each a GET through the application, its channel check on nginx's
# publisher socket, and the hand-over to Nchan).
created_all() {
	local k
	for ((k = 0; k < procs; k++)); do
		grep -q 'created in' "$dir/hold.$k.err" 2>/dev/null || return 1
	done
}
for ((i = 0; i < 3000; i++)); do
	created_all && break
	for pid in "${clients[@]}"; do kill -0 "$pid" 2>/dev/null || break 2; done
	sleep 0.1
done
co0=$(cpu_ticks)
t_open=$(date +%s%N)
for ((i = 0; i < 6500; i++)); do
	held_all && break
	for pid in "${clients[@]}"; do kill -0 "$pid" 2>/dev/null || break 2; done
	sleep 0.1
done
co1=$(cpu_ticks)
open_s=$(awk -v a="$t_open" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
held=0
for ((k = 0; k < procs; k++)); do
	h=$(awk '$1 == "HELD" {print $2}' "$dir/hold.$k.out")
	held=$((held + ${h:-0}))
done
((held == hold)) || fail "(a) $held of $hold subscribers held (see $dir/hold.*.err)"
sleep 2 # the last hand-overs' answers are written
read -r mem_rss1 mem_pss1 < <(nginx_mem)
c0=$(cpu_ticks)
t0=$(date +%s%N)
sleep "$hold_s"
c1=$(cpu_ticks)
t1=$(date +%s%N)
read -r mem_rss2 mem_pss2 < <(nginx_mem)
conns=$(awk 'NR > 1 && $4 == "01" && ($2 ~ /:'"$(printf '%04X' "$bench_port")"'$/) {n++} END {print n + 0}' /proc/net/tcp)
for pid in "${clients[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${clients[@]}"; do wait "$pid" 2>/dev/null || true; done
clients=()
read -r a_ngx a_app a_db < <(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN {
	split(a, x, " "); split(b, y, " "); s = (t1 - t0) / 1e9
	for (i = 1; i <= 3; i++) printf "%.2f ", (y[i] - x[i]) / hz / s * 100; print "" }')
read -r o_ngx o_app o_db < <(awk -v a="$co0" -v b="$co1" -v hz="$hz" -v n="$held" 'BEGIN {
	split(a, x, " "); split(b, y, " ")
	for (i = 1; i <= 3; i++) printf "%.0f ", (n > 0 ? (y[i] - x[i]) / hz * 1e6 / n : 0); print "" }')
per10k() { awk -v d="$1" -v n="$held" 'BEGIN {printf "%.1f", (n > 0 ? d / 1024 / (n / 10000) : 0)}'; }
a_rss=$(per10k $((mem_rss2 - mem_rss0)))
a_pss=$(per10k $((mem_pss2 - mem_pss0)))
awk -v x="$a_app" 'BEGIN {exit !(x < 2)}' || say "(a) target missed: gentrack-fcgi used $a_app% of a core while $held streams waited"
fi

# ---------------------------------------------------------------- (b) (c) (d)

pg=(--pgroup "nginx=$ngx_pg" --pgroup "app=$fcgi_pg" --pgroup "store=$db_pg")
declare -A line
run_phase() {
	local key=$1 m=$2 n=$3
	say "($key) $m: $n waiters over $requests requests, $rate finished a second, ${run_s}s (${warm_s}s warm-up)"
	timeout $((run_s + 400)) "$client" "${common[@]}" --mode "$m" --waiters "$n" --requests "$requests" \
		--rate "$rate" --seconds "$run_s" --warmup "$warm_s" --poll-interval "$poll_interval" \
		--open-seconds 300 "${pg[@]}" >"$dir/$key.out" 2>"$dir/$key.err" &
	clients+=($!)
	wait "${clients[-1]}" || fail "($key) the client exited with status $? (see $dir/$key.err)"
	clients=()
	crash_check "($key)"
	line[$key]=$(grep '^LIVE ' "$dir/$key.out" || true)
	[[ -n ${line[$key]} ]] || { fail "($key) the client printed no result"; line[$key]="LIVE"; return 0; }
	local l=${line[$key]} want
	(($(field driver_errors "$l") == 0)) || fail "($key) $(field driver_errors "$l") worker calls failed"
	(($(field status_5xx "$l") == 0)) || fail "($key) $(field status_5xx "$l") answers were 5xx"
	want=$(awk -v r="$rate" -v s="$run_s" 'BEGIN {printf "%d", r * s * 0.9}')
	(($(field completes "$l") >= want)) || fail "($key) only $(field completes "$l") requests finished (want >= $want)"
	if [[ $m == subscribe ]]; then
		local exp got
		exp=$(field expected "$l") got=$(field got "$l")
		((exp > 0)) || fail "($key) no event was expected"
		awk -v e="$exp" -v g="$got" 'BEGIN {exit !(g >= e * 0.995 && g <= e)}' ||
			fail "($key) events: got $got of $exp expected"
	fi
	if [[ $m == poll ]]; then
		local polls errs
		polls=$(field polls "$l") errs=$(field poll_errors "$l")
		awk -v p="$polls" -v e="$errs" 'BEGIN {exit !(p > 0 && e <= p * 0.001)}' ||
			fail "($key) $errs of $polls polls failed"
	fi
}
# nginx workers that died (Nchan has crashed here under load): each loses
# its streams, and its clients all come back at once.
crashes() { grep -c 'exited on signal' "$ngx/error.log" || true; }
crash_check() {
	local now
	now=$(crashes)
	if ((now > crashes_seen)); then
		fail "$1: $((now - crashes_seen)) nginx worker(s) crashed ($(grep 'exited on signal' "$ngx/error.log" | tail -n 1))"
		crash_note+=" $1:$((now - crashes_seen))"
	fi
	crashes_seen=$now
}
crashes_seen=0 crash_note=""
crash_check "(a)"
line[b]="" line[c]="" line[d]=""
[[ $phases != *b* ]] || run_phase b subscribe "$waiters"
[[ $phases != *c* ]] || run_phase c poll "$waiters"
[[ $phases != *d* ]] || run_phase d none 0

# ---------------------------------------------------------------- the table

server() { awk -v a="$(field cpu_nginx_pct "$1")" -v b="$(field cpu_app_pct "$1")" -v c="$(field cpu_store_pct "$1")" \
	'BEGIN {printf "%.1f", a + b + c}'; }
sb=$(server "${line[b]}") sc=$(server "${line[c]}") sd=$(server "${line[d]}")
ratio=$(awk -v p="$sc" -v s="$sb" 'BEGIN {printf "%.2f", (s > 0 ? p / s : 0)}')
# Above the floor (d), in % of one core; a ratio of the two only when the
# subscribers' share stands out of the run-to-run noise (2 % of a core).
ratio_above=$(awk -v p="$sc" -v s="$sb" -v d="$sd" 'BEGIN {
	printf "pollers %+.1f %%, subscribers %+.1f %% of a core", p - d, s - d
	if (s - d >= 2) printf " (%.2f x)", (p - d) / (s - d)
	else printf " (the subscribers within the noise of (d))"
}')
uptime_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<EOF

gentrack live bench ($mode): $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1),
$(date -u +%FT%TZ), 4 FastCGI workers, nginx $ngx_workers workers (worker_connections $((nofile - 100)), reuseport),
descriptor limit $nofile, innodb_flush_log_at_trx_commit $flush; load average before: $uptime_before, after: $uptime_after
EOF
if [[ $phases == *a* ]]; then
	cat <<EOF

(a) $held of $hold subscribers held on $hold_requests requests (opened in ${open_s}s by $procs client processes; $conns established at the bench port), quiet ${hold_s}s:
| what | value |
| --- | ---: |
| gentrack-fcgi CPU while they wait (all processes, % of one core) | $a_app |
| nginx CPU while they wait | $a_ngx |
| MariaDB CPU while they wait | $a_db |
| nginx RSS before / held / end of window (MiB) | $((mem_rss0 / 1024)) / $((mem_rss1 / 1024)) / $((mem_rss2 / 1024)) |
| nginx PSS before / held / end of window (MiB) | $((mem_pss0 / 1024)) / $((mem_pss1 / 1024)) / $((mem_pss2 / 1024)) |
| nginx memory per 10,000 subscribers: RSS / PSS (MiB) | $a_rss / $a_pss |
| CPU per subscription while opening: nginx / app / MariaDB (µs) | $o_ngx / $o_app / $o_db |

EOF
fi
cat <<EOF
(b)-(d) $waiters waiters over $requests requests, $rate requests finished a second (claim, entity, complete; a new request replaces each), ${run_s}s, CPU over the last $((run_s - warm_s))s in % of one core:
| phase | changes | events got / expected | delay p50 / p99 / max ms | lower bound p50 / p99 ms | worker call p50 / p99 ms | polls/s (200, 304) | poll sees final p50 / p99 ms | nginx | app | store | client | server |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
for key in b c d; do
	[[ -n ${line[$key]} ]] || continue
	l=${line[$key]}
	case $key in b) name="(b) subscribers" ;; c) name="(c) pollers every ${poll_interval}s" ;; d) name="(d) changes only" ;; esac
	ev="" dl="" lo="" pl="" pd=""
	[[ $key == b ]] && ev="$(field got "$l") / $(field expected "$l")" &&
		dl="$(field delay_p50_ms "$l") / $(field delay_p99_ms "$l") / $(field delay_max_ms "$l")" &&
		lo="$(field delay_lo_p50_ms "$l") / $(field delay_lo_p99_ms "$l")"
	[[ $key == c ]] && pl="$(field polls_per_s "$l") ($(field poll_200 "$l"), $(field poll_304 "$l"))" &&
		pd="$(field poll_delay_p50_ms "$l") / $(field poll_delay_p99_ms "$l")"
	printf '| %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" \
		"$(field changes "$l")" "$ev" "$dl" "$lo" "$(field call_p50_ms "$l")" "$(field call_p99_ms "$l")" "$pl" "$pd" \
		"$(field cpu_nginx_pct "$l")" "$(field cpu_app_pct "$l")" "$(field cpu_store_pct "$l")" \
		"$(field cpu_client_pct "$l")" "$(server "$l")"
done
echo
# A ratio of CPU between runs that did not carry the same change load (a
# busy machine, a pool that refused polls) would say nothing.
same_load() {
	local key want
	want=$(awk -v r="$rate" -v s="$run_s" 'BEGIN {printf "%d", r * s * 0.9}')
	for key in "$@"; do
		[[ -n ${line[$key]} ]] || continue
		(($(field completes "${line[$key]}") >= want)) || return 1
		(($(field status_5xx "${line[$key]}") == 0)) || return 1
	done
}
if [[ -n ${line[b]} && -n ${line[c]} ]]; then
	if same_load b c d; then
		echo "server CPU (nginx + gentrack-fcgi + MariaDB), pollers / subscribers: $ratio x${line[d]:+; above the change load alone (d): $ratio_above}"
	else
		echo "server CPU pollers / subscribers: not comparable (finished: b $(field completes "${line[b]}"), c $(field completes "${line[c]}")${line[d]:+, d $(field completes "${line[d]}")} of $((rate * run_s)) asked; 5xx: b $(field status_5xx "${line[b]}"), c $(field status_5xx "${line[c]}"))"
	fi
fi
[[ -z ${line[b]} ]] ||
	echo "p99 delay target (< 100 ms): $(awk -v p="$(field delay_p99_ms "${line[b]}")" 'BEGIN {print (p >= 0 && p < 100) ? "met" : "missed"}') ($(field delay_p99_ms "${line[b]}") ms)"
[[ $phases != *a* ]] ||
	echo "gentrack-fcgi CPU while $held wait (< 2% of a core): $(awk -v x="$a_app" 'BEGIN {print x < 2 ? "met" : "missed"}') ($a_app%)"
[[ -z $crash_note ]] || echo "nginx workers crashed (signal) during:$crash_note: figures of those phases are not clean"
for key in b c d; do
	[[ -z ${line[$key]} ]] || printf 'raw (%s): %s\n' "$key" "${line[$key]}"
done
if ((failures)); then
	say "$failures check(s) failed"
	exit 1
fi
