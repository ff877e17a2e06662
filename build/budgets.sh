#!/usr/bin/env bash
# Fails when the client built by build/client.sh is over its size budgets
# (build/out/sizes.json). Part of `make test`, so that a change that grows
# webotp.wasm or webotp.js past them does not land unnoticed.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=build/out/sizes.json
[[ -f $sizes ]] || { echo "budgets: $sizes is missing: run make build" >&2; exit 1; }
json=$(<"$sizes")
# field FILE KEY: the number after "FILE":{... "KEY":
field() { sed -E "s/.*\"$1\":\\{[^}]*\"$2\":([0-9]+).*/\\1/" <<<"$json"; }
number() { sed -E "s/.*\"$1\":([0-9.]+).*/\\1/" <<<"$json"; }
wasm=$(field 'webotp\.wasm' brotli) js=$(field 'webotp\.js' brotli)
ratio=$(number wasm_brotli_ratio_to_empty_safejs)
wasm_max=$(number 'webotp\.wasm_brotli_max') js_max=$(number 'webotp\.js_brotli_max') ratio_max=$(number 'webotp\.wasm_ratio_max')
fail=0
check() { # name value max
	if awk -v v="$2" -v m="$3" 'BEGIN { exit !(v > m) }'; then
		echo "budgets: $1 is $2, over its budget of $3" >&2
		fail=1
	else
		echo "budgets: $1 $2 (budget $3)"
	fi
}
check "webotp.wasm brotli bytes" "$wasm" "$wasm_max"
check "webotp.wasm / empty safejs program (brotli)" "$ratio" "$ratio_max"
check "webotp.js brotli bytes" "$js" "$js_max"
exit $fail
