package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sizes are a file's raw, gzip and brotli sizes in bytes.
type sizes struct{ Raw, Gzip, Brotli int64 }

// readSizes finds every {"raw","gzip","brotli"} object in build/client.sh's
// sizes.json, named by its "name" or "file" field or else by its key path.
func readSizes(path string) (map[string]sizes, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sizes (run build/client.sh): %w", err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	found := map[string]sizes{}
	var walk func(name string, v any)
	walk = func(name string, v any) {
		switch v := v.(type) {
		case map[string]any:
			raw, okR := v["raw"].(float64)
			br, okB := v["brotli"].(float64)
			if okR && okB {
				gz, _ := v["gzip"].(float64)
				for _, k := range []string{"name", "file", "path"} {
					if s, ok := v[k].(string); ok {
						name = s
						break
					}
				}
				found[name] = sizes{int64(raw), int64(gz), int64(br)}
				return
			}
			for k, e := range v {
				walk(strings.TrimPrefix(name+"/"+k, "/"), e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", name, i), e)
			}
		}
	}
	walk("", doc)
	if len(found) == 0 {
		return nil, fmt.Errorf("%s lists no raw/gzip/brotli sizes", path)
	}
	return found, nil
}

// pick returns the sizes whose name contains every part (case-insensitive).
func pick(all map[string]sizes, parts ...string) (string, sizes, bool) {
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(strings.ToLower(n), p)
		}
		if ok {
			return n, all[n], true
		}
	}
	return "", sizes{}, false
}

func (s sizes) String() string {
	return fmt.Sprintf("%s raw, %s gzip, %s brotli", kib(s.Raw), kib(s.Gzip), kib(s.Brotli))
}

