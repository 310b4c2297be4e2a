package bench

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/profiler"
	"github.com/perfgate/perfgate/rundir"
)

// URLLoad is a load of a service that is already running (perfgate load):
// rounds of the same load, then, with pprof endpoints, one more round
// while they are profiled.
type URLLoad struct {
	Target  load.Target
	Options load.Options
	// Name is the scenario's name in the results.
	Name   string
	Rounds int
	// MaxErrorRate is the fraction of failed requests above which a round
	// fails the run.
	MaxErrorRate float64
	// Pprof are the base URLs of the services' pprof endpoints.
	Pprof []string
}

// EndpointProfile is one profile of a pprof endpoint that RunURL took,
// or why it could not.
type EndpointProfile struct {
	Endpoint string
	Kind     profiler.Kind
	// File is where the profile is, relative to the run directory.
	File string
	Err  error
}

// RunURL runs l, writing each round's figures to the run directory's
// load results (in the Go benchmark format, as a load scenario's target
// line) as soon as the round ends, and telling round of each. With pprof
// endpoints, it then runs one more round while each endpoint's CPU is
// profiled, takes heap and goroutine snapshots at its end, and returns
// what it took; an endpoint that fails costs its profile, not the run.
func RunURL(ctx context.Context, run rundir.Dir, l URLLoad, round func(int, *load.Result)) ([]EndpointProfile, error) {
	switch {
	case l.Rounds < 1:
		return nil, fmt.Errorf("%d rounds: want 1 or more", l.Rounds)
	case !config.ValidName(l.Name):
		return nil, fmt.Errorf("name %q: want lower-case letters, digits, - and _", l.Name)
	case !config.ValidFraction(l.MaxErrorRate):
		return nil, fmt.Errorf("max error rate %v: want a fraction between 0 and 1", l.MaxErrorRate)
	}
	for _, e := range l.Pprof {
		if _, err := loopback.CheckURL(ctx, e); err != nil {
			return nil, fmt.Errorf("pprof endpoint: %w", err)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(load.UnitMetadata())
	for i := 1; i <= l.Rounds; i++ {
		res, err := load.Run(ctx, l.Target, l.Options)
		if err != nil {
			return nil, err
		}
		round(i, res)
		bw := benchfmt.NewWriter(&buf)
		if err := bw.Write(&benchfmt.Result{Name: analyze.LoadName{Scenario: l.Name}.BenchName(), Iters: res.Completed, Values: res.Values()}); err != nil {
			return nil, err
		}
		if err := run.WriteFile(rundir.LoadResultsFile, buf.Bytes()); err != nil {
			return nil, fmt.Errorf("writing the results: %w", err)
		}
		if res.ErrorRate() > l.MaxErrorRate {
			return nil, fmt.Errorf("%d of %d requests failed (%.1f%%, above %.1f%%): %s", res.Errors, res.Completed, 100*res.ErrorRate(), 100*l.MaxErrorRate, res.FirstError)
		}
	}
	if len(l.Pprof) == 0 {
		return nil, nil
	}
	caps, err := profiledLoad(ctx, l.Pprof, l.Options.Duration, captureSet{snapshots: true}, func() error {
		_, err := load.Run(ctx, l.Target, l.Options)
		return err
	})
	if err != nil {
		return nil, err
	}
	var profiles []EndpointProfile
	for i, endpoint := range l.Pprof {
		for _, c := range caps[i] {
			p := EndpointProfile{Endpoint: endpoint, Kind: c.kind, Err: c.err}
			if p.Err == nil {
				p.File = run.EndpointProfile(i, string(c.kind))
				if err := run.WriteFile(p.File, c.data); err != nil {
					return profiles, fmt.Errorf("writing %s: %w", p.File, err)
				}
			}
			profiles = append(profiles, p)
		}
	}
	return profiles, nil
}
