package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
)

// target is one verification to check with a code known to be wrong.
type target struct{ id, code string }

// readTargets reads the "id code" lines that `webotpbench serve --ids`
// writes.
func readTargets(path string) ([]target, error) {
	if path == "" {
		return nil, errors.New("--ids is required")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	defer f.Close()
	var ts []target
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, code, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		ts = append(ts, target{id, code})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read targets %s: %w", path, err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("read targets %s: no lines", path)
	}
	return ts, nil
}

// writeTargets writes ts as "id code" lines.
func writeTargets(path string, ts []target) error {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.id + " " + t.code + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write targets: %w", err)
	}
	return nil
}
