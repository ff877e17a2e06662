// Command loaderconst copies the loader (web/src/webotp.js) from standard
// input to standard output with the Go constants it is built with in
// place of their markers, so that a rule the loader shares with the Go
// code has one source:
//
//	__WEBOTP_GO_MAX_CODE__  otpmsg.MaxCodeInput: the longest code a link may carry
//	__WEBOTP_GO_FILLED__    controller.Announcement, as a JavaScript string
//
// build/client.sh runs it. It fails when a marker is missing, or when an
// unknown __WEBOTP_GO_ marker is left, so the loader and this list cannot
// drift apart.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/webotp/webotp/otpmsg"
	"github.com/webotp/webotp/wasm/controller"
)

func main() {
	src, err := io.ReadAll(os.Stdin)
	if err == nil {
		var out string
		out, err = Substitute(string(src))
		if err == nil {
			_, err = io.WriteString(os.Stdout, out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loaderconst:", err)
		os.Exit(1)
	}
}

// Substitute replaces every marker of src by its constant.
func Substitute(src string) (string, error) {
	filled, _ := json.Marshal(controller.Announcement)
	for _, m := range [][2]string{
		{"__WEBOTP_GO_MAX_CODE__", strconv.Itoa(otpmsg.MaxCodeInput)},
		{"__WEBOTP_GO_FILLED__", string(filled)},
	} {
		if !strings.Contains(src, m[0]) {
			return "", fmt.Errorf("the loader has no %s marker", m[0])
		}
		src = strings.ReplaceAll(src, m[0], m[1])
	}
	if i := strings.Index(src, "__WEBOTP_GO_"); i >= 0 {
		end := min(i+40, len(src))
		return "", fmt.Errorf("unknown marker at %q", src[i:end])
	}
	return src, nil
}
