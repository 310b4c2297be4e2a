package watch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfgate/perfgate/store"
)

// BenchmarkIngest measures the ingest rate of perfgate watch, and its
// memory, with 1 and with 100 services pushing to it. Each push is one of
// pyroscope-go's recorded pushes (testdata/pyroscope/ingest-cpu and
// ingest-heap, alternately: a service's CPU and heap profiles of one
// upload), sent over loopback HTTP to a Receiver (basic auth, default
// limits) whose store is on disk in a temporary directory. The service in
// the push's name is rewritten (svc000 to svc099, labels as recorded:
// series svcNNN{env=staging,version=v1}) and its window is the next 15 s
// of the service, as pyroscope-go's uploads: every push is a new profile
// row. Services take the pushes in turn; GOMAXPROCS*4 senders push at
// once, each on its own kept-alive connection. Every push must be
// answered 200, once committed.
//
// It reports:
//
//   - pushes/s: pushes over the wall time of the run (timed: the pushes
//     alone; opening the store and the server is not).
//   - heap-B: the Go heap in use (HeapInuse, after a GC) once the run is
//     over, the store and the server still open. SQLite's own memory
//     (modernc.org/sqlite allocates outside the Go heap) is not in it.
//   - rss-B: the process's peak resident set (VmHWM) during the run,
//     over its resident set when it started (before any test or
//     benchmark): SQLite's memory and the senders' included, the test
//     binary's own left out. Linux only: left out where the peak cannot
//     be reset (/proc/self/clear_refs). Taken from the process's start,
//     not from the run's, because the process keeps memory of earlier
//     runs (outside the Go heap: it is not given back by
//     debug.FreeOSMemory) and reuses it, so that a run's growth alone
//     depends on what ran before it; run it with -run '^$' and alone
//     (-bench BenchmarkIngest) for the figure to be watch's. The
//     first run of a process is lower: it starts the further from the
//     steady state.
//   - disk-B/push: the size of the store's files once closed (its WAL
//     checkpointed) over the pushes: profiles, their sample types,
//     indexes and pages.
//   - profile-B/push: the profiles' data alone (store.ProfileBytes: the
//     gzipped pprof as pushed) over the pushes.
//
// The memory figures are those of the last run of each sub-benchmark,
// so fix the count of pushes to compare runs:
//
//	go test -run '^$' -bench BenchmarkIngest -benchtime 2000x -count 3 ./watch
func BenchmarkIngest(b *testing.B) {
	for _, services := range []int{1, 100} {
		b.Run(fmt.Sprintf("services=%d", services), func(b *testing.B) { ingestLoad(b, services) })
	}
}

// ingestLoad is BenchmarkIngest with services services.
func ingestLoad(b *testing.B, services int) {
	ctx := context.Background()
	fixtures := [2]fixture{loadFixture(b, "cpu"), loadFixture(b, "heap")}

	// The query of each push, but for its window: prefix[kind][service].
	var prefix [2][]string
	var headers [2]http.Header
	for k, f := range fixtures {
		u, err := url.Parse(f.target)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		labels, ok := strings.CutPrefix(q.Get("name"), "pyrotest.app{")
		if !ok {
			b.Fatalf("%s: name %q, not pyrotest.app's", f.kind, q.Get("name"))
		}
		q.Del("from")
		q.Del("until")
		for s := range services {
			q.Set("name", fmt.Sprintf("svc%03d{%s", s, labels))
			prefix[k] = append(prefix[k], q.Encode())
		}
		headers[k] = http.Header{}
		for name, v := range f.header {
			switch name {
			case "Content-Length", "Host", "Accept-Encoding": // the transport's
			default:
				headers[k][name] = v
			}
		}
	}

	// The pushes come in pairs (CPU, heap) of one window of one service;
	// the services take the pairs in turn, and each service's windows
	// follow one another, 15 s each, the last one ending about now.
	const upload = 15 * time.Second
	t0 := time.Now().Add(-time.Duration(b.N/(2*services)+1) * upload).UnixNano()
	var next atomic.Int64
	newPush := func(base string) (*http.Request, error) {
		i := next.Add(1) - 1
		kind, pair := i%2, i/2
		svc, cycle := pair%int64(services), pair/int64(services)
		from := t0 + cycle*int64(upload)
		target := base + "?" + prefix[kind][svc] +
			"&from=" + strconv.FormatInt(from, 10) +
			"&until=" + strconv.FormatInt(from+int64(upload), 10)
		body := fixtures[kind].body
		r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		r.Header = headers[kind].Clone()
		return r, nil
	}

	// The peak, from now: the Go heap that earlier runs left given back
	// first.
	debug.FreeOSMemory()
	peakReset := resetPeakRSS()

	dir := b.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	closed := false
	closeStore := func() {
		if !closed {
			closed = true
			if err := st.Close(); err != nil {
				b.Error(err)
			}
		}
	}
	defer closeStore()
	mux := http.NewServeMux()
	mux.Handle("/ingest", &Receiver{Store: st, Auth: basic})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := srv.URL + "/ingest"

	b.SetParallelism(4) // GOMAXPROCS*4 senders
	senders := 4 * runtime.GOMAXPROCS(0)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: senders, MaxIdleConnsPerHost: senders}}
	defer client.CloseIdleConnections()

	var failed atomic.Pointer[error]
	fail := func(err error) { failed.CompareAndSwap(nil, &err) }
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if failed.Load() != nil {
				continue // drain: the run has failed
			}
			r, err := newPush(base)
			if err != nil {
				fail(err)
				continue
			}
			resp, err := client.Do(r)
			if err != nil {
				fail(err)
				continue
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				fail(fmt.Errorf("push to %s: %s %q", r.URL, resp.Status, answer))
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}

	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pushes/s")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse), "heap-B")
	if peak := procStatusBytes("VmHWM:"); peakReset && peak > 0 && startRSS > 0 {
		b.ReportMetric(float64(peak-startRSS), "rss-B")
	}

	// Every push is a profile of its own, of its service's series.
	if ps, err := st.Profiles(ctx, store.Query{}); err != nil || len(ps) != b.N {
		b.Fatalf("%d profiles stored (%v) for %d pushes", len(ps), err, b.N)
	}
	series, err := st.Series(ctx)
	if want := min(services, (b.N+1)/2); err != nil || len(series) != want {
		b.Fatalf("%d series (%v), want %d", len(series), err, want)
	}
	data, err := st.ProfileBytes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(data)/float64(b.N), "profile-B/push")

	// Closed, the store is its file alone: the WAL checkpointed into it
	// and removed (a WAL left behind is counted).
	client.CloseIdleConnections()
	srv.Close()
	closeStore()
	var disk int64
	for _, name := range []string{store.FileName, store.FileName + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			disk += fi.Size()
		}
	}
	b.ReportMetric(float64(disk)/float64(b.N), "disk-B/push")
}

// startRSS is the process's resident set when it started, 0 where
// unknown: the base of BenchmarkIngest's rss-B.
var startRSS = procStatusBytes("VmRSS:")

// procStatusBytes is the field of /proc/self/status (Linux) named name,
// in bytes ("VmHWM:", "VmRSS:"); 0 where there is none.
func procStatusBytes(name string) int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, name); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS resets the process's peak resident set (VmHWM) to its
// resident set (Linux 4.0 and later), and reports whether it could.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
