package main

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/webotp/webotp/verifier/httpapi"
	"github.com/webotp/webotp/verifier/sms"
)

// mountDev adds development mode's routes: /dev/outbox (the messages sent,
// as JSON, readable by pages on loopback origins for the client's dev
// emulation) and /dev/inbox (the same as a page). They exist in
// development mode only.
func mountDev(srv *httpapi.Server, outbox *sms.Outbox) {
	srv.Handle(fasthttp.MethodGet, "/dev/outbox", func(ctx *fasthttp.RequestCtx) {
		b, err := json.Marshal(outbox.Messages())
		if err != nil {
			ctx.Error(`{"error":{"code":"internal","message":"Internal error."}}`, fasthttp.StatusInternalServerError)
			ctx.SetContentType("application/json")
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
	srv.Handle(fasthttp.MethodGet, "/dev/inbox", func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
		ctx.SetContentType("text/html; charset=utf-8")
		ctx.SetBodyString(inboxPage)
	})
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

// inboxPage lists the outbox, newest first, refreshing itself. Bodies are
// inserted as text, never as HTML.
const inboxPage = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>webotp dev inbox</title>
<style>
  :root { color-scheme: light dark; --muted: #6b7280; --card: #f4f5f7; --accent: #2563eb; }
  @media (prefers-color-scheme: dark) { :root { --card: #1f2430; --muted: #9aa3b2; } }
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.4rem; margin-bottom: .25rem; }
  p.note { color: var(--muted); margin-top: 0; }
  ol { list-style: none; padding: 0; }
  li { background: var(--card); border-radius: .6rem; padding: .8rem 1rem; margin: .8rem 0; }
  .meta { color: var(--muted); font-size: .85rem; display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
  .to { font-weight: 600; color: inherit; }
  pre { white-space: pre-wrap; word-break: break-word; font: 14px/1.45 ui-monospace, monospace; margin: .5rem 0 0; }
  .code { font: 600 1.3rem ui-monospace, monospace; color: var(--accent); letter-spacing: .08em; }
  .empty { color: var(--muted); text-align: center; padding: 2rem 0; }
</style>
<h1>Dev inbox</h1>
<p class="note">Messages the verifier sent in development mode, newest first. This page refreshes itself.</p>
<ol id="messages"><li class="empty">No message yet. Start a verification (the demo at <a href="/">/</a>).</li></ol>
<script>
"use strict";
const list = document.getElementById("messages");
let seen = "";
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
async function refresh() {
  try {
    const res = await fetch("/dev/outbox", {cache: "no-store"});
    const sent = res.headers.get("X-Outbox-Sent") || "";
    if (sent === seen) return;
    const messages = await res.json();
    seen = sent;
    list.replaceChildren();
    if (messages.length === 0) {
      list.append(el("li", "empty", "No message yet."));
      return;
    }
    for (const m of messages) {
      const li = el("li");
      const meta = el("div", "meta");
      meta.append(el("span", "to", m.to), el("time", "", new Date(m.sent_at).toLocaleTimeString()));
      li.append(meta);
      const code = /#(\S+)/.exec(m.body.split("\n").pop());
      if (code) li.append(el("div", "code", code[1]));
      li.append(el("pre", "", m.body));
      li.title = "verification " + m.verification_id;
      list.append(li);
    }
  } catch (e) {
    // the verifier may be restarting: try again at the next tick
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</html>
`
