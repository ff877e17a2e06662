// The phone of the network benchmark (network_bench_test.go), injected into
// every document of its tab after fakeotp.js (which runs without an outbox,
// so its requests never resolve by themselves but keep Chromium's checks,
// aborts and cancellation).
//
// The SMS reaches the phone outside the page's network, as a real one does:
// on the code page (config.path) it "arrives" config.delay ms after that
// page's navigation started, and the user consents at once. A get() pending
// then resolves at that moment; one called later resolves at the call. That
// moment is __bench.consent. __bench.filled is when the code went into an
// input through the value setter, which webotp (through the native setter it
// looked up) and MDN's snippet (input.value = code) both use. form.submit()
// is recorded instead of navigating away, so the page stays to be read.
// Times are performance.now(): milliseconds since the navigation started.
(config) => {
  'use strict';

  const rec = { consent: 0, filled: 0, arrived: 0, calls: 0, submits: 0 };
  Object.defineProperty(window, '__bench', { value: rec });

  const valueProp = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
  Object.defineProperty(HTMLInputElement.prototype, 'value', {
    ...valueProp,
    set(v) {
      valueProp.set.call(this, v);
      if (!rec.filled && rec.consent && String(v) === config.code) {
        rec.filled = performance.now();
      }
    },
  });
  HTMLFormElement.prototype.submit = function submit() { rec.submits++; };

  const Container = window.CredentialsContainer;
  if (!Container || location.pathname !== config.path) {
    return;
  }
  const fakeGet = Container.prototype.get;
  let pending = null;
  const credential = () => Object.create(window.OTPCredential ? window.OTPCredential.prototype : Object.prototype, {
    type: { value: 'otp', enumerable: true },
    id: { value: '', enumerable: true },
    code: { value: config.code, enumerable: true },
  });
  const consent = () => {
    if (pending && rec.arrived && !rec.consent) {
      rec.consent = performance.now();
      pending(credential());
      pending = null;
    }
  };
  Container.prototype.get = function get(options) {
    const p = fakeGet.apply(this, arguments);
    if (!options || typeof options !== 'object' || !('otp' in options)) {
      return p;
    }
    rec.calls++;
    return new Promise((resolve, reject) => {
      p.then(resolve, reject); // the fake's rejections: bad options, abort, a second get()
      if (!rec.consent) {
        pending = resolve;
        consent();
      }
    });
  };
  setTimeout(() => {
    rec.arrived = performance.now();
    consent();
  }, Math.max(0, config.delay - performance.now()));
}
