// Command inventory is the shop's stock service: GET /stock?item=N answers
// {"item":N,"available":K}. See testdata/shop/README.md.
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
	ps := fs.ProfilingFlags()
	if err := fs.ParseEnv(args, getenv); err != nil {
		return err
	}
	if err := inv.Check(); err != nil {
		return err
	}
	h, err := shopsvc.HandlerWithVersion("inventory", ps.Version, shopsvc.NewRegistry(), shopsvc.GzipRoutes(gz, inv.Routes())...)
	if err != nil {
		return err
	}
	// Off unless -profile-url (SHOP_PROFILE_URL) is set. When ctx is done
	// the profiler flushes while the server shuts down; Stop waits for it.
	prof, err := profiler.Start(ctx, ps.Config("inventory", stderr))
	if err != nil {
		return fmt.Errorf("%s: %w", shopsvc.ProfilingKnobs, err)
	}
	err = shopsvc.Serve(ctx, *addr, h, stdout)
	return errors.Join(err, prof.Stop())
}
