#!/usr/bin/env bash
# The status poll's latency while wrong admin passwords hit /admin/ (issue 12,
# item 3): a poll's p99 with no sign-ins, then while 50 wrong-password
# requests a second arrive, (a) spread over 10 client addresses at 5/s each
# (under nginx's limit_req rate: the application's own limits must hold) and
# (b) all from one address (nginx's limit_req answers most). Target: each
# p99 under attack within 1.5x of the quiet one.
#
#   bench/admin-login.sh [--quick]     (--quick: one round of 3 s runs)
#
# Starts its own private stack in bench/.stack/admin-login (4 FastCGI
# children, 2 per core, as bench/run), seeds 2,000 finished requests, polls
# them with wrk -t2 -c32 (bench/lua/poll.lua) through the site as shipped,
# and sends the wrong passwords with curl --rate from loopback addresses of
# their own (curl --interface 127.0.6.N). The attack starts with the run's
# warm-up, so its first Argon2id checks (before the limits answer 429) fall
# into it or into the measured run.
# Prints a table; stops everything it started.
#
# Environment: abs_top_srcdir / abs_top_builddir as for bench/run (point
# them at another build to measure it, e.g. one without these limits).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$(cd "$here/.." && pwd)}
export abs_top_builddir=${abs_top_builddir:-$abs_top_srcdir}
stack=$here/../tests/harness/stack.sh
dir=$abs_top_builddir/bench/.stack/admin-login
workers=$((2 * $(nproc)))
dur=10 warm=2 rows=2000 rounds=3
[[ ${1:-} == --quick ]] && dur=3 warm=1 rounds=1
attackers=10 per_attacker=5   # requests per second each: 50 in all

die() { printf 'bench/admin-login.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench/admin-login.sh: %s\n' "$*" >&2; }
for cmd in wrk nginx mariadb curl; do
	command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found (./dev deps installs it)"
done

pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	bash "$stack" down "$dir" >>"$dir.log" 2>&1 || true
}
bash "$stack" down "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
: >"$dir.log"
trap stop_all EXIT
say "starting a private stack in $dir ($workers FastCGI workers; log: $dir.log)"
bash "$stack" up "$dir" --workers "$workers" >>"$dir.log" 2>&1 || die "the stack did not start (see $dir.log)"
# shellcheck source=/dev/null
. "$dir/credentials.env"
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B -r gentrack "$@"; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
say "seeding $rows requests"
sql -e "INSERT INTO generation_requests (id, owner, entity_type, status, requested_count,
	  generated_count, attempt, version, requested_at, started_at, completed_at, updated_at,
	  constraints_json, metadata_json)
	SELECT UNHEX(CONCAT(LPAD(HEX(seq), 12, '0'), '7000', LPAD(HEX(seq), 16, '0'))), 'acme',
	  'problem', 'completed', 5, 5, 1, 1, UTC_TIMESTAMP(6) - INTERVAL seq SECOND,
	  UTC_TIMESTAMP(6) - INTERVAL seq SECOND, UTC_TIMESTAMP(6) - INTERVAL seq SECOND,
	  UTC_TIMESTAMP(6) - INTERVAL seq SECOND, '{}', '{}'
	FROM seq_1_to_$rows"
ids=$dir/ids.txt
sql -e "SELECT LOWER(CONCAT_WS('-', SUBSTR(h, 1, 8), SUBSTR(h, 9, 4), SUBSTR(h, 13, 4),
	       SUBSTR(h, 17, 4), SUBSTR(h, 21))), CONCAT('\"v', version, '\"')
	FROM (SELECT HEX(id) AS h, version FROM generation_requests) x" >"$ids"
lua=$dir/poll.lua
cat "$here/lua/poll.lua" "$here/lua/report.lua" >"$lua"
first=$(head -n 1 "$ids" | cut -f1)
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CLIENT_KEY" \
	"$BASE_URL/api/v1/generation-requests/$first") == 200 ]] || die "the poll does not answer 200"

