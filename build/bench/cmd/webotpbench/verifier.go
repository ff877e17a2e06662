package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchKey is the API key of the bench app in `webotpbench serve`.
const benchKey = "bench"

// serverFigures are the measurements of one server under test.
type serverFigures struct {
	check, start *wrkResult
	half         *rateResult
	bodySize     int // of a wrong-code check answer
}

// verifier measures check and start on memstore and Redis, the net/http
// check handler and the bare fasthttp ceiling, all with the same wrk load.
func (r *runner) verifier(ctx context.Context) error {
	// The check figures that make the ratios run back to back, so that
	// whatever else the machine does affects them alike; the half-rate
	// and start runs follow, each on a fresh server.
	idsMem := filepath.Join(r.out, "bench", "ids-memstore.txt")
	mem, err := r.measure(ctx, "webotp", "memory", idsMem, 0, nil)
	if err != nil {
		r.fail("verifier check/start, memstore", err)
		return nil
	}
	ceil, err := r.measure(ctx, "ceiling", "", idsMem, mem.bodySize, nil)
	if err != nil {
		r.fail("verifier ceiling", err)
	}
	nh, err := r.measure(ctx, "nethttp", "memory", filepath.Join(r.out, "bench", "ids-nethttp.txt"), 0, nil)
	if err != nil {
		r.fail("verifier check, net/http", err)
	}
	// As deployed, Redis does not compete with the verifier for its CPU:
	// the check load with Redis on the load generator's core...
	var redOwn *serverFigures
	if len(r.loadCPU) > 0 {
		addr, stop, err := r.startRedis(ctx, r.loadCPU)
		if err == nil {
			redOwn, err = r.measure(ctx, "webotp", "redis://"+addr+"/0", filepath.Join(r.out, "bench", "ids-redis-own.txt"), 0, nil)
			stop()
		}
		if err != nil {
			r.fail("verifier check, Redis on its own core", err)
			redOwn = nil
		}
	}
	// ...and with Redis on the server's core: the whole cost of a check.
	red, err := r.redisOnServerCPU(ctx)
	if err != nil {
		r.fail("verifier check/start, Redis", err)
		red = nil
	}
	more, err := r.measure(ctx, "webotp", "memory", idsMem, 0, mem.check)
	if err != nil {
		r.fail("verifier half rate/start, memstore", err)
		return nil
	}
	mem.half, mem.start = more.half, more.start

	line := func(w *wrkResult) string {
		s := fmt.Sprintf("%s req/s; p50 %s, p99 %s; server CPU %.1f µs/req", thousands(w.RPS), msStr(w.P50), msStr(w.P99), us(w.cpuPerRequest()))
		if w.Non2xx > 0 || w.SockErrors > 0 {
			s += fmt.Sprintf("; %d non-2xx, %d socket errors", w.Non2xx, w.SockErrors)
		}
		return s
	}
	conc := fmt.Sprintf("%d connections", r.conns)
	r.add("verifier", "check (wrong code), webotp on memstore, "+conc, line(mem.check), "", "")
	if red != nil {
		r.add("verifier", "check (wrong code), webotp on Redis sharing its core, "+conc, line(red.check)+" (server and Redis)", "", "")
	}
	if redOwn != nil {
		r.add("verifier", "check (wrong code), webotp on Redis on its own core (beside wrk), "+conc,
			fmt.Sprintf("%s (server only); load CPU idle %.0f%%", line(redOwn.check), 100*redOwn.check.LoadIdle), "", "")
	}
	if nh != nil {
		r.add("verifier", "check (wrong code), net/http handler, same Service and memstore", line(nh.check), "", "")
	}
	if ceil != nil {
		r.add("verifier", fmt.Sprintf("ceiling: bare fasthttp handler, same %d-byte body", mem.bodySize), line(ceil.check), "", "")
		q := mem.check.RPS / ceil.check.RPS
		r.add("verifier", "check on memstore / ceiling (req/s; by server CPU per request)", fmt.Sprintf("%.2f; %.2f", q, cpuRatio(ceil.check, mem.check)), "≥ 0.75", verdict(q >= 0.75))
	}
	if nh != nil {
		q := mem.check.RPS / nh.check.RPS
		r.add("verifier", "check on memstore / net/http (req/s; by server CPU per request)", fmt.Sprintf("%.2f×; %.2f×", q, cpuRatio(nh.check, mem.check)), "≥ 1.5×", verdict(q >= 1.5))
	}
	if redOwn != nil {
		q := redOwn.check.RPS / mem.check.RPS
		r.add("verifier", "check on Redis / memstore, Redis on its own core as deployed (req/s; by server CPU per request)", fmt.Sprintf("%.2f; %.2f", q, cpuRatio(mem.check, redOwn.check)), "≥ 0.5", verdict(q >= 0.5))
	}
	if red != nil {
		q := red.check.RPS / mem.check.RPS
		r.add("verifier", "check on Redis / memstore, Redis sharing the server's core (req/s; by server+Redis CPU per request)", fmt.Sprintf("%.2f; %.2f", q, cpuRatio(mem.check, red.check)), "≥ 0.5", verdict(q >= 0.5))
	}
	r.add("verifier", "start (new phone each), webotp on memstore, "+conc, line(mem.start), "", "")
	if red != nil {
		r.add("verifier", "start (new phone each), webotp on Redis, "+conc, line(red.start), "", "")
		r.add("verifier", "start on Redis / memstore", fmt.Sprintf("%.2f", red.start.RPS/mem.start.RPS), "", "")
	}
	half := func(name string, f *serverFigures, target bool) {
		h := f.half
		v := fmt.Sprintf("p99 %s (p50 %s, p99.9 %s, max %s) at %s req/s", msStr(dur(h.P99)), msStr(dur(h.P50)), msStr(dur(h.P999)), msStr(dur(h.Max)), thousands(h.Rate))
		if h.Errors > 0 || h.Non2xx > 0 || h.Achieved < 0.98*h.Rate {
			v += fmt.Sprintf("; achieved %s req/s, %d errors, %d non-2xx", thousands(h.Achieved), h.Errors, h.Non2xx)
		}
		if target {
			r.add("verifier", "check latency at half the max rate, "+name+" (open loop, fixed rate)", v, "p99 ≤ 5 ms", verdict(h.P99 <= 5 && h.Errors == 0))
		} else {
			r.add("verifier", "check latency at half the max rate, "+name+" (open loop, fixed rate)", v, "", "")
		}
	}
	half("memstore", mem, true)
	if red != nil {
		half("Redis", red, false)
	}
	return nil
}

