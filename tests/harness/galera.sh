#!/usr/bin/env bash
# A private three-node MariaDB Galera cluster in one folder, on loopback only,
# for the tests that need several store nodes (tests/integration/galera.sh).
# Started and stopped by the pids recorded here, as stack.sh does its parts.
#
#   galera.sh up DIR          start nodes 1, 2, 3 (1 bootstraps), wait until
#                             all three are Synced, create the gentrack user
#                             and database, migrate through node 1
#   galera.sh down DIR        stop the apps and every node of DIR (data kept)
#   galera.sh apps DIR        on a running cluster: two app hosts, app-a
#                             (node 1 first) and app-b (node 2 first), each a
#                             gentrack-fcgi pool, a worker (type "work")
#                             and a reaper loop, and its own nginx (its
#                             pool only; with Nchan installed, live updates
#                             on and each host publishing to the other's
#                             peer-publisher server, as in production);
#                             one more nginx whose upstream is both pools
#                             (the load balancer); writes DIR/apps.env
#                             (BASE_URL, CLIENT_KEY, WORKER_KEY, HOST_A_URL,
#                             HOST_B_URL, LIVE_HOSTS: 1 with live updates)
#   galera.sh kill DIR N      SIGKILL node N (a lost node, for fault tests)
#   galera.sh start DIR N     start node N again; returns once it rejoined
#                             (by IST or SST) and is Synced among three
#
# Sourced, it defines galera_up, galera_down, galera_kill and galera_start with
# the same arguments, each in a subshell. `up` writes DIR/galera.env (shell
# syntax): GALERA_PORT_1..3 (the SQL ports), GALERA_SOCKET_1..3, DB_PASSWORD,
# GALERA_CONF (a gentrack.conf naming the three nodes, node 1 first).
#
# What STACK-NOTES.md ("MariaDB Galera") found to work here: each node its own
# datadir, socket and ports; wsrep base_port P spaced by 10 between nodes (IST
# takes P+1); SST by mariabackup (rsync fails on this machine kind) with its
# own receive port. Kept small, as the machine is shared: a 32 MiB buffer
# pool, a 32 MiB gcache, 64 connections a node.
#
# Ports: a block of 30 (10 a node) in 22000-31899, picked at random and
# checked free, so two runs of this harness, or another engineer's, do not
# meet. Below the kernel's ephemeral range (32768 up): there the nodes' own
# outgoing connections took a wsrep port between the check and the bind.

_galera_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The shared helpers (_alive, _stop_pidfile, _port_busy, _log, _die, ...).
# shellcheck source=stack.sh
. "$_galera_here/stack.sh"

galera_up()    ( set -euo pipefail; _galera_init "$1"; _galera_up; )
galera_down()  ( set -euo pipefail; _galera_init "$1"; _galera_down; )
galera_apps()  ( set -euo pipefail; _galera_init "$1"; _galera_load; _galera_apps_up; )
galera_kill()  ( set -euo pipefail; _galera_init "$1"; _galera_kill_node "$2"; )
galera_start() ( set -euo pipefail; _galera_init "$1"; _galera_load; _galera_start_node "$2" join
	_galera_wait_synced "$2" 3 "$GALERA_JOIN_WAIT"; )

# Bounded waits (seconds): a bootstrap answers in a few seconds; a joiner
# takes an SST (mariabackup) of a small datadir, 10-20 s on an idle machine,
# far more on 2 shared cores.
GALERA_BOOT_WAIT=${GALERA_BOOT_WAIT:-60}
GALERA_JOIN_WAIT=${GALERA_JOIN_WAIT:-150}
NCHAN_MODULE=${NCHAN_MODULE:-/usr/lib/nginx/modules/ngx_nchan_module.so}

