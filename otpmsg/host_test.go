package otpmsg_test

import (
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

func TestHostFromOriginGivesTheSMSHost(t *testing.T) {
	for _, c := range []struct{ origin, want string }{
		{"https://www.Example.com", "www.example.com"},
		{"https://example.com", "example.com"},
		{"HTTPS://EXAMPLE.COM", "example.com"},
		{"http://localhost:8080", "localhost"},
		{"http://localhost", "localhost"},
		{"https://example.com:443", "example.com"},
		{"https://bücher.example", "xn--bcher-kva.example"},
		{"https://BÜCHER.example", "xn--bcher-kva.example"},
		{"https://xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"https://例え.テスト", "xn--r8jz45g.xn--zckzah"},
		{"http://127.0.0.1:8080", "127.0.0.1"},
		{"https://app.localhost", "app.localhost"},
	} {
		got, err := otpmsg.HostFromOrigin(c.origin)
		if err != nil || got != c.want {
			t.Errorf("HostFromOrigin(%q) = %q, %v; want %q", c.origin, got, err, c.want)
		}
	}
}

func TestHostFromOriginRefusesWhatIsNotAnOrigin(t *testing.T) {
	for _, origin := range []string{
		"", "example.com", "//example.com", "https://", "https://:443", "ftp://example.com",
		"https://example.com/", "https://example.com/login", "https://example.com?x=1", "https://example.com#top",
		"https://user@example.com", "https://example.com:", "https://example.com:99999", "https://example.com:80a",
		"https://[::1]", "https://[::1]:8443", "https://example.com.", "https://a_b.example", "https://a..b",
		"https://example.123", "https://exa mple.com", "https://ex\\ample.com",
	} {
		if got, err := otpmsg.HostFromOrigin(origin); err == nil {
			t.Errorf("HostFromOrigin(%q) = %q, want an error", origin, got)
		}
	}
}

func TestNormalizeHostWritesHostsAsSMSNamesThem(t *testing.T) {
	for _, c := range []struct{ host, want string }{
		{"Example.COM", "example.com"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"ＥＸＡＭＰＬＥ.com", "example.com"},
		{"127.1", "127.0.0.1"},
		{"0x7f.0.0.1", "127.0.0.1"},
	} {
		got, err := otpmsg.NormalizeHost(c.host)
		if err != nil || got != c.want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", c.host, got, err, c.want)
		}
	}
	for _, host := range []string{"", "example.com:443", "example.com.", "a b", "example.123", "256.0.0.1", "xn--a.example", "bü\tcher.example", "bü cher.example", "bü\ncher.example", "bü%63her.example"} {
		if got, err := otpmsg.NormalizeHost(host); err == nil {
			t.Errorf("NormalizeHost(%q) = %q, want an error", host, got)
		}
	}
}
