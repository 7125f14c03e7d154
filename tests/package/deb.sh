#!/usr/bin/env bash
# The Debian packages as an operator gets them (a CI stage of .ci/run, not
# make check: it builds the whole tree again and installs system-wide, as
# root): `./dev package` builds gentrack and gentrack-worker, lintian finds
# no error and no warning, `apt-get install` installs them on this machine
# (creating the gentrack user, starting nothing), the production-layout test
# runs against the installed files, the man pages render, the installed units
# pass `systemd-analyze verify`, then `apt-get remove` keeps only the
# conffiles and `dpkg --purge` leaves nothing of gentrack on the machine but
# the system user (Debian keeps system users: files may still be theirs).
# The database is not the package's: it never has one to drop.
#
# It never starts the installed services, and purges what it installed
# however it ends.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

((EUID == 0)) || skip_test "needs root: it installs the packages with apt-get"
require_programs dpkg-buildpackage lintian apt-get dpkg systemd-analyze man nginx
export DEBIAN_FRONTEND=noninteractive
# At a width other than 80 man-db keeps no cat page in /var/cache/man, which
# would outlive the purge: for man here, and for the man that systemd-analyze
# verify runs on the units' Documentation= pages.
export MANWIDTH=100
DEB_DIR=$GT_SRCDIR/build-deb
PACKAGES=(gentrack gentrack-worker)
# Another apt on the machine (a shared CI host) holds the lock for a while.
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)

