package shopsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is the default of every service's -addr flag: loopback, on a
// port the kernel picks.
const DefaultAddr = "127.0.0.1:0"

// ShutdownTimeout bounds the graceful shutdown: requests still in flight after
// it are cut off and Serve returns an error.
const ShutdownTimeout = 5 * time.Second

// ErrNotLoopback is returned, wrapped, for a listen address that is not on
// loopback: the shop is a test workload and never listens on a network.
var ErrNotLoopback = errors.New("not a loopback address")

// CheckLoopback returns an error wrapping ErrNotLoopback unless addr is a
// host:port whose host is "localhost" or a loopback IP.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q: %w (use 127.0.0.1 or [::1])", addr, ErrNotLoopback)
}

// Serve listens on addr, which must be on loopback, writes one line
// "listening on http://HOST:PORT" to stdout once the listener is open (the
// port the kernel chose when addr asked for port 0), and serves h until ctx is
// done. It then shuts the server down gracefully, waiting up to
// ShutdownTimeout for requests in flight, and returns nil if they all
// finished.
func Serve(ctx context.Context, addr string, h http.Handler, stdout io.Writer) error {
	if err := CheckLoopback(addr); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: /debug/pprof/profile?seconds=N answers after N seconds.
	}
	if _, err := fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr()); err != nil {
		ln.Close()
		return fmt.Errorf("announcing the listen address: %w", err)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	return nil
}
