package httpapi

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// TestMalformedRequestsAnswer4xxJSON sends bad input of every kind: each
// answers a 4xx JSON error with a stable code, never a 5xx, directly
// through the handler and over a connection alike.
func TestMalformedRequestsAnswer4xxJSON(t *testing.T) {
	e := newEnv(t, envOptions{assets: fstest.MapFS{"webotp.js": {Data: []byte("js")}}})
	tests := malformedRequests(e.start(t, phone))
	if len(tests) < 40 {
		t.Fatalf("only %d malformed requests", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for mode, do := range map[string]func(testing.TB, req) answer{"direct": e.direct, "listener": e.do} {
				if mode == "listener" && len(tt.r.body) > 16<<10 {
					// fasthttp closes the connection after its 413, and the
					// in-memory client may still be writing the body: that
					// race is the client's. The 413 over a real connection
					// is TestTheBodyLimitAnswersJSONOverAConnection's.
					continue
				}
				a := do(t, tt.r)
				if a.status < 400 || a.status >= 500 || (tt.status != 0 && a.status != tt.status) {
					t.Errorf("%s: status %d, want %d: %s", mode, a.status, tt.status, a.raw)
				}
				if a.header["content-type"] != "application/json" || a.json == nil {
					t.Errorf("%s: content type %q, body %q", mode, a.header["content-type"], a.raw)
				}
				if !strings.Contains(" "+tt.codes+" ", " "+a.errorCode()+" ") {
					t.Errorf("%s: code %q, want one of %q: %s", mode, a.errorCode(), tt.codes, a.raw)
				}
				if msg, _ := a.json["error"].(map[string]any)["message"].(string); msg == "" {
					t.Errorf("%s: no message: %s", mode, a.raw)
				}
			}
		})
	}
}

// malformedRequest is one bad request and the answers it may get.
type malformedRequest struct {
	name   string
	r      req
	status int    // 0: any 4xx
	codes  string // acceptable codes, space separated
}

