package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The benchmarks measure what a load driver itself costs per request: the
// driver of this package with each of its clients (fasthttp, net/http),
// vegeta's library doing the same work, and a plain closed net/http loop,
// all against one trivial server. b.N is the number
// of requests, so ns/op is wall time per request and allocs/op the driver's
// allocations per request.
//
// The server runs in a separate process (this test binary, re-executed in
// server mode), so the driver's CPU time, measured with getrusage on this
// process, is the driver's alone: cpu-sec/req. The server's CPU time per
// request is reported beside it (server-cpu-sec/req). Wall time is a poor
// figure on a small machine where the driver and the server share the
// cores; CPU per request is what limits the rate a driver can offer.
//
//	go test -run '^$' -bench . -benchtime 20000x -count 5 ./bench/load/
//
// bench/load/wrk.sh compares perfgate load with wrk the same way.

// benchConcurrency is the number of requests in flight (workers,
// connections) of every saturated benchmark.
const benchConcurrency = 8

// benchPacedRates are the rates of the paced benchmarks: a realistic load,
// where the scheduler sleeps and wakes up between requests, and a high one.
var benchPacedRates = []float64{5000, 20000}

// serverEnv, set to 1, makes the test binary serve the benchmark server.
const serverEnv = "PERFGATE_LOAD_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		if err := serveBench(); err != nil {
			fmt.Fprintln(os.Stderr, "benchmark server:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	code := m.Run()
	benchSrv.stop()
	os.Exit(code)
}

// serveBench is the benchmark server: "/" answers 200 "ok\n", "/cpu" this
// process's CPU time in nanoseconds. It prints its address on stdout and
// serves until its stdin closes.
func serveBench() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/cpu", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, int64(cpuTime())) })
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Println(ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	return srv.Close()
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverProcess is the benchmark server process.
type serverProcess struct {
	once  sync.Once
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
	err   error
}

// benchSrv is the benchmark server, started by the first benchmark that
// needs it and stopped by TestMain.
var benchSrv serverProcess

// benchServer returns the benchmark server's base URL, ending in "/".
func benchServer(b *testing.B) string {
	b.Helper()
	benchSrv.once.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			benchSrv.err = fmt.Errorf("finding the test binary: %w", err)
			return
		}
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), serverEnv+"=1")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			benchSrv.err = err
			return
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			benchSrv.err = err
			return
		}
		if err := cmd.Start(); err != nil {
			benchSrv.err = fmt.Errorf("starting the benchmark server: %w", err)
			return
		}
		benchSrv.cmd, benchSrv.stdin = cmd, stdin
		addr, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			benchSrv.err = fmt.Errorf("reading the benchmark server's address: %w", err)
			return
		}
		benchSrv.url = "http://" + strings.TrimSpace(addr) + "/"
	})
	if benchSrv.err != nil {
		b.Fatal(benchSrv.err)
	}
	return benchSrv.url
}

// stop closes the server's stdin, which ends it, and waits for it.
func (s *serverProcess) stop() {
	if s.cmd == nil {
		return
	}
	s.stdin.Close()
	if err := s.cmd.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmark server:", err)
	}
}

