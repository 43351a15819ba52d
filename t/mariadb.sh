# t/mariadb.sh: a MariaDB server for a test, holding Debian's opendmarc
# schema, for opendmarc-import to load history into.  Source it after
# t/lib.sh:
#	. "$MX_SRCDIR/t/mariadb.sh"
#	need_mariadb				# else skip the whole test
#	mariadb_start || ...
#	opendmarc-import --dbhost=127.0.0.1 --dbport="$DB_PORT" \
#	    --dbuser=opendmarc --dbpasswd="$DB_PASS" --input=FILE
#	sql 'SELECT COUNT(*) FROM messages'	# rows, tab-separated
#
# mariadb_start makes a data directory under $T with mariadb-install-db,
# starts mariadbd on it as a child of the test (lib.sh's daemon: killed
# and reaped on exit) listening on 127.0.0.1 at a free high port and on a
# socket of its own, waits (10 s at most) until it answers, loads the
# schema and makes the user opendmarc@127.0.0.1 with the password $DB_PASS,
# as a site following Debian's README would.  It sets DB_PORT, DB_SOCK,
# DB_DIR and DB_PID; it returns 1, with the server's log as diagnostics,
# when the server does not come up.  The server runs as the user running
# the test, root included; the administrator over the socket is that user.

MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}
MARIADB_INSTALL_DB=${MARIADB_INSTALL_DB:-$(command -v mariadb-install-db ||
    echo /usr/bin/mariadb-install-db)}
MARIADB=${MARIADB:-$(command -v mariadb || echo /usr/bin/mariadb)}
OPENDMARC_IMPORT=${OPENDMARC_IMPORT:-/usr/sbin/opendmarc-import}
OPENDMARC_SCHEMA=${OPENDMARC_SCHEMA:-/usr/share/dbconfig-common/data/opendmarc\
/install/mysql}

need_mariadb() {
	[ -x "$MARIADBD" ] || skip_all "mariadbd not installed (mariadb-server)"
	[ -x "$MARIADB_INSTALL_DB" ] ||
	    skip_all "mariadb-install-db not installed (mariadb-server)"
	[ -x "$MARIADB" ] || skip_all "mariadb not installed (mariadb-client)"
	[ -x "$OPENDMARC_IMPORT" ] ||
	    skip_all "opendmarc-import not installed (opendmarc)"
	[ -r "$OPENDMARC_SCHEMA" ] ||
	    skip_all "opendmarc's schema missing (opendmarc)"
	perl -MSwitch -MDBI -MDBD::mysql -MJSON -e 1 2>/dev/null ||
	    skip_all "opendmarc-import's perl modules missing (libswitch-perl \
libdbi-perl libdbd-mysql-perl libjson-perl)"
}

# Small InnoDB files: the server starts in well under a second.
_mariadb_opts() {
	printf '%s\n' --no-defaults --datadir="$DB_DIR/data" \
	    --user="$(id -un)" --innodb-log-file-size=4M \
	    --innodb-buffer-pool-size=8M --skip-name-resolve \
	    --open-files-limit=1024 --innodb-flush-log-at-trx-commit=0 \
	    --innodb-doublewrite=0
}

mariadb_start() {
	DB_DIR=$T/mariadb
	DB_SOCK=$DB_DIR/sock
	DB_PORT=$(free_port)
	DB_PASS=pw-$$-$DB_PORT
	mkdir -p "$DB_DIR" || return 1
	# shellcheck disable=SC2046
	"$MARIADB_INSTALL_DB" $(_mariadb_opts) --skip-test-db \
	    --auth-root-authentication-method=socket \
	    >"$DB_DIR/install.log" 2>&1 || {
		diag "mariadb-install-db failed:" "$(tail -n 5 \
		    "$DB_DIR/install.log")"
		return 1
	}
	# shellcheck disable=SC2046
	daemon "$MARIADBD" $(_mariadb_opts) --socket="$DB_SOCK" \
	    --port="$DB_PORT" --bind-address=127.0.0.1 \
	    --pid-file="$DB_DIR/pid" --log-error="$DB_DIR/log" \
	    2>>"$DB_DIR/log"
	DB_PID=$!
	_i=0
	until _sql -e 'SELECT 1' >/dev/null 2>&1; do
		_i=$((_i + 1))
		if [ "$_i" -gt 100 ] || ! kill -0 "$DB_PID" 2>/dev/null; then
			diag "mariadbd did not come up:" \
			    "$(tail -n 5 "$DB_DIR/log")"
			return 1
		fi
		sleep 0.1
	done
	_sql <"$OPENDMARC_SCHEMA" && sql "CREATE USER 'opendmarc'@'127.0.0.1' \
IDENTIFIED BY '$DB_PASS'; \
GRANT ALL ON opendmarc.* TO 'opendmarc'@'127.0.0.1'"
}

# sql STATEMENTS: run them in the opendmarc database as the
# administrator; rows tab-separated, no column names.
sql() {
	_sql -D opendmarc -e "$1"
}

_sql() {
	"$MARIADB" --no-defaults -S "$DB_SOCK" -u "$(id -un)" -N -B "$@"
}

# import FILE [ARGS...]: opendmarc-import over TCP as the opendmarc user;
# its stderr goes to $T/import.err (it exits 0 even when inserts fail).
import() {
	_f=$1
	shift
	"$OPENDMARC_IMPORT" --dbhost=127.0.0.1 --dbport="$DB_PORT" \
	    --dbuser=opendmarc --dbpasswd="$DB_PASS" --input="$_f" "$@" \
	    2>"$T/import.err"
}
