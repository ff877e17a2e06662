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
	// Seven digits are never the six-digit code: every check is a wrong
	// guess, counted and compared like any other.
	body := []byte(`{"code":"0000000"}`)
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
// client, the access log off (as make bench runs the server). It runs the
// check path both ways: answers encoded by hand (encode.go, as served) and
// by encoding/json. The verifications are started before the clock runs,
// each to take 4 of its 5 attempts. It also reports cpu-ns/op, the
// process's CPU time (user and system) per check, which other processes on
// a shared machine disturb less than ns/op.
func BenchmarkCheckHandler(b *testing.B) {
	for _, enc := range []struct {
		name   string
		encode func(valid bool, v *verifier.Verification, now time.Time) []byte
	}{
		{"hand", nil},
		{"encoding-json", marshalCheck},
	} {
		b.Run(enc.name, func(b *testing.B) { benchmarkCheckHandler(b, enc.encode) })
	}
}

func benchmarkCheckHandler(b *testing.B, encode func(bool, *verifier.Verification, time.Time) []byte) {
	e := newEnv(b, envOptions{
		limits: verifier.Limits{AppSends: 1 << 30},
		config: func(c *Config) { c.Logger = slog.New(slog.DiscardHandler) },
	})
	e.srv.encodeCheck = encode
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
	// Seven digits are never the six-digit code: every check is a wrong
	// guess, counted and compared like any other.
	const body = `{"code":"0000000"}`
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

// reportCPU reports cpu-ns/op, the process's CPU time per op since start
// (a cpuTime), where the platform tells it.
func reportCPU(b *testing.B, start time.Duration) {
	if used := cpuTime() - start; start > 0 && used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
