package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// runner runs every measurement of the table in turn and collects rows.
type runner struct {
	root, out string // repository root, output directory (build/out)
	self      string // this executable, for the server and load commands
	log       io.Writer
	wrk       string
	// serverCPU and loadCPU prefix the servers' and the load generators'
	// command lines (taskset) so they do not fight over the same core.
	serverCPU, loadCPU []string
	loadCPUs           []int // the CPUs of loadCPU
	threads, conns     int
	warmup, duration   time.Duration
	preload, memN      int
	redisMemN          int
	coldLoads          int    // page loads per client timing
	netRuns            int    // runs per consent → fill figure on emulated networks
	profile            bool   // write CPU profiles of the servers
	redisPID           int    // of the running redis-server
	redisShared        bool   // it runs on the servers' CPU
	loadavg            string // 1, 5 and 15 minutes, before the run
	rows               []row
	failed             []string
}

// runTable measures everything and prints one markdown table, also written
// to <out>/bench.md.
func runTable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	root := fs.String("root", ".", "repository root")
	out := fs.String("out", "build/out", "output directory")
	pin := fs.Bool("pin", runtime.NumCPU() >= 2, "pin servers to CPU 0 and load generators to the other CPUs (taskset)")
	threads := fs.Int("t", 2, "wrk threads")
	conns := fs.Int("c", 64, "wrk connections")
	warmup := fs.Duration("warmup", 2*time.Second, "load before each measurement")
	duration := fs.Duration("d", 10*time.Second, "each measurement")
	preload := fs.Int("preload", 150000, "verifications created before the check runs")
	memN := fs.Int("mem-n", 1000000, "pending verifications for the memstore memory figure")
	redisMemN := fs.Int("redis-mem-n", 200000, "pending verifications for the Redis memory figure")
	profile := fs.Bool("profile", false, "write CPU profiles of the servers under test to <out>/bench/*.pprof")
	coldLoads := fs.Int("cold-loads", 20, "cold page loads per client timing")
	netRuns := fs.Int("net-runs", 5, "runs per consent → fill figure on emulated networks")
	only := fs.String("only", "verifier,httpapi,memory,client,otpmsg", "comma-separated parts to run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	r := &runner{root: *root, out: *out, self: self, log: stderr, threads: *threads, conns: *conns,
		warmup: *warmup, duration: *duration, preload: *preload, memN: *memN, redisMemN: *redisMemN, coldLoads: *coldLoads, netRuns: *netRuns, profile: *profile}
	if r.wrk, err = exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is required (apt-get install wrk, or make deps)")
	}
	if *pin {
		ts, err := exec.LookPath("taskset")
		if err != nil {
			return errors.New("taskset is required for --pin (util-linux)")
		}
		last := runtime.NumCPU() - 1
		r.serverCPU = []string{ts, "-c", "0"}
		r.loadCPU = []string{ts, "-c", fmt.Sprintf("1-%d", last)}
		for c := 1; c <= last; c++ {
			r.loadCPUs = append(r.loadCPUs, c)
		}
	}
	if err := os.MkdirAll(filepath.Join(r.out, "bench"), 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}

	r.loadavg = "unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.loadavg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	began := time.Now()
	parts := map[string]func(context.Context) error{
		"verifier": r.verifier, "httpapi": r.httpapi, "memory": r.memory, "client": r.client, "otpmsg": r.otpmsg,
	}
	for _, name := range strings.Split(*only, ",") {
		part, ok := parts[name]
		if !ok {
			return fmt.Errorf("unknown part %q", name)
		}
		fmt.Fprintf(stderr, "bench: %s...\n", name)
		if err := part(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.fail(name, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}

	table := markdown(r.preamble(*pin, time.Since(began)), r.rows)
	if len(r.failed) > 0 {
		table += "\nNot measured: " + strings.Join(r.failed, "; ") + "\n"
	}
	path := filepath.Join(r.out, "bench.md")
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	fmt.Fprint(stdout, table)
	fmt.Fprintf(stderr, "bench: written to %s in %s\n", path, time.Since(began).Round(time.Second))
	if len(r.failed) > 0 {
		return fmt.Errorf("%d measurements failed", len(r.failed))
	}
	return nil
}

// fail records a measurement that could not be made; the table says so.
func (r *runner) fail(what string, err error) {
	fmt.Fprintf(r.log, "bench: %s failed: %v\n", what, err)
	r.failed = append(r.failed, fmt.Sprintf("%s (%v)", what, firstLine(err.Error())))
	r.rows = append(r.rows, row{Area: strings.Fields(what)[0], Measure: what, Value: "not measured", Verdict: "FAILED"})
}

func (r *runner) add(area, measure, value, target, verdict string) {
	r.rows = append(r.rows, row{area, measure, value, target, verdict})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// preamble says where and how the figures were measured.
func (r *runner) preamble(pinned bool, took time.Duration) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	how := "servers and load generators share all cores"
	if pinned {
		how = "servers pinned to CPU 0, wrk and the load generator to the other CPUs (taskset); Redis on CPU 0 with the server, or on its own core beside wrk where the row says so"
	}
	return fmt.Sprintf("webotp performance, %s: %s, %d cores, %s, loopback only; %s; wrk -t%d -c%d, %s warm-up then %s per figure; load average before the run %s; run took %s.",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), cpu, runtime.NumCPU(), runtime.Version(), how,
		r.threads, r.conns, r.warmup, r.duration, r.loadavg, took.Round(time.Second))
}

