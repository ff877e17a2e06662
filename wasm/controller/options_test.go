package controller_test

import (
	"testing"
	"time"

	"github.com/webotp/webotp/wasm/controller"
)

func TestResolveOptions(t *testing.T) {
	tests := []struct {
		name          string
		script, input controller.Attrs
		want          controller.Options
	}{
		{"nothing set gives 240 seconds and no autosubmit", nil, nil,
			controller.Options{Timeout: 240 * time.Second}},
		{"the script tag sets defaults", attrs{"data-timeout": "60", "data-autosubmit": "", "data-dev-outbox": " /dev/outbox "}, attrs{},
			controller.Options{Timeout: time.Minute, Autosubmit: true, DevOutbox: "/dev/outbox"}},
		{"the input overrides the script tag", attrs{"data-timeout": "60", "data-autosubmit": ""}, attrs{"data-timeout": "2.5", "data-autosubmit": "off"},
			controller.Options{Timeout: 2500 * time.Millisecond}},
		{"an unreadable or non-positive timeout keeps the default", attrs{"data-timeout": "soon"}, attrs{"data-timeout": "-1"},
			controller.Options{Timeout: 240 * time.Second}},
		{"a huge timeout is capped at an hour", nil, attrs{"data-timeout": "99999999999999999999999"},
			controller.Options{Timeout: time.Hour}},
		{"a fraction of a second is kept to the millisecond", nil, attrs{"data-timeout": ".2505"},
			controller.Options{Timeout: 250 * time.Millisecond}},
		{"exponents and signs are not read", attrs{"data-timeout": "1e3"}, attrs{"data-timeout": "+5"},
			controller.Options{Timeout: 240 * time.Second}},
		{"zero is not a timeout", nil, attrs{"data-timeout": "0.000"},
			controller.Options{Timeout: 240 * time.Second}},
		{"data-webotp=off on the input switches it off", nil, attrs{"data-webotp": " Off "},
			controller.Options{Timeout: 240 * time.Second, Off: true}},
		{"data-webotp=off on the script tag does not switch inputs off", attrs{"data-webotp": "off"}, attrs{},
			controller.Options{Timeout: 240 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := controller.ResolveOptions(tt.script, tt.input); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "[::1]": true,
		"127.0.0.2": false, "example.com": false, "localhost.example.com": false, "": false,
	} {
		if got := controller.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
