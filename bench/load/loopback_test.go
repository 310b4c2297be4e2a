package load

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
			if !errors.Is(err, ErrNotLoopback) {
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
		if !errors.Is(err, ErrNotLoopback) && !strings.Contains(err.Error(), "resolving host example.com") {
			t.Errorf("error %v, want a refusal", err)
		}
		t.Log(err)
	})
}

func TestLoopbackAccepted(t *testing.T) {
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
		if _, err := parseTarget(context.Background(), Target{URL: target}); err != nil {
			t.Errorf("%s refused: %v", target, err)
		}
	}
	res, err := Run(context.Background(), Target{URL: srv.URL}, opts(50, 100*time.Millisecond))
	if err != nil || res.Errors != 0 || hits.Load() != 5 {
		t.Errorf("err %v, errors %d, hits %d; want 5 good requests", err, res.Errors, hits.Load())
	}
}

func TestCheckHost(t *testing.T) {
	for _, c := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"localhost", true},
		{"10.1.2.3", false},
		{"0.0.0.0", false},
		{"::", false},
		{"169.254.1.1", false},
		{"::ffff:10.1.2.3", false},
	} {
		err := checkHost(context.Background(), c.host)
		if (err == nil) != c.ok {
			t.Errorf("checkHost(%q) = %v, want ok %v", c.host, err, c.ok)
		}
	}
}

// The dialer's check is what keeps every connection on loopback, whatever a
// name resolves to at dial time.
func TestLoopbackOnlyDialControl(t *testing.T) {
	for _, c := range []struct {
		network, address string
		ok               bool
	}{
		{"tcp4", "127.0.0.1:80", true},
		{"tcp4", "127.9.9.9:8080", true},
		{"tcp6", "[::1]:80", true},
		{"tcp6", "[::ffff:127.0.0.1]:80", true},
		{"tcp4", "10.1.2.3:80", false},
		{"tcp6", "[2001:db8::1]:443", false},
		{"tcp6", "[::ffff:10.1.2.3]:80", false},
		{"udp4", "127.0.0.1:53", false},
		{"tcp4", "garbage", false},
	} {
		err := loopbackOnly(c.network, c.address, nil)
		if (err == nil) != c.ok {
			t.Errorf("loopbackOnly(%s, %s) = %v, want ok %v", c.network, c.address, err, c.ok)
		}
	}
	// And it is the one in the transport: a dial to a non-loopback address
	// through Run's dialer fails before connecting.
	d := &net.Dialer{Control: loopbackOnly, Timeout: time.Second}
	_, err := d.DialContext(context.Background(), "tcp", "10.1.2.3:80")
	if !errors.Is(err, ErrNotLoopback) {
		t.Errorf("dial 10.1.2.3:80: %v, want ErrNotLoopback", err)
	}
}
