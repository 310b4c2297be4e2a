package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/rundir"
)

// loadResult is what perfgate load writes with --json: the figures of each
// round, as it prints them and writes them to load.txt, and the profiles
// it took.
type loadResult struct {
	// Name is the scenario's name in load.txt (--name); Method and Target
	// the requests sent.
	Name   string `json:"name"`
	Method string `json:"method"`
	Target string `json:"target"`
	// Results is the path of load.txt, the rounds in the benchmark format.
	Results  string        `json:"results"`
	Rounds   []loadRound   `json:"rounds"`
	Profiles []loadProfile `json:"profiles,omitempty"`
}

// loadRound is one round of perfgate load (load.Result).
type loadRound struct {
	Round int `json:"round"`
	// Rate is the target rate (0 in a closed round, which has none) and
	// Achieved the completed requests per second over the time the
	// completions took, in requests per second.
	Rate     float64 `json:"rate"`
	Achieved float64 `json:"achieved"`
	// Users and ThinkTime are set in a closed round (--users): that many
	// users, each sending its next request when its last one answered and
	// ThinkTime (in nanoseconds) passed. Without users, the round was the
	// open model at Rate.
	Users     int           `json:"users,omitempty"`
	ThinkTime time.Duration `json:"think_time_ns,omitempty"`
	// Scheduled, Sent, Unsent, Completed and Errors count requests
	// (Scheduled and Unsent are 0 in a closed round: it has no schedule).
	Scheduled int `json:"scheduled"`
	Sent      int `json:"sent"`
	Unsent    int `json:"unsent"`
	Completed int `json:"completed"`
	Errors    int `json:"errors"`
	// Values are the round's figures by unit, as in load.txt: latency
	// (from each request's scheduled start; in a closed round, from its
	// send) "sec/op" (mean), "p50-sec", "p90-sec", "p99-sec", "max-sec",
	// in seconds; "req/s"; "errors/op".
	Values map[string]float64 `json:"values"`
	// SendLagP99 is the 99th percentile of the driver's lateness, in
	// seconds; 0 in a closed round, which has no schedule to be late for.
	SendLagP99   float64 `json:"send_lag_p99_sec"`
	PeakInFlight int     `json:"peak_in_flight"`
	// DriverBound says why the driver, not the service, limited the
	// round; empty when it did not.
	DriverBound string `json:"driver_bound,omitempty"`
	// Codes counts the HTTP status codes seen.
	Codes      map[int]int `json:"codes,omitempty"`
	FirstError string      `json:"first_error,omitempty"`
}

// newLoadRound is round i's figures, from its result.
func newLoadRound(i int, r *load.Result) loadRound {
	lr := loadRound{
		Round: i, Rate: r.Rate, Achieved: r.Achieved(), Users: r.Users, ThinkTime: r.ThinkTime,
		Scheduled: r.Scheduled, Sent: r.Sent, Unsent: r.Unsent, Completed: r.Completed, Errors: r.Errors,
		Values:       map[string]float64{},
		PeakInFlight: r.PeakInFlight, Codes: r.Codes, FirstError: text.OneLine(r.FirstError),
	}
	for _, v := range r.Values() {
		lr.Values[v.Unit] = v.Value
	}
	if r.SendLag != nil && r.SendLag.TotalCount() > 0 {
		lr.SendLagP99 = float64(r.SendLag.ValueAtQuantile(99)) / 1e9
	}
	if bound, why := r.DriverBound(); bound {
		lr.DriverBound = why
	}
	return lr
}

// loadProfile is a profile perfgate load took from a pprof endpoint, or
// why it could not.
type loadProfile struct {
	Endpoint string `json:"endpoint"`
	// Kind is "profile" (CPU), "heap" or "goroutine".
	Kind  string `json:"kind"`
	File  string `json:"file,omitempty"`
	Error string `json:"error,omitempty"`
}

