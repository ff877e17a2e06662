package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/otpmsg"
	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/httpapi"
	"github.com/webotp/webotp/verifier/qr"
	"github.com/webotp/webotp/verifier/sms"
	"github.com/webotp/webotp/web"
)

// mountDev adds development mode's routes: /dev/outbox (the messages sent,
// as JSON, readable by pages on loopback origins for the client's dev
// emulation), /dev/inbox (the same as a page, from web.Dev()) and /dev/qr
// (the QR code of a message's verification link, for the inbox). They
// exist in development mode only.
func mountDev(srv *httpapi.Server, outbox *sms.Outbox) error {
	srv.Handle(fasthttp.MethodGet, "/dev/outbox", func(ctx *fasthttp.RequestCtx) {
		b, err := json.Marshal(outbox.Messages())
		if err != nil {
			srv.WriteError(ctx, fmt.Errorf("dev outbox: %w", err))
			return
		}
		h := &ctx.Response.Header
		// Codes and numbers: only pages served from this machine may read
		// them, never any site the developer's browser visits.
		h.Set(fasthttp.HeaderVary, "Origin")
		if o := ctx.Request.Header.Peek(fasthttp.HeaderOrigin); loopbackOrigin(o) {
			h.SetBytesV(fasthttp.HeaderAccessControlAllowOrigin, o)
			h.Set(fasthttp.HeaderAccessControlExposeHeaders, "X-Outbox-Sent")
		}
		h.Set(fasthttp.HeaderCacheControl, "no-store")
		h.Set("X-Outbox-Sent", strconv.FormatUint(outbox.Sent(), 10))
		ctx.SetContentType("application/json")
		ctx.SetBody(b)
	})
	srv.Handle(fasthttp.MethodGet, "/dev/qr", func(ctx *fasthttp.RequestCtx) {
		link := string(ctx.QueryArgs().Peek("link"))
		base, _, _ := strings.Cut(link, "#")
		if err := otpmsg.CheckLinkURL(base); err != nil || !strings.Contains(link, "#"+otpmsg.LinkParam+"=") {
			srv.WriteError(ctx, verifier.Errorf(verifier.CodeInvalidRequest, "link must be a verification link, https://host/page#otp=CODE."))
			return
		}
		code, err := qr.Encode(link)
		if err != nil {
			srv.WriteError(ctx, fmt.Errorf("dev qr: %w", err))
			return
		}
		ctx.SetContentType("image/svg+xml")
		ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
		ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
		ctx.SetBody(code.SVG())
	})
	return srv.HandleFiles("/dev/", web.Dev())
}

// loopbackHost reports whether a Host names this machine: localhost or a
// loopback IP address, with or without a port. Development mode answers
// nothing else, so that a page whose name an attacker points at 127.0.0.1
// (DNS rebinding) gets no answer through the developer's browser.
func loopbackHost(host []byte) bool {
	h := string(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		port := h[i+1:]
		if port == "" || strings.Trim(port, "0123456789") != "" || len(port) > 5 {
			return false
		}
		h = h[:i]
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
		if ip, err := netip.ParseAddr(h); err == nil && ip.Is6() && !ip.Is4In6() && ip.Zone() == "" {
			return ip.IsLoopback()
		}
		return false
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Is4() && ip.IsLoopback()
}

// loopbackOrigin reports whether an Origin header is a page on this
// machine: http or https on a loopback host, any port.
func loopbackOrigin(origin []byte) bool {
	o := string(origin)
	rest, ok := strings.CutPrefix(o, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(o, "https://"); !ok {
			return false
		}
	}
	return rest != "" && loopbackHost([]byte(rest))
}
