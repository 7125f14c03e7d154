#!/usr/bin/env bash
# Reap time against table size: 1,000 stale rows among 100,000 and among
# 1,000,000 requests. The reaper's cost should follow the stale rows, not the
# table (SPEC §4), so the two times should be close.
#
#   bench/reap.sh [--quick]      (--quick: 10,000 and 20,000 rows, a smoke)
#
# Starts its own private stack in bench/.stack/reap (MariaDB only), seeds it
# with SQL (MariaDB's sequence engine), prints a table, stops the stack.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$repo} abs_top_builddir=${abs_top_builddir:-$repo}
stack=$repo/tests/harness/stack.sh
dir=${BENCH_STACK_DIR:-$abs_top_builddir/bench/.stack/reap}
ctl=$abs_top_builddir/src/gentrackctl

sizes=(100000 1000000)
[[ ${1:-} == --quick ]] && sizes=(10000 20000)
stale=1000

bash "$stack" down "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
trap 'bash "$stack" down "$dir" >/dev/null 2>&1 || true' EXIT
bash "$stack" up "$dir" --no-fcgi >/dev/null
# shellcheck source=/dev/null
. "$dir/credentials.env"
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B gentrack -e "$1"; }

# Rows first..last: finished requests of the last days, ids increasing with seq.
seed() {
	local first=$1 last=$2
	sql "INSERT INTO generation_requests (id, owner, entity_type, status, requested_count,
	       generated_count, attempt, version, requested_at, started_at, completed_at,
	       updated_at, constraints_json, metadata_json)
	     SELECT UNHEX(CONCAT(LPAD(HEX(seq), 12, '0'), '7000', LPAD(HEX(seq), 16, '0'))),
	       CONCAT('owner-', seq % 50), ELT(1 + seq % 3, 'problem', 'quiz', 'sentence'),
	       ELT(1 + seq % 4, 'completed', 'failed', 'partial', 'cancelled'), 5, 5, 1, 2,
	       UTC_TIMESTAMP(6) - INTERVAL (seq % 10000) MINUTE,
	       UTC_TIMESTAMP(6) - INTERVAL (seq % 10000) MINUTE,
	       UTC_TIMESTAMP(6) - INTERVAL (seq % 10000) MINUTE,
	       UTC_TIMESTAMP(6) - INTERVAL (seq % 10000) MINUTE, '{}', '{}'
	     FROM seq_${first}_to_${last}"
}

# Turns the newest `stale` finished rows into processing rows whose lease
# lapsed a minute ago (the reaper retries them), plus as many healthy ones.
make_stale() {
	sql "UPDATE generation_requests SET status = 'processing', worker_id = 'bench',
	       requested_at = UTC_TIMESTAMP(6) - INTERVAL 3 MINUTE,
	       started_at = UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE,
	       lease_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE, completed_at = NULL
	     WHERE status <> 'processing' ORDER BY id DESC LIMIT $stale"
}

printf '%-12s %-8s %-10s %s\n' "rows" "stale" "reap (s)" "summary"
have=0
for n in "${sizes[@]}"; do
	seed $((have + 1)) "$n"
	have=$n
	make_stale
	sql "ANALYZE TABLE generation_requests" >/dev/null
	# The plans at this size: each query must stay an index range scan.
	GENTRACK_CONFIG="$dir/gentrack.conf" "$ctl" reap --explain | sed 's/^/    plan: /' >&2
	start=$(date +%s%N)
	summary=$(GENTRACK_CONFIG="$dir/gentrack.conf" "$ctl" reap)
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	printf '%-12s %-8s %-10s %s\n' "$n" "$stale" "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))" "$summary"
	# Back to finished, so the next size starts with exactly $stale stale rows.
	sql "UPDATE generation_requests SET status = 'completed', worker_id = NULL,
	       lease_expires_at = NULL WHERE worker_id = 'bench' OR status IN ('pending', 'processing')"
done
