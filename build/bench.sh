#!/usr/bin/env bash
# make bench: measures the verifier (check and start on memstore and Redis,
# against a bare fasthttp ceiling and a net/http handler), the check handler's
# CPU with its JSON answers encoded by hand and by encoding/json, memory per pending
# verification, the client's size, time to an armed get() and, on emulated
# networks, time from the user's consent to the code in the input, and otpmsg;
# prints one markdown table and writes it to build/out/bench.md.
# Everything runs on 127.0.0.1. Needs wrk, redis-server, taskset, chromium
# and the client build (make bench runs make build first).
# Extra arguments go to `webotpbench run` (e.g. --only verifier -d 5s).
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
mkdir -p build/out
for tool in wrk redis-server taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (make bench installs it)" >&2; exit 1; }
done
test -f build/out/sizes.json || { echo "bench: build/out/sizes.json missing: run make build (build/client.sh) first" >&2; exit 1; }
$go build -trimpath -o build/out/webotpbench ./build/bench/cmd/webotpbench

# The servers, Redis and wrk are children of webotpbench, which stops them
# when it ends and makes the kernel kill them if it dies; the trap stops
# webotpbench itself when this script is interrupted.
build/out/webotpbench run --root . --out build/out "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' INT TERM EXIT
wait "$pid"
