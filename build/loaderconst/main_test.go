package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/webotp/webotp/otpmsg"
	"github.com/webotp/webotp/wasm/controller"
)

func TestTheLoaderIsBuiltWithTheGoConstants(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "web", "src", "webotp.js"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Substitute(string(src))
	if err != nil {
		t.Fatalf("Substitute(web/src/webotp.js): %v", err)
	}
	filled, _ := json.Marshal(controller.Announcement)
	for _, want := range []string{
		".length <= " + strconv.Itoa(otpmsg.MaxCodeInput),
		"announce(" + string(filled) + ")",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the built loader does not contain %q", want)
		}
	}
	if strings.Contains(out, "__WEBOTP_GO_") {
		t.Error("a marker is left in the built loader")
	}
}

func TestSubstituteRefuses(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"a loader without the max code marker", "__WEBOTP_GO_FILLED__"},
		{"a loader without the announcement marker", "__WEBOTP_GO_MAX_CODE__"},
		{"a loader with an unknown marker", "__WEBOTP_GO_MAX_CODE__ __WEBOTP_GO_FILLED__ __WEBOTP_GO_OTHER__"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out, err := Substitute(tc.src); err == nil {
				t.Errorf("Substitute(%q) = %q, want an error", tc.src, out)
			}
		})
	}
}
