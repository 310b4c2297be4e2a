package bench

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/rundir"
)

// TestSearch checks the capacity search against services whose capacity
// is known: it brackets and bisects to the precision, stops at the bounds
// with what it knows, and always ends.
func TestSearch(t *testing.T) {
	obj := config.DefaultCapacity
	obj.Latency = 50 * time.Millisecond
	below := func(capacity float64) probe {
		return func(_ context.Context, rate float64) (rundir.CapacityStep, error) {
			s := rundir.CapacityStep{Rate: rate, Met: rate <= capacity}
			if !s.Met {
				s.Why = "p99 over 50ms"
			}
			return s, nil
		}
	}
	for _, tt := range []struct {
		name     string
		start    searchStart
		probe    probe
		want     float64 // the capacity; the answer is within precision below it
		bound    string
		maxSteps int
		note     string
		err      string
	}{
		{name: "from the scenario's rate", start: searchStart{100, 2}, probe: below(4321), want: 4321, maxSteps: 11},
		{name: "from above", start: searchStart{8000, 2}, probe: below(1234), want: 1234, maxSteps: 9},
		{name: "near the last answer", start: searchStart{1200, 1.1}, probe: below(1234), want: 1234, maxSteps: 4},
		{name: "last answer too high", start: searchStart{1400, 1.1}, probe: below(1234), want: 1234, maxSteps: 5},
		{name: "above max_rate", start: searchStart{100, 2}, probe: below(1e6), want: obj.MaxRate, bound: rundir.AtLeast, note: "max_rate"},
		{name: "below min_rate", start: searchStart{100, 2}, probe: below(3), bound: rundir.Never, note: "min_rate"},
		{
			name: "driver limit", start: searchStart{100, 2}, want: 1600, bound: rundir.AtLeast, note: "could not keep up",
			probe: func(_ context.Context, rate float64) (rundir.CapacityStep, error) {
				if rate > 2000 {
					return rundir.CapacityStep{Rate: rate, DriverBound: "send lag"}, nil
				}
				return rundir.CapacityStep{Rate: rate, Met: true}, nil
			},
		},
		{
			name: "error mid-search", start: searchStart{100, 2}, err: "service cart exited",
			probe: func(_ context.Context, rate float64) (rundir.CapacityStep, error) {
				if rate > 500 {
					return rundir.CapacityStep{}, errors.New("service cart exited")
				}
				return rundir.CapacityStep{Rate: rate, Met: true}, nil
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := search(context.Background(), obj, tt.start, tt.probe)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				if c == nil || len(c.Steps) == 0 {
					t.Error("the steps before the error were lost")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Bound != tt.bound || !strings.Contains(c.Note, tt.note) {
				t.Errorf("bound %q note %q, want %q and a note with %q", c.Bound, c.Note, tt.bound, tt.note)
			}
			if tt.bound != rundir.Never && !(c.Capacity <= tt.want && c.Capacity >= tt.want/(1+obj.Precision)) {
				t.Errorf("capacity %.1f, want within %.0f%% below %.1f (steps %v)", c.Capacity, 100*obj.Precision, tt.want, rates(c))
			}
			if tt.maxSteps > 0 && len(c.Steps) > tt.maxSteps {
				t.Errorf("%d steps, want at most %d: %v", len(c.Steps), tt.maxSteps, rates(c))
			}
			for _, s := range c.Steps {
				if s.Rate < obj.MinRate || s.Rate > obj.MaxRate {
					t.Errorf("step at %.1f req/s, outside [%v, %v]", s.Rate, obj.MinRate, obj.MaxRate)
				}
			}
		})
	}
}

// TestSearchEnds checks that a search of a service that meets the
// objective at random ends within maxSteps, with a rate that met it.
func TestSearchEnds(t *testing.T) {
	obj := config.DefaultCapacity
	obj.Latency = 50 * time.Millisecond
	obj.Precision = 0.01
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		met := map[float64]bool{}
		c, err := search(context.Background(), obj, searchStart{100, 2}, func(_ context.Context, rate float64) (rundir.CapacityStep, error) {
			met[rate] = r.IntN(2) == 0
			return rundir.CapacityStep{Rate: rate, Met: met[rate]}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Steps) > maxSteps {
			t.Fatalf("%d steps", len(c.Steps))
		}
		if c.Bound != rundir.Never && !met[c.Capacity] {
			t.Fatalf("capacity %v never met the objective: %v", c.Capacity, rates(c))
		}
		if math.IsNaN(c.Capacity) {
			t.Fatal("NaN capacity")
		}
	}
}

func rates(c *rundir.CapacityRound) []float64 {
	var r []float64
	for _, s := range c.Steps {
		r = append(r, math.Round(s.Rate))
	}
	return r
}

// TestJudge checks how a step is judged against the objective: each way
// of missing it says how, and only a busy driver that sent late measured
// the driver.
func TestJudge(t *testing.T) {
	obj := config.DefaultCapacity
	obj.Latency = 50 * time.Millisecond
	result := func(latency, lag time.Duration, completed, errs, capHits int, span time.Duration) *load.Result {
		r := &load.Result{
			Rate: 1000, Completed: completed, Errors: errs, CapHits: capHits, MaxInFlight: 512,
			Latency: hdrhistogram.New(1, int64(time.Hour), 3), SendLag: hdrhistogram.New(1, int64(time.Hour), 3),
			FirstDone: 0, Elapsed: span,
		}
		for range completed {
			r.Latency.RecordValue(int64(latency))
			r.SendLag.RecordValue(int64(max(lag, 1)))
		}
		return r
	}
	for _, tt := range []struct {
		name       string
		res        *load.Result
		driverCPUs float64
		met        bool
		why        string
		driver     bool
	}{
		{"met", result(10*time.Millisecond, 0, 1000, 0, 0, time.Second), 0.05, true, "", false},
		{"p99 over", result(80*time.Millisecond, 0, 1000, 0, 0, time.Second), 0.05, false, "p99 79.99ms over 50ms", false},
		{"errors", result(10*time.Millisecond, 0, 1000, 20, 0, time.Second), 0.05, false, "2.0% of requests failed", false},
		{"cap", result(10*time.Millisecond, 0, 1000, 0, 7, time.Second), 0.05, false, "7 requests waited for the in-flight cap", false},
		{"carried less", result(10*time.Millisecond, 0, 1000, 0, 0, 2*time.Second), 0.05, false, "it carried 500 of the 1000 req/s", false},
		{"late, starved", result(80*time.Millisecond, 70*time.Millisecond, 1000, 0, 0, time.Second), 0.05, false, "p99", false},
		{"late, busy", result(80*time.Millisecond, 70*time.Millisecond, 1000, 0, 0, time.Second), 0.9, false, "p99", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := judge(obj, 1000, tt.res, tt.driverCPUs)
			if s.Met != tt.met || !strings.Contains(s.Why, tt.why) || (s.DriverBound != "") != tt.driver {
				t.Errorf("judged %+v, want met %v, why with %q, driver-bound %v", s, tt.met, tt.why, tt.driver)
			}
		})
	}
}
