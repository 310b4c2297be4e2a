package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrNotLoopback is wrapped by every error that refuses a target or a
// connection because its address is not a loopback address (127.0.0.0/8 or
// ::1). perfgate loads only services on the machine it runs on.
var ErrNotLoopback = errors.New("not a loopback address")

// parseTarget checks t.URL: an absolute http URL whose host is a loopback IP
// literal or a name that resolves only to loopback addresses. IP literals
// need no resolver.
func parseTarget(ctx context.Context, t Target) (*url.URL, error) {
	if t.URL == "" {
		return nil, errors.New("checking target: empty URL")
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil, fmt.Errorf("checking target: %w", err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("checking target %q: scheme %q: only http is supported (loopback services speak plain HTTP)", t.URL, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("checking target %q: no host", t.URL)
	}
	if err := checkHost(ctx, host); err != nil {
		return nil, fmt.Errorf("checking target %q: %w", t.URL, err)
	}
	return u, nil
}

// checkHost accepts a loopback IP literal, or a name whose every address is a
// loopback address.
func checkHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if !isLoopback(ip) {
			return fmt.Errorf("host %s: %w", host, ErrNotLoopback)
		}
		return nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolving host %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("resolving host %s: no addresses", host)
	}
	for _, ip := range addrs {
		if !isLoopback(ip) {
			return fmt.Errorf("host %s resolves to %s: %w", host, ip, ErrNotLoopback)
		}
	}
	return nil
}

// isLoopback reports whether ip is in 127.0.0.0/8 or is ::1 (an IPv4-mapped
// IPv6 form of 127.0.0.0/8 counts too).
func isLoopback(ip netip.Addr) bool {
	return ip.Unmap().IsLoopback()
}

// loopbackOnly is the net.Dialer Control function of every Run's transport:
// it refuses, just before connect(2), any remote address that is not
// loopback, whatever name resolution or a redirect produced. It checks the
// address the socket is about to connect to, so it cannot be fooled by a name
// that resolved differently at validation time.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") {
		return fmt.Errorf("dialing %s %s: only tcp is allowed", network, address)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dialing %s: %w", address, err)
	}
	if !isLoopback(ap.Addr()) {
		return fmt.Errorf("dialing %s: %w", address, ErrNotLoopback)
	}
	return nil
}
