package offcpu

import (
	"math"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
)

// handlerRoots are the functions a goroutine serving a request runs
// under: net/http's server, and gRPC's.
var handlerRoots = []string{
	"net/http.serverHandler.ServeHTTP",
	"google.golang.org/grpc.(*Server).handleStream",
}

// FromGoroutines returns the off-CPU time of requests, by kind, from
// goroutine profiles: p is snapshots goroutine profiles of a window of
// seconds, their values summed (the goroutines seen in each stack over
// all the snapshots). Where there is no execution trace, this is how long
// requests waited, and where.
//
// By Little's law, a stack in which N goroutines were found on average
// over a window of T seconds held T*N goroutine-seconds: divided by the
// requests the window completed, the time each request spent there. Only
// the goroutines serving a request count (those under net/http's or
// gRPC's server), and only those parked (the stack's leaf is
// runtime.gopark), since the CPU profile has those that ran: parked in
// the network poller is Network, anything else Sync. A goroutine
// profile is a snapshot, not a sample of time: the events are the
// goroutines seen. The profiles have the package's sample types (events,
// delay); there is none for a kind nothing waited on, and nil for a
// profile without a goroutine sample type.
func FromGoroutines(p *profile.Profile, snapshots, seconds float64) map[string]*profile.Profile {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "goroutine" || st.Type == "goroutines" {
			idx = i
		}
	}
	if idx < 0 || !(seconds > 0) || !(snapshots > 0) {
		return nil
	}
	out := map[string]*profile.Profile{}
	for _, s := range p.Sample {
		n := float64(s.Value[idx])
		if n <= 0 || len(s.Location) == 0 || !parked(s.Location[0]) || !underHandler(s) {
			continue
		}
		kind := Sync
		if calls(s, "internal/poll.runtime_pollWait") {
			kind = Network
		}
		q := out[kind]
		if q == nil {
			q = &profile.Profile{
				SampleType:        []*profile.ValueType{{Type: "events", Unit: "count"}, {Type: "delay", Unit: "nanoseconds"}},
				DefaultSampleType: "delay",
				PeriodType:        &profile.ValueType{Type: "delay", Unit: "nanoseconds"},
				Period:            1,
				TimeNanos:         p.TimeNanos,
				DurationNanos:     int64(seconds * 1e9),
				Mapping:           p.Mapping,
				Location:          p.Location,
				Function:          p.Function,
			}
			out[kind] = q
		}
		q.Sample = append(q.Sample, &profile.Sample{
			Location: s.Location,
			Value:    []int64{int64(n), int64(math.Round(n / snapshots * seconds * 1e9))},
			Label:    s.Label,
			NumLabel: s.NumLabel,
			NumUnit:  s.NumUnit,
		})
	}
	for kind, q := range out {
		// The wait is charged to the call that waited
		// (net/http.(*persistConn).roundTrip), not to runtime.gopark, as
		// the traces' stacks are; and only the locations the kept
		// samples use stay.
		out[kind] = analyze.Waiters(q)
	}
	return out
}

// parked reports whether loc, a stack's leaf, is the runtime parking a
// goroutine.
func parked(loc *profile.Location) bool {
	for _, l := range loc.Line {
		if l.Function != nil && strings.HasPrefix(l.Function.Name, "runtime.gopark") {
			return true
		}
	}
	return false
}

// underHandler reports whether s is a goroutine serving a request.
func underHandler(s *profile.Sample) bool {
	for _, root := range handlerRoots {
		if calls(s, root) {
			return true
		}
	}
	return false
}

// calls reports whether fn is on s's stack.
func calls(s *profile.Sample, fn string) bool {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function != nil && l.Function.Name == fn {
				return true
			}
		}
	}
	return false
}
