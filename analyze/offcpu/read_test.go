package offcpu

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/exp/trace"
)

var update = flag.Bool("update", false, "rewrite "+testTrace+" from a short traced run of a test service")

// testTrace is a real trace of the test service, through its
// /debug/pprof/trace endpoint with a CPU profile running.
var testTrace = filepath.Join("testdata", "http.trace")

// TestUpdateTestdata rewrites testTrace when -update is set.
func TestUpdateTestdata(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite " + testTrace)
	}
	s := newService(t, false)
	// Over a second, for two generations (a cut in the second reads the
	// first), with few requests: the fuzzer minimizes inputs of this size.
	l := load{paths: []string{"/call", "/chan", "/burn", "/client"}, n: 12, workers: 1, gap: 60 * time.Millisecond}
	var data []byte
	for i := 0; ; i++ {
		runtime.GC() // and none in the trace, most likely
		data, _, _ = traceViaEndpoint(t, s, 1.2, l, true)
		if len(data) < 64<<10 && generations(t, data) >= 2 {
			break
		}
		if i == 4 {
			t.Fatalf("%d bytes, %d generations: want under 64KiB and 2 or more", len(data), generations(t, data))
		}
	}
	if err := os.WriteFile(testTrace, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d bytes", testTrace, len(data))
}

// generations returns the number of generations in a trace.
func generations(t *testing.T, data []byte) int {
	r, err := trace.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	syncs := 0
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			return syncs - 1 // a Sync starts each, and one ends the trace
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind() == trace.EventSync {
			syncs++
		}
	}
}

func readTestTrace(tb testing.TB) []byte {
	data, err := os.ReadFile(testTrace)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestTestdata(t *testing.T) {
	r, err := Read(bytes.NewReader(readTestTrace(t)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	logResult(t, r)
	checkProfiles(t, r)
	if r.Requests == 0 || r.Window <= 0 {
		t.Errorf("Requests = %d, Window = %v: want some", r.Requests, r.Window)
	}
	for _, kind := range []string{OnCPU, Network, Sync} {
		if r.Profiles[kind] == nil {
			t.Errorf("no %s profile", kind)
		}
	}
}

// TestTruncated checks that a trace cut anywhere gives an error or a
// note, never a panic.
func TestTruncated(t *testing.T) {
	data := readTestTrace(t)
	full, err := Read(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cuts := []int{0, 1, 15, 16, 17, 100}
	for i := 1; i < 64; i++ {
		cuts = append(cuts, len(data)*i/64)
	}
	cuts = append(cuts, len(data)-1)
	notes := 0
	for _, n := range cuts {
		r, err := Read(bytes.NewReader(data[:n]), Options{})
		switch {
		case err != nil:
			if r != nil {
				t.Errorf("cut at %d: a result and an error", n)
			}
			if !strings.HasPrefix(err.Error(), "offcpu: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("cut at %d: error %q: want one line naming what failed", n, err)
			}
		case len(r.Notes) == len(full.Notes):
			t.Errorf("cut at %d of %d: no error nor note", n, len(data))
		default:
			notes++
			checkProfiles(t, r)
			if r.Window > full.Window || r.Requests > full.Requests {
				t.Errorf("cut at %d: window %v, %d requests: more than the whole trace's %v, %d", n, r.Window, r.Requests, full.Window, full.Requests)
			}
		}
	}
	if notes == 0 {
		t.Errorf("no cut read part of the trace (it has one generation: rewrite it with -update)")
	}
}

func TestMaxBytes(t *testing.T) {
	data := readTestTrace(t)
	if _, err := Read(bytes.NewReader(data), Options{MaxBytes: int64(len(data))}); err != nil {
		t.Errorf("MaxBytes = the trace's size: %v", err)
	}
	for _, max := range []int64{1, 16, int64(len(data) / 2), int64(len(data) - 1)} {
		if _, err := Read(bytes.NewReader(data), Options{MaxBytes: max}); !errors.Is(err, ErrTooBig) {
			t.Errorf("MaxBytes = %d of %d: error %v, want ErrTooBig", max, len(data), err)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name, data, err string
	}{
		{"empty", "", "offcpu: reading trace header"},
		{"garbage", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "offcpu: reading trace header"},
		{"old version", "go 1.21 trace\x00\x00\x00", "unsupported trace version go 1.21"},
		{"future version", "go 1.99 trace\x00\x00\x00", "offcpu: reading trace header"},
		{"header only", "go 1.26 trace\x00\x00\x00", "offcpu: reading trace: no events"},
		{"header and garbage", "go 1.26 trace\x00\x00\x00" + strings.Repeat("\xff", 100), "offcpu: reading trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Read(strings.NewReader(tt.data), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.err) || r != nil {
				t.Errorf("error %v, want one with %q", err, tt.err)
			}
		})
	}
}

// FuzzRead checks that Read never panics and that the profiles it
// returns are valid.
func FuzzRead(f *testing.F) {
	data := readTestTrace(f)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add(data[:16])
	f.Add([]byte("go 1.26 trace\x00\x00\x00"))
	f.Add([]byte("go 1.26 trace\x00\x00\x00\x00\x01\x02\x03 garbage"))
	f.Add([]byte("not a trace"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Read(bytes.NewReader(data), Options{MaxBytes: 4 << 20})
		if err != nil {
			if r != nil {
				t.Fatal("a result and an error")
			}
			return
		}
		for kind, p := range r.Profiles {
			if err := p.CheckValid(); err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			var buf bytes.Buffer
			if err := p.Write(&buf); err != nil {
				t.Fatalf("%s: writing: %v", kind, err)
			}
		}
	})
}

func BenchmarkRead(b *testing.B) {
	data := readTestTrace(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
