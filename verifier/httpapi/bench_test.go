package httpapi

import (
	"encoding/json"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier"
)

// BenchmarkCheck measures a wrong-code check over the in-memory listener
// with a real client, on the real Service and memstore. Each verification
// takes at most its 5 attempts, then a new one is started.
func BenchmarkCheck(b *testing.B) {
	e := newEnv(b, envOptions{limits: verifier.Limits{AppSends: 1 << 30}})
	// Many phones, so that the per-phone limits never interfere.
	phoneN := 0
	next := func() string {
		phoneN++
		return e.start(b, "+336"+padded(10000000+phoneN%90000000))
	}
	id := next()
	body := []byte(`{"code":"000000"}`)
	rq := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(rq)
	defer fasthttp.ReleaseResponse(resp)
	rq.Header.SetMethod("POST")
	rq.Header.Set("Authorization", "Bearer "+shopKey)
	rq.Header.SetContentType("application/json")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%4 == 3 {
			b.StopTimer()
			id = next()
			b.StartTimer()
		}
		rq.SetRequestURI("http://" + e.addr + "/v1/verifications/" + id + "/check")
		rq.SetBody(body)
		if err := e.client.Do(rq, resp); err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode() != 200 {
			b.Fatalf("%d %s", resp.StatusCode(), resp.Body())
		}
	}
}

func padded(n int) string {
	s := []byte("00000000")
	for i := len(s) - 1; i >= 0 && n > 0; i-- {
		s[i] = byte('0' + n%10)
		n /= 10
	}
	return string(s)
}

// BenchmarkCheckHandler measures the server side alone of a wrong-code
// check: the handler called with a RequestCtx, without a connection or a
// client, the access log off (as make bench runs the server). The
// verifications are started before the clock runs, each to take 4 of its
// 5 attempts. It also reports cpu-ns/op, the process's CPU time (user and
// system) per check, which other processes on a shared machine disturb
// less than ns/op.
func BenchmarkCheckHandler(b *testing.B) {
	e := newEnv(b, envOptions{
		limits: verifier.Limits{AppSends: 1 << 30},
		config: func(c *Config) { c.Logger = slog.New(slog.DiscardHandler) },
	})
	h := e.srv.Handler()
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, nil, nil)
	call := func(path, body string) {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI(path)
		ctx.Request.Header.Set("Authorization", "Bearer "+shopKey)
		ctx.Request.Header.SetContentType("application/json")
		ctx.Request.SetBodyString(body)
		h(&ctx)
	}
	// Many phones, so that the per-phone limits never interfere.
	paths := make([]string, b.N/4+1)
	for i := range paths {
		call("/v1/verifications", `{"phone":"+336`+padded(10000000+i)+`","origin":"`+origin+`"}`)
		var v struct{ ID string }
		if err := json.Unmarshal(ctx.Response.Body(), &v); err != nil || ctx.Response.StatusCode() != 201 {
			b.Fatalf("start: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		paths[i] = "/v1/verifications/" + v.ID + "/check"
	}
	const body = `{"code":"000000"}`
	runtime.GC()
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		call(paths[i/4], body)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	b.StopTimer()
	reportCPU(b, cpu)
}

// BenchmarkEncodeCheck encodes the answer of a wrong-code check into a
// response by hand (encode.go) and with encoding/json (the reference
// structs of reference_test.go). The difference, set against
// BenchmarkCheckHandler's cpu-ns/op, is the CPU the hand-written encoder
// saves per check; make bench prints it.
func BenchmarkEncodeCheck(b *testing.B) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v := &verifier.Verification{ID: "3q2-7wAAAAAAAAAAAAAAAA", Phone: "+33612345678", Origin: origin,
		CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute), ResendAfter: now.Add(30 * time.Second),
		Sends: 1, Attempts: 1, MaxAttempts: 5}
	var resp fasthttp.Response
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			var buf [512]byte
			resp.SetBody(appendCheck(buf[:0], false, v, now))
		}
		reportCPU(b, cpu)
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			body, err := json.Marshal(checkJSON{Valid: false, Verification: toJSON(v, now)})
			if err != nil {
				b.Fatal(err)
			}
			resp.SetBody(body)
		}
		reportCPU(b, cpu)
	})
}

// reportCPU reports cpu-ns/op, the process's CPU time per op since start
// (a cpuTime), where the platform tells it.
func reportCPU(b *testing.B, start time.Duration) {
	if used := cpuTime() - start; start > 0 && used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
