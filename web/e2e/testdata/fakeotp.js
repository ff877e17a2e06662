// A stand-in for the phone, injected into every document of a test tab
// before the page's own scripts run (Page.addScriptToEvaluateOnNewDocument).
//
// Headless Chromium exposes OTPCredential but has no SMS backend. This script
// replaces CredentialsContainer.prototype.get for {otp: ...} requests and
// behaves as Chromium does: a missing or empty
// transport rejects NotSupportedError, an unknown transport rejects TypeError,
// an aborted signal rejects with signal.reason, a second get() from the same
// document rejects the first with AbortError "OTP retrieval was cancelled.".
// The "SMS" comes from the verifier's dev outbox: a message not there when the
// document started, parsed with Chromium's rules (written here again, on
// purpose: the fake must not depend on the code under test), resolves the
// pending request when its host is this page's host. Everything is recorded on
// window.__fakeOtp for the Go side to assert on.
//
// The file is one function expression; the Go side calls it with a config:
//   fake        replace get() (false: only record, e.g. for dev emulation)
//   outbox      URL of the dev outbox ('' = no SMS ever arrives)
//   interval    outbox polling interval in ms
//   noOTPCredential  delete window.OTPCredential (a browser without WebOTP)
//   rejectWith  reject every otp get() at once with this DOMException name
(config) => {
  'use strict';

  const rec = {
    calls: 0, // otp get() calls
    pending: 0, // otp get() calls not settled yet
    maxPending: 0, // the most that were pending at once
    cancelled: 0, // requests cancelled by a second get()
    callTimes: [], // performance.now() of each call
    options: [], // what each call asked for
    aborts: [], // 'Name: message' of each signal.reason that ended a request
    resolved: [], // codes handed out
    rejected: [], // DOMException names of every rejection
    messages: [], // outbox messages looked at: {host, code, embedded, matched}
    unhandled: [], // unhandledrejection reasons
    errors: [], // window error messages
    violations: [], // CSP violations
    dcl: 0, // performance.now() at DOMContentLoaded
    baselineDone: false, // the outbox messages present at start are known
  };
  Object.defineProperty(window, '__fakeOtp', { value: rec });

  const describe = (reason) => {
    if (reason && typeof reason === 'object' && 'name' in reason) {
      return reason.name + ': ' + reason.message;
    }
    return String(reason);
  };
  window.addEventListener('unhandledrejection', (e) => rec.unhandled.push(describe(e.reason)));
  window.addEventListener('error', (e) => rec.errors.push(String(e.message)));
  document.addEventListener('securitypolicyviolation', (e) => rec.violations.push(e.violatedDirective + ' ' + e.blockedURI));
  document.addEventListener('DOMContentLoaded', () => { rec.dcl = performance.now(); });

  if (config.noOTPCredential) {
    delete window.OTPCredential;
  }
  const Container = window.CredentialsContainer;
  if (!config.fake || !Container) {
    rec.baselineDone = true;
    return;
  }

  // Chromium's parser (content/browser/sms/sms_parser.cc): the first match
  // anywhere; hosts must make a valid URL and are lowercased; an invalid
  // iframe host rejects the whole message.
  const pattern = /(?:^|[\t\n\f\r ])@([a-zA-Z0-9.-]+) #([^#\t\n\f\r ]+)(?: @([a-zA-Z0-9.-]+))?/;
  const canonical = (host) => {
    const lower = host.toLowerCase();
    const local = lower === 'localhost' || lower.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(lower);
    try {
      return new URL((local ? 'http://' : 'https://') + host).hostname;
    } catch {
      return '';
    }
  };
  const parse = (sms) => {
    const m = pattern.exec(sms);
    if (!m) {
      return null;
    }
    const host = canonical(m[1]);
    if (!host) {
      return null;
    }
    let embedded = '';
    if (m[3] !== undefined) {
      embedded = canonical(m[3]);
      if (!embedded) {
        return null;
      }
    }
    return { host, code: m[2], embedded };
  };

  const realGet = Container.prototype.get;
  const realFetch = window.fetch.bind(window);
  const seen = new Set();
  const keyOf = (m) => m.verification_id + '|' + m.sent_at + '|' + m.body;
  const readOutbox = async () => {
    const res = await realFetch(config.outbox, { cache: 'no-store' });
    if (!res.ok) {
      return [];
    }
    const list = await res.json();
    return Array.isArray(list) ? list : [];
  };
  const baseline = (config.outbox ? readOutbox().then((list) => {
    for (const m of list) {
      seen.add(keyOf(m));
    }
  }) : Promise.resolve()).catch(() => {}).then(() => { rec.baselineDone = true; });

  const credential = (code) => {
    const props = {
      type: { value: 'otp', enumerable: true },
      id: { value: '', enumerable: true },
      code: { value: code, enumerable: true },
    };
    return window.OTPCredential ? Object.create(window.OTPCredential.prototype, props) : Object.create(Object.prototype, props);
  };

  let current = null;

  function fakeGet(options) {
    if (!options || typeof options !== 'object' || !('otp' in options)) {
      return realGet.apply(this, arguments);
    }
    rec.calls++;
    rec.callTimes.push(performance.now());
    const otp = options.otp || {};
    const signal = options.signal;
    let transport = otp.transport;
    rec.options.push({ transport: transport === undefined ? null : Array.from(transport || []), signal: Boolean(signal) });

    if (transport !== undefined) {
      if (transport === null || typeof transport[Symbol.iterator] !== 'function') {
        rec.rejected.push('TypeError');
        return Promise.reject(new TypeError("Failed to execute 'get' on 'CredentialsContainer': The provided value cannot be converted to a sequence."));
      }
      transport = Array.from(transport);
      for (const t of transport) {
        if (t !== 'sms') {
          rec.rejected.push('TypeError');
          return Promise.reject(new TypeError("Failed to execute 'get' on 'CredentialsContainer': The provided value '" + t + "' is not a valid enum value of type OTPCredentialTransportType."));
        }
      }
    }
    if (!transport || transport.length === 0) {
      rec.rejected.push('NotSupportedError');
      return Promise.reject(new DOMException('Unsupported transport type for OTP Credentials', 'NotSupportedError'));
    }
    if (signal && signal.aborted) {
      rec.aborts.push(describe(signal.reason));
      rec.rejected.push(describe(signal.reason).split(':')[0]);
      return Promise.reject(signal.reason);
    }
    if (config.rejectWith) {
      rec.rejected.push(config.rejectWith);
      return Promise.reject(new DOMException('Rejected by the test.', config.rejectWith));
    }
    if (current) {
      current.cancel();
    }

    return new Promise((resolve, reject) => {
      const req = { done: false, timer: 0 };
      rec.pending++;
      rec.maxPending = Math.max(rec.maxPending, rec.pending);
      const finish = () => {
        if (req.done) {
          return false;
        }
        req.done = true;
        rec.pending--;
        clearTimeout(req.timer);
        clearTimeout(req.expiry);
        if (current === req) {
          current = null;
        }
        if (signal) {
          signal.removeEventListener('abort', onAbort);
        }
        return true;
      };
      const onAbort = () => {
        if (finish()) {
          rec.aborts.push(describe(signal.reason));
          rec.rejected.push(describe(signal.reason).split(':')[0]);
          reject(signal.reason);
        }
      };
      req.cancel = () => {
        if (finish()) {
          rec.cancelled++;
          rec.rejected.push('AbortError');
          reject(new DOMException('OTP retrieval was cancelled.', 'AbortError'));
        }
      };
      if (signal) {
        signal.addEventListener('abort', onAbort);
      }
      // Chromium ends a request nobody answered after four minutes.
      req.expiry = setTimeout(() => {
        if (finish()) {
          rec.rejected.push('InvalidStateError');
          reject(new DOMException('OTP retrieval timed out.', 'InvalidStateError'));
        }
      }, 240000);
      current = req;

      const poll = async () => {
        if (req.done) {
          return;
        }
        try {
          await baseline;
          const list = await readOutbox();
          for (const m of list.slice().reverse()) { // the outbox is newest first
            const key = keyOf(m);
            if (req.done || seen.has(key)) {
              continue;
            }
            seen.add(key);
            const p = parse(String(m.body));
            const matched = Boolean(p && !p.embedded && p.host === location.hostname);
            rec.messages.push({ host: p ? p.host : '', code: p ? p.code : '', embedded: p ? p.embedded : '', matched });
            if (matched && finish()) {
              rec.resolved.push(p.code);
              resolve(credential(p.code));
              return;
            }
          }
        } catch {
          // the verifier went away; keep waiting, as a phone would
        }
        if (!req.done) {
          req.timer = setTimeout(poll, config.interval);
        }
      };
      if (config.outbox) {
        poll();
      }
    });
  }

  Object.defineProperty(Container.prototype, 'get', {
    value: fakeGet, writable: true, configurable: true, enumerable: true,
  });
}
