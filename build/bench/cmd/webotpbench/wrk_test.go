package main

import (
	"testing"
	"time"
)

const wrkSample = `Running 10s test @ http://127.0.0.1:8080
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   524.30us  310.22us  12.01ms   90.12%
    Req/Sec    61.42k     3.20k   68.11k    71.00%
  Latency Distribution
     50%  480.00us
     75%  600.00us
     90%  750.00us
     99%    1.52ms
  1222514 requests in 10.00s, 300.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec: 122251.40
Transfer/sec:     30.01MB
`

func TestParseWrkReadsRateLatencyAndFailures(t *testing.T) {
	r, err := parseWrk(wrkSample)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{RPS: 122251.40, P50: 480 * time.Microsecond, P99: 1520 * time.Microsecond, Requests: 1222514, Non2xx: 7, SockErrors: 3}
	if r != want {
		t.Errorf("parseWrk = %+v, want %+v", r, want)
	}
}

func TestParseWrkFailsWithoutARate(t *testing.T) {
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("parseWrk accepted output without Requests/sec")
	}
}

func TestParseGoBenchReadsNamesAndMetrics(t *testing.T) {
	out := "goos: linux\nBenchmarkFormat-2   \t 1000000\t      1052 ns/op\t     304 B/op\t       5 allocs/op\nBenchmarkTimeToGet/mdn-2 \t 5\t 41.5 ms/get\nPASS\n"
	bs := parseGoBench(out)
	if len(bs) != 2 {
		t.Fatalf("parseGoBench found %d lines, want 2: %+v", len(bs), bs)
	}
	if bs[0].Name != "BenchmarkFormat" || bs[0].Metrics["ns/op"] != 1052 || bs[0].Metrics["allocs/op"] != 5 {
		t.Errorf("first = %+v", bs[0])
	}
	if bs[1].Name != "BenchmarkTimeToGet/mdn" || bs[1].Metrics["ms/get"] != 41.5 {
		t.Errorf("second = %+v", bs[1])
	}
}
