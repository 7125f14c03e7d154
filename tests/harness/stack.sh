#!/usr/bin/env bash
# A private gentrack stack in one folder: MariaDB, gentrack-fcgi and nginx
# (or Apache httpd), each on loopback only, started and stopped by the pids
# recorded here. Used by `./dev up` (.run/) and by the integration and
# end-to-end tests (tests/.stack/NAME/ in the build tree).
#
#   stack.sh up DIR [--port P] [--workers N] [--no-fcgi] [--front nginx|apache]
#   stack.sh down DIR
#   stack.sh stop DIR mariadb|fcgi|nginx|apache    stop one part; `up` starts it again
#
# `up` is idempotent: parts already running are left alone, a stopped stack
# restarts on its existing data (no re-initialisation, same keys). It ends by
# writing DIR/credentials.env (shell syntax) and printing where things are.
#
# Sourced, this file defines stack_up, stack_down and stack_stop with the same
# arguments; each runs in a subshell, so a failure never exits the caller.
#
# Environment: GENTRACK_BUILDDIR (binaries in its src/; default
# $abs_top_builddir, else the repository), abs_top_srcdir (sql/ and nginx/;
# default the repository). `make distcheck` builds out of tree: the two differ.
# GT_FCGI_WRAPPER (tests): a command to start gentrack-fcgi under, split into
# words on blanks (no quoting, no globbing), e.g. "valgrind --log-file=X.%p"
# (tests/e2e/valgrind.sh). It must run the program in its own process, by
# exec, as valgrind does: the pool's pid and `down` rely on that. Its output
# goes to fcgi.log.
# GENTRACK_FRONT=apache (or --front apache): the web server in front is
# Debian's apache2 with apache/gentrack.conf instead of nginx with
# nginx/gentrack.conf; no live updates then (Apache has no Nchan: /events
# answers 501). The choice is kept in state.env: a later `up` keeps it.
# DIR/extra.conf (tests): INI text appended to the configuration `up` writes,
# so its keys win; `stop DIR fcgi` then `up` applies a change.

_stack_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_stack_repo=$(cd "$_stack_here/../.." && pwd)

stack_up()   ( set -euo pipefail; _stack_init "$1"; shift; _stack_up "$@"; )
stack_down() ( set -euo pipefail; _stack_init "$1"; _stack_down; )
stack_stop() ( set -euo pipefail; _stack_init "$1"; _stack_stop_part "$2"; )

# ---------------------------------------------------------------- helpers

_log() { printf 'stack: %s\n' "$*" >&2; }
_die() { _log "error: $*"; exit 1; }

