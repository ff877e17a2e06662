package controller_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/webotp/webotp/wasm/controller"
)

// TestPasteAcceptsTheCodeInputsTheVerifierAccepts runs
// otpmsg/testdata/code-inputs.json, the table the verifier's check runs
// too, through the paste path: a code that needs normalising goes in
// normalised, a code already normal pastes as usual, and what the verifier
// refuses as malformed is never inserted as a code.
func TestPasteAcceptsTheCodeInputsTheVerifierAccepts(t *testing.T) {
	b, err := os.ReadFile("../../otpmsg/testdata/code-inputs.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name, Input, Code, Error string
	}
	if err := json.Unmarshal(b, &cases); err != nil || len(cases) == 0 {
		t.Fatalf("code-inputs.json: %v (%d cases)", err, len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			p := newPage(newInput("otp"))
			c := newController(p, nil)
			c.Start(controller.Record{})
			p.take()
			res, ins := c.Paste(p.inputs[0], tc.Input)
			switch {
			case tc.Error != "":
				if res != controller.PasteDefault {
					t.Errorf("Paste(%q) = %v %q; the verifier refuses it (%s), so it must paste as usual", tc.Input, res, ins, tc.Error)
				}
			case tc.Input == tc.Code:
				if res != controller.PasteDefault {
					t.Errorf("Paste(%q) = %v %q; a normal code pastes as usual", tc.Input, res, ins)
				}
			default:
				if res != controller.PasteInsert || ins != tc.Code {
					t.Errorf("Paste(%q) = %v %q; want insert %q", tc.Input, res, ins, tc.Code)
				}
			}
		})
	}
}
