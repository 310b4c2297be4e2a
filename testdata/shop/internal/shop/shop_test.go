package shop

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
	"github.com/prometheus/client_golang/prometheus"
)

// testShop is the three services composed in process, each behind its own
// httptest server with its full HTTP surface.
type testShop struct {
	inventory, pricing, cart *httptest.Server
	priceCalls               atomic.Int64 // requests pricing answered
}

// shopOptions are the knobs of a test shop.
type shopOptions struct {
	latency time.Duration // of inventory and pricing
	work    int           // of pricing
	cart    CartConfig    // downstream URLs are filled in
}

func serve(t *testing.T, service string, wrap func(http.Handler) http.Handler, routes []shopsvc.Route) *httptest.Server {
	t.Helper()
	h, err := shopsvc.Handler(service, prometheus.NewRegistry(), routes...)
	if err != nil {
		t.Fatalf("handler of %s: %v", service, err)
	}
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func startShop(t *testing.T, o shopOptions) *testShop {
	t.Helper()
	s := &testShop{}
	s.inventory = serve(t, "inventory", nil, Inventory{Latency: o.latency}.Routes())
	countPrices := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/price" {
				s.priceCalls.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
	s.pricing = serve(t, "pricing", countPrices, Pricing{Work: o.work, Latency: o.latency}.Routes())
	cfg := o.cart
	cfg.InventoryURL, cfg.PricingURL = s.inventory.URL, s.pricing.URL
	client := NewClient()
	t.Cleanup(client.CloseIdleConnections)
	c, err := NewCart(cfg, client)
	if err != nil {
		t.Fatalf("NewCart: %v", err)
	}
	s.cart = serve(t, "cart", nil, c.Routes())
	return s
}

// checkout posts items to the cart and decodes the order.
func (s *testShop) checkout(t *testing.T, items ...int) Order {
	t.Helper()
	body, err := json.Marshal(CheckoutRequest{Items: items})
	if err != nil {
		t.Fatal(err)
	}
	code, reply := do(t, http.MethodPost, s.cart.URL+"/checkout", string(body))
	if code != http.StatusOK {
		t.Fatalf("checkout %v: %d %s", items, code, reply)
	}
	var o Order
	if err := json.Unmarshal(reply, &o); err != nil {
		t.Fatalf("decoding order %s: %v", reply, err)
	}
	return o
}

// timeCheckout returns the fastest of n checkouts of items.
func (s *testShop) timeCheckout(t *testing.T, n int, items ...int) time.Duration {
	t.Helper()
	best := time.Duration(1<<63 - 1)
	for range n {
		start := time.Now()
		s.checkout(t, items...)
		best = min(best, time.Since(start))
	}
	return best
}

func do(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, url, err)
	}
	return resp.StatusCode, b
}

// handlerCase is one request to a handler and what it must answer.
type handlerCase struct {
	name     string
	method   string
	target   string
	body     string
	wantCode int
	wantBody string // a JSON value the body must equal, or a substring of an error
}

func runHandlerCases(t *testing.T, h http.Handler, cases []handlerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body)))
			if w.Code != tc.wantCode {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.target, w.Code, w.Body, tc.wantCode)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if w.Code == http.StatusOK {
				var got, want any
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatalf("body %s: %v", w.Body, err)
				}
				if err := json.Unmarshal([]byte(tc.wantBody), &want); err != nil {
					t.Fatal(err)
				}
				if g, _ := json.Marshal(got); !bytes.Equal(g, mustMarshal(t, want)) {
					t.Errorf("body %s, want %s", w.Body, tc.wantBody)
				}
				return
			}
			var e ErrorReply
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("error body %s is not {\"error\":...}: %v", w.Body, err)
			}
			if !strings.Contains(e.Error, tc.wantBody) {
				t.Errorf("error %q, want it to contain %q", e.Error, tc.wantBody)
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