_galera_init() {
	local dir=${1:-}
	[[ -n $dir ]] || _die "no galera folder given"
	mkdir -p "$dir"
	DIR=$(cd "$dir" && pwd)
	[[ $DIR =~ ^[A-Za-z0-9_./+@:-]+$ ]] || _die "unsupported characters in galera folder '$DIR'"
	((${#DIR} <= 80)) || _die "galera folder path too long for unix sockets (${#DIR} > 80): $DIR"
	SRCDIR=${abs_top_srcdir:-$_stack_repo}
	BUILDDIR=${GENTRACK_BUILDDIR:-${abs_top_builddir:-$_stack_repo}}
	CTL_BIN=$BUILDDIR/src/gentrackctl
	GENV=$DIR/galera.env
	GSTATE=$DIR/galera-state.env
	PROVIDER=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
}

_node_dir() { echo "$DIR/node$1"; }
_node_sock() { echo "$DIR/node$1/mysql.sock"; }
_node_pidfile() { echo "$DIR/node$1/mysqld.pid"; }
_node_log() { echo "$DIR/node$1/mysqld.log"; }
# Ports of node N (1..3) in the block starting at BASE: SQL, wsrep (IST is +1), SST.
_node_port() { echo $((BASE + 10 * ($1 - 1))); }
_node_wsrep_port() { echo $((BASE + 10 * ($1 - 1) + 4)); }
_node_sst_port() { echo $((BASE + 10 * ($1 - 1) + 7)); }

_galera_load() {
	[[ -r $GSTATE ]] || _die "$DIR has no cluster (run up first)"
	# shellcheck source=/dev/null
	. "$GSTATE"
}

# A block of 30 free ports.
_galera_pick_ports() {
	local try p free
	for ((try = 0; try < 50; try++)); do
		BASE=$((22000 + (RANDOM % 330) * 30))
		free=1
		for ((p = BASE; p < BASE + 30; p++)); do
			if _port_busy "$p"; then
				free=0
				break
			fi
		done
		((free)) && return 0
	done
	_die "no block of 30 free loopback ports in 22000-31899"
}

_gsql() {
	local n=$1
	shift
	mariadb --no-defaults --socket="$(_node_sock "$n")" -uroot -N -B --connect-timeout=5 "$@"
}

_wsrep_status() {
	_gsql "$1" -e "SHOW STATUS LIKE '$2'" 2>/dev/null | awk '{ print $2 }'
}

# The node's option file. A file rather than flags: the SST scripts read
# their settings with my_print_defaults, which without a --defaults-file
# falls back to /etc/mysql (Debian's [mysqld_safe] syslog, its socket).
_galera_write_cnf() {
	local n=$1 peers=$2 nd
	nd=$(_node_dir "$n")
	cat >"$nd/my.cnf" <<-EOF
		[mysqld]
		datadir = $nd/data
		socket = $(_node_sock "$n")
		tmpdir = $nd/tmp
		port = $(_node_port "$n")
		bind-address = 127.0.0.1
		user = $(id -un)
		pid-file = $(_node_pidfile "$n")
		log-error = $(_node_log "$n")
		skip-name-resolve
		character-set-server = utf8mb4
		collation-server = utf8mb4_unicode_ci
		innodb-buffer-pool-size = 32M
		innodb-log-file-size = 16M
		innodb-flush-log-at-trx-commit = 2
		max-connections = 64
		binlog-format = ROW
		default-storage-engine = InnoDB
		innodb-autoinc-lock-mode = 2
		wsrep-on = ON
		wsrep-provider = $PROVIDER
		wsrep-cluster-name = gentrack-test-$BASE
		wsrep-node-name = node$n
		wsrep-cluster-address = gcomm://$peers
		wsrep-node-address = 127.0.0.1:$(_node_wsrep_port "$n")
		wsrep-provider-options = "base_port=$(_node_wsrep_port "$n");gcache.size=32M;gcache.page_size=16M"
		wsrep-sst-method = mariabackup
		wsrep-sst-auth = root:
		wsrep-sst-receive-address = 127.0.0.1:$(_node_sst_port "$n")
		[sst]
		sst-log-archive-dir = $nd/sst-logs
	EOF
}

# Starts node N; MODE bootstrap (a new cluster) or join (through node 1, or
# any node still up when node 1 is the one rejoining).
_galera_start_node() {
	local n=$1 mode=$2 nd pid peers="" k
	nd=$(_node_dir "$n")
	pid=$(_pid_from "$(_node_pidfile "$n")" || true)
	if _alive "$pid"; then
		return 0
	fi
	mkdir -p "$nd/tmp"
	if [[ ! -d $nd/data/mysql ]]; then
		rm -rf "$nd/data"
		mariadb-install-db --no-defaults --datadir="$nd/data" --user="$(id -un)" \
			--auth-root-authentication-method=normal --skip-test-db --tmpdir="$nd/tmp" \
			>"$nd/install-db.log" 2>&1 ||
			{ _tail_log "$nd/install-db.log"; _die "mariadb-install-db failed for node $n"; }
	fi
	if [[ $mode == join ]]; then
		for k in 1 2 3; do
			((k == n)) || peers+="${peers:+,}127.0.0.1:$(_node_wsrep_port "$k")"
		done
	fi
	rm -f "$(_node_sock "$n")" "$(_node_pidfile "$n")"
	printf '== start %s (%s)\n' "$(date -u +%FT%TZ)" "$mode" >>"$(_node_log "$n")"
	_galera_write_cnf "$n" "$peers"
	setsid mariadbd --defaults-file="$nd/my.cnf" </dev/null >>"$(_node_log "$n")" 2>&1 &
	pid=$!
	echo "$pid" >"$nd/started.pid"
}

# Waits until node N answers and is Synced in a cluster of WANT nodes.
_galera_wait_synced() {
	local n=$1 want=$2 wait_s=$3 i state size pid
	pid=$(cat "$(_node_dir "$n")/started.pid" 2>/dev/null || true)
	for ((i = 0; i < wait_s * 2; i++)); do
		state=$(_wsrep_status "$n" wsrep_local_state_comment || true)
		size=$(_wsrep_status "$n" wsrep_cluster_size || true)
		if [[ $state == Synced && $size == "$want" ]]; then
			[[ -s $(_node_pidfile "$n") ]] || echo "$pid" >"$(_node_pidfile "$n")"
			return 0
		fi
		if [[ -n $pid ]] && ! _not_exited "$pid"; then
			_tail_log "$(_node_log "$n")"
			_die "node $n exited while starting (log: $(_node_log "$n"))"
		fi
		sleep 0.5
	done
	_tail_log "$(_node_log "$n")"
	_die "node $n not Synced in a cluster of $want within ${wait_s}s (state '$state', size '$size')"
}

_galera_setup_db() {
	local pw=$1
	_gsql 1 <<-SQL || _die "could not create the gentrack database and user"
		CREATE DATABASE IF NOT EXISTS gentrack CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS 'gentrack'@'localhost' IDENTIFIED BY '$pw';
		CREATE USER IF NOT EXISTS 'gentrack'@'127.0.0.1' IDENTIFIED BY '$pw';
		GRANT ALL PRIVILEGES ON gentrack.* TO 'gentrack'@'localhost';
		GRANT ALL PRIVILEGES ON gentrack.* TO 'gentrack'@'127.0.0.1';
	SQL
}

# A gentrack.conf whose store is the three nodes in ORDER (e.g. "2 3 1").
_galera_write_conf() {
	local file=$1 order=$2 hosts="" k
	for k in $order; do
		hosts+="${hosts:+, }127.0.0.1:$(_node_port "$k")"
	done
	(
		umask 077
		cat >"$file" <<-EOF
			# gentrack against the Galera cluster in $DIR (tests/harness/galera.sh)
			[store]
			hosts = $hosts
			user = gentrack
			password = $DB_PASSWORD
			database = gentrack
			connect_timeout = 2
			migrations_dir = $SRCDIR/sql
			[log]
			level = warn
		EOF
	)
}

_galera_up() {
	_need mariadbd mariadb mariadb-install-db mariabackup socat setsid
	[[ -r $PROVIDER ]] || _die "$PROVIDER not found (apt-get install galera-4)"
	[[ -x $CTL_BIN ]] || _die "$CTL_BIN not built (run make)"
	if [[ -r $GSTATE ]]; then
		. "$GSTATE"
	else
		_galera_pick_ports
		DB_PASSWORD=$(_random_hex 16)
		printf 'BASE=%q\nDB_PASSWORD=%q\n' "$BASE" "$DB_PASSWORD" >"$GSTATE"
	fi
	_log "galera: starting node 1 (bootstrap), ports from $BASE"
	_galera_start_node 1 bootstrap
	_galera_wait_synced 1 1 "$GALERA_BOOT_WAIT"
	_galera_setup_db "$DB_PASSWORD"
	# One joiner at a time: the donor serves one SST at a time anyway.
	_log "galera: node 2 joining"
	_galera_start_node 2 join
	_galera_wait_synced 2 2 "$GALERA_JOIN_WAIT"
	_log "galera: node 3 joining"
	_galera_start_node 3 join
	_galera_wait_synced 3 3 "$GALERA_JOIN_WAIT"
	_galera_wait_synced 1 3 10

	_galera_write_conf "$DIR/gentrack.conf" "1 2 3"
	{
		printf '== gentrackctl migrate through node 1, %s\n' "$(date -u +%FT%TZ)"
		"$CTL_BIN" --config "$DIR/gentrack.conf" migrate
	} >>"$DIR/migrate.log" 2>&1 || { _tail_log "$DIR/migrate.log"; _die "gentrackctl migrate failed"; }
	{
		printf 'GALERA_DIR=%q\n' "$DIR"
		printf 'GALERA_CONF=%q\n' "$DIR/gentrack.conf"
		printf 'DB_PASSWORD=%q\n' "$DB_PASSWORD"
		for k in 1 2 3; do
			printf 'GALERA_PORT_%d=%q\n' "$k" "$(_node_port "$k")"
			printf 'GALERA_SOCKET_%d=%q\n' "$k" "$(_node_sock "$k")"
		done
	} >"$GENV"
	_log "galera: up in $DIR (SQL ports $(_node_port 1), $(_node_port 2), $(_node_port 3))"
}

# ---------------------------------------------------------------- app hosts

_app_dir() { echo "$DIR/app-$1"; }

# Host H's ports in the block (the nodes leave +8, +9, +18, +19, +28, +29
# free): its nginx's site, and the peer-publisher server the other host's
# gentrack publishes to.
_host_http_port() { if [[ $1 == a ]]; then echo $((BASE + 18)); else echo $((BASE + 28)); fi; }
_host_pub_port() { if [[ $1 == a ]]; then echo $((BASE + 19)); else echo $((BASE + 29)); fi; }
_other_host() { if [[ $1 == a ]]; then echo b; else echo a; fi; }
_live_hosts() { [[ -r $NCHAN_MODULE ]]; }

# Host H's configuration: the cluster's nodes with FIRST first, its own
# FastCGI socket, the shared nginx as its base URL; with Nchan, its own
# nginx's publisher socket and the other host's peer publisher.
_galera_app_conf() {
	local h=$1 first=$2 port=$3 ad k order
	ad=$(_app_dir "$h")
	order=$first
	for k in 1 2 3; do
		((k == first)) || order+=" $k"
	done
	mkdir -p "$ad"
	_galera_write_conf "$ad/gentrack.conf" "$order"
	cat >>"$ad/gentrack.conf" <<-EOF
		[server]
		listen = $ad/fcgi.sock
		workers = 2
		base_url = http://127.0.0.1:$port
		[metrics]
		allow_loopback = on
	EOF
	if _live_hosts; then
		cat >>"$ad/gentrack.conf" <<-EOF
			[live]
			nchan_socket = $ad/nchan.sock
			peers = 127.0.0.1:$(_host_pub_port "$(_other_host "$h")")
		EOF
	fi
}

_galera_fcgi_start() {
	local h=$1 ad pid i
	ad=$(_app_dir "$h")
	pid=$(_pid_from "$ad/fcgi.pid" || true)
	_alive "$pid" && return 0
	rm -f "$ad/fcgi.sock" "$ad/fcgi.pid"
	setsid "$BUILDDIR/src/gentrack-fcgi" --config "$ad/gentrack.conf" --pid-file "$ad/fcgi.pid" \
		</dev/null >>"$ad/fcgi.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 150; i++)); do
		[[ -S $ad/fcgi.sock && -s $ad/fcgi.pid ]] && return 0
		_not_exited "$pid" || { _tail_log "$ad/fcgi.log"; _die "gentrack-fcgi of app-$h exited at start"; }
		sleep 0.1
	done
	_tail_log "$ad/fcgi.log"
	_die "gentrack-fcgi of app-$h made no socket within 15s"
}

# An nginx in DIR/NAME on PORT serving the production site, its upstream
# SERVERS (nginx "server ...;" lines). With H (a host's letter) and Nchan
# installed: that host's live updates too, its publisher on the host's
# unix socket and its peer publisher on loopback for the other host.
_galera_nginx_start() {
	local name=$1 port=$2 servers=$3 h=${4:-} ngx=$DIR/$1 pid i code load=""
	pid=$(_pid_from "$ngx/nginx.pid" || true)
	_alive "$pid" && return 0
	rm -rf "$ngx/live"
	mkdir -p "$ngx/tmp" "$ngx/live" "$ngx/site.d"
	grep -q 'server unix:/run/gentrack/fcgi.sock;' "$SRCDIR/nginx/gentrack.conf" ||
		_die "nginx/gentrack.conf: its upstream's server line is not there: cannot adapt it"
	sed -e "s#server unix:/run/gentrack/fcgi.sock;#$servers#" \
		-e "s#listen 80;#listen 127.0.0.1:$port;#" \
		-e "s#/etc/nginx/gentrack-live/#$ngx/live/#" \
		-e "s#/var/log/nginx/access.log#$ngx/access.log#" \
		-e "s#/etc/nginx/gentrack-site.d/#$ngx/site.d/#" \
		"$SRCDIR/nginx/gentrack.conf" >"$ngx/site.conf"
	if [[ -n $h ]] && _live_hosts; then
		load="load_module $NCHAN_MODULE;"
		rm -f "$(_app_dir "$h")/nchan.sock"
		sed -e "s#unix:/run/gentrack/nchan.sock#unix:$(_app_dir "$h")/nchan.sock#" \
			"$SRCDIR/nginx/live-publisher.conf" >"$ngx/live/live-publisher.conf"
		cp "$SRCDIR/nginx/live-subscriber.conf" "$ngx/live/live-subscriber.conf"
		# The shipped file as an operator adapts it: this host's address,
		# the other hosts allowed (all on loopback here).
		grep -q 'listen 10.0.0.1:8089;' "$SRCDIR/nginx/peer-publisher.conf" ||
			_die "nginx/peer-publisher.conf: its listen line is not there: cannot adapt it"
		sed -e "s#listen 10.0.0.1:8089;#listen 127.0.0.1:$(_host_pub_port "$h");#" \
			-e "s#allow 10.0.0.2;#allow 127.0.0.1;#" -e "/allow 10.0.0.3;/d" \
			"$SRCDIR/nginx/peer-publisher.conf" >"$ngx/live/peer-publisher.conf"
	fi
	sed -e "s#@PREFIX@#$ngx#g" -e "s#@USER@#$(id -un)#g" -e "s#@SITE@#$ngx/site.conf#g" \
		-e "s#@LOAD_MODULES@#$load#" "$_galera_here/nginx-main.conf.in" >"$ngx/nginx.conf"
	rm -f "$ngx/nginx.pid"
	setsid nginx -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" </dev/null >>"$ngx/stderr.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 150; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/healthz" || true)
		if [[ $code == 200 ]]; then
			[[ -s $ngx/nginx.pid ]] || echo "$pid" >"$ngx/nginx.pid"
			return 0
		fi
		_not_exited "$pid" || break
		sleep 0.1
	done
	_tail_log "$ngx/error.log"
	_die "nginx $name on port $port did not answer /healthz with 200 within 15s"
}

# A worker (the demo generator, on the entity type "work" only, so that
# the store-level tests' requests stay theirs) and a reaper loop on host H.
_galera_host_workers() {
	local h=$1 url=$2 key=$3 ad pid
	ad=$(_app_dir "$h")
	pid=$(_pid_from "$ad/worker.pid" || true)
	if ! _alive "$pid"; then
		GENTRACK_WORKER_KEY=$key DEMO_FAIL_RATE=0 setsid "$BUILDDIR/src/gentrack-worker" \
			--config "$ad/gentrack.conf" --url "$url" --entity-type work --poll 0.5 \
			--worker-id "app-$h" -- "$SRCDIR/examples/demo-generator" \
			</dev/null >>"$ad/worker.log" 2>&1 &
		echo $! >"$ad/worker.pid"
	fi
	pid=$(_pid_from "$ad/reaper.pid" || true)
	if ! _alive "$pid"; then
		setsid bash -c 'while :; do "$1" --config "$2" reap; sleep 10; done' reaper-loop \
			"$CTL_BIN" "$ad/gentrack.conf" </dev/null >>"$ad/reaper.log" 2>&1 &
		echo $! >"$ad/reaper.pid"
	fi
}

_galera_apps_up() {
	local port=$((BASE + 9)) url client worker
	_need nginx curl
	url="http://127.0.0.1:$port"
	_galera_app_conf a 1 "$port"
	_galera_app_conf b 2 "$port"
	if [[ ! -r $DIR/apps.env ]]; then
		client=$("$CTL_BIN" --config "$(_app_dir a)/gentrack.conf" key create --role client --owner acme 2>>"$DIR/apps.log" | tail -n 1)
		worker=$("$CTL_BIN" --config "$(_app_dir b)/gentrack.conf" key create --role worker --owner demo 2>>"$DIR/apps.log" | tail -n 1)
		[[ -n $client && -n $worker ]] || { _tail_log "$DIR/apps.log"; _die "gentrackctl key create failed"; }
		printf 'BASE_URL=%q\nCLIENT_KEY=%q\nWORKER_KEY=%q\n' "$url" "$client" "$worker" >"$DIR/apps.env"
		printf 'HOST_A_URL=%q\nHOST_B_URL=%q\nLIVE_HOSTS=%d\n' \
			"http://127.0.0.1:$(_host_http_port a)" "http://127.0.0.1:$(_host_http_port b)" \
			"$(_live_hosts && echo 1 || echo 0)" >>"$DIR/apps.env"
	fi
	# shellcheck source=/dev/null
	. "$DIR/apps.env"
	_galera_fcgi_start a
	_galera_fcgi_start b
	# Each host's own nginx first: the publishes of the other's pool reach it.
	_galera_nginx_start nginx-a "$(_host_http_port a)" "server unix:$(_app_dir a)/fcgi.sock;" a
	_galera_nginx_start nginx-b "$(_host_http_port b)" "server unix:$(_app_dir b)/fcgi.sock;" b
	_galera_nginx_start nginx "$port" \
		"server unix:$(_app_dir a)/fcgi.sock; server unix:$(_app_dir b)/fcgi.sock;"
	_galera_host_workers a "$url" "$WORKER_KEY"
	_galera_host_workers b "$url" "$WORKER_KEY"
	_log "galera: two app hosts behind $url (pools $(_pid_from "$(_app_dir a)/fcgi.pid"), $(_pid_from "$(_app_dir b)/fcgi.pid"))"
}

_galera_kill_node() {
	local n=$1 pid
	pid=$(_pid_from "$(_node_pidfile "$n")" || true)
	_alive "$pid" || _die "node $n is not running"
	kill -KILL "$pid"
	_log "galera: node $n (pid $pid) killed"
}

# Front to back: nginx, the hosts' workers, reapers and pools; then the
# joiners, the bootstrap node last.
_galera_down() {
	local n h
	_stop_pidfile "$DIR/nginx/nginx.pid" nginx 15
	_stop_pidfile "$DIR/nginx-a/nginx.pid" "nginx of app-a" 15
	_stop_pidfile "$DIR/nginx-b/nginx.pid" "nginx of app-b" 15
	for h in a b; do
		_stop_pidfile "$(_app_dir "$h")/worker.pid" "worker of app-$h" 15
		_stop_pidfile "$(_app_dir "$h")/reaper.pid" "reaper loop of app-$h" 5
		_stop_pidfile "$(_app_dir "$h")/fcgi.pid" "gentrack-fcgi of app-$h" 15
	done
	for n in 3 2 1; do
		_stop_pidfile "$(_node_pidfile "$n")" "galera node $n" 60
	done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	usage="usage: galera.sh up DIR | apps DIR | down DIR | kill DIR N | start DIR N"
	cmd=${1:-}
	[[ $# -ge 2 ]] || { echo "$usage" >&2; exit 1; }
	shift
	case $cmd in
	up) galera_up "$1" ;;
	down) galera_down "$1" ;;
	apps) galera_apps "$1" ;;
	kill) galera_kill "$1" "${2:?node number}" ;;
	start) galera_start "$1" "${2:?node number}" ;;
	*) echo "$usage" >&2; exit 1 ;;
	esac
fi
