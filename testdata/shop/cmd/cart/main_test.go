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

func TestRun(t *testing.T) {
	urls := []string{"-inventory", "http://127.0.0.1:1", "-pricing", "http://127.0.0.1:2"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "non-loopback", args: append([]string{"-addr", "0.0.0.0:0"}, urls...), wantErr: "not a loopback address"},
		{name: "non-loopback by hostname", args: append([]string{"-addr", "example.com:80"}, urls...), wantErr: "not a loopback address"},
		{name: "no downstream", wantErr: "-inventory (or SHOP_INVENTORY_URL) is required"},
		{name: "no pricing", args: urls[:2], wantErr: "-pricing (or SHOP_PRICING_URL) is required"},
		{name: "bad fanout flag", args: append([]string{"-fanout", "async"}, urls...), wantErr: "invalid value"},
		{name: "bad fanout env", args: urls, env: map[string]string{"SHOP_FANOUT": "async"}, wantErr: "SHOP_FANOUT"},
		{name: "bad cache env", args: urls, env: map[string]string{"SHOP_CACHE": "yes"}, wantErr: "SHOP_CACHE"},
		{name: "bad slow env", args: urls, env: map[string]string{"SHOP_SLOW": "10"}, wantErr: "SHOP_SLOW"},
		{name: "bad profile URL env", args: urls, env: map[string]string{"SHOP_PROFILE_URL": "http://"}, wantErr: "SHOP_PROFILE_URL"},
		{name: "bad version for profiles", args: append([]string{"-profile-url", "http://127.0.0.1:1", "-version", "v{2}"}, urls...), wantErr: `Version "v{2}"`},
		{name: "bad timeout", args: append([]string{"-timeout", "0s"}, urls...), wantErr: "timeout"},
		{name: "bad inventory URL", args: []string{"-inventory", "127.0.0.1:1", "-pricing", "http://127.0.0.1:2"}, wantErr: "URL of inventory"},
		{name: "downstream by env, refused address", args: []string{"-addr", ":0"},
			env:     map[string]string{"SHOP_INVENTORY_URL": "http://127.0.0.1:1", "SHOP_PRICING_URL": "http://127.0.0.1:2"},
			wantErr: "not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), tt.args, io.Discard, io.Discard, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run %q: error %v, want one containing %q", tt.args, err, tt.wantErr)
			}
			if code := shopsvc.Exit("cart", err, io.Discard); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if strings.Contains(tt.wantErr, "loopback") && !errors.Is(err, shopsvc.ErrNotLoopback) {
				t.Errorf("error %v does not wrap ErrNotLoopback", err)
			}
		})
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	env := map[string]string{"SHOP_INVENTORY_URL": "http://127.0.0.1:1", "SHOP_PRICING_URL": "http://127.0.0.1:2", "SHOP_VERSION": "v3"}
	go func() {
		done <- run(ctx, nil, pw, io.Discard, func(k string) string { return env[k] })
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
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /healthz: %d", resp.StatusCode)
	}
	// Downstream is unreachable: a checkout fails with 502, the cart stays up.
	resp, err = http.Post(url+"/checkout", "application/json", strings.NewReader(`{"items":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("checkout with downstream down: %d, want 502", resp.StatusCode)
	}
	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `shop_http_errors_total{route="/checkout",service="cart",version="v3"} 1`; !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
}
