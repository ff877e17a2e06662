// The dev inbox: lists the messages of the development outbox (the URL in
// the list's data-outbox), newest first, refreshing every second. Bodies
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
    // The verifier may be restarting: try again at the next tick.
  }
}

refresh();
setInterval(refresh, 1000);
