//go:build !js

package main

import (
	"bufio"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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

// TestTheLoaderHoldsTheOnlyTargetSelector checks that which inputs are
// targets is written once, in the loader (web/src/webotp.js): SEL, and
// WATCH, the attributes its MutationObserver watches (the wasm gets the
// selector and that observer's mutations through the handoff). No string
// in the Go client (this directory and the controller, tests aside) is a
// selector or observer options of its own, and WATCH covers every
// attribute that changes whether an input is a target the controller may
// arm: those SEL and PHONE name, and those element.Usable and
// controller.ResolveOptions read for eligibility.
func TestTheLoaderHoldsTheOnlyTargetSelector(t *testing.T) {
	src, err := os.ReadFile("../web/src/webotp.js")
	if err != nil {
		t.Fatal(err)
	}
	quoted := func(name string) string {
		m := regexp.MustCompile(`var ` + name + ` = ('[^']*'|\[[^\]]*\]);`).FindSubmatch(src)
		if m == nil {
			t.Fatalf("webotp.js defines no %s", name)
		}
		return string(m[1])
	}
	var watched []string
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(quoted("WATCH"), -1) {
		watched = append(watched, m[1])
	}
	need := []string{"disabled", "readonly", "data-webotp"}
	for _, sel := range []string{quoted("SEL"), quoted("PHONE")} {
		for _, m := range regexp.MustCompile(`\[([a-z-]+)`).FindAllStringSubmatch(sel, -1) {
			need = append(need, m[1])
		}
	}
	for _, a := range need {
		if !slices.Contains(watched, a) {
			t.Errorf("webotp.js WATCH %q lacks %q: a change of it would go unseen", watched, a)
		}
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("controller/*.go")
	if err != nil {
		t.Fatal(err)
	}
	copyOf := regexp.MustCompile(`one-time-code"?\s*i?\]|\[autocomplete|\[is=|attributeFilter|MutationObserver`)
	for _, name := range append(files, more...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil && copyOf.MatchString(v) {
					t.Errorf("%s: the string %q holds a selector or observer options of its own; the loader's are the only ones", name, v)
				}
			}
			return true
		})
	}
}
