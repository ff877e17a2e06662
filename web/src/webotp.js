/*! webotp.js __WEBOTP_VERSION__ | https://github.com/webotp/webotp | includes Go's wasm_exec.js, (c) The Go Authors, BSD-3-Clause */
// The loader: one classic script, safe with async. It defines window.webotp
// at once, and fetches webotp.wasm (next to this file, wherever that is) only
// when the browser has WebOTP (or dev emulation applies), its permissions
// policy allows it, and the page has a target input, or will have one soon
// (a phone number input, data-webotp-preload): see check. With WebOTP it
// calls navigator.credentials.get itself as soon as it sees a target input,
// ends that request on a submit, a removal or pagehide, and records what
// happened (see arm); the wasm decides what the record means when it runs
// (a code that arrived first waits in the request's promise and fills
// then). The target selector (SEL) and the attributes that change what it
// matches (WATCH) are defined here only: the wasm gets the selector and the
// mutations of this file's observer. No eval, no inline code: it runs under
// Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'.
// A verification link's code (#otp= or ?otp= in this page's URL) it takes
// out of the address bar at once and puts into the first target itself, in
// every browser, without the wasm: see link and fillLink.
// The build (build/client.sh) puts Go's wasm_exec.js where the WASM_EXEC
// marker is, the version where __WEBOTP_VERSION__ is, and the Go constants
// where their markers are (build/loaderconst: each rule has one source).
(function () {
	'use strict';
	var win = window, doc = document, t0 = Date.now();
	// document.currentScript is only set while this runs for the first time.
	var script = doc.currentScript || doc.querySelector('script[src*="webotp.js"]');
	if (win.webotp) {
		return; // loaded twice: the first copy serves the page
	}
	// The code of a verification link, taken out of the address bar before
	// anything else runs, until a target input receives it.
	var linked = link();
	var src = (script && script.src) || location.href;
	var host = location.hostname;
	var loopback = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
	// The target inputs, here and in the wasm.
	var SEL = 'input[is="one-time-code"],input[autocomplete~="one-time-code" i]';
	// The attributes whose changes may add, change or end a target (or a
	// phone input, below); the wasm sees the same mutations.
	var WATCH = ['autocomplete', 'is', 'type', 'disabled', 'readonly', 'data-webotp'];
	// A phone number input: the code input usually follows soon.
	var PHONE = 'input[type=tel],input[autocomplete~=tel i]';

	// wasm_exec.js installs the globals fs, process and path (which the Go
	// runtime reads while it starts) and Go. Keep them off the page: restore
	// what was there, and show the shims only while the wasm starts.
	var NAMES = ['fs', 'process', 'path'], had = {}, saved = {}, hadGo = 'Go' in win, pageGo = win.Go;
	var fs; // wasm_exec.js writes the Go runtime's output through a bare `fs`
	NAMES.forEach(function (n) { had[n] = n in win; });
	/*WASM_EXEC*/
	var Go = win.Go;
	fs = win.fs;
	if (hadGo) {
		win.Go = pageGo;
	} else {
		delete win.Go;
	}
	NAMES.forEach(function (n) {
		if (!had[n]) {
			saved[n] = win[n];
			delete win[n];
		}
	});
	function shims(on) {
		NAMES.forEach(function (n) {
			if (!had[n]) {
				if (on) {
					win[n] = saved[n];
				} else {
					delete win[n];
				}
			}
		});
	}

	var impl, started, compiled, prefetched, early, hidden, observer, settle = {};
	var url = new URL('webotp.wasm', src).href;
	var ready = new Promise(function (resolve, reject) {
		settle.resolve = resolve;
		settle.reject = reject;
	});
	ready.catch(function () {}); // a page that never awaits ready sees no unhandled rejection

	function fire(target, type, detail, cancelable) {
		return target.dispatchEvent(new CustomEvent(type, {bubbles: true, cancelable: cancelable, detail: detail}));
	}

	// link removes every otp parameter from this page's fragment and query
	// with history.replaceState, keeping the rest of the URL and the history
	// entry's state, and returns the code of the first one of the fragment,
	// else of the query, when it is 1 to otpmsg.MaxCodeInput ASCII digits
	// once percent-decoded: what otpmsg.Link writes, and the rule of
	// otpmsg.CodeFromURL restricted to those (web/e2e checks it against
	// otpmsg/testdata/links.json); only %30-%39 decode to ASCII digits.
	// Nothing else of the URL is read.
	function link() {
		var raw, parts = [location.hash, location.search].map(function (s) {
			return s.slice(1).split('&').filter(function (p) {
				if (p.indexOf('otp=')) {
					return true;
				}
				raw = raw || [p.slice(4)];
			}).join('&');
		});
		if (raw) {
			history.replaceState(history.state, '', location.pathname + (parts[1] ? '?' + parts[1] : '') + (parts[0] ? '#' + parts[0] : ''));
			raw = raw[0];
		}
		return /^([0-9]|%3[0-9])+$/.test(raw) && (raw = decodeURIComponent(raw)).length <= __WEBOTP_GO_MAX_CODE__ ? raw : '';
	}

	// announce says msg through the polite, visually hidden live region
	// #webotp-live, made once; the text is set a moment later so that the
	// same message is announced again. The wasm announces through it too.
	function announce(msg) {
		var live = doc.getElementById('webotp-live');
		if (!live) {
			live = build(['div', 'position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap', '', ['id', 'webotp-live', 'role', 'status', 'aria-live', 'polite', 'aria-atomic', 'true']]);
			doc.body.append(live);
		}
		live.textContent = '';
		setTimeout(function () { live.textContent = msg; }, 50);
	}

	// fillLink puts the link's code into the first target, once, as the wasm
	// puts any code in (wasm/controller: put): through the native value
	// setter, then bubbling input, change and autocomplete ({code, source:
	// "link"}, cancelable) events and the announcement; with data-autosubmit
	// (the input's, else the script tag's), requestSubmit() when the
	// autocomplete event was not cancelled, nobody submitted during the
	// events, and the form is valid (checkValidity: no focus move). A code
	// longer than the input's maxlength is reported, not put in.
	function fillLink() {
		var el = linked && target(), submitted, on = function () { submitted = 1; }, form, wanted, a;
		if (!el) {
			return;
		}
		if (el.maxLength > 0 && linked.length > el.maxLength) {
			linked = '';
			return fire(el, 'webotp:error', {name: 'ConstraintError', message: "webotp: the code is longer than the input's maxlength"});
		}
		Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, linked);
		doc.addEventListener('submit', on, true);
		fire(el, 'input');
		fire(el, 'change');
		wanted = fire(el, 'autocomplete', {code: linked, source: 'link'}, true);
		doc.removeEventListener('submit', on, true);
		linked = '';
		announce(__WEBOTP_GO_FILLED__);
		a = el.getAttribute('data-autosubmit') ?? (script && script.getAttribute('data-autosubmit'));
		form = el.form;
		if (wanted && a != null && !/^\s*(false|off|no|0)\s*$/i.test(a) && !submitted && el.isConnected && form && form.checkValidity()) {
			form.requestSubmit();
		}
	}

	function fail(name, message, el) {
		shims(false);
		if (observer) {
			observer.disconnect();
		}
		if (early) {
			early.ctl.abort(); // nobody would fill it: end the early request
		}
		settle.reject(new DOMException(message, name));
		fire(el || doc, 'webotp:error', {name: name, message: message});
	}

	function dev(el) {
		var has = function (e) { return !!e && e.hasAttribute('data-dev-outbox'); };
		return loopback && (has(script) || has(el));
	}

	// allowed reports whether the permissions policy lets this document use
	// WebOTP: an iframe needs allow="otp-credentials", or Chromium rejects
	// get() with NotAllowedError. Without the API (or the feature's name) it
	// cannot tell, and lets get() decide.
	function allowed() {
		var p = doc.permissionsPolicy || doc.featurePolicy;
		return !(p && p.allowsFeature && p.features().indexOf('otp-credentials') >= 0 && !p.allowsFeature('otp-credentials'));
	}

	// compile fetches and compiles webotp.wasm, once (again after a
	// failure). The fetch is a plain GET, so the HTTP cache, or a
	// <link rel=preload as=fetch crossorigin>, serves it; the compile
	// streams where the server says application/wasm.
	function compile() {
		if (!compiled) {
			compiled = fetch(url).then(function (r) {
				if (!r.ok) {
					throw new DOMException('HTTP ' + r.status, 'NetworkError');
				}
				return WebAssembly.compileStreaming && /^application\/wasm\b/i.test(r.headers.get('Content-Type'))
					? WebAssembly.compileStreaming(r)
					: r.arrayBuffer().then(function (b) { return WebAssembly.compile(b); });
			});
			compiled.catch(function () { compiled = null; });
		}
		return compiled;
	}

	// define registers the customized built-in <input is="one-time-code">;
	// the wasm calls it. Class syntax needs no eval. Safari throws: false.
	function define() {
		try {
			if (!customElements.get('one-time-code')) {
				customElements.define('one-time-code', class extends HTMLInputElement {}, {extends: 'input'});
			}
			return true;
		} catch (e) {
			return false;
		}
	}

	// top returns the top-level document's hostname (this one's at top
	// level), or null when a frame cannot tell: no ancestorOrigins, an
	// opaque origin, or a third host in the chain of frames.
	function top() {
		var a = location.ancestorOrigins, t = host, ok = true;
		if (!a) {
			return win.top === win ? host : null;
		}
		for (var i = a.length; i--;) {
			var h = new URL(a[i]).hostname || null;
			t = i === a.length - 1 ? h : t;
			ok = ok && (h === t || h === host);
		}
		return ok ? t : null;
	}

	// build makes the element a JSON spec describes, for the wasm (the
	// same lines in Go cost KBs of wasm): [tag, style, text, [attribute,
	// value, ...], child spec, ...]. The style goes through the CSSOM,
	// which a strict style-src allows.
	function build(spec) {
		var s = typeof spec === 'string' ? JSON.parse(spec) : spec, el = doc.createElement(s[0]), a = s[3], i;
		el.style.cssText = s[1];
		el.textContent = s[2];
		for (i = 0; i < a.length; i += 2) {
			el.setAttribute(a[i], a[i + 1]);
		}
		for (i = 4; i < s.length; i++) {
			el.append(build(s[i]));
		}
		return el;
	}

	// outbox reads the dev outbox at u (relative to this script) for the
	// wasm: a promise of [body, sent (Unix ms), ...], newest first, from
	// GET /dev/outbox's [{body, sent_at (RFC 3339)}, ...].
	function outbox(u) {
		u = new URL(u, src).href;
		return fetch(u, {cache: 'no-store', credentials: 'omit'}).then(function (r) {
			if (!r.ok) {
				throw new Error('GET ' + u + ': HTTP ' + r.status);
			}
			return r.json();
		}).then(function (list) {
			var out = [];
			list.forEach(function (m) {
				var t = m && Date.parse(m.sent_at);
				if (t) {
					out.push(String(m.body), t);
				}
			});
			return out;
		});
	}

	// live reports whether the early request is still the loader's to end:
	// made, not ended, not adopted by the wasm yet.
	function live() {
		return early && !early.ended && !impl;
	}

	// end ends the early request before the wasm runs, as the wasm would,
	// and records the reason in early.ended: the signal's reason names it,
	// and webotp:abort fires on the input and, for a removed input (whose
	// events no longer reach the document), on the document too, with the
	// input in detail.input.
	function end(reason) {
		var el = early.input, d = {reason: reason};
		early.ended = reason;
		early.ctl.abort(new DOMException('webotp: request aborted: ' + reason, 'AbortError'));
		if (reason === 'removed') {
			d.input = el;
			fire(doc, 'webotp:abort', d);
		}
		fire(el, 'webotp:abort', d);
	}

	// arm starts the document's one get() for el at once, without waiting
	// for the wasm, and records it in early: {input, ctl, promise, t (when),
	// ended (why the loader ended it, '' while pending)}. Until the wasm runs
	// the loader ends it on a submit of its form, its removal or pagehide;
	// then the wasm decides what it means (handoff.early). Dev emulation has
	// no get(). The promise is only held here; its rejection is handled, so
	// it never reaches the console.
	function arm(el) {
		if (!el || dev(el)) {
			return;
		}
		try {
			early = request();
			early.input = el;
			early.t = Date.now();
			early.ended = '';
		} catch (e) {
			// no navigator.credentials: the wasm reports it when it arms
		}
	}

	// request calls navigator.credentials.get for an SMS code: {ctl (its
	// AbortController), promise (its rejection handled)}. It throws where
	// there is no navigator.credentials.
	function request() {
		var ctl = new AbortController();
		var p = navigator.credentials.get({otp: {transport: ['sms']}, signal: ctl.signal});
		p.catch(function () {});
		return {ctl: ctl, promise: p};
	}

	function load(el, noArm) {
		if (started) {
			return;
		}
		started = true;
		if (!('OTPCredential' in win) && !dev(el)) {
			settle.reject(new DOMException('WebOTP is not available in this browser', 'NotSupportedError'));
			return;
		}
		if (!dev(el) && !allowed()) {
			return fail('NotAllowedError', 'webotp: the permissions policy does not allow otp-credentials here (an iframe needs allow="otp-credentials")', el);
		}
		doc.addEventListener('submit', function (e) {
			if (live() && (early.input.form === e.target || e.target.contains(early.input))) {
				end('submit');
			}
		}, true);
		win.addEventListener('pagehide', function () {
			hidden = true;
			if (live()) {
				end('hidden');
			}
		});
		win.addEventListener('pageshow', function () { hidden = false; });
		if (!noArm) {
			arm(el);
		}
		var go = new Go();
		// The handoff: what the wasm needs from here. Not enumerable, and the
		// wasm deletes it once read.
		Object.defineProperty(api, '__handoff', {configurable: true, value: {
			script: script,
			sel: SEL,
			t0: t0, // dev emulation offers only messages sent after this
			get early() { return early; },
			get hidden() { return !!hidden; },
			top: top,
			define: define,
			build: build,
			get: request,
			outbox: outbox,
			announce: announce,
			ready: function (i) {
				impl = i;
				shims(false);
				settle.resolve(api);
			},
			fail: fail
		}});
		compile().then(function (m) {
			return WebAssembly.instantiate(m, go.importObject);
		}).then(function (instance) {
			shims(true);
			go.run(instance).catch(function () {});
			if (!impl) {
				fail('UnknownError', 'webotp: the wasm did not start');
			}
		}).catch(function (e) {
			fail((e && e.name) || 'NetworkError', 'webotp: cannot load ' + url + ': ' + ((e && e.message) || e));
		});
	}

	// target returns the first target input not switched off.
	function target() {
		var list = doc.querySelectorAll(SEL);
		for (var i = 0; i < list.length; i++) {
			if ((list[i].getAttribute('data-webotp') || '').toLowerCase() !== 'off') {
				return list[i];
			}
		}
	}

	// check runs now and after every mutation; once the wasm runs, it hands
	// the mutations to it. Before, a target input starts the load. Before
	// one appears, a page that will need the wasm soon (a phone number
	// input, or data-webotp-preload on the script tag) fetches and compiles
	// it, so that the code step finds it compiled and the code page in the
	// HTTP cache. The early request's input removed ends that request and
	// arms the next target.
	function check() {
		// <input is="one-time-code"> gets autocomplete="one-time-code" when
		// it has none, so the browser's own autofill sees it too; an input
		// with data-webotp="off" is left exactly as it is.
		doc.querySelectorAll('input[is="one-time-code"]:not([autocomplete]):not([data-webotp="off" i])').forEach(function (el) {
			el.setAttribute('autocomplete', 'one-time-code');
		});
		fillLink();
		if (none) {
			return linked || observer.disconnect();
		}
		if (impl) {
			return impl.mutated();
		}
		if (live() && !early.input.isConnected) {
			end('removed');
			arm(target());
		}
		if (!started) {
			var el = target();
			if (el) {
				load(el);
			} else if (!prefetched && (doc.querySelector(PHONE) || (script && script.hasAttribute('data-webotp-preload'))) && allowed()) {
				prefetched = compile();
			}
		}
	}

	var api = win.webotp = {
		version: '__WEBOTP_VERSION__',
		ready: ready,
		// receive(input, {timeout: seconds}) -> Promise<code>
		receive: function (input, options) {
			load(input, true); // receive() starts its own request
			return ready.then(function () {
				return new Promise(function (resolve, reject) {
					impl.receive(input, options && options.timeout, resolve, reject);
				});
			});
		},
		abort: function (input) {
			if (impl) {
				impl.abort(input);
			}
		},
		// parse(message) -> {host, code, embeddedHost} | null, by Chromium's rules
		parse: function (message) {
			if (!impl) {
				throw new DOMException('webotp.parse: not ready; await webotp.ready', 'InvalidStateError');
			}
			var r = impl.parse(String(message));
			return r && {host: r[0], code: r[1], embeddedHost: r[2]};
		}
	};

	// Without WebOTP there is nothing to do but a link's code: ready
	// rejects, and the observer waits only for the link's target.
	var none = !('OTPCredential' in win) && !dev(null);
	if (none) {
		load(null);
	}
	observer = new MutationObserver(check);
	observer.observe(doc, {childList: true, subtree: true, attributes: true, attributeFilter: WATCH});
	check();
})();
