package main

import (
	"context"
	"fmt"
	"slices"
)

// httpapiRuns is how many times each httpapi benchmark runs; the table
// shows medians.
const httpapiRuns = 6

// httpapi reports the CPU of a check in the handler alone (no connection,
// no client, one core) and the share of it the hand-written JSON encoder
// saves over encoding/json: BenchmarkCheckHandler runs the check path both
// ways, alternately, httpapiRuns times.
func (r *runner) httpapi(ctx context.Context) error {
	out, err := r.command(ctx, nil, "go", "test", "-run", "^$", "-bench", "^BenchmarkCheckHandler$",
		"-benchmem", "-cpu", "1", "-count", fmt.Sprint(httpapiRuns), "./verifier/httpapi/")
	if err != nil {
		return err
	}
	bs := parseGoBench(out)
	hand, ok1 := benchMedian(bs, "BenchmarkCheckHandler/hand", "cpu-ns/op")
	allocs, _ := benchMedian(bs, "BenchmarkCheckHandler/hand", "allocs/op")
	lib, ok2 := benchMedian(bs, "BenchmarkCheckHandler/encoding-json", "cpu-ns/op")
	if !ok1 || !ok2 {
		return fmt.Errorf("missing cpu-ns/op figures in:\n%s", out)
	}
	r.add("httpapi", fmt.Sprintf("wrong-code check in the handler alone (memstore, no connection, one core), CPU per request, median of %d", httpapiRuns),
		fmt.Sprintf("%.0f ns, %.0f allocs", hand, allocs), "", "")
	saved := (lib - hand) / lib
	r.add("httpapi", "hand-written JSON answers (encode.go) instead of encoding/json: CPU saved per check",
		fmt.Sprintf("%.0f%% (%.0f ns per check instead of %.0f ns)", 100*saved, hand, lib), "≥ 10% (else encoding/json)", verdict(saved >= 0.10))
	return nil
}

// benchMedian is the median of one metric over the runs of one benchmark.
func benchMedian(bs []goBench, name, unit string) (float64, bool) {
	var vs []float64
	for _, b := range bs {
		if v, ok := b.Metrics[unit]; ok && b.Name == name {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
	return vs[len(vs)/2], true
}
