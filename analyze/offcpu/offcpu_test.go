package offcpu

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// TestService traces a service through its /debug/pprof/trace endpoint,
// with a CPU profile running, while it serves a bounded load.
func TestService(t *testing.T) {
	if testing.Short() {
		t.Skip("traces a server for 2s")
	}
	s := newService(t, false)
	l := load{paths: []string{"/call", "/chan", "/burn", "/client"}, n: 240, workers: 4}
	data, sent, profiled := traceViaEndpoint(t, s, 2, l, true)
	r, err := Read(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	logResult(t, r)
	checkProfiles(t, r)

	// The backend is in this process too: its requests count.
	want := sent + int(s.calls.Load())
	if d := r.Requests - want; d < -3 || d > 3+want/50 {
		t.Errorf("Requests = %d, want about %d (%d sent, %d to the backend)", r.Requests, want, sent, s.calls.Load())
	}
	if r.Window < time.Second || r.Window > 3*time.Second {
		t.Errorf("Window = %v, want about 2s", r.Window)
	}

	tests := []struct {
		name  string
		check func(r *Result) string // what is wrong, if anything
	}{
		{"network's biggest stack is the call's", func(r *Result) string {
			s := biggest(r.Profiles[Network], "request")
			if s == nil || !hasFrame(s, "(*service).call") {
				return "biggest network stack:\n" + stackString(s)
			}
			return ""
		}},
		{"sync has the wait for the created goroutine", func(r *Result) string {
			for _, s := range samples(r.Profiles[Sync], "request") {
				if hasFrame(s, "(*service).chanWait") && !hasFrame(s, "runtime.chanrecv") {
					return "" // named by the code that waited, not the runtime's parking
				}
			}
			return "no request sync stack in (*service).chanWait, its runtime frames trimmed"
		}},
		{"the created goroutine's time is labelled created", func(r *Result) string {
			var d time.Duration
			for _, p := range r.Profiles {
				for _, s := range samples(p, "created") {
					if hasFrame(s, "offcpu.produce") {
						d += time.Duration(s.Value[1])
					}
				}
			}
			if d < produceSleep*time.Duration(sent/8) {
				return "created time in produce = " + d.String()
			}
			return ""
		}},
		{"the transport's goroutines are not created ones", func(r *Result) string {
			for _, p := range r.Profiles {
				for _, s := range samples(p, "created") {
					if hasFrame(s, "net/http.(*persistConn)") || hasFrame(s, "dialConn") {
						return "created:\n" + stackString(s)
					}
				}
			}
			return ""
		}},
		{"the trace endpoint's handler is left out", func(r *Result) string {
			for _, p := range r.Profiles {
				for _, s := range p.Sample {
					if hasFrame(s, "net/http/pprof.") {
						return "counted:\n" + stackString(s)
					}
				}
			}
			return ""
		}},
		{"the handlers' CPU time is on-cpu", func(r *Result) string {
			min := time.Duration(s.burns.Load()) * burnTime / 2
			if d := total(r.Profiles[OnCPU], "request"); d < min {
				return "on-cpu request time = " + d.String() + ", want at least " + min.String()
			}
			return ""
		}},
		{"CPU samples put on-cpu time in spin", func(r *Result) string {
			if !profiled {
				return "" // the test runs under a CPU profile of its own
			}
			for _, s := range samples(r.Profiles[OnCPU], "request") {
				if hasFrame(s, "offcpu.spin") && hasFrame(s, "(*service).burn") {
					return ""
				}
			}
			return "no on-cpu stack in spin under (*service).burn"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := tt.check(r); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestIdleKeepAlive checks that the wait for the next request on a
// keep-alive connection is not request time: requests spaced by idle gaps
// far longer than their handling.
func TestIdleKeepAlive(t *testing.T) {
	if testing.Short() {
		t.Skip("traces a server for 1s")
	}
	s := newService(t, false)
	const n, gap = 12, 60 * time.Millisecond
	data, sent := traceDirect(t, s, load{paths: []string{"/call", "/chan"}, n: n, workers: 1, gap: gap})
	r, err := Read(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	logResult(t, r)
	checkProfiles(t, r)
	if sent != n {
		t.Fatalf("%d requests got a reply, want %d", sent, n)
	}
	var req time.Duration
	for _, p := range r.Profiles {
		req += total(p, "request")
	}
	if idle := n * gap; req > idle/4 {
		t.Errorf("request goroutines' time = %v, want far below the %v they were idle", req, idle)
	}
	if want := sent + int(s.calls.Load()); r.Requests < want-1 || r.Requests > want {
		t.Errorf("Requests = %d, want %d (%d sent, %d to the backend)", r.Requests, want, sent, s.calls.Load())
	}
}

// TestHTTP2 checks that handlers served over HTTP/2, each on a goroutine
// of its own, are found.
func TestHTTP2(t *testing.T) {
	if testing.Short() {
		t.Skip("traces a server")
	}
	s := newService(t, true)
	c := s.srv.Client()
	resp, err := c.Get(s.srv.URL + "/chan")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("served over %s, want HTTP/2", resp.Proto)
	}
	data, sent := traceDirect(t, s, load{paths: []string{"/chan", "/burn"}, n: 40, workers: 2, client: c})
	r, err := Read(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	logResult(t, r)
	checkProfiles(t, r)
	if r.Requests < sent-2 || r.Requests > sent {
		t.Errorf("Requests = %d, want about %d", r.Requests, sent)
	}
	var found bool
	for _, s := range samples(r.Profiles[Sync], "request") {
		found = found || hasFrame(s, "(*service).chanWait") && hasFrame(s, "runHandler")
	}
	if !found {
		t.Errorf("no request sync stack in (*service).chanWait under runHandler")
	}
	if min := time.Duration(s.burns.Load()) * burnTime / 2; total(r.Profiles[OnCPU], "request") < min {
		t.Errorf("on-cpu request time = %v, want at least %v", total(r.Profiles[OnCPU], "request"), min)
	}
}

func logResult(t *testing.T, r *Result) {
	t.Helper()
	t.Logf("window %v, %d requests, background %v, notes %q", r.Window, r.Requests, r.Background, r.Notes)
	for _, k := range Kinds {
		if p := r.Profiles[k]; p != nil {
			t.Logf("%-10s request %10v in %4d stacks, created %10v", k, total(p, "request"), len(samples(p, "request")), total(p, "created"))
		}
	}
}

// checkProfiles checks the form of r's profiles and that they survive
// encoding.
func checkProfiles(t *testing.T, r *Result) {
	t.Helper()
	for kind, p := range r.Profiles {
		if !slices.Contains(Kinds, kind) {
			t.Errorf("profile of unknown kind %q", kind)
		}
		if err := p.CheckValid(); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		if len(p.Sample) == 0 {
			t.Errorf("%s: no samples", kind)
		}
		if len(p.SampleType) != 2 || p.SampleType[0].Type != "events" || p.SampleType[0].Unit != "count" ||
			p.SampleType[1].Type != "delay" || p.SampleType[1].Unit != "nanoseconds" ||
			p.DefaultSampleType != "delay" || p.PeriodType == nil || p.PeriodType.Type != "delay" || p.Period != 1 {
			t.Errorf("%s: sample types %v, default %q, period %v %d", kind, p.SampleType, p.DefaultSampleType, p.PeriodType, p.Period)
		}
		for _, s := range p.Sample {
			if l := s.Label["goroutine"]; len(l) != 1 || l[0] != "request" && l[0] != "created" {
				t.Errorf("%s: sample labelled %q", kind, s.Label)
			}
			if s.Value[0] < 0 || s.Value[1] < 0 {
				t.Errorf("%s: sample values %v", kind, s.Value)
			}
		}
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			t.Errorf("%s: writing: %v", kind, err)
			continue
		}
		q, err := profile.Parse(&buf)
		if err != nil {
			t.Errorf("%s: parsing what was written: %v", kind, err)
			continue
		}
		if len(q.Sample) != len(p.Sample) || total(q, "request") != total(p, "request") || total(q, "created") != total(p, "created") {
			t.Errorf("%s: round trip changed the samples", kind)
		}
	}
}

// samples returns p's samples with the goroutine label, biggest first.
func samples(p *profile.Profile, label string) []*profile.Sample {
	if p == nil {
		return nil
	}
	var ss []*profile.Sample
	for _, s := range p.Sample {
		if slices.Contains(s.Label["goroutine"], label) {
			ss = append(ss, s)
		}
	}
	slices.SortStableFunc(ss, func(a, b *profile.Sample) int { return int(b.Value[1] - a.Value[1]) })
	return ss
}

func biggest(p *profile.Profile, label string) *profile.Sample {
	if ss := samples(p, label); len(ss) > 0 {
		return ss[0]
	}
	return nil
}

func total(p *profile.Profile, label string) time.Duration {
	var d time.Duration
	for _, s := range samples(p, label) {
		d += time.Duration(s.Value[1])
	}
	return d
}

func hasFrame(s *profile.Sample, fn string) bool {
	for _, l := range s.Location {
		for _, ln := range l.Line {
			if strings.Contains(ln.Function.Name, fn) {
				return true
			}
		}
	}
	return false
}

func stackString(s *profile.Sample) string {
	if s == nil {
		return "(none)"
	}
	var b strings.Builder
	for _, l := range s.Location {
		for _, ln := range l.Line {
			b.WriteString("\t" + ln.Function.Name + "\n")
		}
	}
	return b.String()
}
