package redisstore_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/memstore"
	"github.com/webotp/webotp/verifier/redisstore"
	"github.com/webotp/webotp/verifier/storetest"
)

// concurrency is how many goroutines per GOMAXPROCS the parallel
// benchmarks run: requests in flight, as on a busy HTTP server, so that a
// round trip to Redis does not leave the CPUs idle.
const concurrency = 16

// benchStore is a store the benchmarks compare, with the Redis server it
// runs on (nil for memstore).
type benchStore struct {
	name string
	s    verifier.Store
	srv  *redistest.Server
}

// measureCPU starts measuring the CPU a store costs per operation, the
// Redis server's included; report reports it.
func (st benchStore) measureCPU() (report func(b *testing.B)) {
	if st.srv == nil {
		return func(*testing.B) {}
	}
	return st.srv.MeasureCPU().Report
}

// stores returns the stores the benchmarks compare: memstore, the
// reference, and redisstore on a fresh local redis-server, with and
// without auto-pipelining, and with every command through the
// auto-pipeliner (without the store's choice of sending a lone command
// directly).
func stores(b *testing.B) []benchStore {
	mem := memstore.New(memstore.Options{})
	b.Cleanup(func() { _ = mem.Close() })
	srv := redistest.New(b, redistest.Options{})
	red := open(b, "redis://"+srv.Addr, redisstore.Options{})
	plain := open(b, "redis://"+srv.Addr, redisstore.Options{NoAutoPipeline: true})
	always := open(b, "redis://"+srv.Addr, redisstore.Options{})
	redisstore.AlwaysPipeline(always)
	return []benchStore{
		{"memstore", mem, nil},
		{"redis", red, srv},
		{"redis-always-pipeline", always, srv},
		{"redis-no-autopipeline", plain, srv},
	}
}

// BenchmarkReserveCheck is the store's share of a check: one script that
// tests the status and counts the attempt and the per-phone failure
// budget, called from many goroutines at once (RunParallel), as a busy
// verifier does. Compare redis with memstore.
func BenchmarkReserveCheck(b *testing.B) {
	for _, st := range stores(b) {
		b.Run(st.name, func(b *testing.B) {
			ctx := b.Context()
			// Many verifications, so that goroutines mostly touch different
			// records, as real traffic does.
			const n = 1024
			ids := make([]string, n)
			t0 := now()
			for i := range ids {
				v := pending(b, t0)
				v.MaxAttempts = 60000 // memstore keeps at most 65535
				if err := st.s.Create(ctx, v, nil); err != nil {
					b.Fatal(err)
				}
				ids[i] = v.ID
			}
			// As Service passes it: the store names the counter after the
			// record's phone key.
			lims := []verifier.Limit{{Key: "bench:fail:", PerPhone: true, Max: 1 << 30, Window: 24 * time.Hour}}
			keyIDs := []string{"k1"}
			var next atomic.Uint64
			b.SetParallelism(concurrency)
			b.ReportAllocs()
			b.ResetTimer()
			report := st.measureCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) % n
					if _, err := st.s.ReserveCheck(ctx, "app", ids[i], keyIDs, t0, lims); err != nil {
						b.Error(err)
						return
					}
				}
			})
			report(b)
		})
	}
}

