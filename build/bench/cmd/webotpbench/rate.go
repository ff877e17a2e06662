package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// rateResult is what `webotpbench rate` prints, as one JSON object.
type rateResult struct {
	Rate     float64 `json:"rate"`     // requests per second asked for
	Achieved float64 `json:"achieved"` // requests per second completed in the window
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"` // transport errors
	Non2xx   int     `json:"non_2xx"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	P999     float64 `json:"p999_ms"`
	Max      float64 `json:"max_ms"`
}

// runRate sends checks at a fixed rate (open loop): request k is due at
// start + k/rate whatever happened to the ones before, and its latency is
// counted from when it was due, so a stall shows in the percentiles instead
// of slowing the load down (no coordinated omission).
func runRate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("rate", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "server base URL")
	key := fs.String("key", "bench", "API key")
	idsFile := fs.String("ids", "", `file of "id code" lines to check (wrong codes)`)
	rate := fs.Float64("rate", 1000, "requests per second")
	conns := fs.Int("c", 64, "connections (one sequential sender each)")
	warm := fs.Duration("warmup", 2*time.Second, "load before measuring")
	dur := fs.Duration("d", 10*time.Second, "measured duration")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate <= 0 || *conns <= 0 {
		return errors.New("--rate and -c must be positive")
	}
	targets, err := readTargets(*idsFile)
	if err != nil {
		return err
	}
	u, err := url.Parse(*base)
	if err != nil {
		return fmt.Errorf("parse --url: %w", err)
	}
	client := &fasthttp.HostClient{Addr: u.Host, MaxConns: *conns, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}

	start := time.Now().Add(100 * time.Millisecond)
	measureFrom := start.Add(*warm)
	end := measureFrom.Add(*dur)
	interval := float64(time.Second) / *rate

	type tally struct {
		lat            []time.Duration
		errors, non2xx int
	}
	tallies := make([]tally, *conns)
	var wg sync.WaitGroup
	for w := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[w]
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for k := w; ; k += *conns {
				due := start.Add(time.Duration(float64(k) * interval))
				if !due.Before(end) || ctx.Err() != nil {
					return
				}
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				tg := targets[k%len(targets)]
				req.Reset()
				req.Header.SetMethod(fasthttp.MethodPost)
				req.SetRequestURI(*base + "/v1/verifications/" + tg.id + "/check")
				req.Header.Set("Authorization", "Bearer "+*key)
				req.Header.SetContentType("application/json")
				req.SetBodyString(`{"code":"` + tg.code + `"}`)
				err := client.Do(req, resp)
				lat := time.Since(due)
				if due.Before(measureFrom) {
					continue
				}
				switch {
				case err != nil:
					t.errors++
				case resp.StatusCode() < 200 || resp.StatusCode() > 299:
					t.non2xx++
				}
				t.lat = append(t.lat, lat)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var all []time.Duration
	res := rateResult{Rate: *rate}
	for _, t := range tallies {
		all = append(all, t.lat...)
		res.Errors += t.errors
		res.Non2xx += t.non2xx
	}
	if len(all) == 0 {
		return errors.New("no request completed")
	}
	slices.Sort(all)
	res.Requests = len(all)
	res.Achieved = float64(len(all)) / dur.Seconds()
	res.P50 = percentile(all, 50)
	res.P90 = percentile(all, 90)
	res.P99 = percentile(all, 99)
	res.P999 = percentile(all, 99.9)
	res.Max = ms(all[len(all)-1])
	return json.NewEncoder(stdout).Encode(res)
}

// percentile of sorted latencies, in milliseconds (nearest rank).
func percentile(sorted []time.Duration, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return ms(sorted[i])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
