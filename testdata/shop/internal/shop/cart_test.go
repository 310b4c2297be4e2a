package shop

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
	"github.com/prometheus/client_golang/prometheus"
)

func TestNewCartChecksConfig(t *testing.T) {
	good := DefaultCartConfig
	good.InventoryURL, good.PricingURL = "http://127.0.0.1:1", "http://127.0.0.1:2/"
	tests := []struct {
		name    string
		edit    func(*CartConfig)
		wantErr string
	}{
		{name: "good", edit: func(*CartConfig) {}},
		{name: "no inventory", edit: func(c *CartConfig) { c.InventoryURL = "" }, wantErr: "missing URL of inventory"},
		{name: "no pricing", edit: func(c *CartConfig) { c.PricingURL = "" }, wantErr: "missing URL of pricing"},
		{name: "no scheme", edit: func(c *CartConfig) { c.PricingURL = "127.0.0.1:2" }, wantErr: "URL of pricing"},
		{name: "bad fanout", edit: func(c *CartConfig) { c.Fanout = "parallel" }, wantErr: "fan-out"},
		{name: "zero fanout", edit: func(c *CartConfig) { c.Fanout = "" }, wantErr: "fan-out"},
		{name: "negative slow", edit: func(c *CartConfig) { c.Slow = -1 }, wantErr: "negative slow"},
		{name: "zero timeout", edit: func(c *CartConfig) { c.Timeout = 0 }, wantErr: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := NewCart(cfg, NewClient())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("NewCart: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewCart: error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestFanoutFlag(t *testing.T) {
	var f Fanout
	for _, s := range []string{"concurrent", "sequential"} {
		if err := f.Set(s); err != nil || f.String() != s {
			t.Errorf("Set(%q): %v, String %q", s, err, f.String())
		}
	}
	if err := f.Set("async"); err == nil {
		t.Errorf("Set(async) accepted")
	}
}

func TestCheckoutHandler(t *testing.T) {
	s := startShop(t, shopOptions{work: 5, cart: DefaultCartConfig})
	want := func(items ...int) string {
		o := Order{Order: "*"}
		for _, it := range items {
			o.Items = append(o.Items, Line{Item: it, Available: Available(it), Cents: Price(it, 5)})
			o.TotalCents += Price(it, 5)
		}
		return string(mustMarshal(t, o))
	}
	hundred := make([]string, MaxItems+1)
	for i := range hundred {
		hundred[i] = fmt.Sprint(i)
	}
	tests := []struct {
		name     string
		method   string
		body     string
		wantCode int
		wantBody string // the order (any id), or a substring of the error
	}{
		{name: "one item", method: "POST", body: `{"items":[5]}`, wantCode: 200, wantBody: want(5)},
		{name: "three items", method: "POST", body: `{"items":[1,2,3]}`, wantCode: 200, wantBody: want(1, 2, 3)},
		{name: "repeated item", method: "POST", body: `{"items":[4,4]}`, wantCode: 200, wantBody: want(4, 4)},
		{name: "max items", method: "POST", body: `{"items":[` + strings.Join(hundred[:MaxItems], ",") + `]}`, wantCode: 200},
		{name: "too many items", method: "POST", body: `{"items":[` + strings.Join(hundred, ",") + `]}`, wantCode: 400, wantBody: "at most 100"},
		{name: "no items", method: "POST", body: `{"items":[]}`, wantCode: 400, wantBody: "no items"},
		{name: "empty object", method: "POST", body: `{}`, wantCode: 400, wantBody: "no items"},
		{name: "empty body", method: "POST", body: ``, wantCode: 400, wantBody: "decoding checkout"},
		{name: "not JSON", method: "POST", body: `items=1`, wantCode: 400, wantBody: "decoding checkout"},
		{name: "item not a number", method: "POST", body: `{"items":["a"]}`, wantCode: 400, wantBody: "decoding checkout"},
		{name: "unknown field", method: "POST", body: `{"items":[1],"coupon":"X"}`, wantCode: 400, wantBody: "unknown field"},
		{name: "negative item", method: "POST", body: `{"items":[1,-2]}`, wantCode: 400, wantBody: "bad item -2"},
		{name: "GET", method: "GET", wantCode: 405, wantBody: "use POST"},
		{name: "huge body", method: "POST", body: `{"items":[1],"x":"` + strings.Repeat("a", 1<<17) + `"}`, wantCode: 400, wantBody: "decoding checkout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, tt.method, s.cart.URL+"/checkout", tt.body)
			if code != tt.wantCode {
				t.Fatalf("%d %s, want %d", code, body, tt.wantCode)
			}
			if code == http.StatusOK {
				var o Order
				if err := json.Unmarshal(body, &o); err != nil {
					t.Fatalf("decoding %s: %v", body, err)
				}
				if !strings.HasPrefix(o.Order, "o-") {
					t.Errorf("order id %q", o.Order)
				}
				o.Order = "*"
				if got := string(mustMarshal(t, o)); tt.wantBody != "" && got != tt.wantBody {
					t.Errorf("order %s, want %s", got, tt.wantBody)
				}
				return
			}
			var e ErrorReply
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tt.wantBody) {
				t.Errorf("error body %s (%v), want an error containing %q", body, err, tt.wantBody)
			}
		})
	}
}

// TestCheckoutTotal composes the three services and checks an order against
// the prices pricing itself answers.
func TestCheckoutTotal(t *testing.T) {
	for _, fanout := range []Fanout{Concurrent, Sequential} {
		for _, cache := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/cache=%v", fanout, cache), func(t *testing.T) {
				cfg := DefaultCartConfig
				cfg.Fanout, cfg.Cache = fanout, cache
				s := startShop(t, shopOptions{work: DefaultPricingWork, cart: cfg})
				items := []int{3, 1, 4, 1, 5, 9, 2, 6}
				o := s.checkout(t, items...)
				var sum int64
				for i, item := range items {
					code, body := do(t, "GET", fmt.Sprintf("%s/price?item=%d", s.pricing.URL, item), "")
					var p PriceReply
					if err := json.Unmarshal(body, &p); code != 200 || err != nil {
						t.Fatalf("GET /price?item=%d: %d %s", item, code, body)
					}
					sum += p.Cents
					if l := o.Items[i]; l.Item != item || l.Cents != p.Cents || l.Available != Available(item) {
						t.Errorf("line %d = %+v, want item %d at %d cents, %d available", i, l, item, p.Cents, Available(item))
					}
				}
				if o.TotalCents != sum {
					t.Errorf("total %d cents, want the sum of prices %d", o.TotalCents, sum)
				}
				if again := s.checkout(t, items...); again.Order == o.Order || again.TotalCents != o.TotalCents {
					t.Errorf("second order %q total %d, first %q total %d", again.Order, again.TotalCents, o.Order, o.TotalCents)
				}
			})
		}
	}
}

