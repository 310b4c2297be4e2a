package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/rundir"
)

func loadCmd(g *globals) *cobra.Command {
	var (
		target, method, body, out string
		headers                   []string
		l                         = bench.URLLoad{Options: load.DefaultOptions}
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
			if l.Rounds < 1 {
				return fmt.Errorf("--rounds %d: want 1 or more", l.Rounds)
			}
			l.Target = load.Target{Method: method, URL: target, Body: []byte(body), Header: h}
			dir, err := g.runDir(out)
			if err != nil {
				return err
			}
			run, err := rundir.Create(dir)
			if err != nil {
				return err
			}
			profiles, err := bench.RunURL(cmd.Context(), run, l, func(i int, r *load.Result) {
				fmt.Fprintf(g.stdout, "round %d: %s\n", i, r)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "results: %s\n", run.Path(rundir.LoadResultsFile))
			for _, p := range profiles {
				if p.Err != nil {
					fmt.Fprintf(g.stderr, "perfgate: warning: no %s profile from %s: %v\n", p.Kind, p.Endpoint, p.Err)
					continue
				}
				fmt.Fprintf(g.stdout, "profile: %s (%s)\n", run.Path(p.File), p.Endpoint)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&target, "target", "", "`URL` to send requests to; must be on loopback")
	fl.StringVar(&method, "method", "GET", "HTTP method")
	fl.StringVar(&body, "body", "", "request body")
	fl.StringArrayVar(&headers, "header", nil, "request header `NAME:VALUE`; repeatable")
	fl.Float64Var(&l.Options.Rate, "rate", l.Options.Rate, "requests per second (open model)")
	fl.DurationVar(&l.Options.Duration, "duration", l.Options.Duration, "how long to send requests")
	fl.DurationVar(&l.Options.Timeout, "timeout", l.Options.Timeout, "per request")
	fl.IntVar(&l.Options.MaxInFlight, "max-in-flight", l.Options.MaxInFlight, "cap on requests in flight")
	fl.IntVar(&l.Rounds, "rounds", 1, "rounds to run, one result line each")
	fl.Float64Var(&l.MaxErrorRate, "max-error-rate", 0.01, "fraction of failed requests above which the run fails")
	fl.StringArrayVar(&l.Pprof, "pprof", nil, "base `URL` of a service's pprof endpoints (http://127.0.0.1:6060/debug/pprof); repeatable")
	fl.StringVar(&l.Name, "name", "load", "scenario name in the results")
	fl.StringVar(&out, "out", "", "run `DIR` (default: .perfgate/runs/<time>)")
	return cmd
}
