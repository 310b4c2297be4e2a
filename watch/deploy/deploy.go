// Package deploy judges a deploy in staging: is the new version slower, or
// costlier per request, than the one before it, and which functions did
// it? It answers with the gate's own analysis, on figures measured from
// what staging already records. The steps:
//
//  1. Cut each side's window (the previous version's, the new version's)
//     into intervals of Step. For each interval and each route of each
//     service, Prometheus gives the requests answered and their mean, p50,
//     p90 and p99 response time (package prom): one sample per interval,
//     as the gate's rounds are its samples.
//  2. For each interval and service, the profiles of the interval (their
//     time's midpoint in it) give the CPU time and the bytes allocated;
//     divided by the service's requests in the interval, they are its CPU
//     time and allocation per request. The request counts are only
//     denominators: staging's traffic is its users', and a quiet hour is
//     not a regression, so request rates are never judged.
//  3. Write these as the two sides' benchmark results of a run directory
//     (rundir), with each side's profiles over its whole window merged,
//     and hand the run to the gate's analysis (gate.Decide): the same
//     statistics (the windows' intervals are two independent samples, so
//     benchstat's Mann-Whitney U test, not the paired one), the same
//     thresholds, the same hot functions. A route's response time is
//     explained by the CPU time per request of that route of every
//     service of the deploy, since a request's time is spent in the
//     services it calls; a service's CPU time and allocation per request
//     by its own profiles.
//  4. Render the verdict as the gate does: text, Markdown and HTML reports
//     beside verdict.json.
//
// Consecutive intervals of one window are not quite independent (traffic
// has trends); a step of a minute or more keeps that small.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/offcpu"
	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/rundir"
	"github.com/perfgate/perfgate/watch/prom"
)

// Kind is a kind of profile a Profiles source holds.
type Kind string

// The kinds a deploy verdict reads: CPU profiles (sample types samples and
// cpu), and heap profiles (alloc_objects, alloc_space, inuse_objects,
// inuse_space).
const (
	CPU  Kind = "cpu"
	Heap Kind = "heap"
)

// Profiles is where a deploy's profiles come from: watch's own store, or a
// Grafana Pyroscope server.
type Profiles interface {
	// Merge returns the profiles of kind of service (of version, or of
	// any version when it is empty) whose time's midpoint falls in
	// [from, until), merged into one; nil, with no error, when there are
	// none.
	Merge(ctx context.Context, service, version string, kind Kind, from, until time.Time) (*profile.Profile, error)
	// Goroutines returns the goroutine profiles selected as Merge selects
	// them, their values summed (the goroutines seen over all of them),
	// and how many snapshots of each instance they are; nil, with no
	// error, when there are none, or when the source cannot tell.
	Goroutines(ctx context.Context, service, version string, from, until time.Time) (p *profile.Profile, snapshots float64, err error)
}

// Metrics is where the services' request figures come from: Prometheus.
type Metrics interface {
	Intervals(ctx context.Context, w prom.Window) (map[string][]prom.Interval, error)
}

// Side is one side of a deploy: a version's window.
type Side struct {
	// Version is the version label's value; empty when the services'
	// metrics and profiles carry none, and the window alone selects.
	Version string    `json:"version,omitempty"`
	From    time.Time `json:"from"`
	Until   time.Time `json:"until"`
}

// String names the side in reports: "version=v2 (18:00:05 to 18:05:05
// UTC)".
func (s Side) String() string {
	v := "version=" + s.Version
	if s.Version == "" {
		v = "no version label"
	}
	return fmt.Sprintf("%s (%s to %s)", v, s.From.UTC().Format("2006-01-02 15:04:05"), s.Until.UTC().Format("15:04:05 UTC"))
}

// Spec is a deploy to judge.
type Spec struct {
	// Services are the services that changed version together: their
	// routes' response times are judged, and their profiles explain them.
	Services []string
	// Base is the previous version's window, Head the new one's.
	Base, Head Side
	// Step is the length of each interval, a sample of each figure.
	Step time.Duration
	// Thresholds are the gate's effect-size floors.
	Thresholds analyze.Thresholds
}

// AllRoutes is the scenario name of a service's own CPU time and
// allocation per request, over all its routes.
const AllRoutes = "all-routes"

