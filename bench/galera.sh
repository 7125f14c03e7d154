#!/usr/bin/env bash
# The price of a Galera cluster (issue 15, figures): the same creates, status
# polls and claims, through nginx, first on one MariaDB, then on a three-node
# Galera cluster on this same machine, and the conflicts under 8 claimers.
#
#   bench/galera.sh [--seconds N] [--only single|galera]
#
# Each store gets the same front: 4 gentrack-fcgi children in all (one pool
# of 4 on the single MariaDB; two app hosts of 2 each on the cluster, host A
# on node 1 first, host B on node 2, one nginx upstream over both, as in
# tests/harness/galera.sh), a bench-only nginx server without the site's
# create rate limit (bench/nginx-bench.conf.in's /api/), and durable commits
# on every MariaDB (innodb_flush_log_at_trx_commit = 1, a 128 MiB buffer
# pool). Then, N seconds each (default 10):
#   creates   wrk -t2 -c16, POST one request ("problem", 3 entities)
#   polls     wrk -t2 -c16, GET a random one of the created requests
#   claims    bench/claimers, 8 threads: claim, then complete, until the
#             created requests run out or the time is up
# and prints requests per second and p99 for each, side by side, and for the
# cluster the conflicts retried (gentrack_conflicts_total) per claim and per
# create, with Galera's own counts (certification failures, brute-force
# aborts). Everything runs on this machine's cores, the three nodes too:
# the cluster pays for three servers and its replication on the same CPUs.
#
# Starts its own stores in bench/.stack/galera-single and
# bench/.stack/galera-cluster (free loopback ports) and stops them on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$(cd "$here/.." && pwd)}
export abs_top_builddir=${abs_top_builddir:-$abs_top_srcdir}
src=$abs_top_srcdir/bench
out=$abs_top_builddir/bench
stack=$abs_top_srcdir/tests/harness/stack.sh
galera=$abs_top_srcdir/tests/harness/galera.sh

secs=10 only=""
while (($#)); do
	case $1 in
	--seconds) secs=${2:?--seconds needs a number}; shift 2 ;;
	--only) only=${2:?--only needs single or galera}; shift 2 ;;
	-h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/galera.sh: unknown option '$1' (try --help)" >&2; exit 1 ;;
	esac
done
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "bench/galera.sh: --seconds must be a positive number" >&2; exit 1; }
[[ -z $only || $only == single || $only == galera ]] ||
	{ echo "bench/galera.sh: --only takes single or galera" >&2; exit 1; }

die() { printf 'bench/galera.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench/galera.sh: %s\n' "$*" >&2; }

for cmd in wrk nginx mariadb curl jq; do
	command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found (./dev deps installs it)"
done
[[ -r /usr/lib/galera/libgalera_smm.so ]] || [[ $only == single ]] ||
	die "galera-4 is not installed (apt-get install galera-4 mariadb-backup socat)"
[[ -x $abs_top_builddir/src/gentrack-fcgi ]] || die "gentrack is not built in $abs_top_builddir (run make)"

mkdir -p "$out"
if [[ ! -x $out/claimers || $src/claimers.c -nt $out/claimers ]]; then
	"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror \
		-o "$out/claimers" "$src/claimers.c" -pthread -lcurl || die "could not build bench/claimers"
fi

threads=2 conns=16 claimers=8
# Set by measure() (printf -v): what each store did.
n_claims_galera=0 n_creates_galera=0 claims_per_s_single="" claims_per_s_galera=""
empty_single=- empty_galera=- pending_single=- pending_galera=-
single_dir=$out/.stack/galera-single
cluster_dir=$out/.stack/galera-cluster
lua=$out/.stack/galera-lua
mkdir -p "$lua"
for s in poll static; do
	cat "$src/lua/$s.lua" "$src/lua/report.lua" >"$lua/$s.lua"
done

stop_all() {
	bash "$stack" down "$single_dir" >>"$single_dir.log" 2>&1 || true
	bash "$galera" down "$cluster_dir" >>"$cluster_dir.log" 2>&1 || true
}
trap stop_all EXIT

port_busy() { grep -qiE "^ *[0-9]+: [0-9A-F]+:$(printf '%04X' "$1") [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6; }
free_port() {
	local i p
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12000))
		port_busy "$p" || { echo "$p"; return 0; }
	done
	die "no free loopback port"
}

# bench_server NGINX_DIR: the bench-only server (the site's /api/ without the
# create rate limit) in that nginx's http {}; prints its URL.
bench_server() {
	local ngx=$1 port i
	port=$(free_port)
	# Only /api/ is used here: the ceilings' sockets point nowhere.
	sed -e "s#@PORT@#$port#g" -e "s#@CEILING_SOCK@#$ngx/none.sock#g" -e "s#@REFERENCE_SOCK@#$ngx/none.sock#g" \
		"$src/nginx-bench.conf.in" >"$ngx/bench.conf"
	printf '\ninclude %s;\n' "$ngx/bench.conf" >>"$ngx/site.conf"
	nginx -t -q -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" >&2 || die "nginx rejected the bench server"
	nginx -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" -s reload
	for ((i = 0; i < 50; i++)); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/generation-requests" || true) == 401 ]] && break
		sleep 0.1
	done
	echo "http://127.0.0.1:$port"
}

