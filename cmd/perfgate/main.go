// Command perfgate is a performance-regression gate for Go: it measures
// the go test benchmarks and the services under load of the base and head
// of a change, compares them with benchstat's statistics, names the
// functions behind each regression, and fails when a regression is real.
// It only parses the command line and calls the packages that do the work.
//
// Exit codes: 0 no regression; 1 a regression beyond its threshold; 2 bad
// input, bad config or a failure of the tool or the workload; 3 inconclusive,
// only with --strict.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(int(code))
}
