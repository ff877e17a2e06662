package httpapi

import (
	"encoding/json"
	"testing"
)

var decodeSeeds = []string{
	`{}`, ` { } `, `{"code":"123456"}`, `{"phone":"+14155550123","code":"000000"}`,
	`{"code":"1","code":"2"}`, `{"CODE":"1"}`, `{"Code":"1","code":"2"}`, `{"code":"1","CODE":"2"}`,
	`{"phone":"+14155550123","origin":"https://www.example.com","embedded_origin":"https://pay.example.net","client_ip":"192.0.2.1","locale":"fr"}`,
	`{"EMBEDDED_ORIGIN":"x","Client_IP":"y","unknown":"z"}`, `{"code":123456}`, `{"code":null}`, `{"code":"\u0031"}`,
	`{"code":"a\"b"}`, "{\"code\":\"\x01\"}", "{\"code\":\"\xff\"}", `{"code":"1",}`, `{"code":"1"`, `{"code" "1"}`,
	`{"code":"1"}x`, `{"code":"1"}{}`, `{,}`, `{"":""}`, "\t{\r\n\"code\"\t:\n\"9\"\r}\n", `{"code":"1" , "phone" : "2"}`,
	`{"extra":{"code":"1"}}`, `{"extra":["a"],"code":"1"}`, `[]`, `null`, `"x"`, `{"codé":"1"}`, "{\"code\u212a\":\"1\"}",
	`{"ſ":"1"}`, `{"code":"1"}  `, ``, `{`, `}`,
}

// FuzzDecodeFlat checks that decodeFlat, when it takes a body, fills each
// request type exactly as json.Unmarshal does, and that it takes the usual
// bodies.
func FuzzDecodeFlat(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fc, jc checkBody
		if decodeFlat(data, &fc) {
			if err := json.Unmarshal(data, &jc); err != nil || fc != jc {
				t.Fatalf("%q: decodeFlat %+v, json.Unmarshal %+v %v", data, fc, jc, err)
			}
		} else if fc != (checkBody{}) {
			t.Fatalf("%q: refused but changed to %+v", data, fc)
		}
		var fs, js startBody
		if decodeFlat(data, &fs) {
			if err := json.Unmarshal(data, &js); err != nil || fs != js {
				t.Fatalf("%q: decodeFlat %+v, json.Unmarshal %+v %v", data, fs, js, err)
			}
		} else if fs != (startBody{}) {
			t.Fatalf("%q: refused but changed to %+v", data, fs)
		}
		var fe, je struct{}
		if decodeFlat(data, &fe) {
			if err := json.Unmarshal(data, &je); err != nil {
				t.Fatalf("%q: decodeFlat took it, json.Unmarshal: %v", data, err)
			}
		}
	})
}

func TestDecodeFlatTakesTheUsualBodies(t *testing.T) {
	for _, s := range []string{
		`{"code":"123456"}`, `{"phone":"+14155550123","code":"123456"}`, ` {} `,
		`{"phone":"+14155550123","origin":"https://www.example.com","locale":"fr"}`,
	} {
		var c checkBody
		var st startBody
		if !decodeFlat([]byte(s), &c) || !decodeFlat([]byte(s), &st) {
			t.Errorf("%s: not taken", s)
		}
	}
	for _, s := range []string{`{"code":"\u0031"}`, `{"code":1}`, `{"code":"1"}x`, `{"code":null}`} {
		var c checkBody
		if decodeFlat([]byte(s), &c) {
			t.Errorf("%s: taken", s)
		}
	}
}
