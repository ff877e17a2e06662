package main

import (
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/webotp/webotp/verifier/internal/fakes"
)

// postJSON posts body to s's path with the API key k and decodes the
// JSON answer.
func postJSON(t *testing.T, url, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func TestServeSendsEmailThroughTheSMTPFlags(t *testing.T) {
	sink := fakes.StartSMTP(t, fakes.SMTPOptions{})
	apps := writeFile(t, `{"apps":[{"id":"shop","name":"Shop","api_key_sha256":"`+hashHex("k")+`","origins":["https://www.example.com"],
		"link_url":"https://www.example.com/verify"}]}`)
	s := startProcess(t, []string{"WEBOTP_SECRET=" + testSecret, "WEBOTP_SMTP_PORT=" + strconv.Itoa(sink.Port)},
		"--config", apps, "--sender", "console",
		"--smtp-host", "127.0.0.1", "--smtp-starttls", "none", "--smtp-from", "no-reply@example.com")

	status, v := postJSON(t, s.URL, "/v1/verifications", `{"channel":"email","email":"alice@example.com","origin":"https://www.example.com"}`)
	if status != 201 || v["channel"] != "email" {
		t.Fatalf("start: %d %v", status, v)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d emails at the SMTP server, want 1", len(msgs))
	}
	code := msgs[0].SubjectCode()
	if code == "" {
		t.Fatalf("no code in the subject %q", msgs[0].Header.Get("Subject"))
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msgs[0].Body)) // both parts are quoted-printable
	if !strings.Contains(string(body), "https://www.example.com/verify#otp="+code) {
		t.Errorf("the email lacks the link:\n%s", body)
	}
	status, c := postJSON(t, s.URL, "/v1/verifications/check", `{"email":"alice@example.com","code":"`+code+`"}`)
	if status != 200 || c["valid"] != true {
		t.Fatalf("check: %d %v", status, c)
	}
	// The console sender can speak, so voice is offered; an SMS provider
	// that cannot call would answer channel_not_supported.
	status, _ = postJSON(t, s.URL, "/v1/verifications", `{"channel":"voice","phone":"+14155550123","origin":"https://www.example.com"}`)
	if status != 201 {
		t.Fatalf("voice start with the console sender: %d", status)
	}
	logs := s.Stdout.String() + s.Stderr.String()
	if strings.Contains(logs, "alice@example.com") || strings.Contains(logs, code) {
		t.Errorf("the logs hold the address or the code:\n%s", logs)
	}
}

func TestServeWithoutSMTPAnswersEmailChannelNotSupported(t *testing.T) {
	apps := writeFile(t, `{"apps":[{"id":"shop","api_key_sha256":"`+hashHex("k")+`","origins":["https://www.example.com"]}]}`)
	s := startProcess(t, []string{"WEBOTP_SECRET=" + testSecret}, "--config", apps, "--sender", "webhook",
		"--webhook-url", "http://127.0.0.1:9/sms", "--webhook-secret", "s")
	for _, body := range []string{
		`{"channel":"email","email":"alice@example.com","origin":"https://www.example.com"}`,
		`{"channel":"voice","phone":"+14155550123","origin":"https://www.example.com"}`,
	} {
		status, e := postJSON(t, s.URL, "/v1/verifications", body)
		if code, _ := e["error"].(map[string]any)["code"].(string); status != 400 || code != "channel_not_supported" {
			t.Errorf("%s: %d %v", body, status, e)
		}
	}
}
