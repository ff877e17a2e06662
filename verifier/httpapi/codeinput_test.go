package httpapi

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// codeInput is one case of otpmsg/testdata/code-inputs.json, the table the
// client's paste path runs too: both ends accept exactly the same inputs.
type codeInput struct {
	Name  string `json:"name"`
	Input string `json:"input"`
	Code  string `json:"code"`
	Error string `json:"error"`
}

// digitScripts are the zeros of the digit sets in the table's inputs.
var digitScripts = []rune{'0', '０', '٠', '۰'}

// withDigits writes code into the digit positions of input, each digit in
// the script of the one it replaces, so that a case typed as "123 456"
// carries the verification's real code in the same shape.
func withDigits(input, code string) string {
	var out []rune
	k := 0
	for _, r := range input {
		for _, zero := range digitScripts {
			if r >= zero && r <= zero+9 && k < len(code) {
				r = zero + rune(code[k]-'0')
				k++
				break
			}
		}
		out = append(out, r)
	}
	return string(out)
}

func TestTheCheckAcceptsTheCodeInputsTheClientAccepts(t *testing.T) {
	b, err := os.ReadFile("../../otpmsg/testdata/code-inputs.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []codeInput
	if err := json.Unmarshal(b, &cases); err != nil || len(cases) == 0 {
		t.Fatalf("code-inputs.json: %v (%d cases)", err, len(cases))
	}
	e := newEnv(t, envOptions{})
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			id := e.start(t, fmt.Sprintf("+1415555%04d", 1000+i))
			real := e.code(t, id)
			input := c.Input
			if c.Code == "123456" {
				input = withDigits(c.Input, real)
			}
			body, _ := json.Marshal(map[string]string{"code": input})
			a := e.do(t, req{method: "POST", path: "/v1/verifications/" + id + "/check", key: shopKey, body: string(body)})
			switch {
			case c.Error != "":
				if a.status != 400 || a.errorCode() != "invalid_code" {
					t.Fatalf("check %q: %d %s; want 400 invalid_code", input, a.status, a.raw)
				}
				v := e.do(t, req{method: "GET", path: "/v1/verifications/" + id, key: shopKey}).verification()
				if v["attempts_left"] != float64(5) {
					t.Errorf("an invalid_code used an attempt: attempts_left %v", v["attempts_left"])
				}
			case c.Code == "123456":
				if a.status != 200 || a.json["valid"] != true {
					t.Errorf("check %q (code %s): %d %s; want valid", input, real, a.status, a.raw)
				}
			default:
				if a.status != 200 || a.json["valid"] != false {
					t.Errorf("check %q: %d %s; want a wrong guess (200, valid false)", input, a.status, a.raw)
				}
			}
		})
	}
}
