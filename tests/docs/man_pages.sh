#!/usr/bin/env bash
# make check: the man pages (issue 17) say what the programs do. Every option
# and command that `--help` of gentrackctl, gentrack-worker and gentrack-fcgi
# prints has its entry on the page (an item of OPTIONS or COMMANDS; a
# command's item lists the options its usage line shows), every $VARIABLE
# they name is in ENVIRONMENT, every exit status gentrackctl names is in EXIT
# STATUS; every key of the configuration parser's own table
# (src/base/config.c) has its item under its [section] of gentrack.conf(5),
# and that page names no key the parser does not know. `man --warnings`
# (groff) and, where installed, `mandoc -Tlint` have nothing to say about
# any page. Pages are read as man(1) shows them, not as written, so markup
# may change freely.
# Helper functions are called through `check`.
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../harness/lib.sh"

require_programs man groff
MAN=$GT_SRCDIR/man
BIN=$GT_BUILDDIR/src
PAGES=(gentrackctl.1 gentrack-worker.1 gentrack.conf.5 gentrack-fcgi.8)
GT_TMP=$(mktemp -d)
trap 'rm -rf "$GT_TMP"' EXIT

# The page as text, one paragraph a line: no hyphenation, no justification,
# ASCII, wide enough that no item's tag line wraps. A heading starts in
# column 0, a subsection in column 3, an item's tag in column 5.
render() {
	MANWIDTH=1000 MANROFFSEQ='' man --nh --nj -E ascii -l "$MAN/$1" 2>/dev/null
}
# The lines of section $2 (a heading such as OPTIONS) of rendered page $1.
section() {
	awk -v want="$2" '/^[A-Z]/ { on = ($0 == want); next } on' "$GT_TMP/$1.txt"
}
# The tag lines of the items in section $2 of page $1, without their indent.
tags() {
	section "$1" "$2" | sed -n 's/^     \([^ ]\)/\1/p'
}
# has_item PAGE SECTION WORDS [OPTION...]: an item of SECTION whose tag is
# WORDS (or names it after a comma: "--help, -h", "SIGTERM, SIGINT") and that
# shows every OPTION given, each as a whole word.
has_item() {
	local page=$1 sec=$2 words=$3 line o ok
	shift 3
	while IFS= read -r line; do
		[[ $line == "$words" || $line == "$words "* || $line == "$words,"* ||
			$line == *", $words" || $line == *", $words "* || $line == *", $words,"* ]] || continue
		ok=1
		for o in "$@"; do
			[[ " $line " =~ [^a-z-]${o}[^a-z-] ]] || ok=0
		done
		((ok)) && return 0
	done < <(tags "$page" "$sec")
	GT_DETAIL="$page: no item '$words${*:+ (with $*)}' in $sec"
	return 1
}
# The options a text names (--word), once each.
options_in() { grep -oE -- '--[a-z][a-z-]*' <<<"$1" | sort -u; }
# The environment variables a text names ($WORD), once each.
variables_in() { grep -oE '\$[A-Z][A-Z0-9_]*' <<<"$1" | tr -d '$' | sort -u; }

# ---- every page: there, installed and shipped, rendered without a warning ----
for p in "${PAGES[@]}"; do
	check "$p exists" test -s "$MAN/$p"
	check "$p is installed and shipped (Makefile.am)" grep -qE "^dist_man_MANS.*man/$p|^[[:space:]]+man/$p" \
		"$GT_SRCDIR/Makefile.am"
	render "$p" >"$GT_TMP/$p.txt"
	check "$p renders" grep -q '^NAME$' "$GT_TMP/$p.txt"
	warnings=$(MANWIDTH=80 MANROFFSEQ='' man --warnings=mac,all -E UTF-8 -l "$MAN/$p" 2>&1 >/dev/null)
	GT_DETAIL=$warnings
	check "man --warnings: nothing about $p" test -z "$warnings"
	if command -v mandoc >/dev/null 2>&1; then
		lint=$(mandoc -Tlint -Wwarning "$MAN/$p" 2>&1)
		GT_DETAIL=$lint
		check "mandoc -Tlint: nothing about $p" test -z "$lint"
	fi