// command runs argv from the repository root and returns its standard
// output; standard error goes to the log.
func (r *runner) command(ctx context.Context, env []string, argv ...string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = r.log
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return out.String(), nil
}

// runWrk runs wrk with a script against url: a warm-up run, then the
// measured one, during which it also counts the CPU time the server
// processes (pids) use.
func (r *runner) runWrk(ctx context.Context, script, url string, env []string, pids ...int) (wrkResult, error) {
	base := append(append([]string{}, r.loadCPU...), r.wrk, "-t", strconv.Itoa(r.threads), "-c", strconv.Itoa(r.conns),
		"-s", filepath.Join(r.root, "build", "bench", script))
	if _, err := r.command(ctx, env, append(base, "-d", durArg(r.warmup), url)...); err != nil {
		return wrkResult{}, err
	}
	cpu0, err := processCPU(pids...)
	if err != nil {
		return wrkResult{}, err
	}
	idle0, total0 := cpuIdle(r.loadCPUs)
	out, err := r.command(ctx, env, append(base, "-d", durArg(r.duration), "--latency", url)...)
	if err != nil {
		return wrkResult{}, err
	}
	cpu1, err := processCPU(pids...)
	if err != nil {
		return wrkResult{}, err
	}
	idle1, total1 := cpuIdle(r.loadCPUs)
	w, err := parseWrk(out)
	w.CPU = cpu1 - cpu0
	if total1 > total0 {
		w.LoadIdle = float64(idle1-idle0) / float64(total1-total0)
	}
	return w, err
}

// cpuIdle sums the idle and the total clock ticks of the CPUs, from
// /proc/stat; zeros when it cannot be read.
func cpuIdle(cpus []int) (idle, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	want := map[string]bool{}
	for _, c := range cpus {
		want["cpu"+strconv.Itoa(c)] = true
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !want[f[0]] {
			continue
		}
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			total += n
			if i == 3 || i == 4 { // idle, iowait
				idle += n
			}
		}
	}
	return idle, total
}

// processCPU is the user and system CPU time the processes have used, from
// /proc/PID/stat (in clock ticks of 10 ms, Linux's USER_HZ).
func processCPU(pids ...int) (time.Duration, error) {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, fmt.Errorf("process CPU: %w", err)
		}
		// The command name (field 2) may hold spaces: fields count from the last ')'.
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			return 0, fmt.Errorf("process CPU: short /proc/%d/stat", pid)
		}
		utime, err1 := strconv.ParseInt(f[11], 10, 64)
		stime, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("process CPU: bad /proc/%d/stat", pid)
		}
		total += time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return total, nil
}

// durArg formats d the way wrk reads durations (whole seconds).
func durArg(d time.Duration) string {
	return strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second))) + "s"
}

// jsonCommand runs argv and decodes its standard output into v.
func (r *runner) jsonCommand(ctx context.Context, v any, argv ...string) error {
	out, err := r.command(ctx, nil, argv...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("%s: decode %q: %w", argv[len(argv)-1], out, err)
	}
	return nil
}

// httpBodySize makes one request and returns the size of the answer's body.
func httpBodySize(ctx context.Context, method, url, key, body string) (int, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, len(b), err
}
