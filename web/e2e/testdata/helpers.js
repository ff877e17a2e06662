// Loaded (synchronously, before webotp.js) by the test pages: records every
// event the client fires and every form submission, so the Go side can
// assert on them. Submissions are counted and cancelled, as a single-page
// app's submit handler does.
'use strict';
(() => {
  const events = [];
  const submits = [];
  Object.defineProperty(window, '__events', { value: events });
  Object.defineProperty(window, '__submits', { value: submits });
  const name = (el) => (el && (el.id || el.name || el.tagName)) || String(el);
  for (const type of ['autocomplete', 'input', 'change', 'webotp:abort', 'webotp:error', 'submit', 'invalid']) {
    document.addEventListener(type, (e) => {
      let detail = null;
      try {
        detail = e.detail === undefined || e.detail === null ? null : JSON.parse(JSON.stringify(e.detail));
      } catch {
        detail = String(e.detail);
      }
      events.push({
        type,
        target: name(e.target),
        detail,
        value: e.target && 'value' in e.target ? e.target.value : null,
        bubbles: e.bubbles,
        trusted: e.isTrusted,
        t: performance.now(),
      });
    }, true);
  }
  document.addEventListener('submit', (e) => {
    submits.push({ form: name(e.target), submitter: e.submitter ? name(e.submitter) : null, t: performance.now() });
    e.preventDefault();
  });
})();
