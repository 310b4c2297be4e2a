package shopsvc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr    string
		ok      bool
		notLoop bool // the error wraps ErrNotLoopback
	}{
		{addr: "127.0.0.1:0", ok: true},
		{addr: "127.0.0.1:8080", ok: true},
		{addr: "127.1.2.3:80", ok: true},
		{addr: "[::1]:0", ok: true},
		{addr: "localhost:0", ok: true},
		{addr: "0.0.0.0:0", notLoop: true},
		{addr: ":8080", notLoop: true},
		{addr: "[::]:0", notLoop: true},
		{addr: "192.168.1.10:80", notLoop: true},
		{addr: "example.com:80", notLoop: true},
		{addr: "127.0.0.1"},
		{addr: ""},
	}
	for _, tt := range tests {
		err := CheckLoopback(tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok %v", tt.addr, err, tt.ok)
		}
		if got := errors.Is(err, ErrNotLoopback); got != tt.notLoop {
			t.Errorf("CheckLoopback(%q) = %v: wraps ErrNotLoopback %v, want %v", tt.addr, err, got, tt.notLoop)
		}
	}
}

func TestServeRefusesNonLoopback(t *testing.T) {
	err := Serve(t.Context(), "0.0.0.0:0", http.NotFoundHandler(), io.Discard)
	if !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("Serve(0.0.0.0:0) = %v, want ErrNotLoopback", err)
	}
}

var listeningLine = regexp.MustCompile(`^listening on (http://127\.0\.0\.1:[1-9][0-9]*)$`)

// startServe runs Serve on h in the background and returns the URL it
// announced, and a function that stops it and returns Serve's error.
func startServe(t *testing.T, h http.Handler) (url string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, "127.0.0.1:0", h, pw)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		cancel()
		t.Fatalf("no listening line: %v", <-done)
	}
	m := listeningLine.FindStringSubmatch(sc.Text())
	if m == nil {
		cancel()
		t.Fatalf("stdout line %q does not match %v", sc.Text(), listeningLine)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var err error
	stopped := false
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() { stop() })
	return m[1], stop
}

func TestServeShutsDownGracefully(t *testing.T) {
	started := make(chan struct{})
	h := http.NewServeMux()
	h.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "done")
	})
	h.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	url, stop := startServe(t, h)

	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()

	type result struct {
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{string(b), err}
	}()
	<-started
	if err := stop(); err != nil {
		t.Fatalf("Serve after shutdown = %v, want nil", err)
	}
	r := <-slow
	if r.err != nil || r.body != "done" {
		t.Errorf("request in flight during shutdown: body %q, error %v; want it to finish", r.body, r.err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Errorf("server still answers after shutdown")
	}
}