func TestCheckoutDownstreamFailure(t *testing.T) {
	failing := func(code int) string {
		return serveHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", code)
		}))
	}
	slow := serveHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	garbage := serveHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "not json")
	}))
	notFound := serveHandler(t, http.NotFoundHandler())
	// A server that is gone: its port refuses connections.
	goneSrv := httptest.NewServer(http.NotFoundHandler())
	gone := goneSrv.URL
	goneSrv.Close()
	real := startShop(t, shopOptions{work: 1, cart: DefaultCartConfig})
	for _, fanout := range []Fanout{Concurrent, Sequential} {
		tests := []struct {
			name           string
			inventory, pri string
			wantErr        string
		}{
			{name: "pricing 500", inventory: real.inventory.URL, pri: failing(500), wantErr: "answered 500 Internal Server Error"},
			{name: "inventory 503", inventory: failing(503), pri: real.pricing.URL, wantErr: "checking stock of item"},
			{name: "pricing times out", inventory: real.inventory.URL, pri: slow, wantErr: "deadline exceeded"},
			{name: "pricing answers garbage", inventory: real.inventory.URL, pri: garbage, wantErr: "decoding answer"},
			{name: "inventory 404", inventory: notFound, pri: real.pricing.URL, wantErr: "404"},
			{name: "inventory gone", inventory: gone, pri: real.pricing.URL, wantErr: "checking stock"},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s", fanout, tt.name), func(t *testing.T) {
				cfg := DefaultCartConfig
				cfg.InventoryURL, cfg.PricingURL = tt.inventory, tt.pri
				cfg.Fanout, cfg.Timeout = fanout, 100*time.Millisecond
				c, err := NewCart(cfg, NewClient())
				if err != nil {
					t.Fatal(err)
				}
				h, err := shopsvc.Handler("cart", prometheus.NewRegistry(), c.Routes()...)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				code, body := do(t, "POST", serveHandler(t, h)+"/checkout", `{"items":[1,2,3]}`)
				if code != http.StatusBadGateway {
					t.Fatalf("%d %s, want 502", code, body)
				}
				var e ErrorReply
				if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tt.wantErr) {
					t.Errorf("error body %s (%v), want an error containing %q", body, err, tt.wantErr)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("the failure took %v to report", d)
				}
			})
		}
	}
}

