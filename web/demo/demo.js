// The webotp demo: phone number or email -> SMS or email (dev inbox) -> the
// code fills itself in (from the SMS, or from the link in the message, here
// or on a phone through the QR code) -> verified. It talks to the verifier's HTTP API with the dev API key,
// which is fine only because `webotp serve --dev` serves this page: a real
// site calls the verifier from its backend and never shows its API key.
'use strict';

(() => {
  const apiKey = 'dev';
  const byId = (id) => document.getElementById(id);

  const ui = {
    phoneForm: byId('phone-form'),
    phone: byId('phone'),
    phoneError: byId('phone-error'),
    phoneField: byId('phone-field'),
    email: byId('email'),
    emailError: byId('email-error'),
    emailField: byId('email-field'),
    channels: document.querySelectorAll('input[name="channel"]'),
    showQR: byId('show-qr'),
    qrPanel: byId('qr-panel'),
    qr: byId('qr'),
    send: byId('send'),
    codeStep: byId('code-step'),
    codeSlot: byId('code-slot'),
    codeTemplate: byId('code-template'),
    sentTo: byId('sent-to'),
    resend: byId('resend'),
    change: byId('change'),
    doneStep: byId('done-step'),
    doneTitle: byId('done-title'),
    donePhone: byId('done-phone'),
    doneHow: byId('done-how'),
    restart: byId('restart'),
    status: byId('status'),
    error: byId('error'),
    steps: document.querySelectorAll('.steps li'),
    smsPreview: byId('sms-preview'),
    smsNote: byId('sms-note'),
  };

  const state = {
    verification: null, // the verification object of the API
    fillSource: '', // how the code got into the input: webotp, dev, paste, link or ''
    checking: false, // a check request is in flight (double-submit guard)
    resendAt: 0, // epoch ms when resending is allowed
    timer: 0,
    watch: 0, // the timer that follows a verification continued on a phone
  };

  // The pending verification is kept in localStorage, so that the page a
  // verification link opens (another tab, or a phone that shares it) can
  // check the code the link fills in. A real site keeps it in its session.
  const saved = 'webotp-demo-verification';

  function remember(v) {
    try {
      if (v) {
        localStorage.setItem(saved, JSON.stringify(v));
      } else {
        localStorage.removeItem(saved);
      }
    } catch {
      // storage disabled: links then fill in but cannot be checked here
    }
  }

  function remembered() {
    try {
      const v = JSON.parse(localStorage.getItem(saved) || 'null');
      return v && typeof v.id === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  // ---- small helpers -------------------------------------------------------

  function setStatus(text, ok) {
    ui.status.textContent = text;
    ui.status.classList.toggle('ok', Boolean(ok));
    // On the done step the heading says it already: announce only.
    ui.status.classList.toggle('sr-only', !ui.doneStep.hidden);
  }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = !text;
  }

  function setBusy(button, busy) {
    button.disabled = busy;
    if (busy) {
      button.setAttribute('aria-busy', 'true');
    } else {
      button.removeAttribute('aria-busy');
    }
  }

  function setStep(name) {
    let before = true;
    for (const li of ui.steps) {
      const current = li.dataset.step === name;
      if (current) {
        before = false;
        li.setAttribute('aria-current', 'step');
      } else {
        li.removeAttribute('aria-current');
      }
      li.classList.toggle('is-done', before && !current);
    }
    ui.phoneForm.hidden = name !== 'phone';
    ui.codeStep.hidden = name !== 'code';
    ui.doneStep.hidden = name !== 'done';
  }

  // api calls the verifier and returns {status, body, retryAfter}. A network
  // failure becomes status 0 with an error body, so callers handle one shape.
  async function api(method, path, body) {
    const init = {
      method,
      headers: { Authorization: 'Bearer ' + apiKey },
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      return { status: 0, body: { error: { code: 'network', message: 'The verifier cannot be reached. Is `webotp serve --dev` still running?' } } };
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = { error: { code: 'bad_response', message: 'The verifier answered ' + res.status + ' without JSON.' } };
    }
    const retry = Number(res.headers.get('Retry-After'));
    return { status: res.status, body: data, retryAfter: Number.isFinite(retry) ? retry : 0 };
  }

  function errorOf(res) {
    const e = (res.body && res.body.error) || {};
    return { code: e.code || 'unknown', message: e.message || 'Something went wrong (' + res.status + ').', status: e.status };
  }

  function seconds(n) {
    return n === 1 ? '1 second' : n + ' seconds';
  }

  // ---- step 1: the phone number -------------------------------------------

  function normalisePhone(raw) {
    let s = raw.replace(/[\s().\-\u00a0]/g, '');
    if (s.startsWith('00')) {
      s = '+' + s.slice(2);
    }
    return s;
  }

  function phoneProblem(text) {
    ui.phoneError.textContent = text;
    ui.phoneError.hidden = !text;
    if (text) {
      ui.phone.setAttribute('aria-invalid', 'true');
    } else {
      ui.phone.removeAttribute('aria-invalid');
    }
  }

  function channel() {
    const on = [...ui.channels].find((r) => r.checked);
    return on ? on.value : 'sms';
  }

  function onChannel() {
    const email = channel() === 'email';
    ui.phoneField.hidden = email;
    ui.emailField.hidden = !email;
    ui.phone.required = !email;
    ui.email.required = email;
    phoneProblem('');
    emailProblem('');
  }

  function emailProblem(text) {
    ui.emailError.textContent = text;
    ui.emailError.hidden = !text;
    if (text) {
      ui.email.setAttribute('aria-invalid', 'true');
    } else {
      ui.email.removeAttribute('aria-invalid');
    }
  }

  async function onPhoneSubmit(event) {
    event.preventDefault();
    showError('');
    phoneProblem('');
    emailProblem('');
    if (channel() === 'email') {
      const email = ui.email.value.trim();
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
        emailProblem('Enter an email address, like you@example.com.');
        ui.email.focus();
        return;
      }
      return send({ email, channel: 'email', origin: location.origin }, (e) => {
        if (e.code === 'invalid_email') {
          emailProblem(e.message);
          ui.email.focus();
          return true;
        }
        return false;
      });
    }
    const phone = normalisePhone(ui.phone.value);
    if (!phone) {
      phoneProblem('Enter a phone number, like +1 415 555 0123.');
      ui.phone.focus();
      return;
    }
    if (!/^\+[1-9]\d{6,14}$/.test(phone)) {
      phoneProblem('Use the international format: + then the country code and the number, like +1 415 555 0123.');
      ui.phone.focus();
      return;
    }
    return send({ phone, origin: location.origin }, (e) => {
      if (e.code === 'invalid_phone' || e.code === 'country_not_allowed' || e.code === 'number_type_not_allowed') {
        phoneProblem(e.message);
        ui.phone.focus();
        return true;
      }
      return false;
    });
  }

  // send starts a verification with body; fieldError shows an error that
  // belongs to the form's field and says whether it did.
  async function send(body, fieldError) {
    setBusy(ui.send, true);
    setStatus('Sending a code…');
    const res = await api('POST', '/v1/verifications', body);
    setBusy(ui.send, false);
    if (res.status !== 201) {
      setStatus('');
      const e = errorOf(res);
      if (fieldError(e)) {
        return;
      }
      if (e.code === 'rate_limited') {
        showError(e.message + (res.retryAfter ? ' Try again in ' + seconds(res.retryAfter) + '.' : ''));
      } else if (e.code === 'origin_not_allowed') {
        showError(e.message + ' The dev verifier allows http://localhost:' + location.port + '; open the demo there.');
      } else {
        showError(e.message);
      }
      return;
    }
    state.verification = res.body;
    state.fillSource = '';
    remember({ id: res.body.id, to: res.body.phone || res.body.email || '' });
    // The code input appears now, and webotp.js starts listening: an SMS
    // takes seconds to reach a phone, and the dev emulation accepts any
    // sent since this page loaded.
    mountCodeForm();
    ui.sentTo.textContent = res.body.phone || res.body.email || '';
    setStep('code');
    setStatus(body.email ? 'Code sent. Open the link in the email, or type the code.' : 'Code sent. Waiting for the SMS…');
    startCountdown(Date.parse(res.body.resend_after));
    showSMS(res.body.id);
    const input = byId('code');
    if (input) {
      input.focus();
    }
  }

  // ---- step 2: the code ----------------------------------------------------

  function mountCodeForm() {
    unmountCodeForm();
    ui.codeSlot.append(ui.codeTemplate.content.cloneNode(true));
    const form = byId('code-form');
    form.addEventListener('submit', onCodeSubmit);
    form.addEventListener('autocomplete', onAutocomplete);
    form.addEventListener('input', onCodeInput);
    form.addEventListener('webotp:abort', onAbort);
  }

  function unmountCodeForm() {
    ui.codeSlot.replaceChildren();
  }

  function codeProblem(text) {
    const input = byId('code');
    const out = byId('code-error');
    if (!input || !out) {
      return;
    }
    out.textContent = text;
    out.hidden = !text;
    if (text) {
      input.setAttribute('aria-invalid', 'true');
    } else {
      input.removeAttribute('aria-invalid');
    }
  }

  const sourceText = {
    webotp: 'Filled in from the SMS.',
    dev: 'Filled in from the dev inbox.',
    paste: 'Taken from the pasted message.',
    link: 'Filled in from the link.',
  };

  function onAutocomplete(event) {
    const detail = event.detail || {};
    state.fillSource = detail.source || '';
    event.target.classList.add('is-filled');
    codeProblem('');
    setStatus((sourceText[state.fillSource] || 'Filled in.') + ' Checking…');
  }

  function onCodeInput(event) {
    if (event.isTrusted) {
      // typed by hand
      event.target.classList.remove('is-filled');
      codeProblem('');
    }
  }

  function onAbort(event) {
    const reason = event.detail && event.detail.reason;
    if (reason === 'timeout' && state.verification) {
      setStatus('No SMS yet. Type the code, or send a new one.');
    }
  }

  // onWebotpError: the code will not fill in by itself (the user chose
  // Deny, or the client could not read the SMS). The status says so and
  // what to do; the focus stays in the code form, on the code input when
  // it was lost (the consent bar's button that had it is gone), never taken
  // from anything else the user is on.
  function onWebotpError(event) {
    if (ui.codeStep.hidden || !state.verification) {
      return;
    }
    const name = (event.detail && event.detail.name) || '';
    if (name === 'NotAllowedError') {
      setStatus('You chose Deny, so the code will not fill in by itself. Type it, or paste the whole SMS.');
    } else {
      setStatus('The code could not be read from the SMS automatically. Type it, or paste the whole SMS.');
    }
    const input = byId('code');
    const active = document.activeElement;
    if (input && (!active || active === document.body || !active.isConnected)) {
      input.focus();
    }
  }

  // The dev consent bar (#webotp-consent, drawn by webotp.js at the bottom
  // of the viewport) must never cover the focused element (WCAG 2.2 2.4.11).
  // While it is shown the page gets room below its content and scroll
  // padding the height of the bar (--consent-room, demo.css), and the
  // focused element scrolls above the bar when it is under it.
  function keepFocusAboveConsentBar() {
    let bar = null;
    const fit = () => {
      const shown = bar && bar.isConnected;
      const room = shown ? Math.ceil(bar.getBoundingClientRect().height) + 16 : 0;
      document.documentElement.style.setProperty('--consent-room', room + 'px');
      const el = document.activeElement;
      if (!shown || !el || el === document.body || bar.contains(el)) {
        return;
      }
      if (el.getBoundingClientRect().bottom > bar.getBoundingClientRect().top - 8) {
        el.scrollIntoView({ block: 'nearest' });
      }
    };
    new MutationObserver(() => {
      const now = document.getElementById('webotp-consent');
      if (now !== bar) {
        bar = now;
        fit();
      }
    }).observe(document.body, { childList: true });
    document.addEventListener('focusin', () => {
      if (bar && bar.isConnected) {
        fit();
      }
    });
  }

  async function onCodeSubmit(event) {
    event.preventDefault();
    if (state.checking || !state.verification) {
      return; // a check is already running: never send the code twice
    }
    const input = byId('code');
    const code = input.value.replace(/[\s-]/g, '');
    if (!code) {
      codeProblem('Enter the code from the SMS.');
      input.focus();
      return;
    }
    showError('');
    codeProblem('');
    state.checking = true;
    const verify = byId('verify');
    setBusy(verify, true);
    const res = await api('POST', '/v1/verifications/' + encodeURIComponent(state.verification.id) + '/check', { code });
    state.checking = false;
    if (byId('verify')) {
      setBusy(verify, false);
    }
    if (res.status === 200) {
      state.verification = res.body.verification || state.verification;
      if (res.body.valid) {
        done();
        return;
      }
      const v = state.verification;
      if (v.status === 'max_attempts_reached') {
        restartWith('That code was wrong too many times. Start again with your number.');
        return;
      }
      const left = v.attempts_left;
      codeProblem("That code isn't right." + (left >= 0 ? ' ' + (left === 1 ? '1 attempt left.' : left + ' attempts left.') : ''));
      setStatus('');
      input.classList.remove('is-filled');
      input.focus();
      input.select();
      return;
    }
    const e = errorOf(res);
    if (e.code === 'not_pending') {
      const status = e.status || (res.body && res.body.status);
      if (status === 'approved') {
        done();
        return;
      }
      const why = {
        expired: 'This code has expired.',
        canceled: 'This verification was canceled.',
        max_attempts_reached: 'That code was wrong too many times.',
      }[status] || e.message;
      restartWith(why + ' Start again with your number.');
      return;
    }
    setStatus('');
    showError(e.message);
  }

  async function onResend() {
    if (!state.verification || ui.resend.disabled) {
      return;
    }
    showError('');
    setBusy(ui.resend, true);
    const res = await api('POST', '/v1/verifications/' + encodeURIComponent(state.verification.id) + '/resend', {});
    ui.resend.removeAttribute('aria-busy');
    if (res.status === 200) {
      state.verification = res.body;
      state.fillSource = '';
      // A fresh input: the old code no longer works, and webotp.js listens again.
      mountCodeForm();
      setStatus('We sent a new code. The previous one no longer works.');
      startCountdown(Date.parse(res.body.resend_after));
      showSMS(res.body.id);
      return;
    }
    const e = errorOf(res);
    if (e.code === 'rate_limited') {
      showError(e.message);
      startCountdown(Date.now() + (res.retryAfter || 30) * 1000);
      return;
    }
    if (e.code === 'not_pending') {
      restartWith(e.message);
      return;
    }
    showError(e.message);
    startCountdown(Date.now());
  }

  function startCountdown(at) {
    clearInterval(state.timer);
    state.resendAt = Number.isFinite(at) ? at : Date.now() + 30000;
    const tick = () => {
      const left = Math.ceil((state.resendAt - Date.now()) / 1000);
      if (left > 0) {
        ui.resend.disabled = true;
        ui.resend.textContent = 'Resend code in ' + left + ' s';
      } else {
        clearInterval(state.timer);
        ui.resend.disabled = false;
        ui.resend.textContent = 'Resend code';
      }
    };
    tick();
    state.timer = setInterval(tick, 500);
  }

  // showSMS puts the real message of the dev outbox in the side panel, so a
  // developer sees exactly what the phone receives.
  async function showSMS(id) {
    let list;
    try {
      const res = await fetch('/dev/outbox');
      list = await res.json();
    } catch {
      return;
    }
    const msg = Array.isArray(list) && list.find((m) => m.verification_id === id);
    if (!msg || (msg.channel && msg.channel !== 'sms')) {
      return;
    }
    const lines = String(msg.body).split('\n');
    const last = lines.pop();
    const body = document.createElement('span');
    body.className = 'sms-body';
    body.textContent = lines.length ? lines.join('\n') + '\n' : '';
    const bind = document.createElement('span');
    bind.className = 'sms-bind';
    bind.textContent = last;
    ui.smsPreview.replaceChildren(body, bind);
    const to = String(msg.to || '');
    ui.smsNote.textContent = 'The SMS just sent to ' + to.slice(0, 3) + '…' + to.slice(-2) + ', as it appears in the dev inbox.';
  }

  // ---- continue on a phone: the QR code of the link ----------------------

  // onShowQR shows the QR code of the verification link (GET
  // /v1/verifications/{id}/qr, with the API key like every call here) and
  // follows the verification until the phone's page has checked the code.
  async function onShowQR() {
    if (!state.verification) {
      return;
    }
    showError('');
    setBusy(ui.showQR, true);
    let res;
    try {
      res = await fetch('/v1/verifications/' + encodeURIComponent(state.verification.id) + '/qr', {
        headers: { Authorization: 'Bearer ' + apiKey },
      });
    } catch {
      res = null;
    }
    setBusy(ui.showQR, false);
    if (!res || !res.ok) {
      let message = 'The QR code could not be made.';
      try {
        message = errorOf({ status: res.status, body: await res.json() }).message;
      } catch {
        // no JSON: keep the general message
      }
      showError(message);
      return;
    }
    if (ui.qr.src.startsWith('blob:')) {
      URL.revokeObjectURL(ui.qr.src);
    }
    ui.qr.src = URL.createObjectURL(await res.blob());
    ui.qrPanel.hidden = false;
    setStatus('Scan the QR code with your phone. This page follows.');
    watch(state.verification.id);
  }

  function watch(id) {
    clearInterval(state.watch); // a watch already running (the panel stays shown)
    state.watch = setInterval(async () => {
      const res = await api('GET', '/v1/verifications/' + encodeURIComponent(id));
      if (!state.verification || state.verification.id !== id) {
        stopWatching();
      } else if (res.status === 200 && res.body.status === 'approved') {
        state.verification = res.body;
        state.fillSource = state.fillSource || 'phone';
        done();
      }
    }, 2000);
  }

  function stopWatching() {
    clearInterval(state.watch);
    ui.qrPanel.hidden = true;
  }

  // ---- step 3: done --------------------------------------------------------

  function done() {
    clearInterval(state.timer);
    stopWatching();
    remember(null);
    unmountCodeForm();
    ui.donePhone.textContent = state.verification ? state.verification.phone || state.verification.email || 'It' : 'It';
    ui.doneHow.textContent = {
      webotp: 'The code came from the SMS, straight into the form.',
      dev: 'The code came from the dev inbox, with your consent.',
      paste: 'The code came from the pasted message.',
      link: 'The code came from the link, straight into the form.',
      phone: 'The code was checked on your phone, through the link of the QR code.',
    }[state.fillSource] || 'The code was typed by hand.';
    setStep('done');
    showError('');
    setStatus('Verified ✓ ' + (state.verification ? state.verification.phone || state.verification.email || '' : ''), true);
    ui.doneTitle.focus();
  }

  function cancelCurrent() {
    const v = state.verification;
    state.verification = null;
    if (v && v.status === 'pending') {
      // Best effort: a dangling verification expires by itself anyway.
      api('DELETE', '/v1/verifications/' + encodeURIComponent(v.id));
    }
  }

  function restartWith(message) {
    stopWatching();
    remember(null);
    cancelCurrent();
    clearInterval(state.timer);
    unmountCodeForm();
    setStep('phone');
    setStatus('');
    showError(message);
    ui.phone.focus();
  }

  function restart() {
    restartWith('');
  }

  // ---- wiring --------------------------------------------------------------

  function init() {
    for (const el of document.querySelectorAll('#sms-host, #host-code')) {
      el.textContent = location.hostname;
    }
    byId('origin-code').textContent = location.origin;
    ui.phoneForm.addEventListener('submit', onPhoneSubmit);
    ui.phone.addEventListener('input', () => phoneProblem(''));
    ui.resend.addEventListener('click', onResend);
    ui.change.addEventListener('click', restart);
    ui.restart.addEventListener('click', restart);
    ui.showQR.addEventListener('click', onShowQR);
    for (const r of ui.channels) {
      r.addEventListener('change', onChannel);
    }
    onChannel();
    // webotp:error bubbles from the code input, or fires on the document
    // when the client itself could not start.
    document.addEventListener('webotp:error', onWebotpError);
    keepFocusAboveConsentBar();
    const pending = remembered();
    if (pending) {
      // Opened from a verification link (or reloaded): the code step of
      // the pending verification, whose input webotp.js fills from the link.
      state.verification = { id: pending.id, status: 'pending' };
      mountCodeForm();
      ui.sentTo.textContent = pending.to;
      setStep('code');
      setStatus('Type the code, or open the link from the message.');
      startCountdown(Date.now());
    } else {
      setStep('phone');
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
