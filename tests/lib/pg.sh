# pg.sh - a private PostgreSQL for the tests, sourced by tests/*/t_*pg*.sh
#
#	. tests/lib/pg.sh
#	pg_setup DIR || exit 77		# finds the binaries, picks a user
#	pg_start			# initdb (once), start; sets PG_URL
#	pg_stop; pg_start		# stop and start again, same data
#	pg_sql "SQL"			# psql as the superuser, -At output
#	pg_role NAME "GRANTS..."	# a login role with those grants;
#					  sets PG_ROLE_URL
#	pg_cleanup			# stop, remove DIR's server files
#
# The server runs as an unprivileged user (the caller, or nobody when the
# caller is root), listens on a Unix socket in DIR only (no TCP port),
# trusts local connections, and takes a few MiB.  PG_BIN may name the
# directory of initdb and pg_ctl; else the newest /usr/lib/postgresql/*.
# pg_setup returns 1 with a message when no server can be had (the
# caller skips with exit 77).

pg_setup() {
	PG_DIR=$1
	if [ -z "$PG_BIN" ]; then
		for d in /usr/lib/postgresql/*/bin; do
			[ -x "$d/initdb" ] && PG_BIN=$d
		done
	fi
	if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] ||
	    [ ! -x "$PG_BIN/pg_ctl" ]; then
		echo "skipped: no PostgreSQL server (initdb, pg_ctl): install the postgresql package (mk/deps)"
		return 1
	fi
	PG_PSQL=$PG_BIN/psql
	[ -x "$PG_PSQL" ] || PG_PSQL=psql
	PG_RUN=""
	if [ "$(id -u)" = 0 ]; then
		PG_RUN="runuser -u nobody --"
		chmod 755 "$PG_DIR" || return 1
	fi
	mkdir -p "$PG_DIR/pg" || return 1
	[ -n "$PG_RUN" ] && chown nobody "$PG_DIR/pg"
	PG_URL="postgresql:///bm?host=$PG_DIR/pg&user=bm"
	export PG_URL
	return 0
}

pg_start() {
	if [ ! -f "$PG_DIR/pg/data/PG_VERSION" ]; then
		$PG_RUN "$PG_BIN/initdb" -D "$PG_DIR/pg/data" -U bm \
		    --auth=trust -E UTF8 --locale=C.UTF-8 \
		    >"$PG_DIR/pg/initdb.log" 2>&1 ||
		    { echo "initdb failed:"; cat "$PG_DIR/pg/initdb.log";
		      return 1; }
	fi
	$PG_RUN "$PG_BIN/pg_ctl" -D "$PG_DIR/pg/data" -w -t 30 \
	    -l "$PG_DIR/pg/server.log" \
	    -o "-c listen_addresses='' -k $PG_DIR/pg -c shared_buffers=8MB -c fsync=off -c max_connections=40" \
	    start >/dev/null 2>&1 ||
	    { echo "pg_ctl start failed:"; tail -n 20 "$PG_DIR/pg/server.log";
	      return 1; }
	if ! $PG_RUN "$PG_PSQL" -h "$PG_DIR/pg" -U bm -d postgres -Atqc \
	    "SELECT 1 FROM pg_database WHERE datname = 'bm'" | grep -q 1; then
		$PG_RUN "$PG_PSQL" -h "$PG_DIR/pg" -U bm -d postgres -qc \
		    "CREATE DATABASE bm" >/dev/null || return 1
	fi
	return 0
}

pg_stop() {
	$PG_RUN "$PG_BIN/pg_ctl" -D "$PG_DIR/pg/data" -m fast -w -t 30 stop \
	    >/dev/null 2>&1
}

pg_sql() {
	$PG_RUN "$PG_PSQL" -h "$PG_DIR/pg" -U bm -d bm -Atq -v ON_ERROR_STOP=1 \
	    -c "$1"
}

# pg_role NAME GRANTS: a login role; GRANTS is SQL run after CREATE ROLE.
# A GRANT can meet "tuple concurrently updated" when the server's own
# (auto-)ANALYZE rewrites the same pg_class row at that moment (seen once
# in a CI run, after the earlier phases' inserts): GRANTs are idempotent,
# so they are tried again, at most five times.
pg_role() {
	pg_sql "DROP ROLE IF EXISTS $1" >/dev/null 2>&1
	pg_sql "CREATE ROLE $1 LOGIN" >/dev/null || return 1
	if [ -n "$2" ]; then
		_n=0
		until pg_sql "$2" >/dev/null; do
			_n=$((_n + 1))
			[ $_n -lt 5 ] || return 1
			sleep 0.5
		done
	fi
	PG_ROLE_URL="postgresql:///bm?host=$PG_DIR/pg&user=$1"
	return 0
}

pg_cleanup() {
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/pg/data/postmaster.pid" ] && pg_stop
	rm -rf "$PG_DIR/pg"
}