installed() { [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == "ii " ]]; }
# dpkg itself does not wait for the lock: retry for up to 5 minutes.
dpkg_purge() {
	local out i
	for i in $(seq 1 60); do
		out=$(dpkg --purge "$@" 2>&1) && { printf '%s\n' "$out"; return 0; }
		[[ $out == *"lock"* ]] || { printf '%s\n' "$out"; return 1; }
		sleep 5
	done
	printf '%s\n' "$out"
	return 1
}
purge_all() {
	local p present=()
	for p in "${PACKAGES[@]}"; do
		[[ -z $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | tr -d ' n') ]] || present+=("$p")
	done
	((${#present[@]} == 0)) || dpkg_purge "${present[@]}" >/dev/null
}
trap 'purge_all; rm -rf "$GT_TMP"' EXIT

# What of gentrack is on the machine outside this tree: every path naming it.
# After the purge it must be what it was before the install.
gentrack_paths() {
	find /etc /usr /var /opt /srv /run \( -path "$GT_SRCDIR" -o -path "$GT_BUILDDIR" -o -path /proc \) -prune \
		-o -iname '*gentrack*' -print 2>/dev/null | sort
}

# A run killed halfway may have left the packages: start from none.
purge_all
before=$(gentrack_paths)

# ---- build and lint ----
built() {
	local out
	out=$(bash "$GT_SRCDIR/dev" package 2>&1) && compgen -G "$DEB_DIR/gentrack_*.deb" >/dev/null &&
		compgen -G "$DEB_DIR/gentrack-worker_*.deb" >/dev/null && return 0
	GT_DETAIL=$(tail -n 40 <<<"$out")
	return 1
}
check "./dev package builds gentrack and gentrack-worker into build-deb/" built || true
compgen -G "$DEB_DIR/gentrack_*.deb" >/dev/null || finish

lintian_clean() {
	local out
	# -I and --show-overrides show the informational tags and the overridden
	# ones too, for the record; errors and warnings fail (each has a fix, or
	# an override with its reason in debian/*.lintian-overrides).
	out=$(lintian -I --pedantic --show-overrides --fail-on error,warning "$DEB_DIR"/gentrack_*.changes 2>&1)
	local rc=$?
	out=$(grep -v '^running with root privileges' <<<"$out")
	echo "# lintian (exit $rc):"
	sed 's/^/#   /' <<<"${out:-(nothing)}"
	((rc == 0)) && ! grep -qE '^[EW]: ' <<<"$out" && return 0
	GT_DETAIL="lintian reports errors or warnings (above)"
	return 1
}
check "lintian: no error, no warning" lintian_clean

worker_alone() {
	local deps
	deps=$(dpkg-deb -f "$DEB_DIR"/gentrack-worker_*.deb Depends Recommends)
	lacks "$deps" nginx && lacks "$deps" mariadb && lacks "$deps" apache2 && lacks "$deps" "gentrack "
}
check "gentrack-worker needs no web server, database nor gentrack" worker_alone

# ---- install ----
apt_install() {
	local out
	out=$("${APT[@]}" install "$DEB_DIR"/gentrack_*.deb "$DEB_DIR"/gentrack-worker_*.deb 2>&1) &&
		installed gentrack && installed gentrack-worker && return 0
	GT_DETAIL=$(tail -n 30 <<<"$out")
	return 1
}
check "apt-get install ./gentrack_*.deb ./gentrack-worker_*.deb" apt_install
installed gentrack || finish

system_user() {
	local entry uid home shell
	entry=$(getent passwd gentrack) || { GT_DETAIL="no gentrack user"; return 1; }
	IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
	((uid < 1000)) || { GT_DETAIL="uid $uid is not a system uid"; return 1; }
	[[ $shell == */nologin || $shell == */false ]] || { GT_DETAIL="shell $shell"; return 1; }
	[[ ! -e $home || $home == / ]] || { GT_DETAIL="home $home was created"; return 1; }
}
check "the gentrack system user exists (systemd-sysusers), no login, no home" system_user

conffiles() {
	local list f
	list=$(dpkg-query -W -f='${Conffiles}\n' gentrack)
	for f in /etc/gentrack/gentrack.conf /etc/nginx/sites-available/gentrack.conf \
		/etc/apache2/sites-available/gentrack.conf; do
		grep -q " $f " <<<"$list" || { GT_DETAIL="$f is not a conffile: $list"; return 1; }
	done
}
check "gentrack.conf and both sites are conffiles" conffiles

# Nothing enabled (no .wants link), nothing of the package running.
not_started() {
	local links exe pid
	links=$(find /etc/systemd/system -name 'gentrack*' 2>/dev/null)
	[[ -z $links ]] || { GT_DETAIL="enabled: $links"; return 1; }
	for exe in /proc/[0-9]*/exe; do
		case $(readlink "$exe" 2>/dev/null) in
		/usr/bin/gentrack-fcgi | /usr/bin/gentrackctl | /usr/bin/gentrack-worker)
			pid=${exe#/proc/}
			GT_DETAIL="running: pid ${pid%/exe}"
			return 1
			;;
		esac
	done
}
check "no unit enabled, nothing started" not_started

production_layout() {
	local out rc
	out=$(bash "$GT_SRCDIR/tests/integration/production.sh" --installed / 2>&1)
	rc=$?
	sed 's/^/#   /' <<<"$out"
	((rc == 0)) && return 0
	GT_DETAIL="tests/integration/production.sh --installed / failed (exit $rc)"
	return 1
}
check "the production-layout test passes against the installed files" production_layout

man_renders() {
	local page=$1 text warnings
	warnings=$(man --warnings -P cat "$page" 2>&1 >/dev/null)
	text=$(man -P cat "$page" 2>/dev/null)
	[[ -z $warnings ]] || { GT_DETAIL="man --warnings: $warnings"; return 1; }
	[[ $text == *SYNOPSIS* || $text == *DESCRIPTION* ]] || { GT_DETAIL="man $page: $(head -c 200 <<<"$text")"; return 1; }
}
check "man gentrackctl renders, no warning" man_renders gentrackctl
check "man gentrack-worker renders" man_renders gentrack-worker
check "man 5 gentrack.conf renders" man_renders gentrack.conf
check "man 8 gentrack-fcgi renders" man_renders gentrack-fcgi

units_verify() {
	local units out
	mapfile -t units < <(dpkg -L gentrack | grep -E '^(/usr)?/lib/systemd/system/[^/]+\.(service|socket|timer)$')
	((${#units[@]} >= 5)) || { GT_DETAIL="units: ${units[*]}"; return 1; }
	# No output at all: verify exits 0 on warnings (STACK-NOTES.md).
	out=$(systemd-analyze verify "${units[@]}" 2>&1)
	[[ $? -eq 0 && -z $out ]] && return 0
	GT_DETAIL=$out
	return 1
}
check "systemd-analyze verify: every installed unit, clean" units_verify

runs() { "$@" >/dev/null 2>&1 || { GT_DETAIL="$* failed"; return 1; }; }
check "gentrackctl --help runs" runs /usr/bin/gentrackctl --help
check "gentrack-worker --help runs" runs /usr/bin/gentrack-worker --help

# What an operator adds and edits (README "Production"): an upgrade keeps
# it, purge takes it.
install -m 0640 -g gentrack /dev/null /etc/gentrack/db-password
echo "# edited by tests/package/deb.sh" >>/etc/gentrack/gentrack.conf

# The maintainer scripts' upgrade path (postinst configure with the old
# version: sysusers again, units' state): the same version over itself.
reinstalled() {
	local out
	if ! out=$("${APT[@]}" install --reinstall "$DEB_DIR"/gentrack_*.deb 2>&1) || ! installed gentrack; then
		GT_DETAIL=$(tail -n 20 <<<"$out")
		return 1
	fi
	grep -qx "# edited by tests/package/deb.sh" /etc/gentrack/gentrack.conf ||
		{ GT_DETAIL="the edited gentrack.conf was replaced"; return 1; }
	[[ -f /etc/gentrack/db-password ]] || { GT_DETAIL="db-password went"; return 1; }
	eq "$(getent passwd gentrack | grep -c .)" 1
}
check "reinstalled over itself: the edited gentrack.conf and db-password kept" reinstalled
check "still nothing enabled or started" not_started

# ---- remove, purge ----
remove_gentrack() {
	local out
	out=$("${APT[@]}" remove gentrack 2>&1) || { GT_DETAIL=$(tail -n 20 <<<"$out"); return 1; }
	[[ ! -e /usr/bin/gentrack-fcgi ]] || { GT_DETAIL="/usr/bin/gentrack-fcgi is still there"; return 1; }
	[[ -f /etc/gentrack/gentrack.conf ]] || { GT_DETAIL="remove took the conffile"; return 1; }
	eq "$(dpkg-query -W -f='${db:Status-Abbrev}' gentrack)" "rc "
}
check "apt-get remove gentrack: binaries gone, conffiles kept" remove_gentrack
check "gentrack-worker stays installed and runs without gentrack" runs /usr/bin/gentrack-worker --help
remove_worker() {
	local out
	out=$("${APT[@]}" remove gentrack-worker 2>&1) || { GT_DETAIL=$(tail -n 20 <<<"$out"); return 1; }
	[[ ! -e /usr/bin/gentrack-worker ]] || { GT_DETAIL="/usr/bin/gentrack-worker is still there"; return 1; }
}
check "apt-get remove gentrack-worker" remove_worker

purged() {
	local out p
	out=$(dpkg_purge gentrack gentrack-worker) || { GT_DETAIL=$out; return 1; }
	for p in "${PACKAGES[@]}"; do
		[[ -z $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | tr -d ' n') ]] ||
			{ GT_DETAIL="$p: $(dpkg-query -W -f='${db:Status-Abbrev}' "$p")"; return 1; }
	done
}
check "dpkg --purge gentrack gentrack-worker" purged

nothing_left() {
	local after
	after=$(gentrack_paths)
	[[ $after == "$before" ]] && return 0
	GT_DETAIL="left after the purge: $(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | tr '\n' ' ')"
	return 1
}
check "nothing of gentrack left on the machine (/etc/gentrack, units, /usr/share, dpkg state)" nothing_left
user_kept() { getent passwd gentrack >/dev/null || { GT_DETAIL="the user went"; return 1; }; }
check "the gentrack system user stays (Debian policy)" user_kept

finish
