package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The React page with input-otp (testdata/inputotp): its npm packages are
// installed once per version of package.json and package-lock.json, into the
// user's cache directory (never the repository), and bundled by esbuild once
// per test run.
var inputOTP struct {
	once   sync.Once
	bundle string
	err    error
}

// npmInstallLimit and bundleLimit bound the npm step.
const (
	npmInstallLimit = 4 * time.Minute
	bundleLimit     = time.Minute
)

// inputOTPBundle returns the page's script: React, react-dom, input-otp
// and testdata/inputotp/app.jsx in one IIFE. A missing npm or node fails the
// test with what to install; it never skips.
func inputOTPBundle(t *testing.T) string {
	t.Helper()
	h := need(t)
	inputOTP.once.Do(func() {
		inputOTP.bundle, inputOTP.err = buildInputOTP(filepath.Join(h.root, "web", "e2e", "testdata", "inputotp"))
	})
	if inputOTP.err != nil {
		t.Fatal(inputOTP.err)
	}
	return inputOTP.bundle
}

func buildInputOTP(src string) (string, error) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("%s not found: the input-otp test installs React, input-otp and esbuild with npm (Debian: apt-get install nodejs npm; make test installs them)", tool)
		}
	}
	dir, err := installInputOTP(src)
	if err != nil {
		return "", err
	}
	app, err := os.ReadFile(filepath.Join(src, "app.jsx"))
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), bundleLimit)
	defer cancel()
	// From standard input, esbuild resolves imports from its working
	// directory: the installed node_modules.
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "node_modules", ".bin", "esbuild"),
		"--bundle", "--minify", "--format=iife", "--jsx=automatic", "--loader=jsx", "--sourcefile=app.jsx",
		`--define:process.env.NODE_ENV="production"`, "--log-level=warning")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(app)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("esbuild testdata/inputotp/app.jsx: %w\n%s", err, stderr.String())
	}
	// Inlined in a <script> element: "</script" must not end it early. In
	// JavaScript it can only stand in a string, a regular expression or a
	// comment, where "<\/script" means the same.
	return strings.ReplaceAll(out.String(), "</script", `<\/script`), nil
}

// installInputOTP runs npm ci for package.json and package-lock.json in a
// cache directory named by their hash, unless an earlier run did. It
// installs into a fresh directory and renames it into place, so that
// concurrent test runs never see half an install.
func installInputOTP(src string) (string, error) {
	manifest, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		return "", err
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(append(manifest, 0), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	base := filepath.Join(cache, "webotp", "e2e-input-otp")
	dir := filepath.Join(base, hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".bin", "esbuild")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("npm cache directory: %w", err)
	}
	tmp, err := os.MkdirTemp(base, "install-")
	if err != nil {
		return "", fmt.Errorf("npm cache directory: %w", err)
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left
	for name, b := range map[string][]byte{"package.json": manifest, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmInstallLimit)
	defer cancel()
	// No install scripts: esbuild's binary comes in its platform package,
	// and nothing else here needs one.
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s (is the npm registry reachable?)", npmInstallLimit)
		}
		return "", fmt.Errorf("npm ci for testdata/inputotp (React, input-otp, esbuild): %w\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "node_modules", ".bin", "esbuild")); statErr == nil {
			return dir, nil // another run installed it meanwhile
		}
		return "", errors.Join(errors.New("npm install for input-otp: cannot move it into place"), err)
	}
	return dir, nil
}

// inputOTPPage registers the React page with the given input-otp props
// (window.__otpConfig, see testdata/inputotp/app.jsx) and returns its URL.
func inputOTPPage(t *testing.T, config string) string {
	t.Helper()
	return testPage{body: `<style>
  .slot-row { display: flex; gap: 8px; }
  .slot { width: 40px; height: 48px; border: 1px solid #888; display: grid; place-items: center; font: 24px monospace; }
</style>
<div id="root"></div>
<script>window.__otpConfig = ` + config + `;</script>
<script>` + inputOTPBundle(t) + `</script>`}.url(t)
}

// slots is a JavaScript expression: the characters input-otp's slots show.
const slots = `[...document.querySelectorAll('.slot')].map((s) => s.textContent).join('')`

