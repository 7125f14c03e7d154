#!/usr/bin/env bash
# Priority and fair share across owners (issue 18): what fair share costs.
#
#   bench/fair.sh [--quick] [--rows N] [--owners K] [--seconds S]
#
#   (default) claims per second with fair share on against off (8 claimers
#             of bench/claimers.c through nginx, S = 10 s a run, off/on/off/on,
#             each run over 50,000 pending requests of K = 1,000 owners);
#             creates per second on against off (bench/fair_creates, 4
#             threads through the store, over 100 owners and over one);
#             then the claim
#             statement's EXPLAIN (and ANALYZE) at N = 1,000,000 pending rows
#             across the K owners, and claims per second at that size.
#   --quick   N = 100,000 and S = 3: checks the bench itself.
#   --rounds R  2 or 4 rounds (off, on, off, on), default 4; repeat the
#             bench (--no-big) for more.
#   --no-big  the rounds only, not the N-row part.
#   --on-first  rounds on, off, on, off.
#
# Starts its own private stack (tests/harness/stack.sh) in bench/.stack/fair
# of the build tree, on free loopback ports, and stops it on exit. Pending
# rows are seeded in SQL (MariaDB's sequence engine) with the tags the
# creates would give them: owner o's k-th request of a burst gets
# k * 720720 (weight 1), as if every owner had queued at once; with fair
# share off every tag is 0 (oldest first). Fair share itself is switched by
# [claims] fair_share in the stack's extra.conf, the FastCGI pool restarted.
#
# The last line is a summary:
#   FAIR claims_on=C claims_off=C ratio=R creates_on=C creates_off=C ratio=R rows=N
#
# Environment: abs_top_srcdir / abs_top_builddir as for bench/run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$(cd "$here/.." && pwd)}
export abs_top_builddir=${abs_top_builddir:-$abs_top_srcdir}
stack=$abs_top_srcdir/tests/harness/stack.sh
dir=$abs_top_builddir/bench/.stack/fair
workers=4
rows=1000000 owners=1000 seconds=10 run_rows=50000 rounds=4 big=1 on_first=0
while (($#)); do
	case $1 in
	--quick) rows=100000 seconds=3; shift ;;
	--rows) rows=${2:?--rows needs a number}; shift 2 ;;
	--owners) owners=${2:?--owners needs a number}; shift 2 ;;
	--seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
	--rounds) rounds=${2:?--rounds needs 2 or 4}; shift 2 ;;
	--no-big) big=0; shift ;;
	--on-first) on_first=1; shift ;;
	-h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/fair.sh: unknown option '$1' (try --help)" >&2; exit 1 ;;
	esac
done
[[ $rounds == 2 || $rounds == 4 ]] || { echo "bench/fair.sh: --rounds must be 2 or 4" >&2; exit 1; }
die() { printf 'bench/fair.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench/fair.sh: %s\n' "$*" >&2; }
for cmd in nginx mariadb mariadb_config curl cc; do
	command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found (./dev deps installs it)"
done
[[ -x $abs_top_builddir/src/gentrack-fcgi ]] || die "gentrack is not built in $abs_top_builddir (run make)"

export GENTRACK_NO_LIVE=1
stop_all() { bash "$stack" down "$dir" >>"$dir.log" 2>&1 || true; }
bash "$stack" down "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
: >"$dir.log"
[[ -n ${BENCH_KEEP:-} ]] || trap stop_all EXIT
cc -O2 -o "$dir/claimers" "$here/claimers.c" -pthread -lcurl || die "could not build bench/claimers"
# shellcheck disable=SC2046 # mariadb_config prints several flags
cc -O2 -I"$abs_top_builddir" -I"$abs_top_srcdir/src" -o "$dir/fair_creates" "$here/fair_creates.c" \
	"$abs_top_builddir/src/libgentrack.a" $(mariadb_config --libs) -ljansson -lsodium -lfcgi -lcurl -pthread ||
	die "could not build bench/fair_creates"
