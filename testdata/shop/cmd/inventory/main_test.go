package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
)

func TestRunRefusesNonLoopback(t *testing.T) {
	err := run(t.Context(), []string{"-addr", "0.0.0.0:0"}, io.Discard, io.Discard, func(string) string { return "" })
	if !errors.Is(err, shopsvc.ErrNotLoopback) {
		t.Fatalf("run -addr 0.0.0.0:0 = %v, want ErrNotLoopback", err)
	}
	if code := shopsvc.Exit("inventory", err, io.Discard); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
}

func TestRunBadKnob(t *testing.T) {
	env := map[string]string{"SHOP_LATENCY": "fast"}
	err := run(t.Context(), nil, io.Discard, io.Discard, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "SHOP_LATENCY") {
		t.Fatalf("run with SHOP_LATENCY=fast = %v, want an error naming it", err)
	}
	err = run(t.Context(), []string{"-latency", "-1s"}, io.Discard, io.Discard, func(string) string { return "" })
	if err == nil {
		t.Fatalf("run -latency -1s: no error")
	}
	env = map[string]string{"SHOP_PROFILE_URL": "ftp://pyroscope:4040"}
	err = run(t.Context(), nil, io.Discard, io.Discard, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "SHOP_PROFILE_URL") {
		t.Fatalf("run with SHOP_PROFILE_URL=ftp://pyroscope:4040 = %v, want an error naming it", err)
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	env := map[string]string{"SHOP_VERSION": "v3"} // labels the metrics; nothing is pushed
	go func() {
		done <- run(ctx, []string{"-latency", "0s"}, pw, io.Discard, func(k string) string { return env[k] })
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
	resp, err := http.Get(url + "/stock?item=3")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /stock: %d", resp.StatusCode)
	}
	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `shop_http_requests_total{code="200",route="/stock",service="inventory",version="v3"} 1`; !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
}
