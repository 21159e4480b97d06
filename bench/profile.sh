#!/bin/sh
# A server wrapper for bench/run.ts: runs the server under `node --cpu-prof`, profiles in
# ${HEXI_PROFILE_DIR:-bench/profiles}. HEXI_BENCH_SERVER_WRAPPER=bench/profile.sh npx tsx bench/run.ts --only …
node="$1"
shift
exec "$node" --cpu-prof --cpu-prof-dir="${HEXI_PROFILE_DIR:-bench/profiles}" "$@"