// malformedRequests is the table of bad input of every kind; id is a
// pending verification's. FuzzRequestBody starts from it too.
func malformedRequests(id string) []malformedRequest {
	v := "/v1/verifications"
	ok := `{"phone":"` + phone + `","origin":"` + origin + `"}`
	big := `{"phone":"` + phone + `","origin":"` + origin + `","pad":"` + strings.Repeat("x", 17<<10) + `"}`
	return []malformedRequest{
		{"a request without a key is unauthorized", req{method: "POST", path: v, body: ok}, 401, "unauthorized"},
		{"an unknown key is unauthorized", req{method: "POST", path: v, key: "nope", body: ok}, 401, "unauthorized"},
		{"a key that only prefixes a real one is unauthorized", req{method: "POST", path: v, key: shopKey[:5], body: ok}, 401, "unauthorized"},
		{"basic auth is unauthorized", req{method: "POST", path: v, body: ok, header: map[string]string{"Authorization": "Basic c2hvcDprZXk="}}, 401, "unauthorized"},
		{"an empty bearer is unauthorized", req{method: "POST", path: v, body: ok, header: map[string]string{"Authorization": "Bearer "}}, 401, "unauthorized"},
		{"a bare key without Bearer is unauthorized", req{method: "POST", path: v, body: ok, header: map[string]string{"Authorization": shopKey}}, 401, "unauthorized"},
		{"a GET without a key is unauthorized", req{method: "GET", path: v + "/" + id}, 401, "unauthorized"},
		{"an empty body is invalid JSON", req{method: "POST", path: v, key: shopKey}, 400, "invalid_json"},
		{"null is invalid JSON", req{method: "POST", path: v, key: shopKey, body: "null"}, 400, "invalid_json"},
		{"an array is invalid JSON", req{method: "POST", path: v, key: shopKey, body: "[]"}, 400, "invalid_json"},
		{"a string is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `"+14155550123"`}, 400, "invalid_json"},
		{"a truncated object is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":"+1415`}, 400, "invalid_json"},
		{"trailing garbage is invalid JSON", req{method: "POST", path: v, key: shopKey, body: ok + "x"}, 400, "invalid_json"},
		{"two objects are invalid JSON", req{method: "POST", path: v, key: shopKey, body: ok + ok}, 400, "invalid_json"},
		{"a form body is invalid JSON", req{method: "POST", path: v, key: shopKey, body: "phone=%2B14155550123&origin=https%3A%2F%2Fwww.example.com"}, 400, "invalid_json"},
		{"a number for the phone is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":14155550123,"origin":"` + origin + `"}`}, 400, "invalid_json"},
		{"an array for the phone is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":["+14155550123"],"origin":"` + origin + `"}`}, 400, "invalid_json"},
		{"an object for the origin is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":{}}`}, 400, "invalid_json"},
		{"a boolean client ip is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"` + origin + `","client_ip":true}`}, 400, "invalid_json"},
		{"invalid UTF-8 escapes are invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":"\ud800\x"}`}, 400, "invalid_json"},
		{"a text/plain body is an unsupported media type", req{method: "POST", path: v, key: shopKey, body: ok, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type"},
		{"a form-encoded body is an unsupported media type", req{method: "POST", path: v, key: shopKey, body: "phone=%2B14155550123&origin=https%3A%2F%2Fwww.example.com", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type"},
		{"a body without a Content-Type is an unsupported media type", req{method: "POST", path: v, key: shopKey, body: ok, header: map[string]string{"Content-Type": ""}}, 415, "unsupported_media_type"},
		{"a check body of another charset is an unsupported media type", req{method: "POST", path: v + "/" + id + "/check", key: shopKey, body: `{"code":"123456"}`, header: map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}}, 415, "unsupported_media_type"},
		{"a resend body without a Content-Type is an unsupported media type", req{method: "POST", path: v + "/" + id + "/resend", key: shopKey, body: `{}`, header: map[string]string{"Content-Type": ""}}, 415, "unsupported_media_type"},
		{"an origin key in another case is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"` + origin + `","Origin":"` + iframe + `"}`}, 400, "invalid_json"},
		{"an origin given twice is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"` + origin + `","origin":"` + iframe + `"}`}, 400, "invalid_json"},
		{"a code given twice is invalid JSON", req{method: "POST", path: v + "/" + id + "/check", key: shopKey, body: `{"code":"123456","code":"654321"}`}, 400, "invalid_json"},
		{"an unknown key is invalid JSON", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"` + origin + `","client_ip_address":"192.0.2.1"}`}, 400, "invalid_json"},
		{"an empty object lacks the phone", req{method: "POST", path: v, key: shopKey, body: `{}`}, 400, "invalid_phone"},
		{"letters are not a phone", req{method: "POST", path: v, key: shopKey, body: `{"phone":"call me","origin":"` + origin + `"}`}, 400, "invalid_phone"},
		{"a phone without + is refused", req{method: "POST", path: v, key: shopKey, body: `{"phone":"4155550123","origin":"` + origin + `"}`}, 400, "invalid_phone"},
		{"a country code alone is not a phone", req{method: "POST", path: v, key: shopKey, body: `{"phone":"+1","origin":"` + origin + `"}`}, 400, "invalid_phone"},
		{"a phone of 30 digits is refused", req{method: "POST", path: v, key: shopKey, body: `{"phone":"+123456789012345678901234567890","origin":"` + origin + `"}`}, 400, "invalid_phone"},
		{"a phone with a NUL is refused", req{method: "POST", path: v, key: shopKey, body: `{"phone":"+1415555\u00000123","origin":"` + origin + `"}`}, 400, "invalid_phone"},
		{"a premium-rate number is refused", req{method: "POST", path: v, key: shopKey, body: `{"phone":"+19005550123","origin":"` + origin + `"}`}, 0, "number_type_not_allowed invalid_phone"},
		{"a missing origin is refused", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `"}`}, 400, "invalid_origin"},
		{"an origin with a path is refused", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"https://www.example.com/login"}`}, 400, "invalid_origin"},
		{"a javascript: origin is refused", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"javascript:alert(1)"}`}, 400, "invalid_origin"},
		{"an origin with a bad port is refused", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"https://www.example.com:99999"}`}, 400, "invalid_origin"},
		{"a plain word is not an origin", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"example"}`}, 400, "invalid_origin"},
		{"an origin of another site is not allowed", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"https://evil.example"}`}, 403, "origin_not_allowed"},
		{"an http origin is not allowed outside dev mode", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"http://www.example.com"}`}, 0, "origin_not_allowed invalid_origin"},
		{"an iframe origin of another site is not allowed", req{method: "POST", path: v, key: shopKey, body: `{"phone":"` + phone + `","origin":"` + origin + `","embedded_origin":"https://evil.example"}`}, 403, "origin_not_allowed"},
		{"another app's origin is not allowed", req{method: "POST", path: v, key: otherKey, body: ok}, 403, "origin_not_allowed"},
		{"a body over 16 KiB is too large", req{method: "POST", path: v, key: shopKey, body: big}, 413, "payload_too_large"},
		{"a check body over 16 KiB is too large", req{method: "POST", path: v + "/" + id + "/check", key: shopKey, body: big}, 413, "payload_too_large"},
		{"an id with symbols is not found", req{method: "GET", path: v + "/%21%21", key: shopKey}, 404, "not_found"},
		{"a very long id is not found", req{method: "GET", path: v + "/" + strings.Repeat("a", 200), key: shopKey}, 404, "not_found"},
		{"an unknown id is not found", req{method: "GET", path: v + "/AAAAAAAAAAAAAAAAAAAAAA", key: shopKey}, 404, "not_found"},
		{"a phone number as id is not found", req{method: "GET", path: v + "/+14155550123", key: shopKey}, 404, "not_found"},
		{"a NUL in the id is not found", req{method: "GET", path: v + "/abc%00def", key: shopKey}, 404, "not_found"},
		{"canceling an unknown id is not found", req{method: "DELETE", path: v + "/AAAAAAAAAAAAAAAAAAAAAA", key: shopKey}, 404, "not_found"},
		{"resending an unknown id is not found", req{method: "POST", path: v + "/AAAAAAAAAAAAAAAAAAAAAA/resend", key: shopKey}, 404, "not_found"},
		{"a numeric code is invalid JSON", req{method: "POST", path: v + "/" + id + "/check", key: shopKey, body: `{"code":123456}`}, 400, "invalid_json"},
		{"a check without a code is invalid", req{method: "POST", path: v + "/" + id + "/check", key: shopKey, body: `{}`}, 400, "invalid_code"},
		{"an empty code is invalid", req{method: "POST", path: v + "/" + id + "/check", key: shopKey, body: `{"code":""}`}, 400, "invalid_code"},
		{"a check with an empty body is invalid JSON", req{method: "POST", path: v + "/" + id + "/check", key: shopKey}, 400, "invalid_json"},
		{"a resend with an array body is invalid JSON", req{method: "POST", path: v + "/" + id + "/resend", key: shopKey, body: "[1]"}, 400, "invalid_json"},
		{"a check by phone without a phone is invalid", req{method: "POST", path: v + "/check", key: shopKey, body: `{"code":"123456"}`}, 400, "invalid_phone"},
		{"a check by phone without a code is invalid", req{method: "POST", path: v + "/check", key: shopKey, body: `{"phone":"` + phone + `"}`}, 400, "invalid_code"},
		{"a check by phone of a bad phone is invalid", req{method: "POST", path: v + "/check", key: shopKey, body: `{"phone":"nope","code":"123456"}`}, 400, "invalid_phone"},
		{"PUT on the collection is not allowed", req{method: "PUT", path: v, key: shopKey, body: ok}, 405, "method_not_allowed"},
		{"GET on the collection is not allowed", req{method: "GET", path: v, key: shopKey}, 405, "method_not_allowed"},
		{"PATCH on a verification is not allowed", req{method: "PATCH", path: v + "/" + id, key: shopKey, body: `{}`}, 405, "method_not_allowed"},
		{"GET on check is not allowed", req{method: "GET", path: v + "/" + id + "/check", key: shopKey}, 405, "method_not_allowed"},
		{"OPTIONS on the API is not allowed", req{method: "OPTIONS", path: v}, 405, "method_not_allowed"},
		{"POST on healthz is not allowed", req{method: "POST", path: "/healthz"}, 405, "method_not_allowed"},
		{"POST on an asset is not allowed", req{method: "POST", path: "/webotp.js"}, 405, "method_not_allowed"},
		{"an unknown path is not found", req{method: "GET", path: "/nope"}, 404, "not_found"},
		{"a misspelled API path is not found", req{method: "POST", path: "/v1/verification", key: shopKey, body: ok}, 404, "not_found"},
		{"a trailing slash is not found", req{method: "POST", path: v + "/", key: shopKey, body: ok}, 404, "not_found"},
		{"a path traversal is not found", req{method: "GET", path: "/../../etc/passwd"}, 404, "not_found"},
		{"an unknown API version is not found", req{method: "POST", path: "/v2/verifications", key: shopKey, body: ok}, 404, "not_found"},
	}
}

