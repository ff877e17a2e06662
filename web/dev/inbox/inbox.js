// The dev inbox: lists the messages of the development outbox (the URL in
// the list's data-outbox), newest first, refreshing every second: SMS,
// voice calls (their transcript) and emails (subject, text part, and the
// HTML part in a sandboxed frame that runs no script), with the
// verification link and its QR code when the message carries one. Bodies
// are inserted as text, never as HTML.
"use strict";
const list = document.getElementById("messages");
const outbox = list.dataset.outbox;
let seen = "";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// codeOf is the code a message shows: the SMS's last line, the email's
// subject; a call's transcript speaks it.
function codeOf(m) {
  if (m.channel === "email") {
    const c = /^(\d+) /.exec(m.subject || "");
    return c && c[1];
  }
  if (m.channel === "voice") return null;
  const c = /#(\S+)/.exec(m.body.split("\n").pop());
  return c && c[1];
}

function render(m) {
  const li = el("li", m.channel || "sms");
  const meta = el("div", "meta");
  meta.append(el("span", "channel", m.channel || "sms"), el("span", "to", m.to),
    el("time", "", new Date(m.sent_at).toLocaleTimeString()));
  li.append(meta);
  const code = codeOf(m);
  if (code) li.append(el("div", "code", code));
  if (m.channel === "email") li.append(el("div", "subject", m.subject));
  li.append(el("pre", "", m.body));
  if (m.html) {
    const frame = el("iframe", "html");
    frame.setAttribute("sandbox", ""); // no script, no form, no navigation of this page
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.title = "HTML part";
    frame.srcdoc = m.html;
    const details = el("details");
    details.append(el("summary", "", "HTML part"), frame, el("pre", "source", m.html));
    li.append(details);
  }
  if (m.link) {
    const link = el("div", "link");
    const a = el("a", "", m.link);
    a.href = m.link;
    a.rel = "noreferrer";
    const img = el("img", "qr");
    img.alt = "QR code of the link";
    img.src = "/dev/qr?link=" + encodeURIComponent(m.link);
    link.append(a, img);
    li.append(link);
  }
  li.title = "verification " + m.verification_id;
  return li;
}

async function refresh() {
  try {
    const res = await fetch(outbox, {cache: "no-store"});
    const sent = res.headers.get("X-Outbox-Sent") || "";
    if (sent === seen) return;
    const messages = await res.json();
    seen = sent;
    list.replaceChildren();
    if (messages.length === 0) {
      list.append(el("li", "empty", "No message yet."));
      return;
    }
    for (const m of messages) list.append(render(m));
  } catch (e) {
    // The verifier may be restarting: try again at the next tick.
  }
}

refresh();
setInterval(refresh, 1000);
