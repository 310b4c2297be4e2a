package shopsvc

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func newTestService(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := Handler("svc", NewRegistry(),
		Route{Pattern: "/hello", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "hello")
		})},
		Route{Pattern: "/fail", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "broken", http.StatusInternalServerError)
		})},
	)
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading GET %s: %v", url, err)
	}
	return resp.StatusCode, b
}

func TestHandlerRoutes(t *testing.T) {
	srv := newTestService(t)
	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{path: "/healthz", wantCode: 200, wantBody: "ok"},
		{path: "/hello", wantCode: 200, wantBody: "hello"},
		{path: "/fail", wantCode: 500, wantBody: "broken\n"},
		{path: "/nowhere", wantCode: 404},
		{path: "/debug/pprof/", wantCode: 200},
		{path: "/debug/pprof/goroutine?debug=1", wantCode: 200},
		{path: "/debug/pprof/cmdline", wantCode: 200},
	}
	for _, tt := range tests {
		code, body := get(t, srv.URL+tt.path)
		if code != tt.wantCode {
			t.Errorf("GET %s: %d, want %d", tt.path, code, tt.wantCode)
		}
		if tt.wantBody != "" && string(body) != tt.wantBody {
			t.Errorf("GET %s: body %q, want %q", tt.path, body, tt.wantBody)
		}
	}
}

func TestMetrics(t *testing.T) {
	srv := newTestService(t)
	get(t, srv.URL+"/hello")
	get(t, srv.URL+"/hello")
	get(t, srv.URL+"/fail")
	get(t, srv.URL+"/debug/pprof/")
	get(t, srv.URL+"/metrics")
	code, body := get(t, srv.URL+"/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	text := string(body)
	for _, want := range []string{
		`shop_http_request_duration_seconds_bucket{code="200",route="/hello",service="svc",le="+Inf"} 2`,
		`shop_http_request_duration_seconds_count{code="500",route="/fail",service="svc"} 1`,
		`shop_http_requests_total{code="200",route="/hello",service="svc"} 2`,
		`shop_http_requests_total{code="500",route="/fail",service="svc"} 1`,
		`shop_http_errors_total{route="/fail",service="svc"} 1`,
		`shop_http_errors_total{route="/hello",service="svc"} 0`,
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, unwanted := range []string{`route="/metrics"`, `route="/debug/pprof/"`} {
		if strings.Contains(text, unwanted) {
			t.Errorf("/metrics instruments %s", unwanted)
		}
	}
}

func TestHandlerTwiceOnOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := Handler("a", reg); err != nil {
		t.Fatalf("first Handler: %v", err)
	}
	if _, err := Handler("b", reg); err == nil {
		t.Fatalf("second Handler on the same registry: no error")
	}
}

func TestPprof(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a one-second CPU profile")
	}
	srv := newTestService(t)
	for _, path := range []string{
		"/debug/pprof/heap",
		"/debug/pprof/allocs",
		"/debug/pprof/goroutine",
		"/debug/pprof/profile?seconds=1",
	} {
		code, body := get(t, srv.URL+path)
		if code != 200 {
			t.Errorf("GET %s: %d %s", path, code, body)
			continue
		}
		// A pprof protobuf profile is gzipped.
		if !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
			t.Errorf("GET %s: %d bytes, not gzip", path, len(body))
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		if pb, err := io.ReadAll(zr); err != nil || len(pb) == 0 {
			t.Errorf("GET %s: %d bytes of profile, error %v", path, len(pb), err)
		}
	}
}
