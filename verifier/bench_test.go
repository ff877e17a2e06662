package verifier_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/memstore"
)

// BenchmarkServiceCheck measures the service over memstore, without HTTP:
// a wrong code (reserve, derive, compare) and a start (parse, derive,
// format, create, send to a sender that does nothing).
func BenchmarkServiceCheck(b *testing.B) {
	var tick atomic.Int64
	now := func() time.Time { return t0.Add(time.Duration(tick.Add(1)) * time.Microsecond) }
	newService := func(b *testing.B) (*verifier.Service, *verifier.App) {
		svc, err := verifier.NewService(verifier.Config{
			Store:  memstore.New(memstore.Options{SweepInterval: -1}),
			Sender: fakes.Discard{},
			Keys:   []verifier.MasterKey{key1},
			Now:    now,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			b.Fatal(err)
		}
		app := &verifier.App{ID: "shop", Origins: []string{"https://www.example.com"}, Limits: verifier.Limits{
			MaxAttempts: 100, PhoneFailures: 100, PhoneStarts: 1000, IPStarts: 1_000_000, AppSends: 1_000_000,
		}}
		return svc, app
	}
	b.Run("wrong code", func(b *testing.B) {
		svc, app := newService(b)
		ctx := context.Background()
		var v *verifier.Verification
		n := 0
		b.ReportAllocs()
		for b.Loop() {
			if n%99 == 0 {
				b.StopTimer()
				var err error
				v, err = svc.Start(ctx, app, verifier.StartRequest{Phone: fmt.Sprintf("+1415%07d", 2000000+n/99), Origin: "https://www.example.com"})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			n++
			r, err := svc.Check(ctx, app, v.ID, "0000000")
			if err != nil || r.Valid {
				b.Fatalf("check %d: %v, %v", n, r, err)
			}
		}
	})
	b.Run("start", func(b *testing.B) {
		svc, app := newService(b)
		ctx := context.Background()
		n := 0
		b.ReportAllocs()
		for b.Loop() {
			n++
			req := verifier.StartRequest{Phone: fmt.Sprintf("+1415%07d", 2000000+n%8000000), Origin: "https://www.example.com", ClientIP: "203.0.113.7"}
			if _, err := svc.Start(ctx, app, req); err != nil {
				b.Fatalf("start %d: %v", n, err)
			}
		}
	})
}
