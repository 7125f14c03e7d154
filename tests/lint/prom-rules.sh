#!/usr/bin/env bash
# jq programs and PromQL name $variables inside single quotes on purpose;
# helper functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# make check: the shipped alerts and dashboard (issue 14). promtool (Debian's
# prometheus package) checks contrib/prometheus/gentrack-rules.yml and runs
# its unit tests; each alert's `for:` set to 0 must fail them (the tests look
# at the boundary, not only at "fires eventually"); the Grafana dashboard is
# JSON whose every query parses as PromQL. That the metric names they use are
# the ones /metrics exposes is checked on a real scrape, in tests/e2e/metrics.sh.
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../harness/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../harness/prom.sh
. "$GT_SRCDIR/tests/harness/prom.sh"

require_programs promtool jq
RULES=$GT_SRCDIR/contrib/prometheus/gentrack-rules.yml
RULES_TEST=$GT_SRCDIR/contrib/prometheus/gentrack-rules.test.yml
DASHBOARD=$GT_SRCDIR/contrib/grafana/gentrack-dashboard.json
ALERTS=(GentrackRequestsStuck GentrackFailureRatioHigh GentrackOldestPendingTooOld
	GentrackNoWorkerForType GentrackReaperNotRunning GentrackWebhooksBehind)
GT_TMP=$(mktemp -d)
jqe() { jq -e "$@" >/dev/null; }
# promtool_says TEXT ARGS...: promtool ARGS succeeds and prints TEXT.
promtool_says() {
	local want=$1 out
	shift
	out=$(promtool "$@" 2>&1) && [[ $out == *"$want"* ]] && return 0
	GT_DETAIL=$out
	return 1
}
fails() { ! "$@" >/dev/null 2>&1; }
trap 'rm -rf "$GT_TMP"' EXIT

# ---- the rules ----
check "promtool check rules" promtool_says "SUCCESS: ${#ALERTS[@]} rules found" check rules "$RULES"
check "promtool test rules" promtool_says SUCCESS test rules "$RULES_TEST"
for a in "${ALERTS[@]}"; do
	check "$a is a rule" grep -q "^      - alert: $a\$" "$RULES"
	check "$a is tested" grep -q "alertname: $a\$" "$RULES_TEST"
done
check "every rule has a for:" eq "$(grep -c '^        for: ' "$RULES")" "${#ALERTS[@]}"

# Each alert's for: at 0 in a copy (the unit tests read gentrack-rules.yml
# beside them): the tests must notice.
cp "$RULES_TEST" "$GT_TMP/"
for ((k = 1; k <= ${#ALERTS[@]}; k++)); do
	awk -v k="$k" '/^        for: / && ++n == k { sub(/for: .*/, "for: 0m") } { print }' \
		"$RULES" >"$GT_TMP/gentrack-rules.yml"
	check "${ALERTS[k - 1]} with for: 0m fails the tests" \
		fails promtool test rules "$GT_TMP/gentrack-rules.test.yml"
done

# ---- the dashboard ----
check "the dashboard is JSON" jqe . "$DASHBOARD"
check "the dashboard has a uid and a title" jqe '.uid == "gentrack-overview" and (.title | length > 0)' "$DASHBOARD"
check "panel ids are unique" jqe '[.panels[].id] | length == (unique | length)' "$DASHBOARD"
check "every panel but a row has a query" \
	jqe '[.panels[] | select(.type != "row") | (.targets // []) | map(.expr // "") | all(length > 0) and length > 0] | all' "$DASHBOARD"
check "every panel reads the datasource variable" \
	jqe '[.panels[] | select(.type != "row") | .datasource.uid == "${datasource}"] | all' "$DASHBOARD"
for want in gentrack_requests gentrack_transitions_total gentrack_queue_transitions_total \
	gentrack_queue_oldest_pending_age_seconds gentrack_reaper_last_run_timestamp_seconds \
	gentrack_live_publish_failures_total gentrack_webhook_deliveries_total \
	gentrack_webhook_oldest_due_age_seconds; do
	check "a panel reads $want" jqe --arg m "$want" \
		'[.panels[].targets[]?.expr | test($m + "[{ )]")] | any' "$DASHBOARD"
done
# Grafana's variables replaced by what they stand for, each query becomes a
# recording rule: promtool parses them all.
jq -r '.panels[] | select(.type != "row") | .targets[].expr' "$DASHBOARD" |
	sed -e 's/\$__rate_interval/5m/g' -e 's/\$job/gentrack/g' |
	awk 'BEGIN { print "groups:\n  - name: dashboard\n    rules:" }
	     { gsub(/\047/, "\047\047"); printf "      - record: dashboard:query_%d\n        expr: \047%s\047\n", NR, $0 }' \
		>"$GT_TMP/dashboard-rules.yml"
check "every dashboard query parses as PromQL" promtool_says SUCCESS check rules "$GT_TMP/dashboard-rules.yml"
check "the names used are found" match "$(prom_names_used "$RULES" "$RULES_TEST" "$DASHBOARD" | wc -l)" '^[1-9]'
finish