func kib(n int64) string {
	if n < 10*1024 {
		return fmt.Sprintf("%s B", thousands(float64(n)))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}

// client reports the client's sizes against the empty safejs program and
// the time from navigation to an armed get() against the MDN snippet.
func (r *runner) client(ctx context.Context) error {
	all, err := readSizes(filepath.Join(r.out, "sizes.json"))
	if err != nil {
		r.fail("client sizes", err)
	} else {
		_, wasm, okW := pick(all, "webotp", ".wasm")
		_, empty, okE := pick(all, "empty")
		_, js, okJ := pick(all, "webotp", ".js")
		switch {
		case !okW || !okE || !okJ:
			r.fail("client sizes", fmt.Errorf("sizes.json lacks webotp.wasm, webotp.js or the empty program: %v", all))
		default:
			r.add("client", "webotp.wasm", wasm.String(), "≤ 620,000 B brotli", verdict(wasm.Brotli <= 620_000))
			r.add("client", "empty safejs program, same toolchain and flags", empty.String(), "", "")
			q := float64(wasm.Brotli) / float64(empty.Brotli)
			r.add("client", "webotp.wasm / empty program, brotli", fmt.Sprintf("%.3f× (+%s)", q, kib(wasm.Brotli-empty.Brotli)), "≤ 1.08×", verdict(q <= 1.08))
			r.add("client", "loader webotp.js (wasm_exec.js bundled)", js.String(), "≤ 6,000 B brotli", verdict(js.Brotli <= 6_000))
		}
	}

	out, err := r.command(ctx, nil, "go", "test", "-count", "1", "-run", "^$", "-bench", "BenchmarkTimeToGet",
		"-benchtime", fmt.Sprintf("%dx", r.coldLoads), "./web/e2e/")
	if err != nil {
		return err
	}
	var got int
	for _, b := range parseGoBench(out) {
		get, ok := b.Metrics["ms/get"]
		if !ok {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(b.Name, "BenchmarkTimeToGet"), "/")
		if name == "mdn" {
			name = "MDN snippet (inline script)"
		}
		v := fmt.Sprintf("%.1f ms", get)
		target, result := "", ""
		if dcl, ok := b.Metrics["ms/get-after-dcl"]; ok {
			v += fmt.Sprintf(" (%.1f ms after DOMContentLoaded)", dcl)
			if name != "MDN snippet (inline script)" {
				// The client's budget: get() within 150 ms of DOMContentLoaded.
				target, result = "≤ 150 ms after DOMContentLoaded", verdict(dcl <= 150)
			}
		}
		r.add("client", fmt.Sprintf("navigation to first get() call, headless Chromium, median of %d cold loads: %s", r.coldLoads, name), v, target, result)
		got++
	}
	if got == 0 {
		return fmt.Errorf("no BenchmarkTimeToGet figures in:\n%s", out)
	}
	return r.consentToFill(ctx)
}

// networks names BenchmarkConsentToFill's network profiles in the table.
var networks = map[string]string{
	"none":   "no throttling",
	"fast3g": "Fast 3G (562.5 ms, 1.44 Mbit/s down, 675 kbit/s up)",
	"slow4g": "Slow 4G (150 ms, 1.6 Mbit/s down, 750 kbit/s up)",
}

// consentToFill reports BenchmarkConsentToFill: the time from the user's
// consent to the code in the input on emulated networks, for webotp and MDN's
// snippet, with the bytes of the first and second page load.
func (r *runner) consentToFill(ctx context.Context) error {
	out, err := r.command(ctx, nil, "go", "test", "-count", "1", "-run", "^$", "-bench", "BenchmarkConsentToFill",
		"-benchtime", fmt.Sprintf("%dx", r.netRuns), "-timeout", "30m", "./web/e2e/")
	if err != nil {
		return err
	}
	rows := consentToFillRows(out, r.netRuns)
	if len(rows) == 0 {
		return fmt.Errorf("no BenchmarkConsentToFill figures in:\n%s", out)
	}
	r.rows = append(r.rows, rows...)
	return nil
}

// consentToFillRows makes the table's rows from BenchmarkConsentToFill's
// output. The target, at most 100 ms from consent to the code in the input,
// applies to webotp when the phone page came first on a throttled network:
// the flow of a real sign-up.
func consentToFillRows(out string, runs int) []row {
	var rows []row
	for _, b := range parseGoBench(out) {
		fill, ok := b.Metrics["ms/consent-to-fill"]
		// BenchmarkConsentToFill/<flow>/<network>/sms<delay>/<client>
		parts := strings.Split(b.Name, "/")
		if !ok || len(parts) != 5 {
			continue
		}
		flow, network, sms, client := parts[1], parts[2], strings.TrimPrefix(parts[3], "sms"), parts[4]
		if d, err := time.ParseDuration(sms); err == nil {
			sms = strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
		}
		flowText, first, second := "cold code page", "first load (code page)", "second load (the code page again)"
		if flow == "phone-first" {
			flowText, first, second = "phone page first (open 8 s)", "first load (phone page)", "second load (code page)"
		}
		netText := networks[network]
		if netText == "" {
			netText = network
		}
		target, result := "", ""
		if flow == "phone-first" && client == "webotp" && network != "none" {
			target, result = "≤ 100 ms", verdict(fill <= 100)
		}
		if client == "mdn" {
			client = "MDN snippet (inline script)"
		}
		v := fmt.Sprintf("%s ms (consent at %s ms", msText(fill), msText(b.Metrics["ms/consent"]))
		if w, ok := b.Metrics["ms/wasm-in"]; ok {
			v += fmt.Sprintf(", wasm in at %s ms", msText(w))
		}
		v += fmt.Sprintf("); %s B %s", thousands(b.Metrics["B/first-load"]), first)
		if s, ok := b.Metrics["B/second-load"]; ok {
			v += fmt.Sprintf(", %s B %s", thousands(s), second)
		}
		rows = append(rows, row{"client", fmt.Sprintf("consent → code in the input, headless Chromium, median of %d runs: %s, %s, SMS %s after the code page opens: %s",
			runs, flowText, netText, sms, client), v, target, result})
	}
	return rows
}

// msText formats milliseconds: one decimal under 10 ms, whole ones above.
func msText(ms float64) string {
	if ms < 10 {
		return fmt.Sprintf("%.1f", ms)
	}
	return thousands(ms)
}
