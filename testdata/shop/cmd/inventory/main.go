// Command inventory is the shop's stock service: GET /stock?item=N answers
// {"item":N,"available":K}. See testdata/shop/README.md.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/perfgate/perfgate/testdata/shop/internal/shop"
	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(shopsvc.Exit("inventory", err, os.Stderr))
}

// run parses the flags and serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := shopsvc.NewFlags("inventory", stderr)
	addr := fs.String("addr", shopsvc.DefaultAddr, "listen address, on loopback; port 0 picks a free port")
	var inv shop.Inventory
	fs.DurationVar(&inv.Latency, "latency", shop.DefaultLatency, "simulated downstream latency, slept on every request")
	fs.Env("latency", "SHOP_LATENCY")
	gz := fs.GzipFlag()
	if err := fs.ParseEnv(args, getenv); err != nil {
		return err
	}
	if err := inv.Check(); err != nil {
		return err
	}
	h, err := shopsvc.Handler("inventory", shopsvc.NewRegistry(), shopsvc.GzipRoutes(gz, inv.Routes())...)
	if err != nil {
		return err
	}
	return shopsvc.Serve(ctx, *addr, h, stdout)
}
