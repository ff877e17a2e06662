package main

import "io"

// runSMS is written with otpmsg (issue 2).
func runSMS(args []string, stdin io.Reader, stdout, stderr io.Writer) int { panic("TODO") }