func TestCheckoutOutOfStock(t *testing.T) {
	empty := serveHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		item, _ := itemParam(r)
		avail := 5
		if item == 2 {
			avail = 0
		}
		writeJSON(w, 200, StockReply{Item: item, Available: avail})
	}))
	pricing := serveHandler(t, http.HandlerFunc(Pricing{}.price))
	cfg := DefaultCartConfig
	cfg.InventoryURL, cfg.PricingURL = empty, pricing
	c, err := NewCart(cfg, NewClient())
	if err != nil {
		t.Fatal(err)
	}
	code, body := do(t, "POST", serveHandler(t, http.HandlerFunc(c.checkout))+"/checkout", `{"items":[1,2,3]}`)
	if code != http.StatusConflict || !bytes.Contains(body, []byte("item 2 is out of stock")) {
		t.Errorf("%d %s, want 409 item 2 is out of stock", code, body)
	}
}

// TestFanout checks that concurrent fan-out beats sequential calls by a wide
// margin: 5 items make 10 downstream calls of 20ms each, about 200ms one after
// the other and about 20ms all at once.
func TestFanout(t *testing.T) {
	const latency = 20 * time.Millisecond
	items := []int{1, 2, 3, 4, 5}
	elapsed := map[Fanout]time.Duration{}
	for _, fanout := range []Fanout{Concurrent, Sequential} {
		cfg := DefaultCartConfig
		cfg.Fanout, cfg.Cache = fanout, false
		s := startShop(t, shopOptions{latency: latency, work: 1, cart: cfg})
		s.checkout(t, items...) // warm up: open the keep-alive connections
		elapsed[fanout] = s.timeCheckout(t, 3, items...)
	}
	conc, seq := elapsed[Concurrent], elapsed[Sequential]
	t.Logf("one checkout of %d items at %v per call: concurrent %v, sequential %v (%.1fx)",
		len(items), latency, conc, seq, float64(seq)/float64(conc))
	if min := time.Duration(2*len(items)) * latency; seq < min {
		t.Errorf("sequential checkout took %v, less than its %d calls of %v", seq, 2*len(items), latency)
	}
	if seq < 2*conc {
		t.Errorf("sequential %v is not at least 2x concurrent %v", seq, conc)
	}
}

func TestPriceCache(t *testing.T) {
	items := []int{1, 2, 3, 2}
	const checkouts = 4
	tests := []struct {
		cache     bool
		wantCalls int64
	}{
		{cache: true, wantCalls: 3}, // once per distinct item, even 2 twice at once
		{cache: false, wantCalls: checkouts * int64(len(items))},
	}
	for _, fanout := range []Fanout{Concurrent, Sequential} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/cache=%v", fanout, tt.cache), func(t *testing.T) {
				cfg := DefaultCartConfig
				cfg.Fanout, cfg.Cache = fanout, tt.cache
				s := startShop(t, shopOptions{latency: time.Millisecond, work: 1, cart: cfg})
				first := s.checkout(t, items...)
				for range checkouts - 1 {
					if o := s.checkout(t, items...); o.TotalCents != first.TotalCents {
						t.Fatalf("total %d, then %d", first.TotalCents, o.TotalCents)
					}
				}
				if got := s.priceCalls.Load(); got != tt.wantCalls {
					t.Errorf("pricing answered %d requests over %d checkouts of %v, want %d", got, checkouts, items, tt.wantCalls)
				}
			})
		}
	}
}