done
for f in "$MAN"/*; do
	check "$(basename "$f") is one of the pages checked" match " ${PAGES[*]} " " $(basename "$f") "
done

# ---- gentrackctl(1) against gentrackctl --help ----
help=$("$BIN/gentrackctl" --help)
check "gentrackctl --help prints its usage" match "$help" '^usage: gentrackctl'
# The global options: every option of the lines before "commands:".
for o in $(options_in "$(sed '/^commands:/,$d' <<<"$help")"); do
	check "gentrackctl(1) OPTIONS: $o" has_item gentrackctl.1 OPTIONS "$o"
done
# A command line of the usage: two blanks, the command (and its
# subcommand), its arguments, then three blanks or more and what it does.
commands=0
while IFS= read -r line; do
	usage=${line#  }
	usage=${usage%%   *}
	read -r cmd sub _ <<<"$usage"
	[[ $sub =~ ^[a-z][a-z|-]*$ ]] || sub=
	mapfile -t opts < <(options_in "$usage")
	for s in ${sub//|/ }; do
		commands=$((commands + 1))
		check "gentrackctl(1) COMMANDS: $cmd $s${opts[*]:+ ${opts[*]}}" has_item gentrackctl.1 COMMANDS "$cmd $s" "${opts[@]}"
	done
	if [[ -z $sub ]]; then
		commands=$((commands + 1))
		check "gentrackctl(1) COMMANDS: $cmd${opts[*]:+ ${opts[*]}}" has_item gentrackctl.1 COMMANDS "$cmd" "${opts[@]}"
	fi
done < <(sed -n '/^commands:/,/^$/p' <<<"$help" | grep -E '^  [a-z]')
# A usage the loop above could not read would check nothing.
check "gentrackctl --help: 20 commands or more read ($commands)" test "$commands" -ge 20
# Exit statuses: "exit status: 0 ok, 1 usage error, ..." and watch's.
codes=$(tr -s ' \n' '  ' <<<"$help" | grep -oE 'exit status:? [0-9]+ [a-z ]+(, [0-9]+ [a-z ]+)*' |
	grep -oE '[0-9]+' | sort -u)
check "gentrackctl --help: exit statuses 0 to 6 read" eq "$(paste -sd" " <<<"$codes")" "0 1 2 3 4 5 6"
for n in $codes; do
	check "gentrackctl(1) EXIT STATUS: $n" has_item gentrackctl.1 "EXIT STATUS" "$n"
done
for v in $(variables_in "$help") GENTRACK_CONFIG; do
	check "gentrackctl(1) ENVIRONMENT: $v" has_item gentrackctl.1 ENVIRONMENT "$v"
done

# ---- gentrack-worker(1) and gentrack-fcgi(8) against their --help ----
for prog in gentrack-worker:gentrack-worker.1 gentrack-fcgi:gentrack-fcgi.8; do
	bin=${prog%%:*}
	page=${prog#*:}
	help=$("$BIN/$bin" --help)
	check "$bin --help prints its usage" match "$help" "^usage: $bin"
	n=0
	for o in $(options_in "$help") --help; do
		n=$((n + 1))
		check "$page OPTIONS: $o" has_item "$page" OPTIONS "$o"
	done
	check "$bin --help: 4 options or more read ($n)" test "$n" -ge 4
	for v in $(variables_in "$help"); do
		check "$page ENVIRONMENT: $v" has_item "$page" ENVIRONMENT "$v"
	done
	check "$page SIGNALS: SIGTERM" has_item "$page" SIGNALS SIGTERM
	check "$page SIGNALS: SIGHUP" has_item "$page" SIGNALS SIGHUP
done

# ---- gentrack.conf(5) against the parser's table ----
# Every line of `keys[]` that holds a KEY( must read KEY("section", "key", ...:
# a key written any other way stops the test rather than go unchecked.
CONFIG_C=$GT_SRCDIR/src/base/config.c
awk '/^static const struct cfg_key keys\[\] = \{/ { on = 1; next } on && /^\};/ { exit } on' \
	"$CONFIG_C" >"$GT_TMP/table"
unread=$(grep 'KEY(' "$GT_TMP/table" | grep -vE '^[[:space:]]*KEY\("[a-z_]+", "[a-z_]+", ')
GT_DETAIL=$unread
check "src/base/config.c: every KEY( of keys[] read" test -z "$unread"
sed -nE 's/^[[:space:]]*KEY\("([a-z_]+)", "([a-z_]+)", .*/\1 \2/p' "$GT_TMP/table" | sort >"$GT_TMP/parser"
check "src/base/config.c: 30 keys or more read ($(wc -l <"$GT_TMP/parser"))" \
	test "$(wc -l <"$GT_TMP/parser")" -ge 30
# The page: "[section]" subsections of SECTIONS AND KEYS, items "key = ...".
section gentrack.conf.5 "SECTIONS AND KEYS" | awk '
	/^   \[[a-z_]+\]$/ { sec = substr($1, 2, length($1) - 2); next }
	/^     [a-z_]+ =/ && sec != "" { print sec, $1 }' | sort >"$GT_TMP/page"
while read -r sec key; do
	check "gentrack.conf(5) [$sec] $key" grep -qxF "$sec $key" "$GT_TMP/page"
done <"$GT_TMP/parser"
extra=$(comm -13 "$GT_TMP/parser" "$GT_TMP/page")
GT_DETAIL="keys the parser does not know: $extra"
check "gentrack.conf(5) names no key the parser does not know" test -z "$extra"

finish