// serverCPU asks the benchmark server for its CPU time.
func serverCPU(b *testing.B, base string) time.Duration {
	b.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(base + "cpu")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	ns, err := strconv.ParseInt(string(text), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(ns)
}

// measure runs send, which must send b.N requests, and reports the CPU time
// per request of this process (the driver) and of the server, and the
// requests per second (wall time): the maximum rate, when saturated.
func measure(b *testing.B, base string, send func()) {
	b.Helper()
	b.ReportAllocs()
	srv0 := serverCPU(b, base)
	self0 := cpuTime()
	b.ResetTimer()
	send()
	b.StopTimer()
	self := cpuTime() - self0
	srv := serverCPU(b, base) - srv0
	b.ReportMetric(self.Seconds()/float64(b.N), "cpu-sec/req")
	b.ReportMetric(srv.Seconds()/float64(b.N), "server-cpu-sec/req")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkDriver(b *testing.B) {
	base := benchServer(b)
	run := func(b *testing.B, o Options) {
		measure(b, base, func() {
			res, err := Run(context.Background(), Target{URL: base}, o)
			if err != nil {
				b.Fatal(err)
			}
			if res.Completed != b.N || res.Errors != 0 {
				b.Fatalf("%d requests completed, %d errors (%s); want %d, 0", res.Completed, res.Errors, res.FirstError, b.N)
			}
		})
	}
	for _, c := range []Client{FastHTTP, NetHTTP} {
		b.Run(strings.ReplaceAll(string(c), "/", "-"), func(b *testing.B) {
			b.Run("saturated", func(b *testing.B) {
				// The highest rate allowed, far above what the machine
				// can serve: the scheduler is always behind, so it
				// never sleeps and the in-flight cap sets the pace, as
				// in a closed loop with benchConcurrency workers.
				const rate = MaxRate
				run(b, Options{Rate: rate, Duration: time.Duration(b.N) * time.Second / rate,
					Timeout: 10 * time.Minute, MaxInFlight: benchConcurrency, Client: c})
			})
			for _, rate := range benchPacedRates {
				b.Run(fmt.Sprintf("paced-%g", rate), func(b *testing.B) {
					o := DefaultOptions
					o.Rate = rate
					o.Duration = time.Duration(float64(b.N) * float64(time.Second) / rate)
					o.Client = c
					run(b, o)
				})
			}
		})
	}
}

// vegetaPacer paces like p and stops after n hits.
type vegetaPacer struct {
	p vegeta.Pacer // nil: no wait at all
	n uint64
}

func (v vegetaPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= v.n {
		return 0, true
	}
	if v.p == nil {
		return 0, false
	}
	return v.p.Pace(elapsed, hits)
}

func (v vegetaPacer) Rate(elapsed time.Duration) float64 {
	if v.p == nil {
		return 0
	}
	return v.p.Rate(elapsed)
}

func BenchmarkVegeta(b *testing.B) {
	base := benchServer(b)
	run := func(b *testing.B, p vegeta.Pacer, opts ...func(*vegeta.Attacker)) {
		measure(b, base, func() {
			opts = append(opts, vegeta.KeepAlive(true), vegeta.Timeout(10*time.Minute), vegeta.Redirects(vegeta.NoFollow))
			atk := vegeta.NewAttacker(opts...)
			tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: base})
			var m vegeta.Metrics
			for r := range atk.Attack(tr, vegetaPacer{p, uint64(b.N)}, 0, "bench") {
				m.Add(r)
			}
			m.Close()
			if m.Requests != uint64(b.N) || m.Success != 1 {
				b.Fatalf("%d requests, success ratio %v (%v); want %d, 1", m.Requests, m.Success, m.Errors, b.N)
			}
		})
	}
	b.Run("saturated", func(b *testing.B) {
		run(b, nil, vegeta.Workers(benchConcurrency), vegeta.MaxWorkers(benchConcurrency), vegeta.Connections(benchConcurrency))
	})
	for _, rate := range benchPacedRates {
		b.Run(fmt.Sprintf("paced-%g", rate), func(b *testing.B) {
			// At most as many requests in flight as the driver's
			// paced runs allow: unbounded, vegeta starts a worker
			// and a connection per late request, and on a busy
			// machine runs out of file descriptors and ports.
			run(b, vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}, vegeta.MaxWorkers(uint64(DefaultOptions.MaxInFlight)))
		})
	}
}

// BenchmarkNetHTTPLoop is the floor: benchConcurrency goroutines in a closed
// loop of client.Get, each recording its latencies in its own histogram.
func BenchmarkNetHTTPLoop(b *testing.B) {
	base := benchServer(b)
	measure(b, base, func() {
		tr := &http.Transport{MaxIdleConnsPerHost: benchConcurrency}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range benchConcurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := hdrhistogram.New(histLowest, histHighest, histDigits)
				for next.Add(1) <= int64(b.N) {
					start := time.Now()
					resp, err := client.Get(base)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					h.RecordValue(int64(time.Since(start)))
				}
			}()
		}
		wg.Wait()
	})
}
