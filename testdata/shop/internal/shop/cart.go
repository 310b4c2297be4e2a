package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
)

// MaxItems is the most items one checkout may hold.
const MaxItems = 100

// maxBody bounds a checkout's request body and a downstream answer.
const maxBody = 64 << 10

// Fanout says how a checkout calls inventory and pricing. It is a flag.Value.
type Fanout string

// The fan-outs.
const (
	// Concurrent issues every downstream call of a checkout at once.
	Concurrent Fanout = "concurrent"
	// Sequential makes one blocking call after the other.
	Sequential Fanout = "sequential"
)

// String returns the fan-out's name.
func (f *Fanout) String() string { return string(*f) }

// Set accepts "concurrent" or "sequential".
func (f *Fanout) Set(s string) error {
	switch v := Fanout(s); v {
	case Concurrent, Sequential:
		*f = v
		return nil
	}
	return fmt.Errorf("want %s or %s, not %q", Concurrent, Sequential, s)
}

// CartConfig is the cart service's settings.
type CartConfig struct {
	// InventoryURL and PricingURL are the base URLs of the downstream
	// services, such as "http://127.0.0.1:8081".
	InventoryURL string
	PricingURL   string
	// Fanout says whether a checkout's downstream calls run at once or one
	// after the other.
	Fanout Fanout
	// Cache keeps every price fetched in memory, so pricing is asked once
	// per item.
	Cache bool
	// Slow is the CPU time computeLoyaltyDiscount burns per checkout; 0 burns
	// none.
	Slow time.Duration
	// Timeout bounds each downstream call.
	Timeout time.Duration
}

// DefaultCartConfig is the cart's configuration before flags and environment;
// the downstream URLs have no default.
var DefaultCartConfig = CartConfig{
	Fanout:  Concurrent,
	Cache:   true,
	Timeout: 2 * time.Second,
}

// NewClient returns the HTTP client the cart calls downstream with: keep-alive
// connections, enough of them kept idle per host for a busy checkout load, and
// no proxy (the shop lives on loopback).
func NewClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	return &http.Client{Transport: t}
}

// Cart is the cart service: POST /checkout with {"items":[1,2,3]} checks the
// stock and gets the price of every item, then creates an order.
type Cart struct {
	cfg       CartConfig
	client    *http.Client
	inventory string // base URL of inventory, no trailing slash
	pricing   string // base URL of pricing, no trailing slash
	prices    *priceCache
	orders    atomic.Uint64
}

// NewCart returns the cart for cfg, calling downstream through client (from
// NewClient when nil).
func NewCart(cfg CartConfig, client *http.Client) (*Cart, error) {
	inv, err := baseURL("inventory", cfg.InventoryURL)
	if err != nil {
		return nil, err
	}
	pr, err := baseURL("pricing", cfg.PricingURL)
	if err != nil {
		return nil, err
	}
	if cfg.Fanout != Concurrent && cfg.Fanout != Sequential {
		return nil, fmt.Errorf("fan-out %q: want %s or %s", cfg.Fanout, Concurrent, Sequential)
	}
	if cfg.Slow < 0 {
		return nil, fmt.Errorf("negative slow %v", cfg.Slow)
	}
	if cfg.Timeout <= 0 {
		return nil, fmt.Errorf("timeout %v: want a positive duration", cfg.Timeout)
	}
	if client == nil {
		client = NewClient()
	}
	c := &Cart{cfg: cfg, client: client, inventory: inv, pricing: pr}
	if cfg.Cache {
		c.prices = newPriceCache()
	}
	return c, nil
}

func baseURL(service, s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("missing URL of %s", service)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("URL of %s: %w", service, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return "", fmt.Errorf("URL of %s %q: want http://HOST:PORT", service, s)
	}
	return strings.TrimSuffix(s, "/"), nil
}

// Routes returns the service's endpoints.
func (c *Cart) Routes() []shopsvc.Route {
	return []shopsvc.Route{{Pattern: "/checkout", Handler: http.HandlerFunc(c.checkout)}}
}

// CheckoutRequest is the body of POST /checkout.
type CheckoutRequest struct {
	Items []int `json:"items"`
}

