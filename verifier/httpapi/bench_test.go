package httpapi

import (
	"testing"

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
// client.
func BenchmarkCheckHandler(b *testing.B) {
	e := newEnv(b, envOptions{limits: verifier.Limits{AppSends: 1 << 30}})
	phoneN := 0
	next := func() string {
		phoneN++
		return e.start(b, "+336"+padded(10000000+phoneN%90000000))
	}
	h := e.srv.Handler()
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, nil, nil)
	path := func(id string) string { return "/v1/verifications/" + id + "/check" }
	p := path(next())
	body := []byte(`{"code":"000000"}`)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%4 == 3 {
			b.StopTimer()
			p = path(next())
			b.StartTimer()
		}
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI(p)
		ctx.Request.Header.Set("Authorization", "Bearer "+shopKey)
		ctx.Request.Header.SetContentType("application/json")
		ctx.Request.SetBody(body)
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
