package offcpu

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// TestFromGoroutines takes a real goroutine profile of a server with one
// request waiting on a channel and one reading from a silent peer: each
// is a goroutine's time in its kind, its handler on the stack, and no
// other goroutine counts.
func TestFromGoroutines(t *testing.T) {
	release := make(chan struct{})
	peer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	started := make(chan struct{}, 2)
	mux := http.NewServeMux()
	mux.HandleFunc("/sync", func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	})
	mux.HandleFunc("/network", func(w http.ResponseWriter, r *http.Request) {
		c, err := net.Dial("tcp", peer.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		started <- struct{}{}
		go func() { <-release; c.Close() }()
		c.Read(make([]byte, 1))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)
	for _, path := range []string{"/sync", "/network"} {
		go http.Get(srv.URL + path)
		<-started
	}
	time.Sleep(50 * time.Millisecond) // both parked
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 0); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	// As if seen in 4 snapshots of a 10 s window: 4 events, 10 s.
	for _, smp := range p.Sample {
		smp.Value[0] *= 4
	}
	got := FromGoroutines(p, 4, 10)
	for kind, handler := range map[string]string{Sync: "TestFromGoroutines.func1", Network: "TestFromGoroutines.func2"} {
		q := got[kind]
		if q == nil {
			t.Errorf("no %s profile", kind)
			continue
		}
		if err := q.CheckValid(); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		var events, delay int64
		found := false
		for _, s := range q.Sample {
			events += s.Value[0]
			delay += s.Value[1]
			for _, loc := range s.Location {
				for _, l := range loc.Line {
					found = found || strings.HasSuffix(l.Function.Name, handler)
				}
			}
		}
		if events != 4 || delay != 10e9 || !found {
			t.Errorf("%s: %d events, %d ns, handler %s on the stack %v; want one goroutine: 4 events, 10 s", kind, events, delay, handler, found)
		}
	}
	if FromGoroutines(p, 0, 1) != nil || FromGoroutines(&profile.Profile{SampleType: []*profile.ValueType{{Type: "cpu"}}}, 1, 1) != nil {
		t.Error("no window, or no goroutine type: want nil")
	}
}
