package watch

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfgate/perfgate/store"
)

// BenchmarkIngest measures watch's receiver as services use it: pushes
// of the recorded pyroscope-go bodies (CPU and heap, alternately) over
// loopback HTTP, from 8 connections at once, into a store on disk, each
// push a new profile of one of the services (round robin), answered once
// committed. It reports pushes/s, the heap in use after the run
// (heap-B, after a GC), the process's peak RSS (rss-B, Linux) and the
// store's file size per push (disk-B/push):
//
//	go test -run '^$' -bench BenchmarkIngest -benchtime 3000x ./watch
func BenchmarkIngest(b *testing.B) {
	for _, services := range []int{1, 100} {
		b.Run(fmt.Sprintf("services=%d", services), func(b *testing.B) { benchIngest(b, services) })
	}
}

func benchIngest(b *testing.B, services int) {
	fixtures := []fixture{loadFixture(b, "cpu"), loadFixture(b, "heap")}
	dir := b.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(&Receiver{Store: st})
	defer srv.Close()
	// Each push: the service's name with labels as pyroscope-go writes
	// them, and a window 15 s after the last one of its series.
	t0 := time.Now().Add(-24 * time.Hour)
	var next atomic.Int64
	push := func(client *http.Client) error {
		i := next.Add(1) - 1
		f := fixtures[i%2]
		u, err := url.Parse(f.target)
		if err != nil {
			return err
		}
		svc := int(i/2) % services
		from := t0.Add(time.Duration(i/int64(2*services)) * 15 * time.Second)
		q := u.Query()
		q.Set("name", fmt.Sprintf("svc%03d{env=staging,version=v1}", svc))
		q.Set("from", strconv.FormatInt(from.UnixNano(), 10))
		q.Set("until", strconv.FormatInt(from.Add(15*time.Second).UnixNano(), 10))
		u.RawQuery = q.Encode()
		resp, err := client.Post(srv.URL+u.String(), f.header.Get("Content-Type"), bytes.NewReader(f.body))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("push %d: %s", i, resp.Status)
		}
		return nil
	}
	const senders = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Value
	var done atomic.Int64
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done.Add(1) <= int64(b.N) {
				if err := push(client); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pushes/s")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse), "heap-B")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss), "rss-B")
	}
	var disk int64
	for _, f := range []string{"perfgate.db", "perfgate.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			disk += fi.Size()
		}
	}
	b.ReportMetric(float64(disk)/float64(b.N), "disk-B/push")
	series, err := st.Series(context.Background())
	if want := min(services, (b.N+1)/2); err != nil || len(series) != want {
		b.Fatalf("%d series (%v), want %d", len(series), err, want)
	}
}

// peakRSS is the process's peak resident set (VmHWM), 0 where unknown.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
