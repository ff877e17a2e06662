package e2e

import (
	"testing"
)

// The fake phone must behave as Chromium does (web/e2e/doc.go), or the client
// tests prove nothing. This checks it on a page without webotp.js.
func TestFakePhoneBehavesLikeChromium(t *testing.T) {
	tb := openTab(t, tabOptions{})
	tb.navigate(testPage{noClient: true, body: `<p>no client</p>`}.url(t))
	settle := func(call string) string {
		t.Helper()
		return eval[string](tb, `(async () => {
			try { const c = await `+call+`; return 'resolved ' + c.type + ' ' + c.code; }
			catch (e) { return e.name + ': ' + e.message; }
		})()`)
	}
	for _, tc := range []struct{ name, call, want string }{
		{"a missing transport is not supported", `navigator.credentials.get({otp: {}})`, "NotSupportedError: Unsupported transport type for OTP Credentials"},
		{"an empty transport is not supported", `navigator.credentials.get({otp: {transport: []}})`, "NotSupportedError: Unsupported transport type for OTP Credentials"},
		{"an unknown transport is a TypeError", `navigator.credentials.get({otp: {transport: ['email']}})`, "TypeError: Failed to execute 'get' on 'CredentialsContainer': The provided value 'email' is not a valid enum value of type OTPCredentialTransportType."},
		{"an aborted signal rejects with its reason", `navigator.credentials.get({otp: {transport: ['sms']}, signal: AbortSignal.abort()})`, "AbortError: signal is aborted without reason"},
		{"a timed-out signal rejects with TimeoutError", `navigator.credentials.get({otp: {transport: ['sms']}, signal: AbortSignal.timeout(10)})`, "TimeoutError: signal timed out"},
	} {
		if got := settle(tc.call); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	// A second get() cancels the first.
	tb.exec(`window.__first = navigator.credentials.get({otp: {transport: ['sms']}}).then((c) => 'resolved', (e) => e.name + ': ' + e.message);
		window.__second = navigator.credentials.get({otp: {transport: ['sms']}}).then((c) => c.code, (e) => e.name + ': ' + e.message);`)
	if got := eval[string](tb, `window.__first`); got != "AbortError: OTP retrieval was cancelled." {
		t.Errorf("first get() after a second one: %q", got)
	}
	// An SMS for another host is ignored; one for this host resolves.
	tb.waitPending()
	h := need(t)
	h.sendSMS(t, otherOrigin)
	_, code := h.sendSMS(t, h.pages)
	if got := eval[string](tb, `window.__second`); got != code {
		t.Errorf("pending get() resolved with %q, want the code %q", got, code)
	}
	if f := tb.fake(); f.MaxPending != 1 || f.Pending != 0 || f.Cancelled != 1 {
		t.Errorf("fake record %+v", f)
	}
}
