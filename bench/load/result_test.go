package load

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/perf/benchfmt"
)

func TestValues(t *testing.T) {
	checkGoroutines(t)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("x") == "" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	res, err := Run(context.Background(), Target{URL: srv.URL + "/?x=1"}, opts(100, 500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	vals := res.Values()
	wantUnits := []string{"sec/op", "p50-sec", "p90-sec", "p99-sec", "max-sec", "req/s", "errors/op"}
	if len(vals) != len(wantUnits) {
		t.Fatalf("%d values, want %d", len(vals), len(wantUnits))
	}
	got := map[string]float64{}
	for i, v := range vals {
		if v.Unit != wantUnits[i] {
			t.Errorf("value %d unit %q, want %q", i, v.Unit, wantUnits[i])
		}
		got[v.Unit] = v.Value
	}
	if want := res.Latency.Mean() / 1e9; got["sec/op"] != want {
		t.Errorf("sec/op %v, want the histogram mean %v s", got["sec/op"], want)
	}
	if got["req/s"] != res.Achieved() {
		t.Errorf("req/s %v, want Achieved() %v", got["req/s"], res.Achieved())
	}
	if got["errors/op"] != res.ErrorRate() || got["errors/op"] != 0 {
		t.Errorf("errors/op %v, want ErrorRate() %v = 0", got["errors/op"], res.ErrorRate())
	}
	if !(got["p50-sec"] <= got["p90-sec"] && got["p90-sec"] <= got["p99-sec"] && got["p99-sec"] <= got["max-sec"] && got["p50-sec"] > 0) {
		t.Errorf("percentiles out of order: %v", got)
	}
	if want := res.Percentile(99).Seconds(); got["p99-sec"] != want {
		t.Errorf("p99-sec %v, want %v", got["p99-sec"], want)
	}
}

// The values and the unit metadata make a benchfmt file that benchfmt reads
// back with the right directions.
func TestValuesRoundTrip(t *testing.T) {
	res := fakeResult(t, 100, time.Second, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}, nil)
	res.Errors = 1
	var buf bytes.Buffer
	buf.WriteString(UnitMetadata())
	w := benchfmt.NewWriter(&buf)
	r := &benchfmt.Result{Name: benchfmt.Name("LoadCheckout"), Iters: res.Completed, Values: res.Values()}
	if err := w.Write(r); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", buf.String())

	rd := benchfmt.NewReader(&buf, "load.txt")
	var read *benchfmt.Result
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatal(rec)
		case *benchfmt.Result:
			read = rec.Clone()
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if read == nil || len(read.Values) != 7 {
		t.Fatalf("read back %+v", read)
	}
	for i, v := range read.Values {
		if want := res.Values()[i]; v.Unit != want.Unit || v.Value != want.Value {
			t.Errorf("value %d read back as %v %s, want %v %s", i, v.Value, v.Unit, want.Value, want.Unit)
		}
	}
	units := rd.Units()
	for unit, better := range map[string]int{"sec/op": -1, "p50-sec": -1, "p90-sec": -1, "p99-sec": -1, "max-sec": -1, "req/s": 1, "errors/op": -1} {
		if got := units.GetBetter(unit); got != better {
			t.Errorf("unit %s better = %d, want %d", unit, got, better)
		}
	}
	if lines := strings.Count(UnitMetadata(), "\n"); lines != 7 {
		t.Errorf("%d unit metadata lines, want 7", lines)
	}
}

// fakeResult builds a Result by hand, for the methods that only read it.
func fakeResult(t *testing.T, rate float64, span time.Duration, latencies, lags []time.Duration) *Result {
	t.Helper()
	r := &Result{
		Rate:        rate,
		Scheduled:   int(rate * span.Seconds()),
		Span:        span,
		MaxInFlight: 8,
		Latency:     hdrhistogram.New(histLowest, histHighest, histDigits),
		SendLag:     hdrhistogram.New(histLowest, histHighest, histDigits),
		Codes:       map[int]int{},
	}
	for _, l := range latencies {
		recordValue(r.Latency, l)
	}
	for _, l := range lags {
		recordValue(r.SendLag, l)
	}
	r.Completed = len(latencies)
	r.Sent = r.Completed
	return r
}

func TestDriverBound(t *testing.T) {
	many := func(n int, d time.Duration) []time.Duration {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = d
		}
		return s
	}
	for _, c := range []struct {
		name  string
		res   func() *Result
		bound bool
		why   string
	}{
		{"fine", func() *Result {
			return fakeResult(t, 100, time.Second, many(100, time.Millisecond), many(100, 50*time.Microsecond))
		}, false, ""},
		{"late sends", func() *Result {
			return fakeResult(t, 100, time.Second, many(100, time.Millisecond), append(many(90, 50*time.Microsecond), many(10, 5*time.Millisecond)...))
		}, true, "send lag p99"},
		{"short of the rate", func() *Result {
			return fakeResult(t, 100, time.Second, many(90, time.Millisecond), many(90, 50*time.Microsecond))
		}, true, "sent 90.0 req/s"},
		{"late last send", func() *Result {
			r := fakeResult(t, 100, time.Second, many(100, time.Millisecond), many(100, 50*time.Microsecond))
			r.LastSent = 2 * time.Second // the driver took twice the schedule to send them
			return r
		}, true, "sent 50.0 req/s"},
		{"slow service", func() *Result {
			// Completions stretched by a stall: the service's figure, not
			// the driver's.
			r := fakeResult(t, 100, time.Second, many(100, time.Millisecond), many(100, 50*time.Microsecond))
			r.FirstDone, r.Elapsed = time.Millisecond, 3*time.Second
			return r
		}, false, ""},
		{"cap", func() *Result {
			r := fakeResult(t, 100, time.Second, many(100, time.Millisecond), many(100, 50*time.Microsecond))
			r.CapHits = 3
			return r
		}, true, "3 requests waited for the in-flight cap of 8"},
		{"unsent", func() *Result {
			r := fakeResult(t, 100, time.Second, many(100, time.Millisecond), many(100, 50*time.Microsecond))
			r.Unsent = 2
			return r
		}, true, "2 due requests were never sent"},
		{"closed run", func() *Result {
			// None of the open model's reasons applies to a closed run,
			// even where its fields would trip them.
			r := fakeResult(t, 0, time.Second, many(90, time.Millisecond), many(90, 5*time.Millisecond))
			r.Users, r.CapHits, r.Unsent = 4, 3, 2
			return r
		}, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			bound, why := c.res().DriverBound()
			if bound != c.bound || !strings.Contains(why, c.why) || (c.why == "" && why != "") {
				t.Errorf("DriverBound() = %v, %q; want %v, %q", bound, why, c.bound, c.why)
			}
		})
	}
}

func TestEmptyResult(t *testing.T) {
	r := fakeResult(t, 100, time.Second, nil, nil)
	if r.ErrorRate() != 0 || r.Achieved() != 0 {
		t.Errorf("error rate %v, achieved %v for no requests", r.ErrorRate(), r.Achieved())
	}
	for _, v := range r.Values() {
		if v.Value != 0 {
			t.Errorf("%s = %v for no requests", v.Unit, v.Value)
		}
	}
}

func TestAchievedOverCompletions(t *testing.T) {
	r := &Result{Rate: 100, Span: time.Second, Completed: 101, FirstDone: 10 * time.Millisecond, Elapsed: 2010 * time.Millisecond}
	if got := r.Achieved(); got != 50 {
		t.Errorf("Achieved = %v, want 50: 100 intervals over 2 s of completions", got)
	}
	r = &Result{Rate: 100, Span: time.Second, Completed: 1, FirstDone: 10 * time.Millisecond, Elapsed: 10 * time.Millisecond}
	if got := r.Achieved(); got != 1 {
		t.Errorf("Achieved of one completion = %v, want 1 per second of schedule", got)
	}
}