say "starting a private stack in $dir ($workers FastCGI workers; log: $dir.log)"
bash "$stack" up "$dir" --workers "$workers" >>"$dir.log" 2>&1 || { tail -n 20 "$dir.log" >&2; die "the stack did not start"; }
# shellcheck source=/dev/null
. "$dir/credentials.env"
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B -r gentrack "$@"; }
sql -e "SET GLOBAL innodb_buffer_pool_size = 1073741824"
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# fair_share on|off: the pool restarted with it.
fair_share() {
	printf '[claims]\nfair_share = %s\n' "$([[ $1 == on ]] && echo true || echo false)" >"$dir/extra.conf"
	bash "$stack" stop "$dir" fcgi >>"$dir.log" 2>&1
	bash "$stack" up "$dir" --workers "$workers" >>"$dir.log" 2>&1 || die "the pool did not restart (see $dir.log)"
}

# seed TYPE N ON PRIORITY9_EVERY [PRIORITY]: N pending requests of TYPE
# across $owners owners at PRIORITY (5), tagged as their creates would with
# fair share ON (1) or off (0); every PRIORITY9_EVERY-th at 9 (0: none).
seed() {
	local type=$1 n=$2 on=$3 p9=$4 prio=${5:-5}
	sql <<-SQL
		SET unique_checks = 0, foreign_key_checks = 0;
		SET @now = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR;
		INSERT INTO generation_requests (id, owner, entity_type, status, requested_count,
		  requested_at, updated_at, constraints_json, metadata_json, priority, vtime)
		SELECT UNHEX(CONCAT(LPAD(HEX(FLOOR(UNIX_TIMESTAMP(t) * 1000)), 12, '0'), '7',
		         LPAD(HEX(seq % 4096), 3, '0'), '8', LPAD(HEX(seq), 15, '0'))),
		  CONCAT('tenant-', LPAD(seq % $owners, 4, '0')), '$type', 'pending', 1, t, t, '{}', '{}',
		  IF($p9 > 0 AND seq % GREATEST($p9, 1) = 0, 9, $prio),
		  IF($on, (seq DIV $owners) * 720720, 0)
		FROM (SELECT seq, @now + INTERVAL seq MICROSECOND AS t FROM seq_1_to_$n) s;
	SQL
}

# claims TYPE: one run of the claimers; prints claims per second.
claims() {
	local line
	line=$("$dir/claimers" "$BASE_URL" "$WORKER_KEY" 8 "$seconds" "[\"$1\"]") || say "claimers reported errors: $line"
	say "  $line"
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	     END { printf "%.0f\n", v["claims"] / v["seconds"] }' <<<"$line"
}

# creates MODE TYPE OWNERS: bench/fair_creates for $seconds, 4 threads; prints creates per second.
creates() {
	local line
	line=$("$dir/fair_creates" "$dir/gentrack.conf" 4 "$seconds" "$3" "$1" "$2") || say "fair_creates reported errors: $line"
	say "  $line"
	sed -n 's/.*per_s=\([0-9]*\).*/\1/p' <<<"$line"
}

declare -A c_sum=([on]=0 [off]=0) k_sum=([on]=0 [off]=0) k1_sum=([on]=0 [off]=0)
round=0
# Each round's queue at a priority above what earlier rounds left (6, 7, 8,
# 9), so that every run's claims walk their own rows first.
for ((r = 0; r < rounds; r++)); do
	mode=$( (((r + on_first) % 2)) && echo on || echo off)
	round=$((round + 1))
	say "round $round: fair share $mode"
	fair_share "$mode"
	type=fb_${mode}_$round
	seed "$type" "$run_rows" "$([[ $mode == on ]] && echo 1 || echo 0)" 0 $((5 + round))
	c=$(claims "$type")
	k=$(creates "$mode" "fc_$round" 100)
	k1=$(creates "$mode" "fc1_$round" 1)
	say "  claims/s $c, creates/s $k (100 owners), $k1 (1 owner)"
	c_sum[$mode]=$((c_sum[$mode] + c))
	k_sum[$mode]=$((k_sum[$mode] + k))
	k1_sum[$mode]=$((k1_sum[$mode] + k1))
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
half=$((rounds / 2))
claims_on=$((c_sum[on] / half)) claims_off=$((c_sum[off] / half))
creates_on=$((k_sum[on] / half)) creates_off=$((k_sum[off] / half))
creates1_on=$((k1_sum[on] / half)) creates1_off=$((k1_sum[off] / half))
say "claims/s: on $claims_on, off $claims_off ($(ratio $claims_on $claims_off)x); creates/s, 100 owners: on $creates_on, off $creates_off ($(ratio $creates_on $creates_off)x); 1 owner: on $creates1_on, off $creates1_off ($(ratio $creates1_on $creates1_off)x)"

