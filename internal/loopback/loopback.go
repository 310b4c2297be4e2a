// Package loopback keeps perfgate's measurements on the machine it runs
// on: every URL it loads or fetches profiles from must name a loopback
// address, every connection is checked again just before it is made, and no
// redirect is followed.
package loopback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrNotLoopback is wrapped by every error that refuses a target or a
// connection because its address is not a loopback address (127.0.0.0/8 or
// ::1). perfgate loads only services on the machine it runs on.
var ErrNotLoopback = errors.New("not a loopback address")

// CheckURL parses raw, an absolute http URL whose host must be a loopback
// IP literal or a name that resolves only to loopback addresses (IP
// literals need no resolver). A refusal wraps ErrNotLoopback.
func CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("checking URL: empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("checking URL: %w", err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("checking URL %q: scheme %q: only http is supported (loopback services speak plain HTTP)", raw, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("checking URL %q: no host", raw)
	}
	if err := checkHost(ctx, host); err != nil {
		return nil, fmt.Errorf("checking URL %q: %w", raw, err)
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

// Control is the net.Dialer Control function of every connection perfgate
// makes to measure: it refuses, just before connect(2), any remote address
// that is not loopback, whatever name resolution or a redirect produced. It
// checks the address the socket is about to connect to, so it cannot be
// fooled by a name that resolved differently at validation time.
func Control(network, address string, _ syscall.RawConn) error {
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

// Client returns an HTTP client for fetches from services on loopback
// (pprof endpoints): every connection checked by Control, no proxy, and no
// redirect followed (a 3xx answer comes back as it is, for the caller to
// refuse). timeout bounds each request; 0 means none.
func Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:       nil,
			DialContext: (&net.Dialer{Control: Control, Timeout: 10 * time.Second}).DialContext,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
