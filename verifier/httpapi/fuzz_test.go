package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// fuzzRoutes are the API routes FuzzRequestBody drives: method and path,
// where {} is the fuzzed path segment.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v1/verifications"},
	{"POST", "/v1/verifications/{}/check"},
	{"POST", "/v1/verifications/check"},
	{"POST", "/v1/verifications/{}/resend"},
	{"GET", "/v1/verifications/{}"},
	{"DELETE", "/v1/verifications/{}"},
}

// fuzzRouteOf returns the index in fuzzRoutes and the path segment of a
// request of the malformed table, ok false for one on another route.
func fuzzRouteOf(r req) (route uint8, segment string, ok bool) {
	const v = "/v1/verifications"
	for i, rt := range fuzzRoutes {
		if r.method != rt.method {
			continue
		}
		prefix, suffix, _ := strings.Cut(rt.path, "{}")
		if !strings.Contains(rt.path, "{}") {
			if r.path == rt.path {
				return uint8(i), "", true
			}
			continue
		}
		if seg, found := strings.CutPrefix(r.path, prefix); found && strings.HasSuffix(seg, suffix) &&
			len(r.path) > len(v)+1 {
			seg = strings.TrimSuffix(seg, suffix)
			if seg != "" && !strings.Contains(seg, "/") {
				return uint8(i), seg, true
			}
		}
	}
	return 0, "", false
}

// FuzzRequestBody sends arbitrary bodies and path segments to the start,
// check, check-by-phone, resend, get and cancel routes of a Server on the
// real Service and memstore: every answer is JSON, never a 5xx, and an
// error names its code.
func FuzzRequestBody(f *testing.F) {
	e := newEnv(f, envOptions{})
	id := e.start(f, phone)
	seeds := 0
	for _, m := range malformedRequests(id) {
		if route, seg, ok := fuzzRouteOf(m.r); ok && m.r.key == shopKey {
			f.Add(route, seg, []byte(m.r.body))
			seeds++
		}
	}
	for _, s := range []struct {
		route uint8
		seg   string
		body  string
	}{
		{0, "", `{"phone":"+14155550124","origin":"` + origin + `"}`},
		{0, "", `{"phone":"+33612345678","origin":"` + origin + `","embedded_origin":"` + iframe + `","client_ip":"192.0.2.1","locale":"fr"}`},
		{0, "", ` {"PHONE":"+14155550125","Origin":"` + origin + `","phone":null} `},
		{1, id, `{"code":"000000"}`},
		{1, id, `{"code":"\u0030\u0030\u0030\u0030\u0030\u0030","extra":[1,{"a":null}]}`},
		{1, id, `{"code":"1","code":"2"}`},
		{2, "", `{"phone":"` + phone + `","code":"123456"}`},
		{3, id, ``},
		{3, id, `{}`},
		{4, id, ``},
		{5, "AAAAAAAAAAAAAAAAAAAAAA", ``},
	} {
		f.Add(s.route, s.seg, []byte(s.body))
		seeds++
	}
	if seeds < 20 {
		f.Fatalf("only %d seeds", seeds)
	}
	f.Fuzz(func(t *testing.T, route uint8, segment string, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		r := req{method: rt.method, path: strings.Replace(rt.path, "{}", segment, 1), key: shopKey, body: string(body)}
		if !strings.HasPrefix(r.path, "/v1/") || strings.ContainsAny(segment, "?#%/\\") || strings.Contains(segment, "..") {
			return // another route than the API's, after normalization
		}
		a := e.direct(t, r)
		if a.status >= 500 || a.status < 200 {
			t.Fatalf("%s %q %s: status %d: %s", r.method, r.path, short(body), a.status, a.raw)
		}
		if a.header["content-type"] != "application/json" || !json.Valid(a.raw) || !bytes.HasPrefix(a.raw, []byte("{")) {
			t.Fatalf("%s %q %s: content type %q, body %q", r.method, r.path, short(body), a.header["content-type"], a.raw)
		}
		if a.status >= 400 && a.errorCode() == "" {
			t.Fatalf("%s %q %s: error without a code: %s", r.method, r.path, short(body), a.raw)
		}
	})
}

// short quotes at most 200 bytes of b, for failure messages.
func short(b []byte) string {
	if len(b) > 200 {
		return strconv.Quote(string(b[:200])) + "..."
	}
	return strconv.Quote(string(b))
}
