#!/usr/bin/env bash
# make soak (minutes, not in CI): the verifier on memstore with its clock
# running SOAK_SPEED times faster, SOAK_RATE new verifications per second
# (each checked once with a wrong code) for SOAK_MINUTES minutes while
# verifications expire and are swept; prints the server's RSS every few
# seconds and fails unless it stays flat (last third of the samples after
# warm-up within 15% of the first third).
# The clock runs fast because a record is kept for its code's lifetime plus
# verifier.Retention (an hour) and a wrong check's per-phone failure counter
# for its 24-hour window: memory can only level off after that much time.
# Defaults: 8 minutes at 300x (40 simulated hours), 1000 verifications/s.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
mkdir -p build/out
$go build -trimpath -o build/out/webotpbench ./build/bench/cmd/webotpbench
build/out/webotpbench soak --minutes "${SOAK_MINUTES:-8}" --rate "${SOAK_RATE:-1000}" --speed "${SOAK_SPEED:-300}" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' INT TERM EXIT
wait "$pid"
