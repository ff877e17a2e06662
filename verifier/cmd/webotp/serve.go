package main

import "io"

// runServe is written by the verifier's HTTP work (issue 3).
func runServe(args []string, stdout, stderr io.Writer) int { panic("TODO") }
