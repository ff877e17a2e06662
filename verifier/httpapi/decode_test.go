package httpapi

import (
	"bufio"
	stdjson "encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/webotp/webotp/verifier"
)

// decodeSeeds reads testdata/bodies.txt: one Go-quoted body a line.
func decodeSeeds(t testing.TB) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/bodies.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var seeds [][]byte
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("testdata/bodies.txt:%d: %v", n, err)
		}
		seeds = append(seeds, []byte(s))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seeds) < 30 {
		t.Fatalf("only %d seeds in testdata/bodies.txt", len(seeds))
	}
	return seeds
}

// FuzzDecodeJSON checks the strict rules on every body decodeJSON takes:
// one JSON object (read by encoding/json's own tokenizer), each key
// exactly one of the target's json names, none twice, each value a string
// or null, and the decoded fields those values. A refused body changes
// nothing and is invalid_json.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c checkBody
		checkStrict(t, data, &c)
		var s startBody
		checkStrict(t, data, &s)
		var e struct{}
		checkStrict(t, data, &e)
	})
}

// checkStrict decodes data into v, a pointer to a zero struct of string
// fields, and checks the outcome against an independent reading of data.
func checkStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	err := decodeJSON(data, v, false)
	rv := reflect.ValueOf(v).Elem()
	if err != nil {
		if verifier.ErrorCode(err) != CodeInvalidJSON {
			t.Fatalf("%q: refused with %v, want invalid_json", data, err)
		}
		if !rv.IsZero() {
			t.Fatalf("%q: refused but changed to %+v", data, rv.Interface())
		}
		return
	}
	members, ok := objectMembers(data)
	if !ok {
		t.Fatalf("%q: taken, but it is not one JSON object of string members", data)
	}
	if !utf8.Valid(data) {
		t.Fatalf("%q: taken with invalid UTF-8", data)
	}
	fields := map[string]reflect.Value{}
	for i := range rv.NumField() {
		fields[rv.Type().Field(i).Tag.Get("json")] = rv.Field(i)
	}
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.key] {
			t.Fatalf("%q: taken with the key %q twice", data, m.key)
		}
		seen[m.key] = true
		f, known := fields[m.key]
		if !known {
			t.Fatalf("%q: taken with the key %q, not one of %T's (a case variant or unknown)", data, m.key, v)
		}
		if f.String() != m.value {
			t.Fatalf("%q: %s decoded as %q, want %q", data, m.key, f.String(), m.value)
		}
	}
	for name, f := range fields {
		if !seen[name] && f.String() != "" {
			t.Fatalf("%q: %s set to %q without its key", data, name, f.String())
		}
	}
}

type member struct{ key, value string }

// objectMembers reads data with encoding/json's tokenizer as one object
// whose values are strings or null (null read as ""), in order, keeping
// duplicates.
func objectMembers(data []byte) ([]member, bool) {
	dec := stdjson.NewDecoder(strings.NewReader(string(data)))
	if tok, err := dec.Token(); err != nil || tok != stdjson.Delim('{') {
		return nil, false
	}
	var ms []member
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, false
		}
		val, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var s string
		switch val := val.(type) {
		case string:
			s = val
		case nil:
		default:
			return nil, false
		}
		ms = append(ms, member{k.(string), s})
	}
	if tok, err := dec.Token(); err != nil || tok != stdjson.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return ms, true
}

