package profiler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"strings"
	"testing"
	"time"
)

func TestCapture(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.Handle("/moved/heap", http.RedirectHandler("/debug/pprof/heap", http.StatusFound))
	mux.HandleFunc("/bad/heap", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("not a profile")) })
	mux.HandleFunc("/slow/heap", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, kind := range []Kind{Heap, Goroutine, Allocs} {
		p, data, err := Capture(context.Background(), srv.URL+"/debug/pprof", kind, 0)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(p.SampleType) == 0 || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			t.Errorf("%s: %d sample types, %d bytes: not a gzipped profile", kind, len(p.SampleType), len(data))
		}
	}
	p, _, err := Capture(context.Background(), srv.URL+"/debug/pprof/", CPU, time.Second)
	if err != nil {
		t.Fatalf("cpu: %v", err)
	}
	if p.DurationNanos < int64(500*time.Millisecond) {
		t.Errorf("cpu profile covers %v, want about a second", time.Duration(p.DurationNanos))
	}

	for _, tt := range []struct {
		name, base string
		want       string
	}{
		{"missing", srv.URL + "/nothing", "404"},
		{"not a profile", srv.URL + "/bad", "not a pprof profile"},
		{"refused", "http://127.0.0.1:1", "connection refused"},
		{"not loopback", "http://10.1.2.3/debug/pprof", "not a loopback address"},
		{"redirect", srv.URL + "/moved", "302"},
	} {
		_, _, err := Capture(context.Background(), tt.base, Heap, 0)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := Capture(ctx, srv.URL+"/slow", Heap, 0); err == nil {
		t.Error("a slow endpoint gave no error")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a slow endpoint held Capture for %v despite the context's deadline", d)
	}
}