func TestPriceCacheConcurrent(t *testing.T) {
	pc := newPriceCache()
	var mu sync.Mutex
	calls := map[int]int{}
	fetch := func(ctx context.Context, item int) (int64, error) {
		mu.Lock()
		calls[item]++
		n := calls[item]
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		if item == 13 && n == 1 {
			return 0, fmt.Errorf("unlucky")
		}
		return int64(item * 10), nil
	}
	var wg sync.WaitGroup
	for range 20 {
		for item := range 10 {
			wg.Go(func() {
				c, err := pc.get(t.Context(), item, fetch)
				if err != nil || c != int64(item*10) {
					t.Errorf("get(%d) = %d, %v", item, c, err)
				}
			})
		}
	}
	wg.Wait()
	for item := range 10 {
		if calls[item] != 1 {
			t.Errorf("item %d fetched %d times, want once", item, calls[item])
		}
	}
	// A failed fetch is not kept.
	if _, err := pc.get(t.Context(), 13, fetch); err == nil {
		t.Fatalf("first fetch of 13 did not fail")
	}
	if c, err := pc.get(t.Context(), 13, fetch); err != nil || c != 130 {
		t.Errorf("second get(13) = %d, %v; want 130 fetched again", c, err)
	}
}

func TestComputeLoyaltyDiscount(t *testing.T) {
	for _, budget := range []time.Duration{0, time.Millisecond, 30 * time.Millisecond} {
		discount, spent := computeLoyaltyDiscount(budget, 12345)
		if spent < budget {
			t.Errorf("budget %v: spent %v", budget, spent)
		}
		if discount != 0 {
			t.Errorf("budget %v: discount %d, want 0", budget, discount)
		}
	}
}

func TestSlowCheckout(t *testing.T) {
	const slow = 60 * time.Millisecond
	cfg := DefaultCartConfig
	cfg.Slow = slow
	s := startShop(t, shopOptions{work: 1, cart: cfg})
	s.checkout(t, 1)
	if d := s.timeCheckout(t, 2, 1, 2); d < slow {
		t.Errorf("checkout with -slow %v took %v", slow, d)
	}
	if o := s.checkout(t, 1, 2); o.TotalCents != Price(1, 1)+Price(2, 1) {
		t.Errorf("total %d, want %d: the slow path changed the answer", o.TotalCents, Price(1, 1)+Price(2, 1))
	}
}

// TestSlowInCPUProfile checks the point of -slow: the cart's own CPU profile
// names computeLoyaltyDiscount while checkouts run.
func TestSlowInCPUProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a one-second CPU profile")
	}
	cfg := DefaultCartConfig
	cfg.Slow = 20 * time.Millisecond
	s := startShop(t, shopOptions{work: 1, cart: cfg})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, "POST", s.cart.URL+"/checkout", strings.NewReader(`{"items":[1]}`))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	})
	code, body := do(t, "GET", s.cart.URL+"/debug/pprof/profile?seconds=1", "")
	cancel()
	wg.Wait()
	if code != 200 {
		t.Fatalf("GET /debug/pprof/profile: %d %s", code, body)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("CPU profile: %v", err)
	}
	pb, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("CPU profile: %v", err)
	}
	// The profile's string table holds the names of the sampled functions.
	if !bytes.Contains(pb, []byte("shop.computeLoyaltyDiscount")) {
		t.Errorf("CPU profile of %d bytes does not name computeLoyaltyDiscount", len(pb))
	}
}

func TestCartMetrics(t *testing.T) {
	s := startShop(t, shopOptions{work: 1, cart: DefaultCartConfig})
	s.checkout(t, 1, 2)
	do(t, "GET", s.cart.URL+"/checkout", "")
	code, body := do(t, "GET", s.cart.URL+"/metrics", "")
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, want := range []string{
		`shop_http_request_duration_seconds_count{code="200",route="/checkout",service="cart"} 1`,
		`shop_http_requests_total{code="200",route="/checkout",service="cart"} 1`,
		`shop_http_requests_total{code="405",route="/checkout",service="cart"} 1`,
		`shop_http_errors_total{route="/checkout",service="cart"} 0`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("cart's /metrics lacks %q", want)
		}
	}
	_, body = do(t, "GET", s.pricing.URL+"/metrics", "")
	if want := `shop_http_requests_total{code="200",route="/price",service="pricing"} 2`; !bytes.Contains(body, []byte(want)) {
		t.Errorf("pricing's /metrics lacks %q", want)
	}
}