# Sets the paths of one stack. DIR is made absolute: pids, sockets and the
# credentials must not depend on the caller's working directory.
_stack_init() {
	local dir=${1:-}
	[[ -n $dir ]] || _die "no stack folder given"
	mkdir -p "$dir"
	DIR=$(cd "$dir" && pwd)
	# The folder is pasted into sed replacements and nginx/INI files.
	[[ $DIR =~ ^[A-Za-z0-9_./+@:-]+$ ]] || _die "unsupported characters in stack folder '$DIR'"
	# A unix socket path is at most 107 bytes.
	((${#DIR} <= 80)) || _die "stack folder path too long for unix sockets (${#DIR} > 80): $DIR"

	SRCDIR=${abs_top_srcdir:-$_stack_repo}
	BUILDDIR=${GENTRACK_BUILDDIR:-${abs_top_builddir:-$_stack_repo}}
	FCGI_BIN=$BUILDDIR/src/gentrack-fcgi
	CTL_BIN=$BUILDDIR/src/gentrackctl

	DB_DATA=$DIR/mysql
	DB_SOCK=$DIR/mysql.sock
	DB_PIDFILE=$DIR/mysqld.pid
	DB_LOG=$DIR/mysqld.log
	# Its own temporary folder: instances sharing /tmp have lost each other's files.
	DB_TMP=$DIR/mysql-tmp
	CONF=$DIR/gentrack.conf
	CONF_EXTRA=$DIR/extra.conf
	FCGI_SOCK=$DIR/fcgi.sock
	FCGI_PIDFILE=$DIR/fcgi.pid
	FCGI_LOG=$DIR/fcgi.log
	NGX=$DIR/nginx
	NGX_PIDFILE=$NGX/nginx.pid
	# Live updates when nginx has Debian's Nchan module, unless the caller
	# asks for a stack without them (GENTRACK_NO_LIVE=1: /events is 501).
	NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so
	NCHAN_SOCK=$NGX/nchan.sock
	LIVE=0
	[[ -r $NCHAN_MODULE && ${GENTRACK_NO_LIVE:-0} != 1 ]] && LIVE=1
	# Apache httpd in front instead (--front apache): Debian's apache2.
	APX=$DIR/apache
	APX_PIDFILE=$APX/apache2.pid
	APX_MODULES=/usr/lib/apache2/modules
	FRONT=nginx
	STATE=$DIR/state.env
	CREDS=$DIR/credentials.env
}

# True when PID is a live (not zombie) process whose command line mentions
# this stack's folder: a recycled pid of some other program never matches.
_alive() {
	local pid=${1:-} stat state cmdline
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	state=${stat##*) }
	state=${state%% *}
	[[ $state != Z && $state != X ]] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"$DIR/"* ]]
}

# True while some non-zombie process is in process group PGID. Zombies count
# as gone: PID 1 of this container reaps slowly.
_group_alive() {
	local pgid=$1 f stat state pgrp rest
	for f in /proc/[0-9]*/stat; do
		stat=$(cat "$f" 2>/dev/null) || continue
		read -r state _ pgrp rest <<<"${stat##*) }"
		[[ $pgrp == "$pgid" && $state != Z && $state != X ]] && return 0
	done
	return 1
}

_pid_from() { [[ -r $1 ]] && tr -dc '0-9' <"$1"; }

# True while PID, a program this script has just started ($!), has not
# exited. Not _alive: until its last exec (setsid, then the program, each
# perhaps through a script) its command line is bash's, or for a moment
# empty (mid-exec, seen), and does not name DIR/.
_not_exited() {
	local stat state
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	state=${stat##*) }
	state=${state%% *}
	[[ $state != Z && $state != X ]]
}

# Stops what PIDFILE names: TERM, a bounded wait, then KILL. The parts run as
# leaders of their own process group (setsid), so the group is waited for
# too: nginx workers and FastCGI children must not outlive their parent.
_stop_pidfile() {
	local pidfile=$1 label=$2 wait_s=$3 pid i
	pid=$(_pid_from "$pidfile" || true)
	if ! _alive "$pid"; then
		rm -f "$pidfile"
		return 0
	fi
	_log "stopping $label (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < wait_s * 10; i++)); do
		_alive "$pid" || _group_alive "$pid" || break
		sleep 0.1
	done
	if _alive "$pid" || _group_alive "$pid"; then
		_log "$label did not stop within ${wait_s}s: killing it"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			_group_alive "$pid" || break
			sleep 0.1
		done
	fi
	rm -f "$pidfile"
}

# Ports that something listens on (IPv4 and IPv6), from /proc: no ss needed.
_port_busy() {
	local hex
	hex=$(printf '%04X' "$1")
	grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A random free port below the kernel's ephemeral range (32768+), so that
# outgoing connections do not take it between the choice and the bind. Two
# stacks started at once may still pick the same one: the starters retry.
_free_port() {
	local p i
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + RANDOM % 12000))
		_port_busy "$p" || { echo "$p"; return 0; }
	done
	_die "no free loopback port found"
}

_random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

_sql_root() { mariadb --no-defaults --socket="$DB_SOCK" -uroot -N -B "$@"; }

# state.env keeps what must survive a restart: ports, secrets, keys.
_state_set() {
	local key=$1 val=$2
	touch "$STATE"
	chmod 600 "$STATE"
	grep -v "^$key=" "$STATE" >"$STATE.tmp" || true
	printf '%s=%q\n' "$key" "$val" >>"$STATE.tmp"
	mv "$STATE.tmp" "$STATE"
	eval "S_$key=\$val"
}

_state_load() {
	local key val line
	[[ -r $STATE ]] || return 0
	while IFS= read -r line; do
		key=${line%%=*}
		val=${line#*=}
		[[ $key =~ ^[A-Z_0-9]+$ ]] || continue
		eval "S_$key=$val"
	done <"$STATE"
}

_tail_log() {
	local f=$1
	[[ -r $f ]] || return 0
	printf -- '----- last lines of %s -----\n' "$f" >&2
	tail -n 30 "$f" >&2
	printf -- '-----\n' >&2
}

_need() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || _die "'$cmd' not found (run ./dev deps)"
	done
}

# ---------------------------------------------------------------- MariaDB

# When PID was forked (field 22 of /proc/PID/stat, in clock ticks since boot).
_fork_time() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields on purpose
	set -- $stat
	echo "${20}"
}

_db_start() {
	local pid try i started
	pid=$(_pid_from "$DB_PIDFILE" || true)
	if _alive "$pid"; then
		return 0
	fi
	if [[ ! -d $DB_DATA/mysql ]]; then
		_log "initialising MariaDB in $DB_DATA"
		rm -rf "$DB_DATA"
		mkdir -p "$DB_TMP"
		mariadb-install-db --no-defaults --datadir="$DB_DATA" --user="$(id -un)" \
			--auth-root-authentication-method=normal --skip-test-db \
			--tmpdir="$DB_TMP" \
			>"$DIR/install-db.log" 2>&1 ||
			{ _tail_log "$DIR/install-db.log"; _die "mariadb-install-db failed"; }
	fi
	for ((try = 1; try <= 3; try++)); do
		if [[ -z ${S_MYSQL_PORT:-} ]] || _port_busy "$S_MYSQL_PORT"; then
			_state_set MYSQL_PORT "$(_free_port)"
		fi
		rm -f "$DB_SOCK" "$DB_PIDFILE"
		: >"$DB_LOG"
		# setsid: its own session, so a Ctrl-C in `./dev demo` or a closed
		# terminal does not reach it; only `down` stops it.
		mkdir -p "$DB_TMP"
		setsid mariadbd --no-defaults --datadir="$DB_DATA" --socket="$DB_SOCK" \
			--tmpdir="$DB_TMP" \
			--port="$S_MYSQL_PORT" --bind-address=127.0.0.1 --user="$(id -un)" \
			--pid-file="$DB_PIDFILE" --log-error="$DB_LOG" --skip-name-resolve \
			--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
			--innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=2 \
			--max-connections=300 </dev/null >>"$DB_LOG" 2>&1 &
		pid=$!
		# Pids are reused quickly under a parallel test run: a process with
		# this pid but another fork time is not the server we started.
		started=$(_fork_time "$pid")
		# 20 s a try: a healthy start answers in well under a second here,
		# and a start stuck in early init (seen under parallel sanitizer
		# runs, single-threaded and silent) is cured by starting afresh.
		for ((i = 0; i < 200; i++)); do
			if _sql_root -e 'SELECT 1' >/dev/null 2>&1; then
				# Prefer the server's own pid file; $! is the same process.
				[[ -s $DB_PIDFILE ]] || echo "$pid" >"$DB_PIDFILE"
				return 0
			fi
			_alive "$pid" && [[ $(_fork_time "$pid") == "$started" ]] || break
			sleep 0.1
		done
		if _alive "$pid" && [[ $(_fork_time "$pid") == "$started" ]]; then
			_tail_log "$DB_LOG"
			# What it is stuck on, for whoever reads this failure. Every
			# command may fail here: none of them may end the retry (set -e).
			{
				echo "----- mariadbd (pid $pid, forked at tick $started) did not answer; its state -----"
				ps -o pid,ppid,pgid,stat,wchan:24,etime,args -p "$pid" 2>&1 | cut -c1-220 || true
				grep -E 'State|Threads' "/proc/$pid/status" 2>&1 || true
				echo "socket: $(ls -la "$DB_SOCK" 2>&1 || true)"
			} >&2
			kill -KILL "$pid" 2>/dev/null || true
			# Its files (ibdata1's lock) are free once it is gone.
			for ((i = 0; i < 50; i++)); do
				_alive "$pid" || break
				sleep 0.1
			done
			((try < 3)) || _die "MariaDB did not answer SELECT 1 within 20s, three times (log: $DB_LOG)"
			_log "MariaDB did not answer SELECT 1 within 20s; starting it again"
			continue
		fi
		# Another stack may have taken the port in the meantime: try another.
		if grep -qiE 'address already in use|bind on tcp/ip port' "$DB_LOG"; then
			_log "MariaDB port $S_MYSQL_PORT was taken; retrying on another"
			_state_set MYSQL_PORT ""
			continue
		fi
		break
	done
	_tail_log "$DB_LOG"
	_die "MariaDB failed to start (log: $DB_LOG)"
}

# Database and service user; re-run on every up (the statements are
# idempotent and re-assert the password recorded in state.env).
_db_setup() {
	local pw=$S_DB_PASSWORD
	_sql_root <<-SQL || _die "could not create the gentrack database and user"
		CREATE DATABASE IF NOT EXISTS gentrack CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS 'gentrack'@'localhost' IDENTIFIED BY '$pw';
		CREATE USER IF NOT EXISTS 'gentrack'@'127.0.0.1' IDENTIFIED BY '$pw';
		ALTER USER 'gentrack'@'localhost' IDENTIFIED BY '$pw';
		ALTER USER 'gentrack'@'127.0.0.1' IDENTIFIED BY '$pw';
		GRANT ALL PRIVILEGES ON gentrack.* TO 'gentrack'@'localhost';
		GRANT ALL PRIVILEGES ON gentrack.* TO 'gentrack'@'127.0.0.1';
	SQL
}

# ---------------------------------------------------------------- config, keys

_write_config() {
	local base_url=""
	[[ -z ${S_HTTP_PORT:-} ]] || base_url="http://127.0.0.1:$S_HTTP_PORT"
	(
		umask 077
		cat >"$CONF.tmp" <<-EOF
			# gentrack configuration of the stack in $DIR
			# (written by tests/harness/stack.sh on every up).
			[store]
			socket = $DB_SOCK
			user = gentrack
			password = $S_DB_PASSWORD
			database = gentrack
			migrations_dir = $SRCDIR/sql
			[server]
			listen = $FCGI_SOCK
			workers = $S_WORKERS
			EOF
		# Debian's fastcgi_params passes Host without the port, so absolute
		# URLs (Operation-Location) need the base URL spelled out here.
		[[ -z $base_url ]] || printf 'base_url = %s\n' "$base_url" >>"$CONF.tmp"
		printf '[log]\nlevel = info\n' >>"$CONF.tmp"
		((LIVE == 0)) || printf '[live]\nnchan_socket = %s\n' "$NCHAN_SOCK" >>"$CONF.tmp"
		# A development stack: /metrics open to loopback, as the bench and the
		# tests scrape it (the production sample keeps it off).
		printf '[metrics]\nallow_loopback = on\n' >>"$CONF.tmp"
		# A test's own settings, later keys winning (tests/e2e/metrics.sh).
		[[ ! -f $CONF_EXTRA ]] || cat "$CONF_EXTRA" >>"$CONF.tmp"
	)
	mv "$CONF.tmp" "$CONF"
}

_migrate() {
	{
		printf '== gentrackctl migrate, %s\n' "$(date -u +%FT%TZ)"
		"$CTL_BIN" --config "$CONF" migrate
	} >>"$DIR/migrate.log" 2>&1 || { _tail_log "$DIR/migrate.log"; _die "gentrackctl migrate failed"; }
}

_key_create() {
	local role=$1 owner=$2 key
	key=$("$CTL_BIN" --config "$CONF" key create --role "$role" --owner "$owner" 2>>"$DIR/setup.log") ||
		{ _tail_log "$DIR/setup.log"; _die "gentrackctl key create --role $role --owner $owner failed"; }
	key=$(printf '%s\n' "$key" | tail -n 1)
	[[ -n $key && $key != *' '* ]] || _die "gentrackctl key create printed no key"
	printf '%s' "$key"
}

# Keys and the admin account are created once per stack and kept in state.env.
_ensure_credentials() {
	[[ -n ${S_CLIENT_KEY:-} ]] || _state_set CLIENT_KEY "$(_key_create client acme)"
	[[ -n ${S_CLIENT_KEY_2:-} ]] || _state_set CLIENT_KEY_2 "$(_key_create client globex)"
	[[ -n ${S_WORKER_KEY:-} ]] || _state_set WORKER_KEY "$(_key_create worker demo-worker)"
	if [[ -z ${S_ADMIN_PASSWORD:-} ]]; then
		local pw
		pw=$(_random_hex 12)
		printf '%s' "$pw" | "$CTL_BIN" --config "$CONF" admin-user set admin >>"$DIR/setup.log" 2>&1 ||
			{ _tail_log "$DIR/setup.log"; _die "gentrackctl admin-user set admin failed"; }
		_state_set ADMIN_PASSWORD "$pw"
	fi
}

# ---------------------------------------------------------------- FastCGI pool

_fcgi_start() {
	local pid i
	pid=$(_pid_from "$FCGI_PIDFILE" || true)
	_alive "$pid" && return 0
	[[ -x $FCGI_BIN ]] || _die "$FCGI_BIN not built (run make)"
	# A socket file left by a killed pool: nobody listens on it any more.
	rm -f "$FCGI_SOCK" "$FCGI_PIDFILE"
	local wrapper=()
	read -r -a wrapper <<<"${GT_FCGI_WRAPPER:-}"
	printf '== start %s\n' "$(date -u +%FT%TZ)" >>"$FCGI_LOG"
	# The wrapper, when there is one, is exec()ed by setsid in place: $! is
	# still the pool's supervisor (after valgrind's own exec of its tool).
	setsid ${wrapper[@]+"${wrapper[@]}"} "$FCGI_BIN" --config "$CONF" --pid-file "$FCGI_PIDFILE" \
		</dev/null >>"$FCGI_LOG" 2>&1 &
	pid=$!
	for ((i = 0; i < 150; i++)); do
		[[ -S $FCGI_SOCK ]] && break
		_not_exited "$pid" || { _tail_log "$FCGI_LOG"; _die "gentrack-fcgi exited at start (log: $FCGI_LOG)"; }
		sleep 0.1
	done
	[[ -S $FCGI_SOCK ]] || { _tail_log "$FCGI_LOG"; _die "gentrack-fcgi made no socket within 15s (log: $FCGI_LOG)"; }
	for ((i = 0; i < 20; i++)); do
		[[ -s $FCGI_PIDFILE ]] && break
		sleep 0.1
	done
	[[ -s $FCGI_PIDFILE ]] || echo "$pid" >"$FCGI_PIDFILE"
	[[ $FRONT != apache ]] || _apache_socket_access
	_state_set FCGI_CONF_SUM "$(cksum <"$CONF")"
}

# ---------------------------------------------------------------- nginx

# The production site file with only the socket path and the listen address
# changed; fails loudly if the file no longer has the strings we replace.
_nginx_write_conf() {
	local site=$SRCDIR/nginx/gentrack.conf
	[[ -r $site ]] || _die "$site not found"
	mkdir -p "$NGX/tmp"
	if ! grep -q 'unix:/run/gentrack/fcgi.sock' "$site" || ! grep -q 'listen 80;' "$site"; then
		_die "$site: 'unix:/run/gentrack/fcgi.sock' or 'listen 80;' missing: cannot adapt it"
	fi
	sed -e "s#unix:/run/gentrack/fcgi.sock#unix:$FCGI_SOCK#" \
		-e "s#listen 80;#listen 127.0.0.1:$S_HTTP_PORT;#" \
		-e "s#/etc/nginx/gentrack-live/#$NGX/live/#" \
		-e "s#/var/log/nginx/access.log#$NGX/access.log#" \
		-e "s#/etc/nginx/gentrack-site.d/#$NGX/site.d/#" \
		"$site" >"$NGX/site.conf"
	# The live-update files only with the module: an empty folder leaves
	# the site's includes of them matching nothing.
	rm -rf "$NGX/live" "$NGX/site.d" "$NCHAN_SOCK"
	mkdir -p "$NGX/live" "$NGX/site.d"
	# The dev stack serves the example status page and the JS client, from
	# the source tree, on the API's origin (no CORS needed).
	cat >"$NGX/site.d/dev-pages.conf" <<-EOF
		location ^~ /examples/status-page/ {
		    alias $SRCDIR/examples/status-page/;
		    types { text/html html; text/css css; text/javascript js mjs; }
		    add_header Cache-Control no-store;
		}
		location ^~ /clients/js/ {
		    alias $SRCDIR/clients/js/;
		    types { text/javascript js mjs; }
		    add_header Cache-Control no-store;
		}
	EOF
	local load=""
	if ((LIVE)); then
		load="load_module $NCHAN_MODULE;"
		sed -e "s#unix:/run/gentrack/nchan.sock#unix:$NCHAN_SOCK#" \
			"$SRCDIR/nginx/live-publisher.conf" >"$NGX/live/live-publisher.conf"
		cp "$SRCDIR/nginx/live-subscriber.conf" "$NGX/live/live-subscriber.conf"
	fi
	sed -e "s#@PREFIX@#$NGX#g" -e "s#@USER@#$(id -un)#g" -e "s#@SITE@#$NGX/site.conf#g" \
		-e "s#@LOAD_MODULES@#$load#" \
		"$_stack_here/nginx-main.conf.in" >"$NGX/nginx.conf"
}

_nginx_start() {
	local pid i try code
	pid=$(_pid_from "$NGX_PIDFILE" || true)
	if _alive "$pid"; then
		[[ -z $WANT_PORT || $WANT_PORT == "${S_HTTP_PORT:-}" ]] ||
			_log "nginx already runs on port ${S_HTTP_PORT:-?}; run down first to change it"
		return 0
	fi
	for ((try = 1; try <= 3; try++)); do
		if [[ -n $WANT_PORT ]]; then
			_state_set HTTP_PORT "$WANT_PORT"
			! _port_busy "$WANT_PORT" || _die "port $WANT_PORT is already in use on this machine (pick another: --port P, or GENTRACK_PORT=P ./dev up)"
		elif [[ -z ${S_HTTP_PORT:-} ]] || _port_busy "$S_HTTP_PORT"; then
			_state_set HTTP_PORT "$(_free_port)"
		fi
		_nginx_write_conf
		rm -f "$NGX_PIDFILE"
		setsid nginx -p "$NGX/" -c "$NGX/nginx.conf" -e "$NGX/error.log" </dev/null >>"$NGX/stderr.log" 2>&1 &
		pid=$!
		# Ready once /healthz gets any HTTP answer (the store may say 503).
		for ((i = 0; i < 150; i++)); do
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$S_HTTP_PORT/healthz" || true)
			if [[ $code != 000 && -n $code ]] && _alive "$pid"; then
				[[ -s $NGX_PIDFILE ]] || echo "$pid" >"$NGX_PIDFILE"
				return 0
			fi
			_alive "$pid" || break
			sleep 0.1
		done
		if _alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			_tail_log "$NGX/error.log"
			_die "nginx gave no HTTP answer on port $S_HTTP_PORT within 15s"
		fi
		if [[ -z $WANT_PORT ]] && grep -q 'Address already in use' "$NGX/error.log" "$NGX/stderr.log" 2>/dev/null; then
			_log "HTTP port $S_HTTP_PORT was taken; retrying on another"
			_state_set HTTP_PORT ""
			continue
		fi
		break
	done
	_tail_log "$NGX/error.log"
	_tail_log "$NGX/stderr.log"
	_die "nginx failed to start"
}

# ---------------------------------------------------------------- Apache httpd

# The user Apache's children run as: Apache refuses to serve as root, so a
# stack started by root gives them Debian's www-data (nobody where it lacks).
_apache_user() {
	((EUID == 0)) || { id -un; return 0; }
	if id -u www-data >/dev/null 2>&1; then echo www-data; else echo nobody; fi
}

# The FastCGI socket for Apache's children: its group theirs, 0660 (what
# systemd's gentrack-fcgi.socket does with www-data in production).
_apache_socket_access() {
	((EUID == 0)) || return 0
	local user group
	user=$(_apache_user)
	group=$(id -gn "$user")
	if ! chgrp "$group" "$FCGI_SOCK" || ! chmod 0660 "$FCGI_SOCK"; then
		_die "could not give $FCGI_SOCK to group $group"
	fi
}

# The production site file with only the socket path, the address, the
# error documents' folder and the log folder changed; fails loudly if the
# file no longer has the strings we replace.
_apache_write_conf() {
	local site=$SRCDIR/apache/gentrack.conf errors=$SRCDIR/apache/errors user=""
	[[ -r $site ]] || _die "$site not found"
	local s
	# shellcheck disable=SC2016 # the site's own ${APACHE_LOG_DIR}, literally
	for s in 'unix:/run/gentrack/fcgi.sock|' '<VirtualHost \*:80>' '/usr/share/gentrack/apache/errors' '${APACHE_LOG_DIR}'; do
		grep -q -- "$s" "$site" || _die "$site: '$s' missing: cannot adapt it"
	done
	local m
	for m in mpm_event authz_core alias mime rewrite headers reqtimeout proxy proxy_fcgi; do
		[[ -r $APX_MODULES/mod_$m.so ]] || _die "$APX_MODULES/mod_$m.so missing (apt-get install apache2)"
	done
	mkdir -p "$APX/run"
	if ((EUID == 0)); then
		local u g
		u=$(_apache_user)
		g=$(id -gn "$u")
		user="User $u
Group $g"
		# Its children reach the socket's folder and read the error
		# documents: copied beside their configuration when the source
		# tree is closed to them (a clone under /root).
		if command -v runuser >/dev/null 2>&1; then
			runuser -u "$u" -- test -x "$DIR" ||
				_die "Apache's children (user $u) cannot reach $DIR: use a stack folder that $u can reach"
			if ! runuser -u "$u" -- test -r "$errors/404.json"; then
				rm -rf "$APX/errors"
				cp -r "$errors" "$APX/errors" && chmod -R a+rX "$APX/errors" ||
					_die "could not copy $errors for Apache's children"
				errors=$APX/errors
			fi
		fi
	fi
	sed -e "s#unix:/run/gentrack/fcgi.sock|#unix:$FCGI_SOCK|#" \
		-e "s#<VirtualHost \*:80>#<VirtualHost 127.0.0.1:$S_HTTP_PORT>#" \
		-e "s#/usr/share/gentrack/apache/errors#$errors#g" \
		-e "s#\${APACHE_LOG_DIR}#$APX#g" \
		"$site" >"$APX/site.conf"
	# Multi-line: awk, not sed, puts in the User and Group lines.
	sed -e "s#@PREFIX@#$APX#g" -e "s#@PORT@#$S_HTTP_PORT#g" -e "s#@MODULES@#$APX_MODULES#g" \
		-e "s#@SITE@#$APX/site.conf#g" \
		"$_stack_here/apache-main.conf.in" |
		awk -v user="$user" '{ if ($0 == "@USER@") print user; else print }' >"$APX/apache2.conf"
}

_apache_start() {
	local pid i try code
	pid=$(_pid_from "$APX_PIDFILE" || true)
	if _alive "$pid"; then
		[[ -z $WANT_PORT || $WANT_PORT == "${S_HTTP_PORT:-}" ]] ||
			_log "apache2 already runs on port ${S_HTTP_PORT:-?}; run down first to change it"
		return 0
	fi
	for ((try = 1; try <= 3; try++)); do
		if [[ -n $WANT_PORT ]]; then
			_state_set HTTP_PORT "$WANT_PORT"
			! _port_busy "$WANT_PORT" || _die "port $WANT_PORT is already in use on this machine (pick another: --port P)"
		elif [[ -z ${S_HTTP_PORT:-} ]] || _port_busy "$S_HTTP_PORT"; then
			_state_set HTTP_PORT "$(_free_port)"
		fi
		_apache_write_conf
		rm -f "$APX_PIDFILE"
		: >"$APX/error.log"
		# -DFOREGROUND: the parent stays $!, like nginx's `daemon off`.
		setsid apache2 -f "$APX/apache2.conf" -DFOREGROUND </dev/null >>"$APX/stderr.log" 2>&1 &
		pid=$!
		# Ready once /healthz gets any HTTP answer (the store may say 503).
		for ((i = 0; i < 150; i++)); do
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$S_HTTP_PORT/healthz" || true)
			if [[ $code != 000 && -n $code ]] && _alive "$pid"; then
				[[ -s $APX_PIDFILE ]] || echo "$pid" >"$APX_PIDFILE"
				return 0
			fi
			# Not _alive: until setsid's exec its command line is bash's.
			_not_exited "$pid" || break
			sleep 0.1
		done
		if _not_exited "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			_tail_log "$APX/error.log"
			_die "apache2 gave no HTTP answer on port $S_HTTP_PORT within 15s"
		fi
		if [[ -z $WANT_PORT ]] && grep -q 'Address already in use' "$APX/error.log" "$APX/stderr.log" 2>/dev/null; then
			_log "HTTP port $S_HTTP_PORT was taken; retrying on another"
			_state_set HTTP_PORT ""
			continue
		fi
		break
	done
	_tail_log "$APX/error.log"
	_tail_log "$APX/stderr.log"
	_die "apache2 failed to start"
}

# The web server in front, as chosen; the other one, if a stack switched
# fronts, is stopped first (they would share the port).
_front_start() {
	if [[ $FRONT == apache ]]; then
		_stop_pidfile "$NGX_PIDFILE" nginx 15
		# A pool started for nginx made its socket for root alone.
		[[ ! -S $FCGI_SOCK ]] || _apache_socket_access
		_apache_start
	else
		_stop_pidfile "$APX_PIDFILE" apache2 15
		_nginx_start
	fi
}

_front_pidfile() { if [[ $FRONT == apache ]]; then echo "$APX_PIDFILE"; else echo "$NGX_PIDFILE"; fi; }

# ---------------------------------------------------------------- up / down

_write_credentials() {
	local base_url=""
	[[ $NO_FCGI == 1 ]] || base_url="http://127.0.0.1:$S_HTTP_PORT"
	(
		umask 077
		{
			echo "# gentrack stack in $DIR: source this file (shell syntax)."
			printf 'BASE_URL=%q\n' "$base_url"
			printf 'CLIENT_KEY=%q\n' "$S_CLIENT_KEY"
			printf 'CLIENT_KEY_2=%q\n' "$S_CLIENT_KEY_2"
			printf 'WORKER_KEY=%q\n' "$S_WORKER_KEY"
			printf 'ADMIN_USER=%q\n' admin
			printf 'ADMIN_PASSWORD=%q\n' "$S_ADMIN_PASSWORD"
			printf 'GENTRACKCTL=%q\n' "$CTL_BIN"
			printf 'GENTRACK_CONFIG=%q\n' "$CONF"
			echo "# for tests and debugging: the stack's own MariaDB (root via the socket)"
			printf 'GENTRACK_STACK_DIR=%q\n' "$DIR"
			printf 'MYSQL_SOCKET=%q\n' "$DB_SOCK"
			printf 'MYSQL_PORT=%q\n' "$S_MYSQL_PORT"
		} >"$CREDS.tmp"
	)
	mv "$CREDS.tmp" "$CREDS"
}

_stack_up() {
	WANT_PORT="" NO_FCGI=0
	local workers="" front=${GENTRACK_FRONT:-}
	while (($#)); do
		case $1 in
		--port) WANT_PORT=${2:?--port needs a value}; shift 2 ;;
		--workers) workers=${2:?--workers needs a value}; shift 2 ;;
		--no-fcgi) NO_FCGI=1; shift ;;
		--front) front=${2:?--front needs a value}; shift 2 ;;
		*) _die "unknown option '$1' (usage: stack.sh up DIR [--port P] [--workers N] [--no-fcgi] [--front nginx|apache])" ;;
		esac
	done
	[[ $WANT_PORT =~ ^[0-9]*$ ]] || _die "--port must be a number"
	[[ $WANT_PORT != 0 ]] || WANT_PORT=""
	[[ -z $front || $front == nginx || $front == apache ]] || _die "--front must be nginx or apache"

	_state_load
	# The front of the stack's last up, unless this one names another.
	if [[ -n $front ]]; then
		_state_set FRONT "$front"
	elif [[ -z ${S_FRONT:-} ]]; then
		_state_set FRONT nginx
	fi
	FRONT=$S_FRONT
	# Apache has no Nchan: the pool runs without live updates (/events 501).
	[[ $FRONT == nginx ]] || LIVE=0
	_need mariadb-install-db mariadbd mariadb curl setsid od
	if ((!NO_FCGI)); then
		if [[ $FRONT == apache ]]; then _need apache2; else _need nginx; fi
	fi
	[[ -x $CTL_BIN ]] || _die "$CTL_BIN not built (run make)"

	[[ -n ${S_DB_PASSWORD:-} ]] || _state_set DB_PASSWORD "$(_random_hex 16)"
	if [[ -n $workers ]]; then
		_state_set WORKERS "$workers"
	elif [[ -z ${S_WORKERS:-} ]]; then
		_state_set WORKERS 2
	fi
	# The HTTP port goes into the config (base_url): fix it before writing.
	if ((!NO_FCGI)); then
		if [[ -n $WANT_PORT ]]; then
			_state_set HTTP_PORT "$WANT_PORT"
		elif [[ -z ${S_HTTP_PORT:-} ]]; then
			_state_set HTTP_PORT "$(_free_port)"
		fi
	fi

	_db_start
	_db_setup
	_write_config
	_migrate
	_ensure_credentials
	if ((!NO_FCGI)); then
		_fcgi_start
		_front_start
		# nginx (or apache2) may have moved to another free port (base_url), and a pool
		# that was already running has the config of its start (even of an
		# earlier, failed up): restart it when the file differs from that.
		_write_config
		if [[ $(cksum <"$CONF") != "${S_FCGI_CONF_SUM:-}" ]]; then
			_log "configuration changed: restarting gentrack-fcgi"
			_stop_pidfile "$FCGI_PIDFILE" gentrack-fcgi 15
			_fcgi_start
		fi
	fi
	_write_credentials

	_log "up in $DIR"
	((NO_FCGI)) || _log "  $(grep '^BASE_URL=' "$CREDS")  (FastCGI pool pid $(_pid_from "$FCGI_PIDFILE"), ${FRONT/apache/apache2} pid $(_pid_from "$(_front_pidfile)"))"
	_log "  MariaDB pid $(_pid_from "$DB_PIDFILE"), socket $DB_SOCK, port $S_MYSQL_PORT"
	_log "  credentials: $CREDS   config: $CONF"
}

