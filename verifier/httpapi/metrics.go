package httpapi

import (
	"fmt"
	"strconv"
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
	started      prometheus.Counter
	approved     prometheus.Counter
	checksFailed prometheus.Counter
	sends        prometheus.Counter
	deliveryFail prometheus.Counter
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{
		reg: reg,
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
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "webotp_verifications_started_total", Help: "Verifications created and sent.",
		}),
		approved: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "webotp_verifications_approved_total", Help: "Checks that approved a verification.",
		}),
		checksFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "webotp_checks_failed_total", Help: "Checks with a wrong code.",
		}),
		sends: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "webotp_sends_total", Help: "Messages handed to the sender successfully, first sends and resends.",
		}),
		deliveryFail: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "webotp_delivery_failures_total", Help: "Messages the sender failed to deliver.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.errors, m.started, m.approved, m.checksFailed, m.sends, m.deliveryFail} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
	default:
		method = "other" // methods are client-chosen: bound the label's values
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// failed counts a failed operation by its code.
func (m *metrics) failed(err error) {
	code := verifier.ErrorCode(err)
	m.errors.WithLabelValues(string(code)).Inc()
	if code == verifier.CodeDeliveryFailed {
		m.deliveryFail.Inc()
	}
}

func (m *metrics) handler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