func TestDecodeJSONIsStrict(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       checkBody // when ok
		message    string    // part of the refusal's message, "" when ok
	}{
		{"the usual body is read", `{"phone":"+14155550123","code":"123456"}`, checkBody{Phone: "+14155550123", Code: "123456"}, ""},
		{"escapes are read", `{"code":"\u0031\u0032"}`, checkBody{Code: "12"}, ""},
		{"null leaves a field empty", `{"code":null}`, checkBody{}, ""},
		{"white space around the object is allowed", " \n{ \"code\" : \"1\" }\t", checkBody{Code: "1"}, ""},
		{"a key given twice is refused", `{"code":"1","code":"2"}`, checkBody{}, `"code" appears more than once`},
		{"a key given twice through an escape is refused", `{"code":"1","\u0063ode":"2"}`, checkBody{}, "more than once"},
		{"a key in capitals is refused", `{"CODE":"1"}`, checkBody{}, `"CODE" is not one this request takes`},
		{"a key in another case beside the real one is refused", `{"code":"1","Code":"2"}`, checkBody{}, `"Code"`},
		{"a key with a Kelvin sign for k is refused", "{\"code\u212a\":\"1\"}", checkBody{}, "not one this request takes"},
		{"an unknown key is refused", `{"code":"1","remember":"yes"}`, checkBody{}, `"remember"`},
		{"a long unknown key is quoted in part", `{"` + strings.Repeat("x", 100) + `":"1"}`, checkBody{}, strings.Repeat("x", maxQuotedKey) + "…"},
		{"a number for a string is refused", `{"code":123456}`, checkBody{}, `"code" must be a JSON string`},
		{"invalid UTF-8 is refused", "{\"code\":\"\xff\"}", checkBody{}, "not valid JSON"},
		{"a lone surrogate escape is refused", `{"code":"\ud800"}`, checkBody{}, "not valid JSON"},
		{"trailing data is refused", `{"code":"1"}{}`, checkBody{}, "not valid JSON"},
		{"an array is refused", `["1"]`, checkBody{}, "must be a JSON object"},
		{"a form feed after the object is refused", "{}\f", checkBody{}, "not valid JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got checkBody
			err := decodeJSON([]byte(tt.body), &got, false)
			if tt.message == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var e *verifier.Error
			if !errors.As(err, &e) || e.Code != CodeInvalidJSON || !strings.Contains(e.Message, tt.message) {
				t.Fatalf("err %v, want invalid_json saying %q", err, tt.message)
			}
		})
	}
}

func TestTheStartBodyBindsOneOrigin(t *testing.T) {
	var b startBody
	err := decodeJSON([]byte(`{"origin":"https://www.example.com","Origin":"https://pay.example.net"}`), &b, false)
	if verifier.ErrorCode(err) != CodeInvalidJSON || b != (startBody{}) {
		t.Fatalf("got %+v, %v; want invalid_json", b, err)
	}
}

func TestAnEmptyBodyIsAnEmptyObjectOnlyWhereAllowed(t *testing.T) {
	var b struct{}
	if err := decodeJSON([]byte(" \n"), &b, true); err != nil {
		t.Errorf("an empty body where allowed: %v", err)
	}
	var c checkBody
	if err := decodeJSON(nil, &c, false); verifier.ErrorCode(err) != CodeInvalidJSON {
		t.Errorf("an empty body where an object is required: %v", err)
	}
}

func TestIsJSONContentType(t *testing.T) {
	for _, tt := range []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON;charset=UTF-8", true},
		{`application/json; charset="utf-8"`, true},
		{"", false},
		{"text/plain", false},
		{"text/plain; charset=utf-8", false},
		{"application/x-www-form-urlencoded", false},
		{"multipart/form-data; boundary=x", false},
		{"application/jsonx", false},
		{"application/json-patch+json", false},
		{"application/json; charset=iso-8859-1", false},
		{"application/json; boundary=x", false},
		{"application/json;", true},
		{"application/json; charset", false},
	} {
		if got := isJSONContentType([]byte(tt.ct)); got != tt.ok {
			t.Errorf("isJSONContentType(%q) = %v, want %v", tt.ct, got, tt.ok)
		}
	}
}

func TestAJSONBodyMayNameItsMediaTypeInAnyCaseWithACharset(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"} {
		a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, header: map[string]string{"Content-Type": ct},
			body: `{"phone":"` + phone + `","origin":"` + origin + `"}`})
		if a.status != 201 {
			t.Errorf("Content-Type %q: %d %s", ct, a.status, a.raw)
		}
	}
}

func TestRequestsWithoutABodyNeedNoContentType(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.start(t, phone)
	e.clock.Advance(time.Minute)
	if a := e.direct(t, req{method: "POST", path: "/v1/verifications/" + id + "/resend", key: shopKey}); a.status != 200 {
		t.Errorf("resend: %d %s", a.status, a.raw)
	}
	if a := e.direct(t, req{method: "DELETE", path: "/v1/verifications/" + id, key: shopKey}); a.status != 200 {
		t.Errorf("cancel: %d %s", a.status, a.raw)
	}
}
