package load

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The closed model's tests. Like the open model's, they run against
// httptest servers on a small, shared machine: they check behaviour and
// big factors, never tight timings.

// closedOpts is a closed run of users with client c for d. The rate is
// left at 0: a closed run does not use it.
func closedOpts(c Client, users int, think, d time.Duration) Options {
	o := copts(c, 0, d)
	o.Users, o.ThinkTime = users, think
	return o
}

// serviceServer answers after serviceTime, any number of requests at once,
// and counts the most it served at once.
type serviceServer struct {
	serviceTime time.Duration
	now, peak   atomic.Int64
}

func (s *serviceServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.now.Add(1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	time.Sleep(s.serviceTime)
	s.now.Add(-1)
	io.WriteString(w, "ok\n")
}

// TestClosedRate: users sending back to back against a server of known
// service time reach about users / (service time + think time) requests a
// second, never with more than users in flight.
func TestClosedRate(t *testing.T) { eachClient(t, testClosedRate) }

func testClosedRate(t *testing.T, c Client) {
	const serviceTime = 20 * time.Millisecond
	for _, tc := range []struct {
		name  string
		users int
		think time.Duration
	}{
		{"1 user", 1, 0},
		{"4 users", 4, 0},
		{"4 users thinking 20ms", 4, 20 * time.Millisecond},
		{"8 users thinking 60ms", 8, 60 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			srv := &serviceServer{serviceTime: serviceTime}
			ts := newServer(t, srv)
			o := closedOpts(c, tc.users, tc.think, time.Second)
			start := time.Now()
			res, err := Run(context.Background(), Target{URL: ts.URL}, o)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			// Each user's cycle is at least the service time and the
			// think time (sleeps never end early): this is the ceiling,
			// and a busy machine only lowers the rate.
			want := float64(tc.users) / (serviceTime + tc.think).Seconds()
			a := res.Achieved()
			if a > 1.3*want || a < 0.35*want {
				t.Errorf("achieved %.1f req/s, want about %.0f (users / (service time + think time))", a, want)
			}
			if res.Completed != res.Sent || res.Errors != 0 || res.Completed < 2 {
				t.Errorf("sent %d, completed %d, errors %d (%s); want every request sent completed, none failed",
					res.Sent, res.Completed, res.Errors, res.FirstError)
			}
			if res.PeakInFlight < 1 || res.PeakInFlight > tc.users {
				t.Errorf("peak in flight %d, want 1..%d users", res.PeakInFlight, tc.users)
			}
			if p := srv.peak.Load(); p > int64(tc.users) {
				t.Errorf("the server saw %d requests at once, more than the %d users", p, tc.users)
			}
			// No request starts after Duration, and the last ones end a
			// service time later: the run stops by itself.
			if res.LastSent >= o.Duration {
				t.Errorf("last send at %v, at or after the duration %v", res.LastSent, o.Duration)
			}
			if took > o.Duration+o.Timeout {
				t.Errorf("run took %v, more than duration + timeout", took)
			}
			// What a closed run records: no schedule, no send lag, the
			// latency from the send (so at least the service time).
			if res.Rate != 0 || res.Scheduled != 0 || res.Unsent != 0 || res.CapHits != 0 {
				t.Errorf("rate %v, scheduled %d, unsent %d, cap hits %d; want all 0 in a closed run",
					res.Rate, res.Scheduled, res.Unsent, res.CapHits)
			}
			if res.Users != tc.users || res.ThinkTime != tc.think {
				t.Errorf("result says %d users, think time %v; want %d, %v", res.Users, res.ThinkTime, tc.users, tc.think)
			}
			if n := res.SendLag.TotalCount(); n != 0 {
				t.Errorf("send lag histogram holds %d values, want none in a closed run", n)
			}
			if n := res.Latency.TotalCount(); n != int64(res.Completed) {
				t.Errorf("latency histogram holds %d values, want %d", n, res.Completed)
			}
			if lo := dur(res.Latency.Min()); lo < serviceTime*9/10 {
				t.Errorf("latency min %v, under the service time %v", lo, serviceTime)
			}
			var reqs int
			for _, s := range res.Seconds {
				reqs += s.Requests
			}
			if len(res.Seconds) != 1 || reqs != res.Completed {
				t.Errorf("seconds %+v add up to %d requests, want one second of %d", res.Seconds, reqs, res.Completed)
			}
			if bound, why := res.DriverBound(); bound {
				t.Errorf("DriverBound() = true, %q; want false for a closed run", why)
			}
			line := res.String()
			if !strings.Contains(line, "closed model") || strings.Contains(line, "send lag") || strings.Contains(line, "target") {
				t.Errorf("String() = %q: want it to name the closed model, without a target rate or send lag", line)
			}
			if tc.think > 0 && !strings.Contains(line, "think time "+tc.think.String()) {
				t.Errorf("String() = %q: want the think time", line)
			}
			t.Logf("%s (want about %.0f req/s; peak in flight %d, run took %v)", line, want, res.PeakInFlight, took.Round(time.Millisecond))
		})
	}
}

// TestClosedLimit: a closed run also stops after its most requests, long
// before its duration. The limit is maxScheduled in a real run; the test
// lowers it on the driver.
func TestClosedLimit(t *testing.T) { eachClient(t, testClosedLimit) }

func testClosedLimit(t *testing.T, c Client) {
	checkGoroutines(t)
	var hits atomic.Int64
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok\n")
	}))
	o := closedOpts(c, 4, 0, time.Minute)
	tmpl, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(context.Background(), tmpl, nil, o, 0)
	if d.limit != maxScheduled {
		t.Errorf("a closed run's limit is %d, want maxScheduled (%d)", d.limit, maxScheduled)
	}
	d.limit = 25
	start := time.Now()
	res, err := d.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("run took %v: it should stop after 25 requests, long before its minute", took)
	}
	if res.Sent != 25 || res.Completed != 25 || hits.Load() != 25 {
		t.Errorf("sent %d, completed %d, server hits %d; want 25", res.Sent, res.Completed, hits.Load())
	}
}
