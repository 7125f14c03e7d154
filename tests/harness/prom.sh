# prom_valid FILE: checks the Prometheus text exposition format of FILE (0.0.4):
# HELP/TYPE before samples, the sample syntax, histogram buckets cumulative
# and ending at +Inf = _count, at least two histograms. Sets GT_DETAIL on
# failure. Source it after lib.sh.
# shellcheck shell=bash
prom_valid() {
	local out
	out=$(awk '
	function fail(m) { print "line " NR ": " m ": " $0; bad = 1; exit 1 }
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / { if (!($3 in help)) fail("TYPE without HELP"); type[$3] = $4
	             if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) fail("bad type"); next }
	/^#/ { next }
	/^$/ { next }
	{
		if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? [-+]?([0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|Inf)$/) fail("bad sample")
		name = $0; sub(/[{ ].*/, "", name)
		fam = name; sub(/_(bucket|sum|count)$/, "", fam)
		if (!(name in type) && !((fam in type) && type[fam] == "histogram")) fail("sample without TYPE")
		if (name ~ /_bucket$/) {
			le = $0; sub(/.*le="/, "", le); sub(/".*/, "", le)
			if (fam != lastfam) { prev = -1; lastfam = fam }
			if ($2 + 0 < prev) fail("buckets not cumulative")
			prev = $2 + 0; lastle[fam] = le; infv[fam] = $2
		}
		if (name ~ /_count$/ && (fam in lastle)) {
			if (lastle[fam] != "+Inf") fail("last bucket is not +Inf")
			if (infv[fam] != $2) fail("+Inf bucket differs from _count")
			seen[fam] = 1
		}
	}
	END { if (bad) exit 1; n = 0; for (f in seen) n++; if (n < 2) { print "fewer than 2 histograms"; exit 1 } }
	' "${1:-$HB}") && return 0
	# shellcheck disable=SC2034 # read by lib.sh's check
	GT_DETAIL=$out
	return 1
}

# prom_names_exposed FILE: every sample name a scrape in FILE may carry, one a
# line: each family of its # TYPE lines, and a histogram's _bucket, _sum and
# _count. From the TYPE lines, so a family with no sample yet still counts.
prom_names_exposed() {
	awk '/^# TYPE / { print $3; if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" } }' \
		"${1:-$HB}" | sort -u
}

# prom_names_used FILE...: the gentrack_ metric names that Prometheus rules,
# their unit tests (YAML) or a Grafana dashboard (JSON: its queries) use,
# one a line. Recording rules' names (with a ':') are not metrics of ours.
prom_names_used() {
	local f
	for f in "$@"; do
		case $f in
		*.json) jq -r '.. | objects | .expr? // empty' "$f" ;;
		*) grep -v '^[[:space:]]*#' "$f" ;;
		esac
	done | grep -oE '(^|[^a-zA-Z0-9_:])gentrack_[a-zA-Z0-9_]+' | sed 's/^[^g]//' | sort -u
}