func loadCmd(g *globals) *cobra.Command {
	var (
		target, method, body, out string
		headers                   []string
		l                         = bench.URLLoad{Options: load.DefaultOptions}
	)
	cmd := &cobra.Command{
		Use:   "load --target URL",
		Short: "Load a running service on loopback at a constant rate, or with N users, with its profiles",
		Long: `load sends requests to a service already running on loopback, on a fixed schedule
(open model: latency is measured from each request's scheduled start, so a stall shows),
or, with --users N, from N users each sending its next request when its last one answered
and --think-time passed (closed model: the throughput and latency at saturation; latency
from the send, so a stall counts once per user), and writes the figures in the Go
benchmark format to DIR/load.txt. With --pprof, it captures a CPU profile from each pprof
endpoint while the load runs, and heap and goroutine profiles at its end. With --json
FILE, it writes each round's figures and the profiles it took as JSON.`,
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
			if l.Options.Users != 0 && cmd.Flags().Changed("rate") {
				return fmt.Errorf("--rate and --users: --rate sets the open model's arrival rate, --users makes a closed model; choose one")
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
			res := loadResult{Name: l.Name, Method: method, Target: target, Results: run.Path(rundir.LoadResultsFile)}
			profiles, err := bench.RunURL(cmd.Context(), run, l, func(i int, r *load.Result) {
				fmt.Fprintf(g.stdout, "round %d: %s\n", i, r)
				res.Rounds = append(res.Rounds, newLoadRound(i, r))
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "results: %s\n", res.Results)
			for _, p := range profiles {
				lp := loadProfile{Endpoint: p.Endpoint, Kind: string(p.Kind)}
				if p.Err != nil {
					fmt.Fprintf(g.stderr, "perfgate: warning: no %s profile from %s: %v\n", p.Kind, p.Endpoint, p.Err)
					lp.Error = text.OneLine(p.Err.Error())
				} else {
					lp.File = run.Path(p.File)
					fmt.Fprintf(g.stdout, "profile: %s (%s)\n", lp.File, p.Endpoint)
				}
				res.Profiles = append(res.Profiles, lp)
			}
			return g.writeJSON(res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&target, "target", "", "`URL` to send requests to; must be on loopback")
	fl.StringVar(&method, "method", "GET", "HTTP method")
	fl.StringVar(&body, "body", "", "request body")
	fl.StringArrayVar(&headers, "header", nil, "request header `NAME:VALUE`; repeatable")
	fl.Float64Var(&l.Options.Rate, "rate", l.Options.Rate, "requests per second (open model)")
	fl.IntVar(&l.Options.Users, "users", 0, "users, each sending its next request when its last one answered (closed model; at most --max-in-flight)")
	fl.DurationVar(&l.Options.ThinkTime, "think-time", 0, "each user's pause between an answer and its next request (closed model, with --users)")
	fl.DurationVar(&l.Options.Duration, "duration", l.Options.Duration, "how long to send requests")
	fl.DurationVar(&l.Options.Timeout, "timeout", l.Options.Timeout, "per request")
	fl.IntVar(&l.Options.MaxInFlight, "max-in-flight", l.Options.MaxInFlight, "cap on requests in flight")
	fl.StringVar((*string)(&l.Options.Client), "client", string(load.FastHTTP), "HTTP client: fasthttp or net/http (for what fasthttp lacks)")
	fl.IntVar(&l.Rounds, "rounds", 1, "rounds to run, one result line each")
	fl.Float64Var(&l.MaxErrorRate, "max-error-rate", 0.01, "fraction of failed requests above which the run fails")
	fl.StringArrayVar(&l.Pprof, "pprof", nil, "base `URL` of a service's pprof endpoints (http://127.0.0.1:6060/debug/pprof); repeatable")
	fl.StringVar(&l.Name, "name", "load", "scenario name in the results")
	fl.StringVar(&out, "out", "", "run `DIR` (default: .perfgate/runs/<time>)")
	return cmd
}
