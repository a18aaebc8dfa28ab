# shellcheck shell=bash
# test/lib.sh: helpers shared by the test/*/run.sh suites (source it, bash).
#
#   ok MSG / not_ok MSG      print "ok - MSG" / "not ok - MSG" (not_ok sets
#                            failed=1, which a suite returns as its status)
#   jwt_test_pg_config       the pg_config to use: PG_CONFIG, else
#                            PostgreSQL 15's, else the one on PATH
#   as_pg CMD...             run CMD as the postgres user when we are root
#                            (initdb and postgres refuse to run as root)

failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }

jwt_test_pg_config() {
	if [ -n "${PG_CONFIG:-}" ]; then
		echo "$PG_CONFIG"
	elif [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
		echo /usr/lib/postgresql/15/bin/pg_config
	else
		echo pg_config
	fi
}

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
