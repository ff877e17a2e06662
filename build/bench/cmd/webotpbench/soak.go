package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

// runSoak starts the verifier (httpapi on a Service over memstore, as
// `webotp serve` wires it) with a clock running --speed times faster, so
// that verifications expire and their records are swept within minutes,
// creates verifications at a fixed rate (and checks each once with a wrong
// code), samples the server's resident memory and says whether it stays
// flat once the first records have been swept.
func runSoak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	minutes := fs.Float64("minutes", 8, "real minutes of load")
	rate := fs.Float64("rate", 1000, "new verifications per second")
	speed := fs.Float64("speed", 300, "clock speed of the server (1 = real time; then run longer than lifetime + retention)")
	every := fs.Duration("every", 5*time.Second, "sampling interval")
	tolerance := fs.Float64("tolerance", 0.15, "largest allowed growth of the last third over the first third")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	p, _, err := startProc(ctx, "server", []string{self, "serve", "--impl", "webotp", "--store", "memory",
		"--addr", addr, "--speed", strconv.FormatFloat(*speed, 'f', -1, 64)}, nil, "ready", time.Minute, stderr)
	if err != nil {
		return err
	}
	defer p.stop()
	pid := p.cmd.Process.Pid

	// A record lives for its code's lifetime, then Retention, then up to
	// one sweep interval (one simulated minute); a wrong check's per-phone
	// failure counter lives for its window (24 h). Once the longest of
	// these has passed, memory should stop growing.
	l := verifier.DefaultLimits()
	life := l.Lifetime + verifier.Retention + time.Minute
	longest := max(life, l.PhoneFailureWindow+time.Minute, l.PhoneStartWindow+time.Minute)
	warm := time.Duration(float64(longest)/(*speed)) + 20*time.Second
	total := time.Duration(*minutes * float64(time.Minute))
	if total < warm+6**every {
		return fmt.Errorf("--minutes %.1f is too short: warm-up alone takes %s at --speed %g", *minutes, warm.Round(time.Second), *speed)
	}
	fmt.Fprintf(stdout, "soak: %g verifications/s (each checked once, wrongly) for %s; server clock %g× real time: records live %s (%s real), failure counters %s (%s real); warm-up %s; pid %d\n",
		*rate, total, *speed, life, time.Duration(float64(life) / *speed).Round(time.Second),
		longest, time.Duration(float64(longest) / *speed).Round(time.Second), warm.Round(time.Second), pid)

	lctx, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	var created, failed atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		soakLoad(lctx, "http://"+addr, *rate, &created, &failed)
	}()

	type sample struct {
		at  time.Duration
		rss int64
	}
	var samples []sample
	began := time.Now()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	fmt.Fprintf(stdout, "%8s %10s %10s %8s %10s\n", "real", "simulated", "created", "failed", "RSS MiB")
loop:
	for {
		select {
		case <-lctx.Done():
			break loop
		case <-tick.C:
		}
		rss, err := vmRSS(pid)
		if err != nil {
			return err
		}
		at := time.Since(began)
		samples = append(samples, sample{at, rss})
		fmt.Fprintf(stdout, "%8s %10s %10d %8d %10.1f\n", at.Round(time.Second), time.Duration(float64(at)**speed).Round(time.Minute),
			created.Load(), failed.Load(), float64(rss)/(1<<20))
	}
	<-done
	if ctx.Err() != nil {
		return ctx.Err()
	}

	var steady []int64
	for _, s := range samples {
		if s.at >= warm {
			steady = append(steady, s.rss)
		}
	}
	if len(steady) < 6 {
		return errors.New("too few samples after warm-up")
	}
	third := len(steady) / 3
	first, last := mean(steady[:third]), mean(steady[len(steady)-third:])
	growth := last/first - 1
	flat := growth <= *tolerance
	fmt.Fprintf(stdout, "soak: RSS after warm-up: first third %.1f MiB, last third %.1f MiB (%+.1f%%); created %d, failed %d: ",
		first/(1<<20), last/(1<<20), 100*growth, created.Load(), failed.Load())
	switch {
	case !flat:
		fmt.Fprintf(stdout, "NOT FLAT (more than %.0f%%)\n", 100**tolerance)
		return errors.New("memory grew")
	case failed.Load() > 0:
		fmt.Fprintln(stdout, "flat, but requests failed")
		return errors.New("requests failed")
	}
	fmt.Fprintln(stdout, "FLAT")
	return nil
}

// soakLoad creates one verification every 1/rate seconds, each for a new
// phone number, and checks it once with a wrong code, until ctx ends.
func soakLoad(ctx context.Context, base string, rate float64, created, failed *atomic.Int64) {
	client := &fasthttp.Client{MaxConnsPerHost: 256, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	interval := time.Duration(float64(time.Second) / rate)
	sem := make(chan struct{}, 256)
	start := time.Now()
	for k := 0; ; k++ {
		due := start.Add(time.Duration(k) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		go func() {
			defer func() { <-sem }()
			phone := fmt.Sprintf("+1415%07d", 2000000+k%8000000)
			id, err := soakDo(client, base+"/v1/verifications", `{"phone":"`+phone+`","origin":"`+benchOrigin+`"}`, 201)
			if err != nil {
				failed.Add(1)
				return
			}
			created.Add(1)
			if _, err := soakDo(client, base+"/v1/verifications/"+id+"/check", `{"code":"`+wrongGuess+`"}`, 200); err != nil {
				failed.Add(1)
			}
		}()
	}
}

// soakDo posts body and returns the "id" of the answer.
func soakDo(c *fasthttp.Client, url, body string, want int) (string, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI(url)
	req.Header.Set("Authorization", "Bearer "+benchKey)
	req.Header.SetContentType("application/json")
	req.SetBodyString(body)
	if err := c.Do(req, resp); err != nil {
		return "", err
	}
	if resp.StatusCode() != want {
		return "", fmt.Errorf("%s: status %d: %s", url, resp.StatusCode(), resp.Body())
	}
	b := string(resp.Body())
	_, rest, ok := strings.Cut(b, `"id":"`)
	id, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		return "", fmt.Errorf("no id in %s", b)
	}
	return id, nil
}

// vmRSS reads a process's resident set size from /proc.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("read RSS: no VmRSS line")
}

func mean(xs []int64) float64 {
	var s float64
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs))
}
