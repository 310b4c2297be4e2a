package loopback

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:6060/debug/pprof", true},
		{"http://[::1]/", true},
		{"http://10.1.2.3/debug/pprof", false},
		{"https://127.0.0.1/", false},
		{"file:///etc/passwd", false},
		{"127.0.0.1:80", false},
		{"", false},
	} {
		if _, err := CheckURL(context.Background(), c.url); (err == nil) != c.ok {
			t.Errorf("CheckURL(%q) = %v, want ok %v", c.url, err, c.ok)
		}
	}
}

// TestClientFollowsNoRedirect: a redirect (here to a loopback address too)
// comes back as the answer; nothing is fetched from where it points.
func TestClientFollowsNoRedirect(t *testing.T) {
	hit := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- struct{}{} }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer srv.Close()
	resp, err := Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status %d, want the redirect itself (302)", resp.StatusCode)
	}
	select {
	case <-hit:
		t.Error("the redirect was followed")
	default:
	}
	// And it does not connect off loopback.
	if _, err := Client(time.Second).Get("http://10.1.2.3:80/"); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("GET 10.1.2.3: %v, want ErrNotLoopback", err)
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
		err := Control(c.network, c.address, nil)
		if (err == nil) != c.ok {
			t.Errorf("Control(%s, %s) = %v, want ok %v", c.network, c.address, err, c.ok)
		}
	}
	// And it is the one in the transport: a dial to a non-loopback address
	// through Run's dialer fails before connecting.
	d := &net.Dialer{Control: Control, Timeout: time.Second}
	_, err := d.DialContext(context.Background(), "tcp", "10.1.2.3:80")
	if !errors.Is(err, ErrNotLoopback) {
		t.Errorf("dial 10.1.2.3:80: %v, want ErrNotLoopback", err)
	}
}
