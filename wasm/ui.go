//go:build js && wasm

package main

import (
	"errors"

	"github.com/hack-pad/safejs"
)

// Styles are set through the CSSOM (style.cssText), which a strict
// style-src CSP allows, unlike style attributes or <style> elements.
const (
	barStyle = "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;box-sizing:border-box;" +
		"max-width:480px;margin:0 auto;padding:16px 20px calc(16px + env(safe-area-inset-bottom,0px));" +
		"background:#fff;color:#1f1f1f;border-radius:16px 16px 0 0;box-shadow:0 -4px 24px rgba(0,0,0,.25);" +
		"font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;text-align:left"
	titleStyle = "margin:0 0 4px;font-size:17px;font-weight:600;color:#1f1f1f"
	textStyle  = "margin:0 0 4px"
	codeStyle  = "font-variant-numeric:tabular-nums;letter-spacing:.05em"
	noteStyle  = "margin:0 0 12px;font-size:13px;color:#5f6368"
	rowStyle   = "display:flex;gap:8px;justify-content:flex-end"
	buttonBase = "min-width:88px;min-height:44px;padding:0 18px;border-radius:22px;" +
		"font:600 15px system-ui,sans-serif;cursor:pointer;"
	denyStyle  = buttonBase + "background:#fff;color:#0b57d0;border:1px solid #747775"
	allowStyle = buttonBase + "background:#0b57d0;color:#fff;border:1px solid #0b57d0"
)

// consentSpec describes the consent bar for build, as JSON: [tag, style,
// text, [attribute, value, ...], child spec, ...]. The bar's code and host
// are filled in afterwards.
const (
	consentSpec = `["div","` + barStyle + `","",["id","webotp-consent","role","dialog","aria-modal","false",` +
		`"aria-labelledby","webotp-consent-title","aria-describedby","webotp-consent-text"],` +
		`["h2","` + titleStyle + `","Verify your phone number",["id","webotp-consent-title"]],` +
		`["p","` + textStyle + `","",["id","webotp-consent-text"],["strong","` + codeStyle + `","",[]]],` +
		`["p","` + noteStyle + `","Development mode: the SMS was read from the verifier's outbox.",[]],` +
		`["div","` + rowStyle + `","",[],` +
		`["button","` + denyStyle + `","Deny",["type","button","data-action","deny"]],` +
		`["button","` + allowStyle + `","Allow",["type","button","data-action","allow"]]]]`
)

var errNoBody = errors.New("document has no body")

// Announce says msg through the loader's handoff.announce: the polite,
// visually hidden live region #webotp-live, which the loader also
// announces a link's code through.
func (b *binding) Announce(msg string) { invoke(b.announce, msg) }

// build makes the element a spec describes, through the loader's
// handoff.build (the same few lines in Go cost KBs of wasm).
func (b *binding) build(spec string) safejs.Value { return call(b.handoff, "build", spec) }

func (b *binding) appendToBody(el safejs.Value) error {
	body := get(b.doc, "body")
	if !isObject(body) || !isObject(el) {
		return errNoBody
	}
	_, err := callErr(body, "appendChild", el)
	return err
}

// consentBar is the dev-mode stand-in for Chrome's WebOTP prompt: a
// bottom sheet (#webotp-consent) with Deny and Allow buttons
// (data-action="deny" / "allow"). It takes no focus; its buttons are the
// last stops in the tab order, and Escape inside it denies.
type consentBar struct {
	b     *binding
	root  safejs.Value
	funcs []safejs.Func
}

// ShowConsent shows the consent bar for request id.
func (b *binding) ShowConsent(id int, code, host string) {
	b.consent.hide()
	if err := b.consent.show(id, code, host); err != nil {
		b.consent.hide()
		b.c.Consent(id, false)
	}
}

// HideConsent removes the consent bar.
func (b *binding) HideConsent() { b.consent.hide() }

func (cb *consentBar) show(id int, code, host string) error {
	b := cb.b
	root := b.build(consentSpec)
	text := call(root, "querySelector", "#webotp-consent-text")
	set(call(text, "querySelector", "strong"), "textContent", code)
	call(text, "append", " from "+host)
	// One listener on the bar: a click on a button, or Escape (deny).
	f := b.fn(func(_ safejs.Value, args []safejs.Value) any {
		ev := arg(args, 0)
		action, _ := attr(call(get(ev, "target"), "closest", "[data-action]"), "data-action")
		if str(get(ev, "type")) == "keydown" {
			action = ""
			if str(get(ev, "key")) == "Escape" {
				action = "deny"
			}
		}
		if action != "" {
			b.c.Consent(id, action == "allow")
		}
		return nil
	})
	cb.funcs = append(cb.funcs, f)
	call(root, "addEventListener", "click", f)
	call(root, "addEventListener", "keydown", f)
	if err := b.appendToBody(root); err != nil {
		return err
	}
	cb.root = root
	b.Announce("Verification code from " + host + " received: Allow or Deny at the bottom of the page.")
	return nil
}

func (cb *consentBar) hide() {
	if isObject(cb.root) {
		call(cb.root, "remove")
	}
	cb.root = undefined()
	for _, f := range cb.funcs {
		f.Release()
	}
	cb.funcs = nil
}