// Judge measures spec's two windows into a new run directory at dir,
// decides, and writes the reports there. The error is one line; what was
// written before it stays on disk.
func Judge(ctx context.Context, dir string, spec Spec, metrics Metrics, profiles Profiles) (*analyze.Verdict, error) {
	if len(spec.Services) == 0 {
		return nil, errors.New("judging a deploy: no service")
	}
	if spec.Step <= 0 {
		return nil, errors.New("judging a deploy: no step")
	}
	run, err := rundir.Create(dir)
	if err != nil {
		return nil, err
	}
	info := &rundir.Info{
		Tool:    "perfgate watch",
		Started: time.Now().UTC(),
		Sides: []*rundir.Side{
			// A version is the deploy's commit, for the history.
			{Name: "base", Ref: spec.Base.String(), Commit: spec.Base.Version, Results: run.Results("base")},
			{Name: "head", Ref: spec.Head.String(), Commit: spec.Head.Version, Results: run.Results("head")},
		},
	}
	j := &judge{spec: spec, run: run, info: info, metrics: metrics, profiles: profiles}
	err = j.measure(ctx)
	info.Complete = err == nil
	if werr := run.WriteInfo(info); err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	opts := analyze.DefaultOptions
	opts.Thresholds = spec.Thresholds
	v, err := gate.Decide(run, info, opts, analyze.Side{Ref: spec.Base.String()}, analyze.Side{Ref: spec.Head.String()})
	if err != nil {
		return nil, err
	}
	if err := WriteReports(run, v); err != nil {
		return v, err
	}
	return v, nil
}

// Report files of a deploy's run directory, beside rundir.ReportFile (the
// HTML report).
const (
	ReportText     = "report.txt"
	ReportMarkdown = "report.md"
)

