package controller_test

import (
	"testing"

	"github.com/webotp/webotp/wasm/controller"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ASCII digits stay as they are", "123456", "123456"},
		{"spaces between groups are removed", "123 456", "123456"},
		{"no-break, thin and ideographic spaces are removed", "12\u00a034\u200956\u3000", "123456"},
		{"hyphens, en dashes and minus signs are removed", "12-34–56−7", "1234567"},
		{"full-width digits become ASCII", "１２３４５６", "123456"},
		{"Arabic-Indic digits become ASCII", "٠١٢٣٤٥", "012345"},
		{"full-width letters become ASCII", "ＡＢ１２", "AB12"},
		{"zero-width characters are removed", "12\u200b34\ufeff", "1234"},
		{"other text is kept", "code: 12", "code:12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := controller.Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsCode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"six digits are a code", "123456", true},
		{"letters with a digit are a code", "AB12CD", true},
		{"letters alone are not", "ABCDEF", false},
		{"empty is not", "", false},
		{"punctuation is not", "12:34", false},
		{"seventeen characters are too long", "12345678901234567", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := controller.IsCode(tt.in); got != tt.want {
				t.Errorf("IsCode(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
