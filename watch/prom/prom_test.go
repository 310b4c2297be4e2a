package prom

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/perfgate/perfgate/internal/promtest"
)

// A real Prometheus scrapes a service whose v1 answers in about 1 ms and
// whose v2 in about 6 ms; Intervals reads each version's window back.
func TestIntervals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15),
	}, []string{"service", "route", "code", "version"})
	reg.MustRegister(h)
	target := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer target.Close()
	srv := promtest.ForTest(t, ctx, 250*time.Millisecond, promtest.Target{Job: "svc", Addrs: []string{strings.TrimPrefix(target.URL, "http://")}})

	// 200 requests a second for 4 s per version, observed as they come.
	observe := func(version string, latency float64) (from, until time.Time) {
		from = time.Now()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for time.Since(from) < 4*time.Second {
			<-tick.C
			h.WithLabelValues("cart", "/checkout", "200", version).Observe(latency)
		}
		return from, time.Now()
	}
	from1, until1 := observe("v1", 0.0011)
	from2, until2 := observe("v2", 0.0062)
	time.Sleep(time.Second) // the last scrapes

	c, err := New(srv.URL, DefaultMetrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version     string
		from, until time.Time
		lo, hi      float64 // the p50's bucket
	}{
		{"v1", from1, until1, 0.001, 0.002},
		{"v2", from2, until2, 0.004, 0.008},
	} {
		got, err := c.Intervals(ctx, Window{Service: "cart", Version: tc.version, From: tc.from, Until: tc.until, Step: time.Second})
		if err != nil {
			t.Fatalf("%s: %v", tc.version, err)
		}
		ivs := got["/checkout"]
		if len(got) != 1 || len(ivs) < 2 {
			t.Fatalf("%s: %d routes, %d intervals; want 1 route and at least 2 intervals: %+v", tc.version, len(got), len(ivs), got)
		}
		for _, iv := range ivs {
			if !(iv.P50 > tc.lo && iv.P50 <= tc.hi && iv.P99 <= tc.hi && iv.P50 <= iv.P90 && iv.P90 <= iv.P99) {
				t.Errorf("%s at %v: p50 %g p90 %g p99 %g, want in (%g, %g]", tc.version, iv.End, iv.P50, iv.P90, iv.P99, tc.lo, tc.hi)
			}
			if math.Abs(iv.Mean-map[string]float64{"v1": 0.0011, "v2": 0.0062}[tc.version]) > 1e-6 {
				t.Errorf("%s: mean %g", tc.version, iv.Mean)
			}
			if iv.Requests < 50 || iv.Requests > 400 {
				t.Errorf("%s at %v: %g requests in 1 s at 200 req/s", tc.version, iv.End, iv.Requests)
			}
		}
	}
	vs, err := c.Versions(ctx, "cart", from1, time.Now())
	if err != nil || strings.Join(vs, ",") != "v1,v2" {
		t.Errorf("Versions = %v, %v; want v1,v2", vs, err)
	}

	// A window with nothing in it, a service that does not exist.
	if _, err := c.Intervals(ctx, Window{Service: "cart", Version: "v1", From: from1.Add(-time.Hour), Until: from1.Add(-50 * time.Minute), Step: time.Second}); !errors.Is(err, ErrNoData) {
		t.Errorf("empty window: %v, want ErrNoData", err)
	}
	if _, err := c.Intervals(ctx, Window{Service: "nobody", From: from1, Until: until2, Step: time.Second}); !errors.Is(err, ErrNoData) {
		t.Errorf("unknown service: %v, want ErrNoData", err)
	}
}

// A Prometheus that is down, or that answers errors, is a one-line error.
func TestIntervalsFaults(t *testing.T) {
	ctx := context.Background()
	w := Window{Service: "cart", From: time.Unix(1e9, 0), Until: time.Unix(1e9+60, 0), Step: 10 * time.Second}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": parse error"}`))
	}))
	defer broken.Close()
	for _, tc := range []struct {
		name, url, want string
	}{
		{"down", down.URL, "connection refused"},
		{"error answer", broken.URL, "parse error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.url, DefaultMetrics)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Intervals(ctx, w)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, tc.want)
			}
		})
	}
	if _, err := (&Client{}).Intervals(ctx, Window{Step: 0}); err == nil {
		t.Error("a window without a step: no error")
	}
}

func TestMetricsCheck(t *testing.T) {
	for _, tc := range []struct {
		m  Metrics
		ok bool
	}{
		{DefaultMetrics, true},
		{Metrics{Duration: "a b", ServiceLabel: "s", RouteLabel: "r", VersionLabel: "v"}, false},
		{Metrics{Duration: "d", ServiceLabel: "1s", RouteLabel: "r", VersionLabel: "v"}, false},
		{Metrics{Duration: "d", ServiceLabel: "s", RouteLabel: "r", VersionLabel: "v", Matchers: `{env="x"}`}, false},
		{Metrics{Duration: "d", ServiceLabel: "s", RouteLabel: "r", VersionLabel: "v", Matchers: `env="x"`}, true},
	} {
		if err := tc.m.Check(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok %v", tc.m, err, tc.ok)
		}
	}
}