// measure starts one server and runs the check load against it or, when
// maxCheck (the check figure of an earlier run) is given, the half-rate
// latency run and the start load; then it stops the server.
func (r *runner) measure(ctx context.Context, impl, store, ids string, size int, maxCheck *wrkResult) (*serverFigures, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	argv := append(append([]string{}, r.serverCPU...), r.self, "serve", "--impl", impl, "--addr", addr)
	if impl == "ceiling" {
		argv = append(argv, "--size", strconv.Itoa(size))
	} else {
		argv = append(argv, "--store", store, "--preload", strconv.Itoa(r.preload), "--ids", ids)
	}
	if r.profile {
		what := "check"
		if maxCheck != nil {
			what = "half-start"
		}
		kind := "memory"
		if strings.HasPrefix(store, "redis") {
			kind = "redis"
		}
		name := fmt.Sprintf("%s-%s-%s.pprof", impl, kind, what)
		if impl == "ceiling" {
			name = "ceiling.pprof"
		}
		argv = append(argv, "--cpuprofile", filepath.Join(r.out, "bench", name))
	}
	p, _, err := startProc(ctx, impl, argv, nil, "ready", 3*time.Minute, r.log)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	pids := []int{p.cmd.Process.Pid}
	if strings.HasPrefix(store, "redis") && r.redisShared {
		pids = append(pids, r.redisPID)
	}
	url := "http://" + addr
	env := []string{"WEBOTP_BENCH_IDS=" + ids, "WEBOTP_BENCH_KEY=" + benchKey}
	f := &serverFigures{}

	if impl != "ceiling" {
		tg, err := readTargets(ids)
		if err != nil {
			return nil, err
		}
		status, n, err := httpBodySize(ctx, http.MethodPost, url+"/v1/verifications/"+tg[0].id+"/check", benchKey, `{"code":"`+tg[0].code+`"}`)
		if err != nil {
			return nil, fmt.Errorf("probe check: %w", err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("probe check answered %d, want 200", status)
		}
		f.bodySize = n
	}
	if maxCheck == nil {
		fmt.Fprintf(r.log, "bench: %s %s: check\n", impl, store)
		w, err := r.runWrk(ctx, "check.lua", url, env, pids...)
		if err != nil {
			return nil, err
		}
		f.check = &w
		return f, nil
	}
	fmt.Fprintf(r.log, "bench: %s %s: check at half rate\n", impl, store)
	var h rateResult
	argv = append(append([]string{}, r.loadCPU...), r.self, "rate", "--url", url, "--key", benchKey, "--ids", ids,
		"--rate", strconv.Itoa(int(maxCheck.RPS/2)), "-c", strconv.Itoa(r.conns), "--warmup", r.warmup.String(), "-d", r.duration.String())
	if err := r.jsonCommand(ctx, &h, argv...); err != nil {
		return nil, err
	}
	f.half = &h
	fmt.Fprintf(r.log, "bench: %s %s: start\n", impl, store)
	s, err := r.runWrk(ctx, "start.lua", url, append(env, "WEBOTP_BENCH_ORIGIN="+benchOrigin), pids...)
	if err != nil {
		return nil, err
	}
	f.start = &s
	return f, nil
}

// redisOnServerCPU measures check, then the half rate and start, on Redis
// pinned to the servers' CPU.
func (r *runner) redisOnServerCPU(ctx context.Context) (*serverFigures, error) {
	addr, stop, err := r.startRedis(ctx, r.serverCPU)
	if err != nil {
		return nil, err
	}
	defer stop()
	url := "redis://" + addr + "/0"
	red, err := r.measure(ctx, "webotp", url, filepath.Join(r.out, "bench", "ids-redis.txt"), 0, nil)
	if err != nil {
		return nil, err
	}
	more, err := r.measure(ctx, "webotp", url, filepath.Join(r.out, "bench", "ids-redis-2.txt"), 0, red.check)
	if err != nil {
		return nil, err
	}
	red.half, red.start = more.half, more.start
	return red, nil
}

// startRedis starts a throwaway redis-server on a free loopback port,
// without persistence, pinned by where (r.serverCPU, r.loadCPU or none).
func (r *runner) startRedis(ctx context.Context, where []string) (string, func(), error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, fmt.Errorf("redis-server is required (apt-get install redis-server): %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	_, port, _ := strings.Cut(addr, ":")
	argv := append(append([]string{}, where...), bin, "--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	p, _, err := startProc(ctx, "redis-server", argv, nil, "", 0, r.log)
	if err != nil {
		return "", nil, err
	}
	if err := waitListening(ctx, addr, 10*time.Second); err != nil {
		p.stop()
		return "", nil, err
	}
	r.redisPID = p.cmd.Process.Pid
	r.redisShared = len(where) == 0 || slices.Equal(where, r.serverCPU)
	return addr, p.stop, nil
}

// cpuRatio is a's CPU time per request over b's: the throughput of b
// relative to a's if both were bound by the same core, whatever else the
// machine was doing meanwhile.
func cpuRatio(a, b *wrkResult) float64 {
	if b.cpuPerRequest() == 0 {
		return 0
	}
	return float64(a.cpuPerRequest()) / float64(b.cpuPerRequest())
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func msStr(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

func dur(msf float64) time.Duration { return time.Duration(msf * float64(time.Millisecond)) }
