package otpmsg_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/webotp/webotp/otpmsg"
)

// linkCase is one case of testdata/links.json's "links".
type linkCase struct {
	Name  string `json:"name"`
	URL   string `json:"url"`
	Code  string `json:"code"`
	Link  string `json:"link"`
	Error string `json:"error"` // the FormatError field, or ""
}

// pageURLCase is one case of testdata/links.json's "page_urls".
type pageURLCase struct {
	Name     string `json:"name"`
	Fragment string `json:"fragment"`
	Query    string `json:"query"`
	Code     string `json:"code"`
	OK       bool   `json:"ok"`
}

func loadLinks(tb testing.TB) ([]linkCase, []pageURLCase) {
	tb.Helper()
	data, err := os.ReadFile("testdata/links.json")
	if err != nil {
		tb.Fatal(err)
	}
	var file struct {
		Links    []linkCase    `json:"links"`
		PageURLs []pageURLCase `json:"page_urls"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		tb.Fatal(err)
	}
	if len(file.Links) == 0 || len(file.PageURLs) == 0 {
		tb.Fatal("testdata/links.json has no cases")
	}
	return file.Links, file.PageURLs
}

func TestLink(t *testing.T) {
	links, _ := loadLinks(t)
	for _, c := range links {
		t.Run(c.Name, func(t *testing.T) {
			got, err := otpmsg.Link(c.URL, c.Code)
			if c.Error != "" {
				var fe *otpmsg.FormatError
				if !errors.As(err, &fe) || fe.Field != c.Error || fe.Reason == "" {
					t.Fatalf("Link(%q, %q) = %q, %v; want a FormatError on %q", c.URL, c.Code, got, err, c.Error)
				}
				if c.Error == "link" && otpmsg.CheckLinkURL(c.URL) == nil {
					t.Errorf("CheckLinkURL(%q) accepts what Link refuses", c.URL)
				}
				return
			}
			if err != nil || got != c.Link {
				t.Fatalf("Link(%q, %q) = %q, %v; want %q", c.URL, c.Code, got, err, c.Link)
			}
			if err := otpmsg.CheckLinkURL(c.URL); err != nil {
				t.Errorf("CheckLinkURL(%q) = %v", c.URL, err)
			}
			_, frag, _ := strings.Cut(got, "#")
			if code, ok := otpmsg.CodeFromURL(frag, ""); !ok || code != c.Code {
				t.Errorf("CodeFromURL of the link's fragment = %q, %v; want %q", code, ok, c.Code)
			}
		})
	}
}

func TestCodeFromURL(t *testing.T) {
	_, pages := loadLinks(t)
	for _, c := range pages {
		t.Run(c.Name, func(t *testing.T) {
			got, ok := otpmsg.CodeFromURL(c.Fragment, c.Query)
			if ok != c.OK || got != c.Code {
				t.Fatalf("CodeFromURL(%q, %q) = %q, %v; want %q, %v", c.Fragment, c.Query, got, ok, c.Code, c.OK)
			}
		})
	}
}

// checkLinkedMessage formats m with the link of linkURL and m.Code when
// both are acceptable, and checks what a phone and a page would read: both
// grammars read m's host and code, the link is on its own line before the
// OTP line, and the page reads the same code from the link.
func checkLinkedMessage(t *testing.T, m otpmsg.Message, linkURL string) bool {
	t.Helper()
	link, err := otpmsg.Link(linkURL, m.Code)
	if err != nil {
		return false
	}
	m.Link = link
	body, err := otpmsg.Format(m)
	if err != nil {
		var fe *otpmsg.FormatError
		if errors.As(err, &fe) && fe.Field == "link" {
			t.Fatalf("Format refused the link %q that Link made: %v", link, err)
		}
		return false
	}
	assertReadsBack(t, m, body)
	lines := strings.Split(body, "\n")
	at := -1
	for i, l := range lines {
		if l == link {
			at = i
		}
	}
	if at < 0 || at >= len(lines)-1 || !strings.HasPrefix(lines[len(lines)-1], "@") {
		t.Fatalf("Format(%+v) = %q: the link is not on a line of its own before the OTP line", m, body)
	}
	_, frag, _ := strings.Cut(link, "#")
	if code, ok := otpmsg.CodeFromURL(frag, ""); !ok || code != m.Code {
		t.Fatalf("the link %q reads as %q, %v; want %q", link, code, ok, m.Code)
	}
	return true
}

func TestFormattedMessagesWithLinksReadBackUnderBothRules(t *testing.T) {
	links, _ := loadLinks(t)
	var urls []string
	for _, c := range links {
		if c.Error == "" {
			urls = append(urls, c.URL)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	formatted := 0
	for range 5000 {
		m := otpmsg.Message{Host: randomHost(r), Code: strconv.Itoa(r.IntN(1_000_000_000))}
		if r.IntN(2) == 0 {
			m.Text = randomString(r, textPieces, r.IntN(12))
		}
		if r.IntN(4) == 0 {
			m.EmbeddedHost = randomHost(r)
		}
		if r.IntN(5) == 0 {
			m.AppHash = "FA+9qCX9VSu"
		}
		if checkLinkedMessage(t, m, pick(r, urls)) {
			formatted++
		}
	}
	if formatted < 1000 {
		t.Fatalf("only %d of 5000 messages with links formatted", formatted)
	}
}

func TestFormatWithLinkLaysOutTheMessage(t *testing.T) {
	body, err := otpmsg.Format(otpmsg.Message{
		Text: "Your Example code is 123456.", Host: "www.example.com", Code: "123456",
		Link: "https://www.example.com/verify#otp=123456",
	})
	want := "Your Example code is 123456.\n\nhttps://www.example.com/verify#otp=123456\n\n@www.example.com #123456"
	if err != nil || body != want {
		t.Fatalf("Format = %q, %v; want %q", body, err, want)
	}
}

func TestFormatRefusesALinkThatIsNotTheMessagesLink(t *testing.T) {
	tests := []struct{ name, link string }{
		{"a link carrying another code", "https://www.example.com/verify#otp=654321"},
		{"a link without the code", "https://www.example.com/verify"},
		{"a link with another fragment", "https://www.example.com/verify#step=2"},
		{"a link with the code in the query only", "https://www.example.com/verify?otp=123456"},
		{"a link over http to another host", "http://www.example.com/verify#otp=123456"},
		{"a link that smuggles an OTP line", "https://www.example.com/v\n@evil.example #123456\n#otp=123456"},
		{"a link with user information", "https://a@www.example.com/#otp=123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := otpmsg.Format(otpmsg.Message{Host: "www.example.com", Code: "123456", Link: tt.link})
			var fe *otpmsg.FormatError
			if !errors.As(err, &fe) || fe.Field != "link" {
				t.Fatalf("Format = %q, %v; want a FormatError on the link", body, err)
			}
		})
	}
}

func FuzzFormatWithLink(f *testing.F) {
	links, _ := loadLinks(f)
	for _, c := range links {
		f.Add("Your code is "+c.Code+".", c.URL, "www.example.com", c.Code)
		f.Add("", c.URL, "a.example", "1")
	}
	f.Fuzz(func(t *testing.T, text, linkURL, host, code string) {
		checkLinkedMessage(t, otpmsg.Message{Text: text, Host: host, Code: code}, linkURL)
	})
}

func FuzzCodeFromURL(f *testing.F) {
	_, pages := loadLinks(f)
	for _, c := range pages {
		f.Add(c.Fragment, c.Query)
	}
	f.Fuzz(func(t *testing.T, fragment, query string) {
		code, ok := otpmsg.CodeFromURL(fragment, query)
		if !ok {
			if code != "" {
				t.Fatalf("CodeFromURL(%q, %q) = %q without ok", fragment, query, code)
			}
			return
		}
		if n, err := otpmsg.NormalizeCode(code); err != nil || n != code || len(code) > otpmsg.MaxCodeInput {
			t.Fatalf("CodeFromURL(%q, %q) = %q, which is not a normalised code", fragment, query, code)
		}
	})
}

// FuzzCheckLinkURL checks the hand-read URL against net/url: every URL
// CheckLinkURL accepts is, for net/url, an absolute http(s) URL with a
// host, no user information and no fragment, and http only on loopback.
func FuzzCheckLinkURL(f *testing.F) {
	links, _ := loadLinks(f)
	for _, c := range links {
		f.Add(c.URL)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if otpmsg.CheckLinkURL(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("CheckLinkURL accepts %q, net/url refuses it: %v", s, err)
		}
		if u.Host == "" || u.Opaque != "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("CheckLinkURL accepts %q: host %q, opaque %q, user %v, fragment %q", s, u.Host, u.Opaque, u.User, u.Fragment)
		}
		switch h := u.Hostname(); u.Scheme {
		case "https":
		case "http":
			if h != "localhost" && h != "127.0.0.1" && h != "::1" {
				t.Fatalf("CheckLinkURL accepts http on %q in %q", h, s)
			}
		default:
			t.Fatalf("CheckLinkURL accepts scheme %q in %q", u.Scheme, s)
		}
	})
}
