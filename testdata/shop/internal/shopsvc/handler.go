// Package shopsvc is the scaffolding every shop service shares: its HTTP surface
// (health, Prometheus metrics, pprof), serving on loopback with graceful
// shutdown, and flags whose defaults come from the environment.
//
// A service is put together in three steps:
//
//  1. parse its flags with [Flags] (environment first, then the command line);
//  2. build its handler with [Handler] (or [HandlerWithVersion]) from the
//     service's own [Route]s, on a registry from [NewRegistry];
//  3. start continuous profiling, off unless configured, with
//     profiler.Start and the [Profiling] settings from its flags;
//  4. [Serve] it until the context is done, stop the profiler, and map the
//     error to an exit code with [Exit].
package shopsvc

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	pyroscopepprof "github.com/grafana/pyroscope-go/http/pprof"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric names every service exposes on /metrics.
const (
	MetricDuration = "shop_http_request_duration_seconds"
	MetricRequests = "shop_http_requests_total"
	MetricErrors   = "shop_http_errors_total"
)

// Route is one endpoint of a service, instrumented with the request metrics.
type Route struct {
	// Pattern is the http.ServeMux pattern, a plain path such as "/stock".
	// It is also the value of the metrics' route label.
	Pattern string
	// Handler answers the route; it checks the method itself.
	Handler http.Handler
}

// NewRegistry returns a Prometheus registry of its own holding the Go runtime
// and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler returns the whole HTTP surface of the service named service: its
// routes and GET /healthz, each instrumented with the request metrics
// registered on reg; GET /metrics serving reg; and net/http/pprof's handlers
// under /debug/pprof/, except that the CPU profile (/debug/pprof/profile) is
// pyroscope-go's, which works as well while profiler.Start's push holds the
// CPU profiler (net/http/pprof's would answer 500). Neither /metrics nor
// /debug/pprof is instrumented. The metrics have no version label.
func Handler(service string, reg *prometheus.Registry, routes ...Route) (http.Handler, error) {
	return HandlerWithVersion(service, "", reg, routes...)
}

// HandlerWithVersion is Handler with the request metrics labelled
// version=version, so that queries can split a service's requests by
// version; an empty version is no label.
func HandlerWithVersion(service, version string, reg *prometheus.Registry, routes ...Route) (http.Handler, error) {
	m, err := newMetrics(service, version, reg)
	if err != nil {
		return nil, fmt.Errorf("registering metrics of %s: %w", service, err)
	}
	mux := http.NewServeMux()
	routes = append(routes, Route{Pattern: "/healthz", Handler: http.HandlerFunc(healthz)})
	for _, rt := range routes {
		mux.Handle(rt.Pattern, m.instrument(rt.Pattern, rt.Handler))
	}
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pyroscopepprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux, nil
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok"))
}

// metrics are the request metrics of one service.
type metrics struct {
	service  string
	duration *prometheus.HistogramVec
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
}

// newMetrics registers the request metrics of service on reg, with a
// constant version label unless version is empty.
func newMetrics(service, version string, reg prometheus.Registerer) (*metrics, error) {
	var versioned prometheus.Labels
	if version != "" {
		versioned = prometheus.Labels{"version": version}
	}
	m := &metrics{
		service: service,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricDuration,
			Help: "Time to answer an HTTP request, by service, route and status code.",
			// 0.5 ms to about 8 s: the services answer in about a millisecond.
			Buckets:     prometheus.ExponentialBuckets(0.0005, 2, 15),
			ConstLabels: versioned,
		}, []string{"service", "route", "code"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        MetricRequests,
			Help:        "HTTP requests answered, by service, route and status code.",
			ConstLabels: versioned,
		}, []string{"service", "route", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        MetricErrors,
			Help:        "HTTP requests answered with a 5xx status, by service and route.",
			ConstLabels: versioned,
		}, []string{"service", "route"}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.requests, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// instrument wraps h so that each request it answers is counted and timed
// under route.
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	// Created now so that the error counter reads 0, not absent, until the
	// first 5xx: rate() over it then works from the start.
	errs := m.errors.WithLabelValues(m.service, route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		code := strconv.Itoa(sw.code)
		m.duration.WithLabelValues(m.service, route, code).Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(m.service, route, code).Inc()
		if sw.code >= 500 {
			errs.Inc()
		}
	})
}

// statusWriter remembers the status code a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
