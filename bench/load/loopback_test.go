package load

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/loopback"
)

func TestLoopbackRefused(t *testing.T) {
	checkGoroutines(t)
	for _, u := range []string{
		"http://10.1.2.3/",
		"http://10.1.2.3:8080/checkout",
		"http://192.168.0.1/",
		"http://0.0.0.0:80/",
		"http://[2001:db8::1]:80/",
		"http://[::ffff:10.1.2.3]/",
	} {
		t.Run(u, func(t *testing.T) {
			res, err := Run(context.Background(), Target{URL: u}, opts(100, time.Second))
			if !errors.Is(err, loopback.ErrNotLoopback) {
				t.Errorf("error %v, want ErrNotLoopback", err)
			}
			if res != nil {
				t.Errorf("a result for a refused target")
			}
		})
	}
	// A name is resolved; whether the resolver answers (with a public
	// address) or not (no network), the target is refused before any
	// request.
	t.Run("example.com", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := Run(ctx, Target{URL: "http://example.com/"}, opts(100, time.Second))
		if err == nil || res != nil {
			t.Fatalf("example.com accepted")
		}
		if !errors.Is(err, loopback.ErrNotLoopback) && !strings.Contains(err.Error(), "resolving host example.com") {
			t.Errorf("error %v, want a refusal", err)
		}
		t.Log(err)
	})
}

func TestLoopbackAccepted(t *testing.T) { eachClient(t, testLoopbackAccepted) }

func testLoopbackAccepted(t *testing.T, c Client) {
	checkGoroutines(t)
	var hits atomic.Int64
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	// localhost resolves from /etc/hosts; it may also resolve to ::1,
	// which the server does not listen on: only the refusal matters.
	for _, target := range []string{srv.URL, "http://localhost:" + u.Port() + "/"} {
		if _, err := loopback.CheckURL(context.Background(), target); err != nil {
			t.Errorf("%s refused: %v", target, err)
		}
	}
	res, err := Run(context.Background(), Target{URL: srv.URL}, copts(c, 50, 100*time.Millisecond))
	if err != nil || res.Errors != 0 || hits.Load() != 5 {
		t.Errorf("err %v, errors %d, hits %d; want 5 good requests", err, res.Errors, hits.Load())
	}
}

// TestDialRefused: the connection itself is refused when its address is
// not loopback, whatever the URL check said, with either client.
func TestDialRefused(t *testing.T) { eachClient(t, testDialRefused) }

func testDialRefused(t *testing.T, c Client) {
	checkGoroutines(t)
	tmpl, err := http.NewRequest(http.MethodGet, "http://10.1.2.3:9/", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := copts(c, 1, time.Second)
	d := newDriver(context.Background(), tmpl, nil, o, 1)
	s := d.newSender()
	code, err := s.send(time.Now().Add(o.Timeout))
	s.close()
	d.closeIdle()
	if code != 0 || !errors.Is(err, loopback.ErrNotLoopback) {
		t.Errorf("send() = %d, %v; want 0 and ErrNotLoopback", code, err)
	}
}
