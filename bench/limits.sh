#!/usr/bin/env bash
# bench/limits.sh: what a per-owner pending limit costs the creates (issue 18).
#
#   bash bench/limits.sh [--seconds S] [--rounds R] [--only CASE]
#
# Creates per second through the store (bench/fair_creates, not nginx: the
# site limits creates to 20 a second per address), without a limit and with
# [limits] max_pending_per_owner = 100, alternating, R rounds (default 3) of
# S seconds (default 8) each, for:
#   - one owner, 4 threads: the gate serialises them through their commits;
#   - one owner, 1 thread: the two statements more, without waiting;
#   - 1,000 owners, 4 threads: the gate rarely shared;
#   - one owner, 4 threads, limit 1,000,000: never reached, so the count
#     reads every pending request of the owner (about 2,000 by a run's end).
# In the one-owner runs of limit 100, a drainer (a loop of mariadb -e) cancels the
# owner's pending requests every 50 ms, in both modes, so that the owner
# stays below the limit as if workers claimed them: what is measured is
# accepted creates; those refused at the limit are printed (limited=).
# Before each run the pending rows are cancelled.
#
# Starts its own stack (tests/harness/stack.sh, MariaDB only) in
# bench/.stack/limits of the build tree, and stops it on exit. The last
# lines: one per case, "LIMITS case=... off=C on=C ratio=R" (means).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$(cd "$here/.." && pwd)}
export abs_top_builddir=${abs_top_builddir:-$abs_top_srcdir}
stack=$abs_top_srcdir/tests/harness/stack.sh
dir=$abs_top_builddir/bench/.stack/limits
seconds=8 rounds=3 only=""
while (($#)); do
	case $1 in
	--seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
	--rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
	--only) only=${2:?--only needs a case name}; shift 2 ;;
	-h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/limits.sh: unknown option '$1' (try --help)" >&2; exit 1 ;;
	esac
done
die() { printf 'bench/limits.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench/limits.sh: %s\n' "$*" >&2; }
for cmd in mariadb mariadb_config cc; do
	command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found (./dev deps installs it)"
done
[[ -f $abs_top_builddir/src/libgentrack.a ]] || die "gentrack is not built in $abs_top_builddir (run make)"

stop_all() { bash "$stack" down "$dir" >>"$dir.log" 2>&1 || true; }
bash "$stack" down "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
: >"$dir.log"
trap stop_all EXIT
# shellcheck disable=SC2046 # mariadb_config prints several flags
cc -O2 -I"$abs_top_builddir" -I"$abs_top_srcdir/src" -o "$dir/fair_creates" "$here/fair_creates.c" \
	"$abs_top_builddir/src/libgentrack.a" $(mariadb_config --libs) -ljansson -lsodium -lfcgi -lcurl -pthread ||
	die "could not build bench/fair_creates"
say "starting a private MariaDB in $dir (log: $dir.log)"
bash "$stack" up "$dir" --no-fcgi >>"$dir.log" 2>&1 || { tail -n 20 "$dir.log" >&2; die "the stack did not start"; }
# shellcheck source=/dev/null
. "$dir/credentials.env"
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B gentrack -e "$1"; }

# The drainer: owner fc-0's pending cancelled every 50 ms for the run's length.
drain() {
	local end=$((SECONDS + seconds))
	while ((SECONDS < end)); do
		sql "UPDATE generation_requests SET status = 'cancelled' WHERE owner = 'fc-0' AND status = 'pending'"
		sleep 0.05
	done
}

# run THREADS OWNERS LIMIT DRAIN: creates per second of one run.
run() {
	local line drainer=""
	sql "UPDATE generation_requests SET status = 'cancelled' WHERE status = 'pending'"
	if (($4)); then
		drain &
		drainer=$!
	fi
	line=$("$dir/fair_creates" "$dir/gentrack.conf" "$1" "$seconds" "$2" on limits "$3") ||
		say "fair_creates reported errors: $line"
	[[ -z $drainer ]] || wait "$drainer"
	say "  threads=$1 owners=$2 max_pending=$3 drain=$4 $line load=$(cut -d' ' -f1 /proc/loadavg)"
	sed -n 's/.*per_s=\([0-9]*\).*/\1/p' <<<"$line"
}

summary=()
for spec in "one-owner-4-threads 4 1 100 1" "one-owner-1-thread 1 1 100 1" \
	"1000-owners-4-threads 4 1000 100 0" "one-owner-4-threads-never-reached 4 1 1000000 0"; do
	read -r name threads owners limit drained <<<"$spec"
	[[ -z $only || $only == "$name" ]] || continue
	off=0 on=0
	for ((r = 0; r < rounds; r++)); do
		off=$((off + $(run "$threads" "$owners" 0 "$drained")))
		on=$((on + $(run "$threads" "$owners" "$limit" "$drained")))
	done
	summary+=("LIMITS case=$name off=$((off / rounds)) on=$((on / rounds)) ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", b ? a / b : 0 }')")
done
printf '%s\n' "${summary[@]}"