// WriteReports renders v, the verdict of run, as text, Markdown and HTML
// into run.
func WriteReports(run rundir.Dir, v *analyze.Verdict) error {
	flames, err := run.ReadFlames(v)
	if err != nil {
		return err
	}
	for _, r := range []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{ReportText, func(b *bytes.Buffer) error { return report.Text(b, v, false) }},
		{ReportMarkdown, func(b *bytes.Buffer) error { return report.Markdown(b, v, report.MarkdownOptions{}) }},
		{rundir.ReportFile, func(b *bytes.Buffer) error {
			return report.HTML(b, v, report.HTMLOptions{Title: "perfgate watch: " + v.Head.Ref, Flames: flames})
		}},
	} {
		var b bytes.Buffer
		if err := r.render(&b); err != nil {
			return fmt.Errorf("rendering %s: %w", r.file, err)
		}
		if err := run.WriteFile(r.file, b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// judge is one Judge's state.
type judge struct {
	spec     Spec
	run      rundir.Dir
	info     *rundir.Info
	metrics  Metrics
	profiles Profiles
}

// sideData is what one side's window gave.
type sideData struct {
	name string
	side Side
	// routes are, per service, its routes' intervals.
	routes map[string]map[string][]prom.Interval
	// files are, per service, its window's merged profiles (relative to
	// the run directory), "" where there were none.
	cpu, heap map[string]string
	// offCPU are, per service, its requests' off-CPU time profiles by
	// kind, from its goroutine profiles.
	offCPU map[string]map[string]string
	out    bytes.Buffer
}

// measure fills the run directory: both sides' results and profiles.
func (j *judge) measure(ctx context.Context) error {
	sides := []*sideData{{name: "base", side: j.spec.Base}, {name: "head", side: j.spec.Head}}
	for _, s := range sides {
		if err := j.window(ctx, s); err != nil {
			return err
		}
	}
	// Latency lines for the routes both sides answered.
	both := map[string][]string{} // service -> routes
	for _, svc := range j.spec.Services {
		for rt := range sides[0].routes[svc] {
			if _, ok := sides[1].routes[svc][rt]; ok {
				both[svc] = append(both[svc], rt)
			}
		}
		sort.Strings(both[svc])
		for _, s := range sides {
			for rt := range s.routes[svc] {
				if !slices.Contains(both[svc], rt) {
					j.info.Notes = append(j.info.Notes, fmt.Sprintf("%s's route %s had requests in the %s window only: not compared", svc, rt, s.name))
				}
			}
		}
	}
	if len(both) == 0 {
		return fmt.Errorf("judging a deploy: no route of %s answered requests in both windows", strings.Join(j.spec.Services, ", "))
	}
	for _, s := range sides {
		s.out.WriteString(load.UnitMetadata())
		s.out.WriteString("Unit cpu-sec/op better=lower assume=nothing\nUnit B/op better=lower assume=nothing\n")
		var requests, seconds float64
		for _, svc := range j.spec.Services {
			for _, rt := range both[svc] {
				name := analyze.LoadName{Scenario: Scenario(rt), Service: svc}
				var work float64
				for _, iv := range s.routes[svc][rt] {
					fmt.Fprintf(&s.out, "%s %d %g sec/op %g p50-sec %g p90-sec %g p99-sec\n",
						name, int64(math.Round(iv.Requests)), iv.Mean, iv.P50, iv.P90, iv.P99)
					work += iv.Requests
				}
				if svc == j.spec.Services[0] {
					requests += work
				}
				// The route's requests are explained by every service's
				// CPU time, per request of the route.
				for _, other := range j.spec.Services {
					if s.cpu[other] != "" || s.offCPU[other] != nil {
						j.info.Profiles = append(j.info.Profiles, rundir.Profile{
							Side: s.name, Service: other, Benchmark: analyze.LoadName{Scenario: Scenario(rt), Service: other}.String(),
							CPU: s.cpu[other], OffCPU: s.offCPU[other], Work: work,
						})
					}
				}
			}
		}
		seconds = s.side.Until.Sub(s.side.From).Seconds()
		if seconds > 0 {
			j.info.Notes = append(j.info.Notes, fmt.Sprintf("%s: %s, %.1f requests/s to %s (context, never judged)", s.name, s.side, requests/seconds, j.spec.Services[0]))
		}
	}
	// Per service: CPU time and allocation per request, interval by
	// interval.
	for _, svc := range j.spec.Services {
		for _, s := range sides {
			if err := j.costs(ctx, s, svc); err != nil {
				return err
			}
		}
	}
	for _, s := range sides {
		if err := j.run.WriteFile(j.run.Results(s.name), s.out.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// window reads one side's request figures and merged profiles.
func (j *judge) window(ctx context.Context, s *sideData) error {
	s.routes, s.cpu, s.heap = map[string]map[string][]prom.Interval{}, map[string]string{}, map[string]string{}
	s.offCPU = map[string]map[string]string{}
	for _, svc := range j.spec.Services {
		w := prom.Window{Service: svc, Version: s.side.Version, From: s.side.From, Until: s.side.Until, Step: j.spec.Step}
		ivs, err := j.metrics.Intervals(ctx, w)
		if errors.Is(err, prom.ErrNoData) && w.Version != "" {
			// Metrics without a version label: the window alone selects,
			// as the windows of a deploy do not overlap.
			w.Version = ""
			if ivs, err = j.metrics.Intervals(ctx, w); err == nil {
				j.info.Notes = append(j.info.Notes, fmt.Sprintf("%s's request metrics carry no version=%s: its %s window's requests are all those of the window", svc, s.side.Version, s.name))
			}
		}
		if errors.Is(err, prom.ErrNoData) {
			j.info.Notes = append(j.info.Notes, fmt.Sprintf("%s window: %v", s.name, err))
			continue
		}
		if err != nil {
			return err
		}
		s.routes[svc] = ivs
		for _, kind := range []Kind{CPU, Heap} {
			p, err := j.profiles.Merge(ctx, svc, s.side.Version, kind, s.side.From, s.side.Until)
			if err != nil {
				return fmt.Errorf("reading %s's %s profiles: %w", svc, kind, err)
			}
			if p == nil {
				j.info.Notes = append(j.info.Notes, fmt.Sprintf("no %s profile of %s in the %s window", kind, svc, s.name))
				continue
			}
			rel := filepath.Join("profiles", fmt.Sprintf("%s-%s.%s.pb.gz", s.name, svc, kind))
			if err := writeProfile(j.run, rel, p); err != nil {
				return err
			}
			if kind == CPU {
				s.cpu[svc] = rel
			} else {
				s.heap[svc] = rel
			}
		}
		if err := j.offCPU(ctx, s, svc); err != nil {
			return err
		}
	}
	return nil
}

// offCPU derives svc's off-CPU time from its goroutine profiles over the
// side's window (offcpu.FromGoroutines).
func (j *judge) offCPU(ctx context.Context, s *sideData, svc string) error {
	p, snapshots, err := j.profiles.Goroutines(ctx, svc, s.side.Version, s.side.From, s.side.Until)
	if err != nil {
		return fmt.Errorf("reading %s's goroutine profiles: %w", svc, err)
	}
	if p == nil {
		return nil
	}
	window := s.side.Until.Sub(s.side.From)
	for kind, q := range offcpu.FromGoroutines(p, snapshots, window.Seconds()) {
		rel := filepath.Join("profiles", fmt.Sprintf("%s-%s.%s.pb.gz", s.name, svc, kind))
		if err := writeProfile(j.run, rel, q); err != nil {
			return err
		}
		if s.offCPU[svc] == nil {
			s.offCPU[svc] = map[string]string{}
		}
		s.offCPU[svc][kind] = rel
	}
	return nil
}

// costs writes one service's CPU time and allocation per request, for
// each interval with requests and profiles, and lists its merged profiles
// for their explanation.
func (j *judge) costs(ctx context.Context, s *sideData, svc string) error {
	if len(s.routes[svc]) == 0 || s.cpu[svc] == "" && s.heap[svc] == "" {
		return nil
	}
	perEnd := map[time.Time]float64{}
	for _, ivs := range s.routes[svc] {
		for _, iv := range ivs {
			perEnd[iv.End] += iv.Requests
		}
	}
	ends := make([]time.Time, 0, len(perEnd))
	for e := range perEnd {
		ends = append(ends, e)
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	name := analyze.LoadName{Scenario: AllRoutes, Service: svc}
	var total float64
	for _, end := range ends {
		req := perEnd[end]
		if req <= 0 {
			continue
		}
		line := fmt.Sprintf("%s %d", name, int64(math.Round(req)))
		n := 0
		// The profiles of an interval (their midpoints in it) need not
		// cover it exactly: uploads drift, and one may cover 0.9 or 1.1
		// of a step. The requests they saw are the interval's rate over
		// the time they cover, where a profile says how long it covers
		// (CPU profiles do; godeltaprof's heap profiles do not, and take
		// the CPU profiles' cover).
		covered := 1.0
		for _, kind := range []Kind{CPU, Heap} {
			p, err := j.profiles.Merge(ctx, svc, s.side.Version, kind, end.Add(-j.spec.Step), end)
			if err != nil {
				return fmt.Errorf("reading %s's %s profiles: %w", svc, kind, err)
			}
			if p == nil {
				continue
			}
			if p.DurationNanos > 0 {
				covered = float64(p.DurationNanos) / float64(j.spec.Step)
			}
			if kind == CPU {
				line += fmt.Sprintf(" %g cpu-sec/op", analyze.Total(p, "cpu")/1e9/(req*covered))
			} else {
				line += fmt.Sprintf(" %g B/op", analyze.Total(p, "alloc_space")/(req*covered))
			}
			n++
		}
		if n > 0 {
			s.out.WriteString(line + "\n")
			total += req
		}
	}
	j.info.Profiles = append(j.info.Profiles, rundir.Profile{
		Side: s.name, Service: svc, Benchmark: name.String(), CPU: s.cpu[svc], Mem: s.heap[svc], Work: total,
	})
	return nil
}

// Scenario is the scenario name of a route, as result names carry it:
// without its leading slash, its other slashes made underscores; "root"
// for "/".
func Scenario(route string) string {
	s := strings.ReplaceAll(strings.TrimPrefix(route, "/"), "/", "_")
	if s == "" {
		return "root"
	}
	return s
}

// writeProfile writes p, gzipped, to rel in run.
func writeProfile(run rundir.Dir, rel string, p *profile.Profile) error {
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	return run.WriteFile(rel, b.Bytes())
}
