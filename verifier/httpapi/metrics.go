package httpapi

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/webotp/webotp/verifier"
)

// metrics are the Prometheus series of one Server, in its own registry.
type metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	errors       *prometheus.CounterVec
	started      channelCounters
	approved     prometheus.Counter
	checksFailed prometheus.Counter
	sends        channelCounters
	deliveryFail channelCounters
	series       sync.Map // seriesKey -> *series
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	started := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "webotp_verifications_started_total", Help: "Verifications created and sent, by channel.",
	}, []string{"channel"})
	sends := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "webotp_sends_total", Help: "Messages, calls and emails handed to their sender successfully, first sends and resends, by channel.",
	}, []string{"channel"})
	deliveryFail := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "webotp_delivery_failures_total", Help: "Messages, calls and emails their sender failed to deliver, by channel.",
	}, []string{"channel"})
	m := &metrics{
		reg:          reg,
		started:      newChannelCounters(started),
		sends:        newChannelCounters(sends),
		deliveryFail: newChannelCounters(deliveryFail),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webotp_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "webotp_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webotp_api_errors_total", Help: "Verification operations that failed, by error code.",
		}, []string{"code"}),
		approved: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "webotp_verifications_approved_total", Help: "Checks that approved a verification.",
		}),
		checksFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "webotp_checks_failed_total", Help: "Checks with a wrong code.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.errors, started, m.approved, m.checksFailed, sends, deliveryFail} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi: register metrics: %w", err)
		}
	}
	return m, nil
}

// seriesKey names the request series of one route, method and status.
type seriesKey struct {
	route, method string
	status        int
}

// series are the request counter and latency histogram of one seriesKey.
type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// observe counts a request and its latency. The series of each route,
// method and status are looked up once, then kept: the labels' values are
// bounded (route patterns, known methods, status codes).
func (m *metrics) observe(route string, method []byte, status int, d time.Duration) {
	k := seriesKey{route: route, method: methodLabel(method), status: status}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, &series{
			requests: m.requests.WithLabelValues(route, k.method, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(route),
		})
	}
	sr := v.(*series)
	sr.requests.Inc()
	sr.latency.Observe(d.Seconds())
}

// methodLabel returns the method as a label value: methods are
// client-chosen, so any but the known ones is "other".
func methodLabel(method []byte) string {
	switch string(method) {
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "PATCH":
		return "PATCH"
	case "DELETE":
		return "DELETE"
	case "OPTIONS":
		return "OPTIONS"
	default:
		return "other"
	}
}

// failed counts a failed operation by its code, and a failed delivery by
// its channel.
func (m *metrics) failed(err error, ch verifier.Channel) {
	code := verifier.ErrorCode(err)
	m.errors.WithLabelValues(string(code)).Inc()
	if code == verifier.CodeDeliveryFailed {
		m.deliveryFail.of(ch).Inc()
	}
}

// channelCounters are the series of one counter, one per channel, made
// at start so that every channel shows (at 0) before its first event.
type channelCounters struct {
	sms, voice, email prometheus.Counter
}

func newChannelCounters(vec *prometheus.CounterVec) channelCounters {
	return channelCounters{
		sms:   vec.WithLabelValues(string(verifier.ChannelSMS)),
		voice: vec.WithLabelValues(string(verifier.ChannelVoice)),
		email: vec.WithLabelValues(string(verifier.ChannelEmail)),
	}
}

// of is the counter of ch.
func (c channelCounters) of(ch verifier.Channel) prometheus.Counter {
	switch ch {
	case verifier.ChannelVoice:
		return c.voice
	case verifier.ChannelEmail:
		return c.email
	}
	return c.sms
}

func (m *metrics) handler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
