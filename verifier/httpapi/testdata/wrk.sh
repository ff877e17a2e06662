#!/usr/bin/env bash
# Measures the check endpoint with wrk on loopback, memstore, access logs on:
#   bash verifier/httpapi/testdata/wrk.sh [ids=6000] [duration=5s]
# Builds webotp, starts it with one app allowing 100 attempts per code,
# creates the verifications (distinct phones), then runs
#   wrk -t2 -c64 -d5s -s check.lua http://127.0.0.1:PORT/
set -euo pipefail
cd "$(dirname "$0")"
n=${1:-6000}
dur=${2:-5s}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/webotp" ../../cmd/webotp
hash=$(printf %s bench | sha256sum | cut -d' ' -f1)
cat > "$tmp/apps.json" <<JSON
{"apps":[{"id":"bench","api_key_sha256":"$hash","origins":["https://bench.example"],
  "limits":{"max_attempts":100,"phone_failures":100,"app_sends":1000000}}]}
JSON
port=${PORT:-18089}
WEBOTP_SECRET=$(head -c 32 /dev/urandom | base64) "$tmp/webotp" serve --addr 127.0.0.1:$port \
  --config "$tmp/apps.json" --sender console >/dev/null 2>"$tmp/log" &
pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
python3 - "$port" "$n" > "$tmp/ids.txt" <<'PY'
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(n):
    body = json.dumps({"phone": "+3361%07d" % i, "origin": "https://bench.example"})
    c.request("POST", "/v1/verifications", body, {"Authorization": "Bearer bench", "Content-Type": "application/json"})
    r = c.getresponse()
    data = json.loads(r.read())
    if r.status != 201:
        sys.exit("start %d: %d %s" % (i, r.status, data))
    print(data["id"])
PY
WRK_IDS="$tmp/ids.txt" WRK_THREADS=2 wrk -t2 -c64 -d"$dur" -s check.lua "http://127.0.0.1:$port/"
echo "status codes answered (from the access log):"
grep -o 'route=/v1/verifications/{id}/check status=[0-9]*' "$tmp/log" | sort | uniq -c
