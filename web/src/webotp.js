/*! webotp.js __WEBOTP_VERSION__ | https://github.com/webotp/webotp | includes Go's wasm_exec.js, (c) The Go Authors, BSD-3-Clause */
// The loader: one classic script, safe with async. It defines window.webotp
// at once, and fetches webotp.wasm (next to this file, wherever that is) only
// when the page has a target input and the browser has WebOTP (or dev
// emulation applies). With WebOTP it calls navigator.credentials.get itself
// as soon as it sees a target input, and the wasm adopts that request when it
// runs (see arm). No eval, no inline code: it runs under
// Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'.
// The build (build/client.sh) puts Go's wasm_exec.js where the WASM_EXEC
// marker is and the version where __WEBOTP_VERSION__ is.
(function () {
	'use strict';
	var win = window, doc = document, t0 = Date.now();
	// document.currentScript is only set while this runs for the first time.
	var script = doc.currentScript || doc.querySelector('script[src*="webotp.js"]');
	if (win.webotp) {
		return; // loaded twice: the first copy serves the page
	}
	var src = (script && script.src) || location.href;
	var host = location.hostname;
	var loopback = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
	var SEL = 'input[is="one-time-code"],input[autocomplete~="one-time-code" i]';

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

	var impl, started, observer, early, settle = {};
	var ready = new Promise(function (resolve, reject) {
		settle.resolve = resolve;
		settle.reject = reject;
	});
	ready.catch(function () {}); // a page that never awaits ready sees no unhandled rejection

	function fail(name, message) {
		shims(false);
		if (early) {
			early.ctl.abort(); // nobody would fill it: end the early request
		}
		settle.reject(new DOMException(message, name));
		doc.dispatchEvent(new CustomEvent('webotp:error', {bubbles: true, detail: {name: name, message: message}}));
	}

	function dev(el) {
		var has = function (e) { return !!e && e.hasAttribute('data-dev-outbox'); };
		return loopback && (has(script) || has(el));
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

	// arm starts the document's one get() for el at once, without waiting
	// for the wasm: the wasm adopts it (handoff.early) and routes, aborts
	// and fills it as its own. Until then page events that concern it are
	// recorded for the wasm to replay. The promise is only held here; its
	// rejection is handled, so it never reaches the console.
	function arm(el) {
		if (!el || dev(el) || el.disabled || el.readOnly || el.value) {
			return;
		}
		try {
			var ctl = new AbortController();
			var p = navigator.credentials.get({otp: {transport: ['sms']}, signal: ctl.signal});
			p.catch(function () {});
			early = {input: el, ctl: ctl, promise: p, t: Date.now(), events: []};
		} catch (e) {
			// no navigator.credentials: the wasm reports it when it arms
		}
		function record(e) {
			if (!impl) {
				early.events.push([e.type, e.target]);
			}
		}
		if (early) {
			doc.addEventListener('submit', record, true);
			win.addEventListener('pagehide', record);
			win.addEventListener('pageshow', record);
		}
	}

	function load(el, noArm) {
		if (started) {
			return;
		}
		started = true;
		if (observer) {
			observer.disconnect();
		}
		if (!('OTPCredential' in win) && !dev(el)) {
			settle.reject(new DOMException('WebOTP is not available in this browser', 'NotSupportedError'));
			return;
		}
		if (!noArm) {
			arm(el);
		}
		var go = new Go();
		var url = new URL('webotp.wasm', src).href;
		// The handoff: what the wasm needs from here. Not enumerable, and the
		// wasm deletes it once read.
		Object.defineProperty(api, '__handoff', {configurable: true, value: {
			script: script,
			src: src,
			t0: t0, // dev emulation offers only messages sent after this
			early: early,
			define: define,
			ready: function (i) {
				impl = i;
				shims(false);
				settle.resolve(api);
			},
			fail: fail
		}});
		fetch(url).then(function (r) {
			if (!r.ok) {
				throw new DOMException('HTTP ' + r.status, 'NetworkError');
			}
			// instantiateStreaming needs exactly application/wasm.
			return WebAssembly.instantiateStreaming && /^application\/wasm\b/i.test(r.headers.get('Content-Type'))
				? WebAssembly.instantiateStreaming(r, go.importObject)
				: r.arrayBuffer().then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
		}).then(function (m) {
			shims(true);
			go.run(m.instance).catch(function () {});
			if (!impl) {
				fail('UnknownError', 'webotp: the wasm did not start');
			}
		}).catch(function (e) {
			fail((e && e.name) || 'NetworkError', 'webotp: cannot load ' + url + ': ' + ((e && e.message) || e));
		});
	}

	// A target input now, or the first to appear, starts the load.
	function check() {
		var list = doc.querySelectorAll(SEL);
		for (var i = 0; i < list.length; i++) {
			if ((list[i].getAttribute('data-webotp') || '').toLowerCase() !== 'off') {
				return load(list[i]);
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
			return impl.parse(String(message));
		}
	};

	if (!('OTPCredential' in win) && !dev(null)) {
		load(null); // rejects ready: nothing to do in this browser
		return;
	}
	check();
	if (!started) {
		observer = new MutationObserver(check);
		observer.observe(doc, {childList: true, subtree: true, attributes: true, attributeFilter: ['autocomplete', 'is', 'data-webotp']});
	}
})();
