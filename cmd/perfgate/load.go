package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/profiler"
)

func loadCmd(g *globals) *cobra.Command {
	var (
		target, method, body, name, out string
		headers, pprofs                 []string
		opts                            = load.DefaultOptions
		rounds                          int
		maxErrorRate                    float64
	)
	cmd := &cobra.Command{
		Use:   "load --target URL",
		Short: "Load a running service on loopback at a constant rate, with its profiles",
		Long: `load sends requests to a service already running on loopback, on a fixed schedule
(open model: latency is measured from each request's scheduled start, so a stall shows),
and writes the figures in the Go benchmark format to DIR/load.txt. With --pprof, it
captures a CPU profile from each pprof endpoint while the load runs, and heap and
goroutine profiles at its end.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if target == "" {
				return fmt.Errorf("--target URL is required")
			}
			h := make(http.Header)
			for _, kv := range headers {
				k, v, ok := strings.Cut(kv, ":")
				if !ok {
					return fmt.Errorf("--header %q: want NAME:VALUE", kv)
				}
				h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
			if rounds < 1 {
				return fmt.Errorf("--rounds %d: want 1 or more", rounds)
			}
			dir := g.path(out)
			if out == "" {
				var err error
				if dir, err = defaultRunDir(g.path(".perfgate")); err != nil {
					return err
				}
			}
			t := load.Target{Method: method, URL: target, Body: []byte(body), Header: h}
			return runLoad(cmd.Context(), g, t, opts, name, rounds, maxErrorRate, pprofs, dir)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&target, "target", "", "`URL` to send requests to; must be on loopback")
	fl.StringVar(&method, "method", "GET", "HTTP method")
	fl.StringVar(&body, "body", "", "request body")
	fl.StringArrayVar(&headers, "header", nil, "request header `NAME:VALUE`; repeatable")
	fl.Float64Var(&opts.Rate, "rate", opts.Rate, "requests per second (open model)")
	fl.DurationVar(&opts.Duration, "duration", opts.Duration, "how long to send requests")
	fl.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "per request")
	fl.IntVar(&opts.MaxInFlight, "max-in-flight", opts.MaxInFlight, "cap on requests in flight")
	fl.IntVar(&rounds, "rounds", 1, "rounds to run, one result line each")
	fl.Float64Var(&maxErrorRate, "max-error-rate", 0.01, "fraction of failed requests above which the run fails")
	fl.StringArrayVar(&pprofs, "pprof", nil, "base `URL` of a service's pprof endpoints (http://127.0.0.1:6060/debug/pprof); repeatable")
	fl.StringVar(&name, "name", "load", "scenario name in the results")
	fl.StringVar(&out, "out", "", "run `DIR` (default: .perfgate/runs/<time>)")
	return cmd
}

// runLoad runs the rounds of one load, then one more with profiles when
// pprof endpoints are given, and prints a summary per round.
func runLoad(ctx context.Context, g *globals, t load.Target, opts load.Options, name string, rounds int, maxErrorRate float64, pprofs []string, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	var buf bytes.Buffer
	buf.WriteString(load.UnitMetadata())
	for round := 1; round <= rounds; round++ {
		res, err := load.Run(ctx, t, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "round %d: %s\n", round, summary(res))
		bw := benchfmt.NewWriter(&buf)
		if err := bw.Write(&benchfmt.Result{Name: benchfmt.Name("Load/scenario=" + name), Iters: res.Completed, Values: res.Values()}); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "load.txt"), buf.Bytes(), 0o644); err != nil {
			return err
		}
		if res.ErrorRate() > maxErrorRate {
			return fmt.Errorf("%d of %d requests failed (%.1f%%, above %.1f%%): %s", res.Errors, res.Completed, 100*res.ErrorRate(), 100*maxErrorRate, res.FirstError)
		}
	}
	fmt.Fprintf(g.stdout, "results: %s\n", filepath.Join(dir, "load.txt"))
	if len(pprofs) == 0 {
		return nil
	}
	// One more round, profiled.
	client := &http.Client{}
	errs := make([]error, len(pprofs))
	datas := make([][]byte, len(pprofs))
	var wg sync.WaitGroup
	for i, base := range pprofs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, datas[i], errs[i] = profiler.Capture(ctx, client, base, profiler.CPU, opts.Duration)
		}()
	}
	_, err := load.Run(ctx, t, opts)
	wg.Wait()
	if err != nil {
		return err
	}
	for i, base := range pprofs {
		stem := filepath.Join(dir, "profiles", fmt.Sprintf("%02d", i))
		if err := os.MkdirAll(filepath.Dir(stem), 0o755); err != nil {
			return err
		}
		kinds := []struct {
			kind profiler.Kind
			data []byte
			err  error
		}{{profiler.CPU, datas[i], errs[i]}}
		for _, k := range []profiler.Kind{profiler.Heap, profiler.Goroutine} {
			_, data, err := profiler.Capture(ctx, client, base, k, time.Duration(0))
			kinds = append(kinds, struct {
				kind profiler.Kind
				data []byte
				err  error
			}{k, data, err})
		}
		for _, k := range kinds {
			if k.err != nil {
				fmt.Fprintf(g.stderr, "perfgate: warning: no %s profile from %s: %v\n", k.kind, base, k.err)
				continue
			}
			f := fmt.Sprintf("%s.%s.pprof", stem, k.kind)
			if err := os.WriteFile(f, k.data, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "profile: %s (%s)\n", f, base)
		}
	}
	return nil
}

// summary is one line of a load's figures.
func summary(r *load.Result) string {
	ms := func(ns int64) string { return fmt.Sprintf("%.2fms", float64(ns)/1e6) }
	s := fmt.Sprintf("%d requests at %.1f req/s (target %.1f), %d errors, latency p50 %s p90 %s p99 %s max %s, send lag p99 %s",
		r.Completed, r.Achieved(), r.Rate, r.Errors,
		ms(r.Latency.ValueAtQuantile(50)), ms(r.Latency.ValueAtQuantile(90)), ms(r.Latency.ValueAtQuantile(99)), ms(r.Latency.Max()),
		ms(r.SendLag.ValueAtQuantile(99)))
	if bound, why := r.DriverBound(); bound {
		s += "; the driver could not keep up: " + why
	}
	return s
}
