package main

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what we read from wrk's --latency report.
type wrkResult struct {
	RPS        float64
	P50, P99   time.Duration
	Requests   int
	Non2xx     int
	SockErrors int
	// CPU is the CPU time the server (and Redis, when it shares the
	// server's core) used during the run.
	CPU time.Duration
	// LoadIdle is the fraction of the load generator's CPUs left idle
	// during the run (0 when not pinned).
	LoadIdle float64
}

// cpuPerRequest is the server's CPU time per answered request.
func (w *wrkResult) cpuPerRequest() time.Duration {
	if w.Requests == 0 {
		return 0
	}
	return w.CPU / time.Duration(w.Requests)
}

var (
	wrkRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkPct      = regexp.MustCompile(`^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkRequests = regexp.MustCompile(`(?m)^\s+(\d+) requests in`)
	wrkNon2xx   = regexp.MustCompile(`(?m)^\s+Non-2xx or 3xx responses: (\d+)`)
	wrkSockErr  = regexp.MustCompile(`(?m)^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads the report wrk prints with --latency.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkRequests.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.Atoi(m[1])
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSockErr.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.SockErrors += n
		}
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := wrkPct.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if r.P50 == 0 || r.P99 == 0 {
		return r, fmt.Errorf("no latency distribution in wrk output:\n%s", out)
	}
	return r, nil
}
