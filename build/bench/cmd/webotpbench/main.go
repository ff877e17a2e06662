// Command webotpbench measures webotp for `make bench` and `make soak`.
//
//	webotpbench run    the whole performance table (build/bench.sh)
//	webotpbench serve  one server under test: --impl webotp|nethttp|ceiling
//	webotpbench rate   fixed-rate load with latency percentiles
//	webotpbench mem    bytes per pending verification
//	webotpbench soak   memory under steady load while verifications expire (build/soak.sh)
//
// Everything listens and connects on 127.0.0.1 only.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: webotpbench run|serve|rate|mem|soak [flags]")
		return 2
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"run":   runTable,
		"serve": runServe,
		"rate":  runRate,
		"mem":   runMem,
		"soak":  runSoak,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "webotpbench: unknown command %q\n", args[0])
		return 2
	}
	if err := cmd(ctx, args[1:], stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "webotpbench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
