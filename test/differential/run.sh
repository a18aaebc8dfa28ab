#!/usr/bin/env bash
# test/differential/run.sh: jwt_validate against PyJWT and jwcrypto on
# random valid and invalid tokens (see diff.py); about 20 s.
#
#   test/differential/run.sh                    3000 cases, a new seed each run
#   test/differential/run.sh --cases 100000     a longer run
#   test/differential/run.sh --seed 42          repeat a run
#
# Needs PGHOST/PGPORT/PGUSER/PGDATABASE for a database with the extension
# and Debian's python3-jwt and python3-jwcrypto. Prints "ok - ..." /
# "not ok - ..." lines; exits 1 when a check failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# -I: not the current directory's jwt.so (the extension) as module "jwt"
exec /usr/bin/python3 -I "$here/diff.py" "$@"
