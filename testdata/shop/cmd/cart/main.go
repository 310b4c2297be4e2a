// Command cart is the shop's entry point: POST /checkout with
// {"items":[1,2,3]} checks stock at inventory and prices at pricing, then
// answers the order. See testdata/shop/README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/perfgate/perfgate/profiler"
	"github.com/perfgate/perfgate/testdata/shop/internal/shop"
	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(shopsvc.Exit("cart", err, os.Stderr))
}

// run parses the flags and serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := shopsvc.NewFlags("cart", stderr)
	addr := fs.String("addr", shopsvc.DefaultAddr, "listen address, on loopback; port 0 picks a free port")
	cfg := shop.DefaultCartConfig
	fs.StringVar(&cfg.InventoryURL, "inventory", "", "base URL of the inventory service, e.g. http://127.0.0.1:8081 (required)")
	fs.Env("inventory", "SHOP_INVENTORY_URL")
	fs.StringVar(&cfg.PricingURL, "pricing", "", "base URL of the pricing service, e.g. http://127.0.0.1:8082 (required)")
	fs.Env("pricing", "SHOP_PRICING_URL")
	fs.Var(&cfg.Fanout, "fanout", "downstream calls of a checkout: `concurrent|sequential` (all at once, or one blocking call after the other)")
	fs.Env("fanout", "SHOP_FANOUT")
	cache := shopsvc.OnOff(cfg.Cache)
	fs.Var(&cache, "cache", "in-memory price cache in front of pricing: `on|off`")
	fs.Env("cache", "SHOP_CACHE")
	fs.DurationVar(&cfg.Slow, "slow", cfg.Slow, "CPU burnt per checkout in computeLoyaltyDiscount, a busy loop; 0 burns none")
	fs.Env("slow", "SHOP_SLOW")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "limit on each downstream call")
	fs.Env("timeout", "SHOP_TIMEOUT")
	gz := fs.GzipFlag()
	ps := fs.ProfilingFlags()
	if err := fs.ParseEnv(args, getenv); err != nil {
		return err
	}
	cfg.Cache = bool(cache)
	switch {
	case cfg.InventoryURL == "":
		return errors.New("-inventory (or SHOP_INVENTORY_URL) is required")
	case cfg.PricingURL == "":
		return errors.New("-pricing (or SHOP_PRICING_URL) is required")
	}
	c, err := shop.NewCart(cfg, shop.NewClient())
	if err != nil {
		return err
	}
	h, err := shopsvc.HandlerWithVersion("cart", ps.Version, shopsvc.NewRegistry(), shopsvc.GzipRoutes(gz, c.Routes())...)
	if err != nil {
		return err
	}
	// Off unless -profile-url (SHOP_PROFILE_URL) is set. When ctx is done
	// the profiler flushes while the server shuts down; Stop waits for it.
	prof, err := profiler.Start(ctx, ps.Config("cart", stderr))
	if err != nil {
		return fmt.Errorf("%s: %w", shopsvc.ProfilingKnobs, err)
	}
	err = shopsvc.Serve(ctx, *addr, h, stdout)
	return errors.Join(err, prof.Stop())
}