_stack_stop_part() {
	case ${1:-} in
	nginx) _stop_pidfile "$NGX_PIDFILE" nginx 15 ;;
	apache) _stop_pidfile "$APX_PIDFILE" apache2 15 ;;
	fcgi) _stop_pidfile "$FCGI_PIDFILE" gentrack-fcgi 15 ;;
	mariadb) _stop_pidfile "$DB_PIDFILE" mariadbd 60 ;;
	*) _die "stop what? (mariadb, fcgi, nginx or apache)" ;;
	esac
}

# Front to back, so nothing in flight meets a missing store.
_stack_down() {
	_stop_pidfile "$NGX_PIDFILE" nginx 15
	_stop_pidfile "$APX_PIDFILE" apache2 15
	_stop_pidfile "$FCGI_PIDFILE" gentrack-fcgi 15
	_stop_pidfile "$DB_PIDFILE" mariadbd 60
	_log "down: $DIR (data kept; remove the folder to start afresh)"
}

# ---------------------------------------------------------------- command line

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	usage="usage: stack.sh up DIR [--port P] [--workers N] [--no-fcgi] [--front nginx|apache] | down DIR | stop DIR mariadb|fcgi|nginx|apache"
	cmd=${1:-}
	[[ $# -ge 2 ]] || { echo "$usage" >&2; exit 1; }
	shift
	case $cmd in
	up) stack_up "$@" ;;
	down) stack_down "$1" ;;
	stop) stack_stop "$1" "${2:-}" ;;
	*) echo "$usage" >&2; exit 1 ;;
	esac
fi
