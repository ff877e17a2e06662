package verifier_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/memstore"
)

// lastMessage is a Sender that keeps the last message, like the dev outbox.
type lastMessage struct{ verifier.Message }

func (l *lastMessage) Send(_ context.Context, m verifier.Message) error {
	l.Message = m
	return nil
}

func Example() {
	ctx := context.Background()
	store := memstore.New(memstore.Options{})
	defer store.Close()
	sms := &lastMessage{}
	svc, err := verifier.NewService(verifier.Config{
		Store:  store,
		Sender: sms,
		Keys:   []verifier.MasterKey{{ID: "2026-01", Secret: bytes.Repeat([]byte("k"), 32)}},
	})
	if err != nil {
		panic(err)
	}
	app := &verifier.App{ID: "shop", Name: "Shop", Origins: []string{"https://www.example.com"}}

	v, err := svc.Start(ctx, app, verifier.StartRequest{Phone: "+1 415 555 0123", Origin: "https://www.example.com"})
	if err != nil {
		panic(err)
	}
	fmt.Println(verifier.MaskPhone(v.Phone), v.StatusAt(svc.Now()))
	lines := strings.Split(sms.Body, "\n")
	last := lines[len(lines)-1] // "@www.example.com #123456"
	fmt.Println(strings.Fields(last)[0])

	code := strings.TrimPrefix(strings.Fields(last)[1], "#")

	res, _ := svc.Check(ctx, app, v.ID, wrong(code))
	fmt.Println(res.Valid, res.Verification.AttemptsLeft())
	res, _ = svc.Check(ctx, app, v.ID, code)
	fmt.Println(res.Valid, res.Verification.StatusAt(svc.Now()))
	// Output:
	// +1********23 pending
	// @www.example.com
	// false 4
	// true approved
}
