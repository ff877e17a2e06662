package main

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// goBench is one line of `go test -bench` output: the benchmark's name
// without the -GOMAXPROCS suffix and its metrics by unit ("ns/op",
// "allocs/op", "ms/get"...).
type goBench struct {
	Name    string
	Metrics map[string]float64
}

var goBenchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// parseGoBench reads the benchmark lines of go test output.
func parseGoBench(out string) []goBench {
	var bs []goBench
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := goBenchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		b := goBench{Name: m[1], Metrics: map[string]float64{}}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				b.Metrics[f[i+1]] = v
			}
		}
		bs = append(bs, b)
	}
	return bs
}

// otpmsg reports ns/op and allocations of the formatter and both parsers.
func (r *runner) otpmsg(ctx context.Context) error {
	out, err := r.command(ctx, nil, "go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1", "./otpmsg/")
	if err != nil {
		return err
	}
	bs := parseGoBench(out)
	if len(bs) == 0 {
		return fmt.Errorf("no benchmark lines in:\n%s", out)
	}
	for _, b := range bs {
		r.add("otpmsg", strings.TrimPrefix(b.Name, "Benchmark"), fmt.Sprintf("%.0f ns/op, %.0f B/op, %.0f allocs/op",
			b.Metrics["ns/op"], b.Metrics["B/op"], b.Metrics["allocs/op"]), "", "")
	}
	return nil
}
