package main

import (
	"fmt"
	"strings"
)

// row is one line of the performance table.
type row struct {
	Area, Measure, Value, Target string
	// Verdict is "PASS", "MISS", "" (no target) or "FAILED" (not measured).
	Verdict string
}

// verdict is PASS when ok, MISS otherwise.
func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// markdown renders the table with a preamble line.
func markdown(preamble string, rows []row) string {
	var b strings.Builder
	b.WriteString(preamble + "\n\n")
	b.WriteString("| area | measure | value | target | result |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Area, esc(r.Measure), esc(r.Value), esc(r.Target), r.Verdict)
	}
	return b.String()
}

func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// thousands formats n with thin separators: 123456 -> "123,456".
func thousands(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
