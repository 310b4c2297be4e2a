package deploy

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/watch/prom"
)

// windowMetrics answers Intervals from latencies per version: the figures
// prom would read from Prometheus (whose own test runs a real one).
type windowMetrics struct {
	latency map[string]float64 // version -> mean seconds
	rate    float64            // requests per second
	rnd     *rand.Rand
}

func (m *windowMetrics) Intervals(_ context.Context, w prom.Window) (map[string][]prom.Interval, error) {
	lat, ok := m.latency[w.Version]
	if !ok {
		return nil, prom.ErrNoData
	}
	var ivs []prom.Interval
	for end := w.From.Add(w.Step); !end.After(w.Until); end = end.Add(w.Step) {
		f := 1 + 0.05*m.rnd.NormFloat64()
		ivs = append(ivs, prom.Interval{End: end, Requests: m.rate * w.Step.Seconds(),
			Mean: lat * f, P50: 0.9 * lat * f, P90: 1.5 * lat * f, P99: 2 * lat * f})
	}
	return map[string][]prom.Interval{"/checkout": ivs}, nil
}

// cpuProfiles makes CPU profiles whose functions cost what cost says per
// second of wall time, for every profile Merge is asked for, and
// goroutine profiles, one snapshot each 10 s, of wait handler goroutines
// parked in main.callPricing on average.
type cpuProfiles struct {
	cost map[string]map[string]float64 // version -> function -> CPU seconds per second
	wait map[string]float64            // version -> goroutines waiting
}

func (p *cpuProfiles) Goroutines(_ context.Context, service, version string, from, until time.Time) (*profile.Profile, float64, error) {
	w, ok := p.wait[version]
	if !ok {
		return nil, 0, nil
	}
	snapshots := math.Floor(until.Sub(from).Seconds() / 10)
	var fns []*profile.Function
	var locs []*profile.Location
	for i, name := range []string{"runtime.gopark", "main.callPricing", "net/http.serverHandler.ServeHTTP"} {
		fns = append(fns, &profile.Function{ID: uint64(i + 1), Name: name, SystemName: name})
		locs = append(locs, &profile.Location{ID: uint64(i + 1), Line: []profile.Line{{Function: fns[i]}}})
	}
	return &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "goroutine", Unit: "count"}},
		PeriodType: &profile.ValueType{Type: "goroutine", Unit: "count"},
		Period:     1,
		Function:   fns,
		Location:   locs,
		Sample:     []*profile.Sample{{Location: locs, Value: []int64{int64(math.Round(w * snapshots))}}},
	}, snapshots, nil
}