// BenchmarkCheck is one whole check as Service makes it of the store
// on the success path, serially (latency): ReserveCheck, then Approve with
// the failure budget refunded. Each iteration uses a new verification,
// created outside the timer.
func BenchmarkCheck(b *testing.B) {
	for _, st := range stores(b) {
		b.Run(st.name, func(b *testing.B) {
			ctx := b.Context()
			t0 := now()
			vs := make([]*verifier.Verification, b.N)
			for i := range vs {
				vs[i] = pending(b, t0)
				if err := st.s.Create(ctx, vs[i], nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			report := st.measureCPU()
			l := []verifier.Limit{{Key: "bench:fail:", PerPhone: true, Max: 20, Window: 24 * time.Hour}}
			keyIDs := []string{"k1"}
			for _, v := range vs {
				if _, err := st.s.ReserveCheck(ctx, v.AppID, v.ID, keyIDs, t0, l); err != nil {
					b.Fatal(err)
				}
				if _, err := st.s.Approve(ctx, v.ID, 1, t0, l); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
	}
}

// BenchmarkCreate starts verifications against the three limits a start
// counts (per phone, per IP, per app), from many goroutines.
func BenchmarkCreate(b *testing.B) {
	for _, st := range stores(b) {
		b.Run(st.name, func(b *testing.B) {
			ctx := b.Context()
			t0 := now()
			b.SetParallelism(concurrency)
			b.ReportAllocs()
			b.ResetTimer()
			report := st.measureCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v := pending(b, t0)
					if err := st.s.Create(ctx, v, startLimits(v, "bench")); err != nil {
						b.Error(err)
						return
					}
				}
			})
			report(b)
		})
	}
}

// startLimits are the limits Service counts at a start: the per-phone and
// per-IP ones new for every verification here (the worst case for
// memory), the per-app one shared.
func startLimits(v *verifier.Verification, app string) []verifier.Limit {
	return []verifier.Limit{
		{Key: "ps:" + app + ":" + v.PhoneKey, Max: 5, Window: 15 * time.Minute},
		{Key: "ip:" + app + ":" + v.ID[:11], Max: 20, Window: 15 * time.Minute},
		{Key: "as:" + app, Max: 1 << 30, Window: time.Minute},
	}
}

// BenchmarkPendingMemory measures Redis memory (INFO used_memory) per
// pending verification on a fresh redis-server. Run it with a fixed count
// for a stable figure:
//
//	go test -run '^$' -bench PendingMemory -benchtime 100000x ./verifier/redisstore/
//
// "record" is the verification and its newest index; "with-start-limits"
// adds a per-phone and a per-IP counter for each (every start from a new
// phone and IP: the worst case).
func BenchmarkPendingMemory(b *testing.B) {
	for _, tc := range []struct {
		name   string
		limits bool
	}{{"record", false}, {"with-start-limits", true}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := redistest.New(b, redistest.Options{})
			s := open(b, "redis://"+srv.Addr, redisstore.Options{})
			ctx := b.Context()
			if err := s.Ping(ctx); err != nil {
				b.Fatal(err)
			}
			before := usedMemory(b, srv)
			t0 := now()
			b.ReportAllocs()
			b.ResetTimer()
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v := pending(b, t0)
					v.PhoneKey = v.PhoneKey[:22]
					v.Phone = "+1415555" + strconv.FormatUint(1000+next.Add(1)%9000, 10)
					var l []verifier.Limit
					if tc.limits {
						l = startLimits(v, v.AppID)
					}
					if err := s.Create(ctx, v, l); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			after := usedMemory(b, srv)
			b.ReportMetric(float64(after-before)/float64(b.N), "B/verification")
		})
	}
}

func usedMemory(b *testing.B, srv *redistest.Server) int64 {
	b.Helper()
	n, err := strconv.ParseInt(srv.Info("used_memory"), 10, 64)
	if err != nil {
		b.Fatalf("used_memory: %v", err)
	}
	return n
}

// BenchmarkServiceWrongCheck is a wrong-code check as the API makes it,
// Service included (without HTTP), from many goroutines: the store's
// round trips per check are what separates Redis from memstore here.
// Every check is over a different verification in turn, each with room
// for 99 wrong codes; enough of them for b.N checks are started outside
// the timer, so that every check is counted (refused/op stays 0).
func BenchmarkServiceWrongCheck(b *testing.B) {
	for _, st := range stores(b) {
		b.Run(st.name, func(b *testing.B) {
			ctx := b.Context()
			svc, err := verifier.NewService(verifier.Config{
				Store:  st.s,
				Sender: fakes.Discard{},
				Keys:   []verifier.MasterKey{{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)}},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				b.Fatal(err)
			}
			app := &verifier.App{ID: "bench-" + storetest.NewID()[:8], Origins: []string{"https://www.example.com"}, Limits: verifier.Limits{
				MaxAttempts: 100, PhoneFailures: 100, AppSends: 1_000_000,
			}}
			n := uint64(b.N/90 + 64)
			ids := make([]string, n)
			for i := range ids {
				v, err := svc.Start(ctx, app, verifier.StartRequest{Phone: fmt.Sprintf("+1415%07d", 2000000+i), Origin: "https://www.example.com"})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = v.ID
			}
			var next, refused atomic.Uint64
			b.SetParallelism(concurrency)
			b.ReportAllocs()
			b.ResetTimer()
			report := st.measureCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r, err := svc.Check(ctx, app, ids[next.Add(1)%n], "0000000")
					switch {
					case err != nil && verifier.ErrorCode(err) == verifier.CodeNotPending:
						refused.Add(1) // the pool ran out of attempts: still one check
					case err != nil:
						b.Error(err)
						return
					case r.Valid:
						b.Error("a wrong code checked")
						return
					}
				}
			})
			report(b)
			b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
		})
	}
}
