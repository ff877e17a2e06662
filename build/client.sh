#!/usr/bin/env bash
# Builds the browser client into web/dist (called by `make client`):
#   webotp.wasm  the Go client (wasm/), -trimpath, -s -w, no inlining in
#                this module, version injected
#   webotp.js    the loader (web/src/webotp.js) with Go's wasm_exec.js from
#                the same toolchain inside, comments and whitespace
#                stripped (names kept)
#   *.br, *.gz   precompressed siblings (brotli -q 11, gzip -9 -n)
# and, for comparison, build/out/empty-safejs.wasm (the smallest safejs
# program, built the same way). Prints a size table and writes it as
# build/out/sizes.json.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
DIST=web/dist
OUT=build/out
GOROOT=$($GO env GOROOT)
WASM_EXEC=$GOROOT/lib/wasm/wasm_exec.js

for tool in brotli gzip; do
	command -v "$tool" >/dev/null || { echo "client.sh: $tool is missing (make deps installs it)" >&2; exit 1; }
done
[[ -f $WASM_EXEC ]] || { echo "client.sh: $WASM_EXEC not found" >&2; exit 1; }
mkdir -p "$DIST" "$OUT"

ldflags="-s -w -X main.version=$VERSION"
# No inlining in this module's packages (the empty program is one of them,
# so both builds use the same flags): in WebAssembly every inlined call
# site of safejs's wrappers (a closure and a recover each) costs more bytes
# than the call it saves; this is ~5 KB of brotli. Nothing here is hot.
gcflags="github.com/webotp/webotp/...=-l"
GOOS=js GOARCH=wasm $GO build -trimpath -gcflags="$gcflags" -ldflags="$ldflags" -o "$DIST/webotp.wasm" ./wasm
GOOS=js GOARCH=wasm $GO build -trimpath -gcflags="$gcflags" -ldflags="$ldflags" -o "$OUT/empty-safejs.wasm" ./build/emptysafejs

# The bundle: wasm_exec.js replaces the /*WASM_EXEC*/ line of the loader,
# build/loaderconst puts in the Go constants the loader shares, and
# esbuild (a go.mod tool) removes comments and whitespace only: names and
# syntax stay as written; the /*! banner stays.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
awk -v exec="$WASM_EXEC" '
	/^[ \t]*\/\*WASM_EXEC\*\/[ \t]*$/ { while ((getline line < exec) > 0) print line; next }
	{ print }
' web/src/webotp.js |
	$GO run ./build/loaderconst |
	sed -e "s/__WEBOTP_VERSION__/${VERSION//\//\\/}/g" |
	$GO tool esbuild --minify-whitespace --legal-comments=inline --log-level=warning >"$tmp"
grep -Eq 'globalThis\.Go ?= ?class' "$tmp" || { echo "client.sh: wasm_exec.js was not bundled" >&2; exit 1; }
if grep -Eq '\beval\(|new Function\(' "$tmp"; then
	echo "client.sh: the bundle uses eval or new Function" >&2
	exit 1
fi
mv "$tmp" "$DIST/webotp.js"
trap - EXIT

compress() {
	brotli -q 11 -f -o "$1.br" "$1"
	gzip -9 -n -c "$1" >"$1.gz"
}
size() { wc -c <"$1" | tr -d ' '; }

compress "$DIST/webotp.wasm"
compress "$DIST/webotp.js"
brotli -q 11 -f -o "$OUT/empty-safejs.wasm.br" "$OUT/empty-safejs.wasm"
gzip -9 -n -c "$OUT/empty-safejs.wasm" >"$OUT/empty-safejs.wasm.gz"

json="{\"version\":\"$VERSION\",\"go\":\"$($GO env GOVERSION)\",\"files\":{"
printf '%-20s %10s %10s %10s\n' file raw gzip brotli
sep=""
for f in "$DIST/webotp.wasm" "$DIST/webotp.js" "$OUT/empty-safejs.wasm"; do
	raw=$(size "$f") gz=$(size "$f.gz") br=$(size "$f.br")
	name=$(basename "$f")
	printf '%-20s %10d %10d %10d\n' "$name" "$raw" "$gz" "$br"
	json+="$sep\"$name\":{\"raw\":$raw,\"gzip\":$gz,\"brotli\":$br}"
	sep=","
done
wasm_br=$(size "$DIST/webotp.wasm.br") empty_br=$(size "$OUT/empty-safejs.wasm.br") js_br=$(size "$DIST/webotp.js.br")
ratio=$(awk -v a="$wasm_br" -v b="$empty_br" 'BEGIN { printf "%.3f", a / b }')
json+="},\"wasm_brotli_ratio_to_empty_safejs\":$ratio,"
json+="\"budgets\":{\"webotp.wasm_brotli_max\":620000,\"webotp.wasm_ratio_max\":1.08,\"webotp.js_brotli_max\":6000}}"
printf '%s\n' "$json" >"$OUT/sizes.json"
printf 'webotp.wasm brotli / empty safejs brotli = %s (budget 1.08); budgets: wasm %s/620000 B, js %s/6000 B brotli\n' \
	"$ratio" "$wasm_br" "$js_br"