// settleInputOTP waits past input-otp's own input events, dispatched 0, 10
// and 50 ms after each change, so that what they do has been done.
func settleInputOTP(tb *tab) {
	tb.t.Helper()
	eval[bool](tb, `new Promise((resolve) => setTimeout(() => requestAnimationFrame(() => resolve(true)), 150))`)
}

func TestInputOTPFilledFromTheSMS(t *testing.T) {
	h := need(t)
	tb := openTab(t, tabOptions{})
	tb.navigate(inputOTPPage(t, `{maxLength: 6}`))
	tb.waitFor(`document.querySelectorAll('.slot').length === 6`, "input-otp's six slots")
	tb.waitReady()
	tb.waitPending()
	_, code := h.sendSMS(t, h.pages)
	tb.waitValue("otp", code)
	tb.waitFor(slots+` === `+quote(code), "every slot to show the code")
	settleInputOTP(tb)
	if got := eval[[]string](tb, `window.__otp.completes`); len(got) != 1 || got[0] != code {
		t.Errorf("onComplete calls %q, want exactly one with %q", got, code)
	}
	if got := eval[string](tb, slots); got != code {
		t.Errorf("the slots show %q after input-otp's own input events, want %q", got, code)
	}
}

func TestInputOTPPastedSMS(t *testing.T) {
	h := need(t)
	host := strings.TrimPrefix(h.pages, "http://")
	host, _, _ = strings.Cut(host, ":")
	for _, tc := range []struct {
		name   string
		slots  int
		config string
	}{
		{"input-otp leaving pastes to the browser", 6, `{maxLength: 6}`},
		{"input-otp handling pastes with a pasteTransformer", 6, `{maxLength: 6, pasteTransformer: 'dashes'}`},
		{"input-otp handling pastes with a pasteTransformer, room for 8 characters", 8, `{maxLength: 8, pasteTransformer: 'dashes'}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := openTab(t, tabOptions{noOutbox: true})
			tb.navigate(inputOTPPage(t, tc.config))
			tb.waitFor(fmt.Sprintf(`document.querySelectorAll('.slot').length === %d`, tc.slots), "input-otp's slots")
			tb.waitReady()
			// onComplete fires when every slot is filled.
			var completes []string
			if tc.slots == 6 {
				completes = []string{"123456"}
			}

			t.Run("an SMS for this site gives its code", func(t *testing.T) {
				res := tb.paste("otp", "Your code is 123456.\n\n@"+host+" #123456")
				settleInputOTP(tb)
				if !res.Prevented {
					t.Error("the paste's default action was not prevented")
				}
				if got := eval[string](tb, `document.getElementById('otp').value`); got != "123456" {
					t.Errorf("the input holds %q, want 123456", got)
				}
				if got := eval[string](tb, slots); got != "123456" {
					t.Errorf("the slots show %q, want 123456", got)
				}
				if got := eval[[]string](tb, `window.__otp.completes`); !slices.Equal(got, completes) {
					t.Errorf("onComplete calls %q, want %q", got, completes)
				}
			})

			t.Run("an SMS for another site inserts nothing and the refusal stays", func(t *testing.T) {
				clear := `(() => {
					const el = document.getElementById('otp');
					Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, '');
					el.dispatchEvent(new Event('input', {bubbles: true}));
				})()`
				eval[any](tb, clear)
				tb.waitFor(slots+` === ''`, "the app to empty its slots")
				changes := eval[int](tb, `window.__otp.changes.length`)
				res := tb.paste("otp", "Your code is 654321.\n\n@bank.example #654321")
				settleInputOTP(tb)
				if !res.Prevented {
					t.Error("the paste's default action was not prevented")
				}
				got := eval[struct {
					Value, Slots, Validation string
					Changes                  []string
				}](tb, `({value: document.getElementById('otp').value, slots: `+slots+`,
					validation: document.getElementById('otp').validationMessage, changes: window.__otp.changes.slice(`+fmt.Sprint(changes)+`)})`)
				if got.Value != "" || got.Slots != "" || len(got.Changes) != 0 {
					t.Errorf("a refused SMS inserted text: value %q, slots %q, onChange %q; want nothing", got.Value, got.Slots, got.Changes)
				}
				if got.Validation == "" {
					t.Error("the refusal (validity message) is gone once input-otp's own input events ran")
				}
			})
		})
	}
}
