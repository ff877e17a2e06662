package httpapi

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/servetest"
)

func TestA502CarriesTheIDAndItsResendDeliversAtOnce(t *testing.T) {
	flaky := &fakes.Sender{}
	flaky.FailWith(func(verifier.Message) error { return errors.New("provider answered 503") })
	e := newEnv(t, envOptions{sender: flaky, limits: verifier.Limits{PhoneStarts: 5}})
	body := `{"phone":"` + phone + `","origin":"` + origin + `","client_ip":"203.0.113.7"}`
	var id string
	for i := range 5 {
		a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, body: body})
		errObj, _ := a.json["error"].(map[string]any)
		id, _ = errObj["id"].(string)
		if a.status != 502 || a.errorCode() != "delivery_failed" || len(id) != 22 {
			t.Fatalf("failed start %d: %d %s; want 502 delivery_failed with the id", i, a.status, a.raw)
		}
	}
	flaky.FailWith(nil)
	// The failed starts counted nothing: the phone may start again.
	if a := e.do(t, req{method: "POST", path: "/v1/verifications", key: shopKey, body: body}); a.status != 201 {
		t.Fatalf("start after five failed deliveries: %d %s", a.status, a.raw)
	}
	// The last failed one is pending and its resend goes out at once, with
	// no cooldown to wait.
	a := e.do(t, req{method: "POST", path: "/v1/verifications/" + id + "/resend", key: shopKey})
	if a.status != 200 || a.json["status"] != "pending" || a.json["sends"] != 2.0 {
		t.Fatalf("resend after a 502: %d %s", a.status, a.raw)
	}
	if a := e.check(t, id, e.code(t, id)); a.status != 200 || a.json["valid"] != true {
		t.Fatalf("check of the resent code: %d %s", a.status, a.raw)
	}
}

func TestAVerificationOfAKeyThisInstanceLacksAnswers503KeyUnavailable(t *testing.T) {
	store := memstore.New(memstore.Options{SweepInterval: -1})
	t.Cleanup(func() { store.Close() })
	a := newEnv(t, envOptions{store: store})
	id := a.start(t, phone)
	// b shares the store with another secret.
	log := &servetest.Buffer{}
	svc, err := verifier.NewService(verifier.Config{
		Store: store, Sender: a.outbox, Now: a.clock.Now, Logger: slog.New(slog.NewTextHandler(log, nil)),
		Keys: []verifier.MasterKey{{ID: "k2", Secret: bytes.Repeat([]byte{8}, 32)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newEnv(t, envOptions{store: store, service: svc})
	for name, r := range map[string]req{
		"check":  {method: "POST", path: "/v1/verifications/" + id + "/check", key: shopKey, body: `{"code":"` + a.code(t, id) + `"}`},
		"resend": {method: "POST", path: "/v1/verifications/" + id + "/resend", key: shopKey},
	} {
		ans := b.do(t, r)
		if ans.status != 503 || ans.errorCode() != "key_unavailable" || strings.Contains(string(ans.raw), "k1") {
			t.Fatalf("%s on the instance without the key: %d %s", name, ans.status, ans.raw)
		}
	}
	if n := strings.Count(log.String(), "this instance lacks key k1: every instance needs the same WEBOTP_SECRET"); n != 2 {
		t.Fatalf("log %q: want one line per refused request", log.String())
	}
	if strings.Contains(b.log.String(), "key_unavailable") {
		t.Fatalf("the HTTP layer logged it again: %q", b.log.String())
	}
	if ans := a.check(t, id, a.code(t, id)); ans.status != 200 || ans.json["valid"] != true ||
		ans.verification()["attempts_left"] != 4.0 {
		t.Fatalf("check on the instance with the key: %d %s", ans.status, ans.raw)
	}
}
