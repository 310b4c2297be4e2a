package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/profiler"
	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
)

func TestRunRefusesNonLoopback(t *testing.T) {
	err := run(t.Context(), []string{"-addr", "0.0.0.0:0"}, io.Discard, io.Discard, func(string) string { return "" })
	if !errors.Is(err, shopsvc.ErrNotLoopback) {
		t.Fatalf("run -addr 0.0.0.0:0 = %v, want ErrNotLoopback", err)
	}
	if code := shopsvc.Exit("pricing", err, io.Discard); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
}

func TestRunBadKnob(t *testing.T) {
	env := map[string]string{"SHOP_PRICING_WORK": "lots"}
	err := run(t.Context(), nil, io.Discard, io.Discard, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "SHOP_PRICING_WORK") {
		t.Fatalf("run with SHOP_PRICING_WORK=lots = %v, want an error naming it", err)
	}
	err = run(t.Context(), []string{"-work", "-1"}, io.Discard, io.Discard, func(string) string { return "" })
	if err == nil {
		t.Fatalf("run -work -1: no error")
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-latency", "0s", "-work", "10"}, pw, io.Discard, func(string) string { return "" })
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the listening line: %v (run: %v)", err, <-done)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("stdout %q", line)
	}
	resp, err := http.Get(url + "/price?item=3")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /price: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
}

// With SHOP_PROFILE_URL set, pricing pushes its profiles there under its
// own name, labelled with SHOP_VERSION and SHOP_ENV, and the last ones at
// shutdown; its /metrics carry the version; and its own CPU profile
// endpoint still answers while the push holds the CPU profiler.
func TestRunPushesProfiles(t *testing.T) {
	var mu sync.Mutex
	var names []string
	types := map[string]bool{} // first sample type of each pushed profile
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		f, _, err := r.FormFile("profile")
		if r.URL.Path != "/ingest" || err != nil {
			t.Errorf("push to %s: %v", r.URL.Path, err)
			return
		}
		defer f.Close()
		p, err := profile.Parse(f)
		if err != nil {
			t.Errorf("pushed profile: %v", err)
			return
		}
		names = append(names, r.URL.Query().Get("name"))
		types[p.SampleType[0].Type] = true
	}))
	defer recv.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	env := map[string]string{"SHOP_PROFILE_URL": recv.URL, "SHOP_VERSION": "v2", "SHOP_ENV": "staging"}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-latency", "0s", "-work", "10"}, pw, io.Discard, func(k string) string { return env[k] })
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the listening line: %v (run: %v)", err, <-done)
	}
	url, _ := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if resp, err := http.Get(url + "/price?item=3"); err == nil {
				resp.Body.Close()
			}
		}
	}()
	cpu, _, err := profiler.Capture(t.Context(), url+"/debug/pprof", profiler.CPU, time.Second)
	close(stop)
	if err != nil {
		t.Errorf("the service's CPU profile while pushing: %v", err)
	} else if len(cpu.Sample) == 0 {
		t.Errorf("the service's CPU profile while pushing has no samples")
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `shop_http_requests_total{code="200",route="/price",service="pricing",version="v2"}`; !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics lacks %s", want)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel = %v, want nil", err)
	}
	// Uploads come every 15 s: these were pushed by the stop.
	mu.Lock()
	defer mu.Unlock()
	if !types["samples"] || !types["alloc_objects"] {
		t.Errorf("pushed profiles of types %v, want CPU (samples) and heap (alloc_objects)", types)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "pricing{") || !strings.Contains(n, "version=v2") || !strings.Contains(n, "env=staging") {
			t.Errorf("pushed as %q, want pricing{...env=staging,...version=v2}", n)
		}
	}
}

func TestRunBadProfileURL(t *testing.T) {
	env := map[string]string{"SHOP_PROFILE_URL": "pyroscope:4040"}
	err := run(t.Context(), nil, io.Discard, io.Discard, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "SHOP_PROFILE_URL") || !strings.Contains(err.Error(), "pyroscope:4040") {
		t.Fatalf("run with SHOP_PROFILE_URL=pyroscope:4040 = %v, want an error naming both", err)
	}
}
