// Package shop holds the handlers of the three shop services: inventory
// (stock levels), pricing (prices computed by real CPU work) and cart (the
// checkout, which calls the other two over HTTP). Each service's Routes plug
// into shopsvc.Handler; tests compose the three in process.
//
// A checkout goes in steps:
//
//  1. decode and check the items;
//  2. for every item, check its stock at inventory and get its price from
//     pricing (through the price cache when it is on), all at once or one
//     call after the other depending on the fan-out;
//  3. compute the loyalty discount (a CPU hot spot when -slow is set);
//  4. create the order and answer it.
package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Defaults of the services' knobs.
const (
	// DefaultLatency is the latency inventory and pricing sleep per request.
	DefaultLatency = time.Millisecond
	// DefaultPricingWork is the number of SHA-256 rounds per price.
	DefaultPricingWork = 2000
)

// ErrorReply is the body of every error answer.
type ErrorReply struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, ErrorReply{Error: fmt.Sprintf(format, args...)})
}

// allowMethod answers 405 and returns false unless r's method is method.
func allowMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, http.StatusMethodNotAllowed, "method %s not allowed, use %s", r.Method, method)
	return false
}

// itemParam returns the item number in r's "item" query parameter.
func itemParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("item")
	if s == "" {
		return 0, fmt.Errorf("missing item")
	}
	item, err := strconv.Atoi(s)
	if err != nil || item < 0 {
		return 0, fmt.Errorf("bad item %q: want a non-negative integer", s)
	}
	return item, nil
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