field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# run_wrk NAME URL SCRIPT ARGS...: "req/s p99_ms non-2xx/3xx"
run_wrk() {
	local name=$1 url=$2 script=$3 line
	shift 3
	say "  $name ($secs s)"
	line=$(wrk -t$threads -c$conns -d"${secs}s" --timeout 5s -s "$script" "$url" -- "$@" | grep '^BENCH ') ||
		die "$name: wrk printed no result"
	awk -v n="$(field requests "$line")" -v s="$(field seconds "$line")" -v p="$(field p99_ms "$line")" \
		-v e="$(field non2xx3xx "$line")" 'BEGIN { printf "%.0f %.1f %d\n", n / s, p, e }'
}

# measure NAME BENCH_URL CLIENT_KEY WORKER_KEY SQL_FN: the three scenarios;
# results in $res_NAME_{creates,polls,claims} ("req/s p99 errors"), claims/s
# in $claims_per_s_NAME, the counts of claims and creates in n_claims_NAME
# and n_creates_NAME.
measure() {
	local name=$1 url=$2 client=$3 worker=$4 sqlfn=$5 r line ids
	local body='{"entity_type":"problem","count":3,"metadata":{"bench":"galera"}}'
	local before_creates
	before_creates=$("$sqlfn" "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'problem'")
	r=$(run_wrk creates "$url/api/v1/generation-requests" "$lua/static.lua" POST "$client" "$body")
	printf -v "res_${name}_creates" '%s' "$r"
	printf -v "n_creates_${name}" '%s' \
		"$(($("$sqlfn" "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'problem'") - before_creates))"
	ids=$lua/ids-$name
	"$sqlfn" "SELECT CONCAT(LOWER(INSERT(INSERT(INSERT(INSERT(HEX(id), 21, 0, '-'), 17, 0, '-'), 13, 0, '-'), 9, 0, '-')), ' v1')
		FROM generation_requests WHERE entity_type = 'problem' LIMIT 20000" >"$ids"
	r=$(run_wrk polls "$url/api/v1/generation-requests" "$lua/poll.lua" "$ids" "$client" full)
	printf -v "res_${name}_polls" '%s' "$r"
	say "  claims, $claimers claimers ($secs s at most)"
	line=$("$out/claimers" "$url" "$worker" "$claimers" "$secs" '["problem"]' || true)
	[[ -n $line ]] || die "claimers printed nothing"
	printf -v "res_${name}_claims" '%s' \
		"$(awk -v n="$(field requests "$line")" -v s="$(field seconds "$line")" -v p="$(field p99_ms "$line")" \
			-v e="$(field errors "$line")" 'BEGIN { printf "%.0f %.1f %d\n", n / s, p, e }')"
	printf -v "claims_per_s_${name}" '%s' \
		"$(awk -v n="$(field claims "$line")" -v s="$(field seconds "$line")" 'BEGIN { printf "%.0f", n / s }')"
	printf -v "n_claims_${name}" '%s' "$(field claims "$line")"
	printf -v "empty_${name}" '%s' "$(field empty "$line")"
	# A claimer stops at its first 204 (nothing to claim): with requests
	# still pending, that 204 was not the queue running dry.
	printf -v "pending_${name}" '%s' \
		"$("$sqlfn" "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'problem' AND status = 'pending'")"
	say "  claimers: $line"
}

# ---------------------------------------------------------------- one MariaDB

if [[ $only != galera ]]; then
	say "one MariaDB: starting a private stack in $single_dir (4 FastCGI children)"
	bash "$stack" down "$single_dir" >/dev/null 2>&1 || true
	rm -rf "$single_dir"
	bash "$stack" up "$single_dir" --workers 4 >"$single_dir.log" 2>&1 || { tail -n 20 "$single_dir.log" >&2; die "the stack did not start"; }
	# shellcheck source=/dev/null
	. "$single_dir/credentials.env"
	single_sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B gentrack -e "$1"; }
	single_sql "SET GLOBAL innodb_flush_log_at_trx_commit = 1; SET GLOBAL innodb_buffer_pool_size = 134217728;"
	url=$(bench_server "$single_dir/nginx")
	measure single "$url" "$CLIENT_KEY" "$WORKER_KEY" single_sql
	bash "$stack" down "$single_dir" >>"$single_dir.log" 2>&1 || true
fi

# ---------------------------------------------------------------- the cluster

