#!/usr/bin/env bash
# make soak (minutes, not in CI): the verifier on memstore with its clock
# running SOAK_SPEED times faster, SOAK_RATE new verifications per second
# (each checked once with a wrong code) for SOAK_MINUTES minutes while
# verifications expire and are swept; prints the server's RSS every few
# seconds and fails unless it stays flat (last third of the samples after
# warm-up within 15% of the first third).
# The clock runs fast because a record is kept for its code's lifetime plus
# verifier.Retention (an hour): at real speed, run SOAK_SPEED=1 for 90+ minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
mkdir -p build/out
$go build -trimpath -o build/out/webotpbench ./build/bench/cmd/webotpbench
build/out/webotpbench soak --minutes "${SOAK_MINUTES:-8}" --rate "${SOAK_RATE:-500}" --speed "${SOAK_SPEED:-30}" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' INT TERM EXIT
wait "$pid"
