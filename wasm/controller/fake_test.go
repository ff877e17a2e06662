package controller_test

import (
	"sort"
	"strings"
	"time"

	"github.com/webotp/webotp/otpmsg"
	"github.com/webotp/webotp/wasm/controller"
)

// input is a fake <input>.
type input struct {
	name      string
	attrs     map[string]string
	connected bool
	disabled  bool
	value     string
	maxLength int // 0 means none
}

func (in *input) Attr(name string) (string, bool) { v, ok := in.attrs[name]; return v, ok }
func (in *input) Connected() bool                 { return in.connected }
func (in *input) Usable() bool                    { return !in.disabled }
func (in *input) Value() string                   { return in.value }
func (in *input) MaxLength() int {
	if in.maxLength == 0 {
		return -1
	}
	return in.maxLength
}

func newInput(name string, attrs ...string) *input {
	in := &input{name: name, attrs: map[string]string{}, connected: true}
	for i := 0; i+1 < len(attrs); i += 2 {
		in.attrs[attrs[i]] = attrs[i+1]
	}
	return in
}

// attrs is a fake script tag.
type attrs map[string]string

func (a attrs) Attr(name string) (string, bool) { v, ok := a[name]; return v, ok }

type timer struct {
	at      time.Time
	f       func()
	stopped bool
}

// page is a fake document recording what the controller does to it, one
// line per call.
type page struct {
	inputs  []*input
	focused *input
	host    string
	// top, and !topUnknown, are what TopHost returns; "" means host.
	top        string
	topUnknown bool
	now        time.Time
	timers     []*timer
	log        []string
	// onEvent runs inside Dispatch, as a page's listener would.
	onEvent func(el *input, typ string) (cancel bool)
}

func newPage(inputs ...*input) *page {
	return &page{inputs: inputs, host: "example.com", now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (p *page) Targets() []controller.Element {
	var out []controller.Element
	for _, in := range p.inputs {
		if in.connected {
			out = append(out, in)
		}
	}
	return out
}

func (p *page) Focused() controller.Element {
	if p.focused == nil {
		return nil
	}
	return p.focused
}

func (p *page) Hostname() string { return p.host }
func (p *page) TopHost() (string, bool) {
	if p.top == "" {
		return p.host, !p.topUnknown
	}
	return p.top, !p.topUnknown
}
func (p *page) Now() int64 { return p.now.UnixMilli() }

func (p *page) After(ms int64, f func()) func() {
	t := &timer{at: p.now.Add(time.Duration(ms) * time.Millisecond), f: f}
	p.timers = append(p.timers, t)
	return func() { t.stopped = true }
}

// advance moves the clock, firing due timers in order.
func (p *page) advance(d time.Duration) {
	end := p.now.Add(d)
	for {
		sort.SliceStable(p.timers, func(i, j int) bool { return p.timers[i].at.Before(p.timers[j].at) })
		var next *timer
		for _, t := range p.timers {
			if !t.stopped && !t.at.After(end) {
				next = t
				break
			}
		}
		if next == nil {
			break
		}
		next.stopped = true
		p.now = next.at
		next.f()
	}
	p.now = end
}

func (p *page) logf(parts ...string) { p.log = append(p.log, strings.Join(parts, " ")) }

func name(el controller.Element) string {
	if el == nil {
		return "document"
	}
	return el.(*input).name
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func (p *page) Get(id int)                   { p.logf("get", itoa(id)) }
func (p *page) Adopt(id int)                 { p.logf("adopt", itoa(id)) }
func (p *page) Cancel(id int, reason string) { p.logf("cancel", itoa(id), reason) }
func (p *page) Fetch(id int, url string)     { p.logf("fetch", itoa(id), url) }
func (p *page) ShowConsent(id int, code, host string) {
	p.logf("consent", itoa(id), code, host)
}
func (p *page) HideConsent()                        { p.logf("hide-consent") }
func (p *page) Announce(msg string)                 { p.logf("announce", msg) }
func (p *page) RequestSubmit(el controller.Element) { p.logf("request-submit", name(el)) }

func (p *page) SetValue(el controller.Element, v string) {
	el.(*input).value = v
	p.logf("set", name(el), v)
}

func (p *page) SetValidity(el controller.Element, msg string) {
	p.logf("validity", name(el), msg)
}

func (p *page) Dispatch(el controller.Element, typ string, d controller.Detail) bool {
	line := []string{"event", name(el), typ}
	var keys []string
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := d[k].(string)
		if !ok {
			v = name(d[k].(controller.Element))
		}
		line = append(line, k+"="+v)
	}
	p.logf(line...)
	if p.onEvent != nil {
		var in *input
		if el != nil {
			in = el.(*input)
		}
		return !p.onEvent(in, typ)
	}
	return true
}

// take returns the log so far and clears it.
func (p *page) take() []string {
	l := p.log
	p.log = nil
	return l
}

// waiter records a receive() outcome.
type waiter struct{ got string }

func (w *waiter) Resolve(code string)         { w.got = "resolve " + code }
func (w *waiter) Reject(name, message string) { w.got = "reject " + name + ": " + message }

func chromiumParse(msg string) (host, code, embedded string, ok bool) {
	o, err := otpmsg.ParseChromium(msg)
	if err != nil {
		return "", "", "", false
	}
	return o.Host, o.Code, o.EmbeddedHost, true
}

func newController(p *page, script attrs) *controller.Controller {
	return controller.New(p, controller.Config{Script: script, Parse: chromiumParse, Loaded: p.Now()})
}
