package main

import (
	"strings"
	"testing"
)

// Lines as go test -bench prints BenchmarkConsentToFill's figures.
const consentToFillOutput = `goos: linux
BenchmarkConsentToFill/cold/fast3g/sms500ms/webotp-2         	       5	6018617853 ns/op	    624846 B/first-load	       537.0 B/second-load	      1189 ms/consent	      4101 ms/consent-to-fill	      5227 ms/wasm-in
BenchmarkConsentToFill/cold/fast3g/sms500ms/mdn-2            	       5	1273456890 ns/op	      1229 B/first-load	      1197 B/second-load	       613.5 ms/consent	         0.2500 ms/consent-to-fill
BenchmarkConsentToFill/phone-first/slow4g/sms3s/webotp-2     	       5	12000000000 ns/op	    625000 B/first-load	       701.0 B/second-load	      3001 ms/consent	        42.00 ms/consent-to-fill	       3102 ms/wasm-in
BenchmarkConsentToFill/phone-first/fast3g/sms3s/webotp-2     	       5	12000000000 ns/op	    625000 B/first-load	       701.0 B/second-load	      3001 ms/consent	       250.0 ms/consent-to-fill	       3300 ms/wasm-in
BenchmarkTimeToGet/webotp-2 	      20	  54000000 ns/op	        54.00 ms/get
PASS
`

func TestConsentToFillRows(t *testing.T) {
	rows := consentToFillRows(consentToFillOutput, 5)
	if len(rows) != 4 {
		t.Fatalf("got %d rows, want one per BenchmarkConsentToFill line (4): %+v", len(rows), rows)
	}
	for _, tc := range []struct {
		name                            string
		row                             row
		measure, value, target, verdict string
	}{
		{"a cold webotp run has no target and reports the wasm and both loads", rows[0],
			"median of 5 runs: cold code page, Fast 3G (562.5 ms, 1.44 Mbit/s down, 675 kbit/s up), SMS 0.5 s after the code page opens: webotp",
			"4,101 ms (consent at 1,189 ms, wasm in at 5,227 ms); 624,846 B first load (code page), 537 B second load (the code page again)", "", ""},
		{"MDN's snippet is named and has no wasm", rows[1],
			"SMS 0.5 s after the code page opens: MDN snippet (inline script)",
			"0.2 ms (consent at 614 ms); 1,229 B first load (code page), 1,197 B second load (the code page again)", "", ""},
		{"webotp with the phone page first within 100 ms passes", rows[2],
			"phone page first (open 8 s), Slow 4G (150 ms, 1.6 Mbit/s down, 750 kbit/s up), SMS 3 s after the code page opens: webotp",
			"42 ms (consent at 3,001 ms, wasm in at 3,102 ms); 625,000 B first load (phone page), 701 B second load (code page)", "≤ 100 ms", "PASS"},
		{"webotp with the phone page first over 100 ms misses", rows[3],
			"phone page first (open 8 s), Fast 3G", "250 ms", "≤ 100 ms", "MISS"},
	} {
		if !strings.Contains(tc.row.Measure, tc.measure) || !strings.HasPrefix(tc.row.Value, tc.value) ||
			tc.row.Target != tc.target || tc.row.Verdict != tc.verdict || tc.row.Area != "client" {
			t.Errorf("%s: got %+v\nwant measure containing %q, value starting %q, target %q, verdict %q",
				tc.name, tc.row, tc.measure, tc.value, tc.target, tc.verdict)
		}
	}
}