// Line is one item of an order.
type Line struct {
	Item      int   `json:"item"`
	Available int   `json:"available"`
	Cents     int64 `json:"cents"`
}

// Order is the answer of POST /checkout.
type Order struct {
	Order      string `json:"order"`
	Items      []Line `json:"items"`
	TotalCents int64  `json:"total_cents"`
}

func (c *Cart) checkout(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	var req CheckoutRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "decoding checkout: %v", err)
		return
	}
	switch {
	case len(req.Items) == 0:
		writeError(w, http.StatusBadRequest, "no items")
		return
	case len(req.Items) > MaxItems:
		writeError(w, http.StatusBadRequest, "%d items: at most %d per checkout", len(req.Items), MaxItems)
		return
	}
	for _, item := range req.Items {
		if item < 0 {
			writeError(w, http.StatusBadRequest, "bad item %d: want a non-negative integer", item)
			return
		}
	}

	lines, err := c.lookUp(r.Context(), req.Items)
	if err != nil {
		writeError(w, http.StatusBadGateway, "%v", err)
		return
	}
	var total int64
	for _, l := range lines {
		if l.Available < 1 {
			writeError(w, http.StatusConflict, "item %d is out of stock", l.Item)
			return
		}
		total += l.Cents
	}
	if c.cfg.Slow > 0 {
		discount, _ := computeLoyaltyDiscount(c.cfg.Slow, total)
		total -= discount
	}
	id := "o-" + strconv.FormatUint(c.orders.Add(1), 10)
	writeJSON(w, http.StatusOK, Order{Order: id, Items: lines, TotalCents: total})
}

// lookUp checks the stock and gets the price of every item, by the
// configured fan-out. Any failed call fails the whole look-up.
func (c *Cart) lookUp(ctx context.Context, items []int) ([]Line, error) {
	lines := make([]Line, len(items))
	for i, item := range items {
		lines[i].Item = item
	}
	if c.cfg.Fanout == Sequential {
		for i, item := range items {
			n, err := c.stock(ctx, item)
			if err != nil {
				return nil, err
			}
			cents, err := c.price(ctx, item)
			if err != nil {
				return nil, err
			}
			lines[i].Available, lines[i].Cents = n, cents
		}
		return lines, nil
	}

	// Concurrent: 2 calls per item, all at once; the first failure cancels
	// the others and is the one reported.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for i, item := range items {
		wg.Go(func() {
			n, err := c.stock(ctx, item)
			if err != nil {
				cancel(err)
				return
			}
			lines[i].Available = n
		})
		wg.Go(func() {
			cents, err := c.price(ctx, item)
			if err != nil {
				cancel(err)
				return
			}
			lines[i].Cents = cents
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return lines, nil
}

// stock asks inventory how many of item are available.
func (c *Cart) stock(ctx context.Context, item int) (int, error) {
	var reply StockReply
	if err := c.get(ctx, c.inventory+"/stock?item="+strconv.Itoa(item), &reply); err != nil {
		return 0, fmt.Errorf("checking stock of item %d: %w", item, err)
	}
	return reply.Available, nil
}

// price returns the price of item, from the cache when it is on.
func (c *Cart) price(ctx context.Context, item int) (int64, error) {
	if c.prices == nil {
		return c.fetchPrice(ctx, item)
	}
	return c.prices.get(ctx, item, c.fetchPrice)
}

// fetchPrice asks pricing for the price of item.
func (c *Cart) fetchPrice(ctx context.Context, item int) (int64, error) {
	var reply PriceReply
	if err := c.get(ctx, c.pricing+"/price?item="+strconv.Itoa(item), &reply); err != nil {
		return 0, fmt.Errorf("pricing item %d: %w", item, err)
	}
	return reply.Cents, nil
}

// get calls target within the configured timeout and decodes its JSON
// answer into v.
func (c *Cart) get(ctx context.Context, target string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	body := io.LimitReader(resp.Body, maxBody)
	defer func() {
		// Drain what is left so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, body)
		resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s answered %s", target, resp.Status)
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return fmt.Errorf("decoding answer of GET %s: %w", target, err)
	}
	return nil
}