func (p *cpuProfiles) Merge(_ context.Context, service, version string, kind Kind, from, until time.Time) (*profile.Profile, error) {
	costs, ok := p.cost[version]
	if !ok {
		return nil, nil
	}
	secs := until.Sub(from).Seconds()
	prof := &profile.Profile{
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
	}
	if kind == CPU {
		prof.SampleType = []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}
	} else {
		prof.SampleType = []*profile.ValueType{{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"}}
		prof.PeriodType = &profile.ValueType{Type: "space", Unit: "bytes"}
	}
	main := &profile.Function{ID: 1, Name: "main.handle", SystemName: "main.handle"}
	prof.Function = append(prof.Function, main)
	mainLoc := &profile.Location{ID: 1, Line: []profile.Line{{Function: main}}}
	prof.Location = append(prof.Location, mainLoc)
	id := uint64(2)
	for name, c := range costs {
		fn := &profile.Function{ID: id, Name: name, SystemName: name}
		loc := &profile.Location{ID: id, Line: []profile.Line{{Function: fn}}}
		id++
		prof.Function = append(prof.Function, fn)
		prof.Location = append(prof.Location, loc)
		ns := int64(c * secs * 1e9)
		prof.Sample = append(prof.Sample, &profile.Sample{Location: []*profile.Location{loc, mainLoc}, Value: []int64{ns / 10_000_000, ns}})
	}
	return prof, nil
}

func TestJudge(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	spec := Spec{
		Services:   []string{"cart"},
		Base:       Side{Version: "v1", From: t0, Until: t0.Add(2 * time.Minute)},
		Head:       Side{Version: "v2", From: t0.Add(3 * time.Minute), Until: t0.Add(5 * time.Minute)},
		Step:       10 * time.Second,
		Thresholds: analyze.DefaultThresholds,
	}
	for _, tc := range []struct {
		name       string
		headLat    float64
		headSHA    float64
		headWait   float64
		regression bool
	}{
		{"slower, by sha and waiting", 0.004, 0.30, 3, true},
		{"same", 0.002, 0.05, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &windowMetrics{latency: map[string]float64{"v1": 0.002, "v2": tc.headLat}, rate: 100, rnd: rand.New(rand.NewPCG(1, 2))}
			p := &cpuProfiles{cost: map[string]map[string]float64{
				"v1": {"main.work": 0.10, "crypto/sha256.block": 0.05},
				"v2": {"main.work": 0.10, "crypto/sha256.block": tc.headSHA},
			}, wait: map[string]float64{"v1": 1, "v2": tc.headWait}}
			dir := filepath.Join(t.TempDir(), "deploy")
			v, err := Judge(context.Background(), dir, spec, m, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Verdict == analyze.Regression; got != tc.regression {
				t.Fatalf("verdict %s, want regression %v: %+v", v.Verdict, tc.regression, v.Results)
			}
			for _, f := range []string{"verdict.json", "run.json", "base.txt", "head.txt", ReportText, ReportMarkdown, "report.html"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Error(err)
				}
			}
			text, _ := os.ReadFile(filepath.Join(dir, ReportText))
			if !tc.regression {
				return
			}
			var p99, cpu bool
			for _, r := range v.Results {
				if !r.Regression {
					continue
				}
				switch {
				case r.Benchmark == "BenchmarkLoad/scenario=checkout/service=cart" && r.Unit == "p99-sec":
					p99 = true
					// sha256's CPU time grew by 0.25 s a second, the wait
					// in callPricing by 2 goroutines (12 snapshots of 10 s:
					// 12 and 36 goroutines seen): 2.5 and 20 ms per
					// request.
					if len(r.Hot) < 2 || r.Hot[0].Function != "main.callPricing" || r.Hot[0].Kind != "sync" ||
						!strings.Contains(r.Hot[1].Function, "sha256") || r.Hot[1].Kind != "on-cpu" {
						t.Errorf("p99's hot functions %+v, want waiting in main.callPricing, then sha256 on-CPU", r.Hot)
					}
				case r.Benchmark == "BenchmarkLoad/scenario=all-routes/service=cart" && r.Unit == "cpu-sec/op":
					cpu = true
				}
			}
			if !p99 || !cpu {
				t.Errorf("regressed p99 %v, cpu-sec/op %v; want both:\n%s", p99, cpu, text)
			}
			if !strings.Contains(string(text), "version=v2") {
				t.Errorf("the report does not name the head version:\n%s", text)
			}
		})
	}
}

func TestJudgeFaults(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	m := &windowMetrics{latency: map[string]float64{"v1": 0.002}, rate: 100, rnd: rand.New(rand.NewPCG(1, 2))}
	p := &cpuProfiles{}
	spec := Spec{Services: []string{"cart"}, Base: Side{Version: "v1", From: t0, Until: t0.Add(time.Minute)},
		Head: Side{Version: "v9", From: t0.Add(time.Minute), Until: t0.Add(2 * time.Minute)}, Step: 10 * time.Second, Thresholds: analyze.DefaultThresholds}
	_, err := Judge(context.Background(), filepath.Join(t.TempDir(), "d"), spec, m, p)
	if err == nil || !strings.Contains(err.Error(), "no route of cart answered requests in both windows") {
		t.Errorf("a version with no requests: %v", err)
	}
	spec.Services = nil
	if _, err := Judge(context.Background(), t.TempDir(), spec, m, p); err == nil {
		t.Error("no service: no error")
	}
}

func TestScenario(t *testing.T) {
	for in, want := range map[string]string{"/checkout": "checkout", "/": "root", "": "root", "/a/b": "a_b"} {
		if got := Scenario(in); got != want {
			t.Errorf("Scenario(%q) = %q, want %q", in, got, want)
		}
	}
}
