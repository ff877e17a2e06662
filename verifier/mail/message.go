package mail

import (
	"bytes"
	"errors"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Message is one verification email as the verifier hands it to a Sender.
type Message struct {
	// To is the recipient, as NormalizeAddress returns it.
	To string
	// AppName names the app in the subject and the text ("Example").
	AppName string
	// Code is the one-time code.
	Code string
	// Link is the verification link that fills the code in by itself
	// (otpmsg.Link), or "".
	Link string
	// TTL is how long the code stays valid, said in the text when
	// positive.
	TTL time.Duration
}

// Content is a composed email: its subject line and its two parts.
type Content struct {
	Subject string
	Text    string
	HTML    string
}

// Compose writes m's subject, text and HTML parts. The subject starts with
// the code ("123456 is your Example verification code"), where Mail-based
// autofill looks for it. It refuses a message with no code, a code or app
// name holding line breaks or other control characters (they would end up
// in a header), or a link that is not an absolute http(s) URL.
func Compose(m Message) (Content, error) {
	if m.Code == "" || strings.IndexFunc(m.Code, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return Content{}, errors.New("mail: the code is empty or holds spaces or control characters")
	}
	if strings.IndexFunc(m.AppName, unicode.IsControl) >= 0 {
		return Content{}, errors.New("mail: the app name holds control characters")
	}
	if m.Link != "" {
		u, err := url.Parse(m.Link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			strings.IndexFunc(m.Link, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return Content{}, errors.New("mail: the link is not an absolute http(s) URL")
		}
	}
	name := strings.TrimSpace(m.AppName)
	subject := m.Code + " is your verification code"
	if name != "" {
		subject = m.Code + " is your " + name + " verification code"
	}
	d := pageData{Subject: subject, App: name, Code: m.Code, Link: m.Link, Expiry: expiry(m.TTL)}

	var text strings.Builder
	text.WriteString(subject + ".\n\n")
	if d.Link != "" {
		text.WriteString("Open this link to verify without typing the code:\n" + d.Link + "\n\n")
	}
	if d.Expiry != "" {
		text.WriteString("The code expires in " + d.Expiry + ". ")
	}
	text.WriteString("Do not share it with anyone. If you did not ask for it, you can ignore this email.\n")

	var html bytes.Buffer
	if err := page.Execute(&html, d); err != nil {
		return Content{}, err
	}
	return Content{Subject: subject, Text: text.String(), HTML: html.String()}, nil
}

// expiry says a duration in minutes (or hours when whole), or "" for none.
func expiry(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d < time.Minute:
		return plural(int((d+time.Second-1)/time.Second), "second")
	}
	return plural(int((d+time.Minute-1)/time.Minute), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

type pageData struct {
	Subject, App, Code, Link, Expiry string
}

// page is the HTML part: one short column with inline styles, which is what
// mail clients render alike.
var page = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328">
<div style="max-width:480px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">
<p style="margin:0 0 16px">Your {{if .App}}{{.App}} {{end}}verification code is</p>
<p style="margin:0 0 16px;font:600 32px/1.2 ui-monospace,Menlo,Consolas,monospace;letter-spacing:4px">{{.Code}}</p>
{{- if .Link}}
<p style="margin:0 0 16px"><a href="{{.Link}}" style="display:inline-block;padding:10px 16px;background:#0969da;color:#fff;border-radius:6px;text-decoration:none">Verify without typing the code</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#59636e">Or open this link: <a href="{{.Link}}" style="color:#0969da;word-break:break-all">{{.Link}}</a></p>
{{- end}}
<p style="margin:0;font-size:13px;color:#59636e">{{if .Expiry}}The code expires in {{.Expiry}}. {{end}}Do not share it with anyone. If you did not ask for it, you can ignore this email.</p>
</div>
</body></html>
`))