field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
poll() { # poll SECONDS: one wrk run of the status poll; prints its BENCH line
	wrk -t2 -c32 -d"${1}s" --timeout 5s -s "$lua" "$BASE_URL/api/v1/generation-requests" \
		-- "$ids" "$CLIENT_KEY" | grep '^BENCH ' || die "wrk printed no result"
}
# attack USER FIRST_ADDR COUNT RATE: COUNT curl processes from 127.0.6.FIRST_ADDR
# on, each sending USER with a wrong password at RATE a second for the run's
# length; each writes the statuses it got to a file of its own. Every try
# has a password of its own: a repeated one is answered from the pool's
# shared result of its first check (web/verify_turn.h), and the worst case
# is a new Argon2id per guess.
attack() {
	local user=$1 a=$2 n=$3 rate=$4 i k tries
	tries=$((rate * (dur + warm + 2)))
	for ((i = 0; i < n; i++)); do
		# curl's config: one section per try, "next" between them (a
		# section's options end with it; --rate and -s stay global).
		for ((k = 0; k < tries; k++)); do
			((k == 0)) || echo next
			printf 'url = "%s"\nuser = "%s:wrong-%d-%d"\ninterface = "%s"\n' \
				"$BASE_URL/admin/api/stuck" "$user" "$((a + i))" "$k" "127.0.6.$((a + i))"
			printf 'output = "/dev/null"\nwrite-out = "%%{stderr}%%{http_code}\\n"\n'
		done >"$dir/attack.$i.curlrc"
		curl -s --rate "$rate/s" --config "$dir/attack.$i.curlrc" 2>"$dir/attack.$i.codes" &
		pids+=($!)
	done
}
stop_attack() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
}
# The statuses the attack got, "401:10 429:1000" (a line cut by the kill dropped).
codes() {
	cat "$dir"/attack.*.codes | grep -E '^[0-9]{3}$' | sort | uniq -c |
		awk '{printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1}'
	rm -f "$dir"/attack.*.codes
}
argon() { grep -c 'admin sign-in refused' "$dir/fcgi.log" || true; }

# Each round: quiet, (a), (b), 10 s each, so that a busy neighbour on a
# shared machine weighs on all three alike; each round attacks an account of
# its own (benchN) from addresses of its own, so each round pays the Argon2id
# checks of the first failures again. Figures: the median over the rounds.
declare -A p99s rpss notes
run() { # run KEY: a measured poll (after a warm-up); appends its p99 and rate
	local line
	poll "$warm" >/dev/null
	line=$(poll "$dur")
	p99s[$1]+="$(field p99_ms "$line") "
	rpss[$1]+="$(awk -v n="$(field requests "$line")" -v s="$(field seconds "$line")" 'BEGIN {printf "%.0f", n / s}') "
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ctl=("$GENTRACKCTL" --config "$dir/gentrack.conf")
for ((round = 1; round <= rounds; round++)); do
	printf 'bench-password-%s\n' "$round" | "${ctl[@]}" admin-user set "bench$round" >/dev/null
	say "round $round of $rounds: quiet"
	run quiet
	say "round $round: (a) 50 wrong passwords/s for bench$round from $attackers addresses, 5/s each"
	r0=$(argon)
	attack "bench$round" $((round * 20)) "$attackers" "$per_attacker"
	run spread
	stop_attack
	notes[spread]+="$(codes), $(($(argon) - r0)) Argon2id; "
	say "round $round: (b) 50 wrong passwords/s for bench$round from one address"
	r0=$(argon)
	attack "bench$round" $((round * 20 + 15)) 1 $((attackers * per_attacker))
	run single
	stop_attack
	notes[single]+="$(codes), $(($(argon) - r0)) Argon2id; "
done
declare -A p99 rps
for k in quiet spread single; do
	p99[$k]=$(median "${p99s[$k]}")
	rps[$k]=$(median "${rpss[$k]}")
done
notes[quiet]="p99 per round: ${p99s[quiet]}"
notes[spread]="p99 per round: ${p99s[spread]}; ${notes[spread]}"
notes[single]="p99 per round: ${p99s[single]}; ${notes[single]}"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
row() { printf '| %-48s | %7s | %7s | %6s | %s |\n' "$@"; }
{
	echo "gentrack admin-login bench: $(nproc) cores, $(date -u +%FT%TZ), $workers FastCGI workers,"
	echo "status poll wrk -t2 -c32 -d${dur}s (warm-up ${warm}s) x $rounds rounds (medians), $rows seeded requests;"
	echo "load average before: $load0; wrong-password answers as status:count per round"
	echo
	row scenario "req/s" "p99 ms" "p99 vs quiet" "wrong-password answers"
	row --- ---: ---: ---: ---
	row "status poll, no sign-ins" "${rps[quiet]}" "${p99[quiet]}" "1.00x" "${notes[quiet]}"
	row "... + 50 wrong/s from 10 addresses (5/s each)" "${rps[spread]}" "${p99[spread]}" \
		"$(ratio "${p99[spread]}" "${p99[quiet]}")" "${notes[spread]}"
	row "... + 50 wrong/s from 1 address" "${rps[single]}" "${p99[single]}" \
		"$(ratio "${p99[single]}" "${p99[quiet]}")" "${notes[single]}"
	echo
	for k in spread single; do
		awk -v a="${p99[$k]}" -v b="${p99[quiet]}" -v k="$k" \
			'BEGIN {printf "target (p99 within 1.5x of quiet), %s: %s\n", k, (a <= 1.5 * b) ? "met" : "MISSED"}'
	done
} | tee "$dir.table"
