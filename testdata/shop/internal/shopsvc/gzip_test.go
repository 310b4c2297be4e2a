package shopsvc

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGzip(t *testing.T) {
	body := strings.Repeat(`{"item":1,"cents":100}`, 50)
	h := Gzip(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	for _, tt := range []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"gzip", true},
		{"deflate, gzip;q=0.5", true},
		{"GZIP", true},
		{"gzip;q=0", false},
		{"br", false},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if tt.accept != "" {
			req.Header.Set("Accept-Encoding", tt.accept)
		}
		h.ServeHTTP(rec, req)
		got := rec.Body.String()
		if enc := rec.Header().Get("Content-Encoding"); (enc == "gzip") != tt.gzip {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want gzip %v", tt.accept, enc, tt.gzip)
			continue
		}
		if tt.gzip {
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatalf("Accept-Encoding %q: %v", tt.accept, err)
			}
			data, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if got = string(data); rec.Body.Len() >= len(body) {
				t.Errorf("Accept-Encoding %q: %d bytes compressed from %d", tt.accept, rec.Body.Len(), len(body))
			}
		}
		if got != body {
			t.Errorf("Accept-Encoding %q: body %q, want the handler's", tt.accept, got)
		}
	}
}

// TestGzipRoutes: with -gzip on, a route's answers are compressed, and
// /metrics is left to the Prometheus handler (compressed once, by it).
func TestGzipRoutes(t *testing.T) {
	fs := NewFlags("svc", io.Discard)
	on := fs.GzipFlag()
	if err := fs.ParseEnv(nil, func(k string) string { return map[string]string{"SHOP_GZIP": "on"}[k] }); err != nil {
		t.Fatal(err)
	}
	h, err := Handler("svc", NewRegistry(), GzipRoutes(on, []Route{{Pattern: "/x", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})}})...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for path, want := range map[string]string{"/x": "hello", "/metrics": "go_goroutines"} {
		resp, err := http.Get(srv.URL + path) // the transport asks for gzip and undoes one layer
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !resp.Uncompressed || !strings.Contains(string(data), want) {
			t.Errorf("GET %s: uncompressed by the transport %v, body %.40q; want it gzipped once, holding %q", path, resp.Uncompressed, data, want)
		}
	}
}