if ((!big)); then
	echo "FAIR claims_on=$claims_on claims_off=$claims_off ratio=$(ratio $claims_on $claims_off)" \
		"creates_on=$creates_on creates_off=$creates_off ratio=$(ratio $creates_on $creates_off)" \
		"creates_1owner_on=$creates1_on creates_1owner_off=$creates1_off ratio=$(ratio $creates1_on $creates1_off)" \
		"rounds=$rounds load_before=\"$load0\" load_after=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
	exit 0
fi

# ---- the claim statement at $rows pending across $owners owners
say "seeding $rows pending requests across $owners owners (1% at priority 9)"
fair_share on
t0=$(date +%s)
seed problem "$rows" 1 100
say "seeded in $(($(date +%s) - t0)) s; $(sql -e "SELECT COUNT(*) FROM generation_requests WHERE status = 'pending'") pending"
sql -e "ANALYZE TABLE generation_requests" >/dev/null
# The text of store/work.c's pick (Q_CLAIM_PICK without FOR UPDATE SKIP LOCKED).
pick() {
	local types=$1
	echo "SELECT id, owner, entity_type, priority, vtime FROM generation_requests FORCE INDEX (ix_claim)
	 WHERE status = 'pending' AND entity_type IN ($types)
	 AND NOT EXISTS (SELECT 1 FROM queue_pauses p WHERE p.entity_type = generation_requests.entity_type)
	 ORDER BY priority DESC, vtime, id LIMIT 1"
}
for types in "'problem','problem','problem','problem','problem','problem','problem','problem'" \
	"'quiz','problem','sentence','quiz','quiz','quiz','quiz','quiz'"; do
	echo "== EXPLAIN claim, types ($types)"
	sql --table -e "EXPLAIN $(pick "$types")"
	echo "== ANALYZE (rows the pick really read)"
	sql --table -e "ANALYZE $(pick "$types")" | cut -c1-220
done
echo "== EXPLAIN the create's tag (store/requests.c, Q_SHARE_TAG), an owner with requests pending"
sql --table -e "EXPLAIN SELECT COALESCE(
	(SELECT MAX(o.vtime) FROM generation_requests o FORCE INDEX (ix_fair_owner)
	WHERE o.status = 'pending' AND o.entity_type = 'problem' AND o.priority = 5 AND o.owner = 'tenant-0001')
	+ 720720 DIV COALESCE((SELECT LEAST(GREATEST(w.weight, 1), 100) FROM owner_weights w
	WHERE w.owner = 'tenant-0001'), 1),
	(SELECT q.vtime FROM generation_requests q FORCE INDEX (ix_fair_tag)
	WHERE q.status = 'pending' AND q.entity_type = 'problem' AND q.priority = 5 ORDER BY q.vtime LIMIT 1), 0)"
say "claims at $rows pending (fair share on)"
c_big=$(claims problem)
k_big=$(creates on problem 100)
say "at $rows pending: claims/s $c_big, creates/s $k_big (100 owners)"
echo "FAIR claims_on=$claims_on claims_off=$claims_off ratio=$(ratio $claims_on $claims_off)" \
	"creates_on=$creates_on creates_off=$creates_off ratio=$(ratio $creates_on $creates_off)" \
	"creates_1owner_on=$creates1_on creates_1owner_off=$creates1_off ratio=$(ratio $creates1_on $creates1_off)" \
	"rows=$rows claims_at_rows=$c_big creates_at_rows=$k_big load_before=\"$load0\" load_after=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