if [[ $only != single ]]; then
	say "Galera: starting three nodes and two app hosts in $cluster_dir (about a minute)"
	bash "$galera" down "$cluster_dir" >/dev/null 2>&1 || true
	rm -rf "$cluster_dir"
	{ bash "$galera" up "$cluster_dir" && bash "$galera" apps "$cluster_dir"; } >"$cluster_dir.log" 2>&1 ||
		{ tail -n 20 "$cluster_dir.log" >&2; die "the cluster did not start"; }
	# shellcheck source=/dev/null
	. "$cluster_dir/galera.env"
	# shellcheck source=/dev/null
	. "$cluster_dir/apps.env"
	node_sql() {
		local sock_var=GALERA_SOCKET_$1
		mariadb --no-defaults --socket="${!sock_var}" -uroot -N -B gentrack -e "$2"
	}
	# Causal: the counts see every node's writes.
	galera_sql() { node_sql 3 "SET SESSION wsrep_sync_wait = 1; $1"; }
	for n in 1 2 3; do
		node_sql "$n" "SET GLOBAL innodb_flush_log_at_trx_commit = 1; SET GLOBAL innodb_buffer_pool_size = 134217728;"
	done
	url=$(bench_server "$cluster_dir/nginx")
	conflicts() { galera_sql "SELECT COALESCE(SUM(n), 0) FROM gentrack_counters WHERE metric = 'conflicts' AND actor_kind = '$1'"; }
	wsrep_sum() {
		local n t=0
		for n in 1 2 3; do
			t=$((t + $(node_sql "$n" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '$1'")))
		done
		echo "$t"
	}
	c_create0=$(conflicts create) c_claim0=$(conflicts claim) c_complete0=$(conflicts complete)
	cert0=$(wsrep_sum wsrep_local_cert_failures) bf0=$(wsrep_sum wsrep_local_bf_aborts)
	measure galera "$url" "$CLIENT_KEY" "$WORKER_KEY" galera_sql
	c_create=$(($(conflicts create) - c_create0)) c_claim=$(($(conflicts claim) - c_claim0))
	c_complete=$(($(conflicts complete) - c_complete0))
	cert=$(($(wsrep_sum wsrep_local_cert_failures) - cert0)) bf=$(($(wsrep_sum wsrep_local_bf_aborts) - bf0))
	double=$(galera_sql "SELECT COUNT(*) - COUNT(DISTINCT request_id) FROM generation_events
		WHERE from_status = 'pending' AND to_status = 'processing'")
fi

# ---------------------------------------------------------------- the table

cell() { # cell VAR FIELD: field 1 (req/s), 2 (p99) or 3 (errors) of a result
	local v=${!1:-}
	[[ -n $v ]] && awk -v f="$2" '{ print $f }' <<<"$v" || echo -
}
ratio() {
	local a b
	a=$(cell "res_single_$1" 1) b=$(cell "res_galera_$1" 1)
	[[ $a == - || $b == - ]] && { echo -; return; }
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f%%", 100 * b / a }'
}
echo
echo "gentrack on one MariaDB and on a three-node Galera cluster, same machine"
echo "$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(date -u +%FT%TZ)," \
	"load before: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$threads -c$conns -d${secs}s, $claimers claimers"
echo
printf '| %-28s | %9s | %8s | %9s | %8s | %8s | %s |\n' scenario "one req/s" "p99 ms" "Galera" "p99 ms" "Galera/1" "errors (1 / Galera)"
printf '| %-28s | %9s | %8s | %9s | %8s | %8s | %s |\n' --- ---: ---: ---: ---: ---: ---
for sc in creates polls claims; do
	case $sc in
	creates) label="create (202)" ;;
	polls) label="status poll (200)" ;;
	claims) label="claim + complete, 8 claimers" ;;
	esac
	printf '| %-28s | %9s | %8s | %9s | %8s | %8s | %s |\n' "$label" \
		"$(cell "res_single_$sc" 1)" "$(cell "res_single_$sc" 2)" \
		"$(cell "res_galera_$sc" 1)" "$(cell "res_galera_$sc" 2)" "$(ratio "$sc")" \
		"$(cell "res_single_$sc" 3) / $(cell "res_galera_$sc" 3)"
done
echo
echo "claims per second (each a claim and a complete): one MariaDB ${claims_per_s_single:--}, Galera ${claims_per_s_galera:--}"
echo "claimers stopped early by a 204 (of $claimers), and requests still pending after the claims:" \
	"one MariaDB $empty_single, $pending_single; Galera $empty_galera, $pending_galera"
if [[ $only != single ]]; then
	echo "Galera conflicts retried (gentrack_conflicts_total): claim $c_claim in ${n_claims_galera} claims" \
		"($(awk -v c="$c_claim" -v n="$n_claims_galera" 'BEGIN { printf "%.1f%%", n ? 100 * c / n : 0 }')), create $c_create" \
		"in ${n_creates_galera} creates ($(awk -v c="$c_create" -v n="$n_creates_galera" 'BEGIN { printf "%.2f%%", n ? 100 * c / n : 0 }'))," \
		"complete $c_complete"
	echo "Galera, all nodes: wsrep_local_cert_failures $cert, wsrep_local_bf_aborts $bf; requests claimed twice: $double"
fi