// TestTheBodyLimitAnswersJSONOverAConnection checks that fasthttp's own
// body limit, which closes the connection, still answers the JSON 413:
// with a declared length, and with a chunked body.
func TestTheBodyLimitAnswersJSONOverAConnection(t *testing.T) {
	e := newEnv(t, envOptions{tcp: true})
	body := `{"phone":"` + strings.Repeat("1", 20<<10) + `"}`
	chunked := "5000\r\n" + strings.Repeat("x", 0x5000) + "\r\n0\r\n\r\n"
	for name, raw := range map[string]string{
		"with Content-Length": "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + shopKey +
			"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body,
		"chunked": "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + shopKey +
			"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
		"a declared length without the body": "POST /v1/verifications HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", e.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			go func() { _, _ = c.Write([]byte(raw)) }()
			resp, err := readRaw(bufio.NewReader(c))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(resp, "HTTP/1.1 413") || !strings.Contains(resp, "Content-Type: application/json") ||
				!strings.Contains(resp, `"code":"payload_too_large"`) {
				t.Fatalf("answer:\n%s", resp)
			}
		})
	}
	t.Run("headers over the read buffer answer a JSON 431", func(t *testing.T) {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		go func() {
			_, _ = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 10<<10) + "\r\n\r\n"))
		}()
		resp, err := readRaw(bufio.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(resp, "HTTP/1.1 431") || !strings.Contains(resp, `"code":"headers_too_large"`) {
			t.Fatalf("answer:\n%s", resp)
		}
	})
	t.Run("a request that is not HTTP answers a JSON 400", func(t *testing.T) {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte("GET\r\n\r\n"))
		resp, err := readRaw(bufio.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(resp, "HTTP/1.1 400") || !strings.Contains(resp, `"code":"invalid_request"`) {
			t.Fatalf("answer:\n%s", resp)
		}
	})
}

// readRaw reads one whole response until the server closes the
// connection (it does after these errors).
func readRaw(r *bufio.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			if b.Len() > 0 {
				return b.String(), nil
			}
			return "", err
		}
	}
}
