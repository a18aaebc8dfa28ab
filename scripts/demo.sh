#!/usr/bin/env bash
# scripts/demo.sh: build and install the extension, start a throwaway
# server, and show jwt_sign / jwt_decode / jwt_verify / jwt_validate at work
# (scripts/demo.sql). The server is stopped and removed at the end.
#
# Environment: PG_CONFIG, JWT_CFLAGS, JWT_CLUSTER_CONF (see scripts/lib.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

echo "checking build dependencies..."
# shellcheck disable=SC2119 # no extra packages
jwt_ensure_deps
echo "building and installing the extension..."
jwt_build_install || jwt_die "the build failed"
echo "starting a throwaway PostgreSQL server..."
jwt_cluster_start

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE jwt_demo'
export PGDATABASE=jwt_demo
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION jwt'
echo

# Read from standard input so that error messages carry no file:line prefix.
psql -X -v ON_ERROR_STOP=1 <scripts/demo.sql 2>&1

echo "demo finished; stopping the server."
