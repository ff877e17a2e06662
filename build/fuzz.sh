#!/usr/bin/env bash
# Runs every fuzz target of the module briefly (FUZZTIME each, default 5s),
# starting from its seed corpus. Part of `make test`; any crash fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}
go=${GO:-go}
count=0
for pkg in $($go list ./...); do
  targets=$($go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "fuzz: $pkg $t ($fuzztime)"
    $go test -run='^$' -fuzz="^${t}\$" -fuzztime="$fuzztime" -fuzzminimizetime=1s "$pkg"
    count=$((count + 1))
  done
done
if [ "$count" -eq 0 ]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi
echo "fuzz: $count targets ran for $fuzztime each"
