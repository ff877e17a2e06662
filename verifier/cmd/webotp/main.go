// Command webotp runs the webotp verifier and its message tools.
//
//	webotp serve [flags]      run the verifier (see the README's configuration table)
//	webotp sms parse|format|check
//	webotp version
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code: 0 on success,
// 1 on failure, 2 on a usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "sms":
		return runSMS(args[1:], stdin, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "webotp %s\n", version)
		return 0
	case "help", "-h", "--help", "-help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "webotp: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  webotp serve [flags]            run the verifier (webotp serve -h lists the flags)
  webotp serve --dev              development mode on 127.0.0.1:8080
  webotp sms parse [--rules spec|chromium] < message
  webotp sms format --host H --code C [--embedded-host E] [--text T] [--app-hash X]
  webotp sms check < message
  webotp version
`)
}
