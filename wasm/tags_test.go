//go:build !js

package main

import (
	"bufio"
	"go/build/constraint"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBindingFilesAreBrowserOnly checks that every Go file of the binding
// layer (this directory, not the controller) carries //go:build js && wasm:
// only the binding may touch JavaScript, and the controller must build
// and test natively.
func TestBindingFilesAreBrowserOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d Go files in wasm/, want the binding layer's files", len(files))
	}
	for _, name := range files {
		if name == "tags_test.go" {
			continue
		}
		expr, err := buildConstraint(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if expr == nil || !isJSAndWasm(expr) {
			t.Errorf("%s: want the constraint //go:build js && wasm as its first line, got %v", name, expr)
		}
	}
}

// buildConstraint returns a file's //go:build constraint, or nil.
func buildConstraint(name string) (constraint.Expr, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "//") {
			return nil, s.Err() // the package clause: no constraint
		}
		if constraint.IsGoBuild(line) {
			return constraint.Parse(line)
		}
	}
	return nil, s.Err()
}

// isJSAndWasm reports whether expr is exactly js && wasm (either order).
func isJSAndWasm(expr constraint.Expr) bool {
	and, ok := expr.(*constraint.AndExpr)
	if !ok {
		return false
	}
	x, y := and.X.String(), and.Y.String()
	return x == "js" && y == "wasm" || x == "wasm" && y == "js"
}
