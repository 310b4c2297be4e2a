package offcpu

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	runtimepprof "runtime/pprof"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A service is an HTTP server on loopback whose handlers spend their time
// in known ways, with a backend server (also on loopback) that sleeps.
type service struct {
	srv     *httptest.Server
	backend *httptest.Server
	client  *http.Client // the handlers' client of the backend
	calls   atomic.Int64 // requests the backend served
	burns   atomic.Int64 // requests to /burn served
}

// Durations of the work the handlers do.
const (
	backendSleep = 3 * time.Millisecond
	produceSleep = 2 * time.Millisecond
	burnTime     = 2 * time.Millisecond
)

// newService starts a service, serving HTTP/2 over TLS if h2 is set.
func newService(t testing.TB, h2 bool) *service {
	s := &service{client: &http.Client{Transport: &http.Transport{}}}
	s.backend = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		time.Sleep(backendSleep)
		io.WriteString(w, "ok")
	}))
	mux := http.NewServeMux()
	mux.HandleFunc("/call", s.call)
	mux.HandleFunc("/chan", s.chanWait)
	mux.HandleFunc("/burn", s.burn)
	mux.HandleFunc("/client", s.viaClient)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.srv = httptest.NewUnstartedServer(mux)
	if h2 {
		s.srv.EnableHTTP2 = true
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(func() {
		s.srv.Close()
		s.backend.Close()
		s.client.CloseIdleConnections()
	})
	return s
}

// call sends a request to the backend on a connection of its own and
// reads the reply: the handler's goroutine waits on the network.
func (s *service) call(w http.ResponseWriter, r *http.Request) {
	c, err := net.Dial("tcp", s.backend.Listener.Addr().String())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer c.Close()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	io.WriteString(w, "called")
}

// chanWait waits for a value from a goroutine it creates.
func (s *service) chanWait(w http.ResponseWriter, r *http.Request) {
	ch := make(chan int)
	go produce(ch)
	fmt.Fprint(w, <-ch)
}

func produce(ch chan<- int) {
	time.Sleep(produceSleep)
	ch <- spin(burnTime / 4)
}

// burn computes.
func (s *service) burn(w http.ResponseWriter, r *http.Request) {
	s.burns.Add(1)
	fmt.Fprint(w, spin(burnTime))
}

//go:noinline
func spin(d time.Duration) int {
	x := 1
	for start := time.Now(); time.Since(start) < d; {
		for range 1000 {
			x = x*31 + 7
		}
	}
	return x
}

// viaClient calls the backend through an http.Client, whose transport
// runs goroutines of its own.
func (s *service) viaClient(w http.ResponseWriter, r *http.Request) {
	resp, err := s.client.Get(s.backend.URL)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	io.WriteString(w, "called")
}

// A load is a bounded run of requests to a service.
type load struct {
	paths   []string      // requested in turn
	n       int           // requests in all
	workers int           // connections, each sending one request at a time
	gap     time.Duration // idle time between a worker's requests
	until   time.Time     // no request starts after this
	client  *http.Client  // if set, sends the requests
}

// run sends the requests and returns how many got a reply.
func (l load) run(t testing.TB, base string) int {
	c := l.client
	if c == nil {
		tr := &http.Transport{MaxIdleConnsPerHost: l.workers}
		defer tr.CloseIdleConnections()
		c = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range l.workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(l.n) || time.Now().After(l.until) {
					return
				}
				resp, err := c.Get(base + l.paths[i%int64(len(l.paths))])
				if err != nil {
					t.Errorf("load: %v", err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				done.Add(1)
				time.Sleep(l.gap)
			}
		})
	}
	wg.Wait()
	return int(done.Load())
}

// traceViaEndpoint fetches the service's /debug/pprof/trace?seconds=secs
// while l runs, with a CPU profile running too if cpu is set. It returns
// the trace, the number of requests that got a reply in it, and whether a
// CPU profile ran.
func traceViaEndpoint(t testing.TB, s *service, secs float64, l load, cpu bool) (data []byte, sent int, profiled bool) {
	if cpu {
		if err := runtimepprof.StartCPUProfile(io.Discard); err != nil {
			t.Logf("no CPU profile during the trace: %v", err)
		} else {
			profiled = true
			defer runtimepprof.StopCPUProfile()
		}
	}
	type reply struct {
		body []byte
		err  error
	}
	got := make(chan reply, 1)
	go func() {
		resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/trace?seconds=%g", s.srv.URL, secs))
		if err != nil {
			got <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: %s", resp.Status, body)
		}
		got <- reply{body, err}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !trace.IsEnabled() {
		if time.Now().After(deadline) {
			t.Fatal("the trace did not start")
		}
		time.Sleep(time.Millisecond)
	}
	started := time.Now()
	l.until = started.Add(time.Duration(secs*float64(time.Second)) * 2 / 3)
	sent = l.run(t, s.srv.URL)
	if !trace.IsEnabled() {
		t.Fatalf("the trace ended before the load (%v after it started)", time.Since(started))
	}
	r := <-got
	if r.err != nil {
		t.Fatalf("getting the trace: %v", r.err)
	}
	return r.body, sent, profiled
}

// traceDirect traces l with runtime/trace, starting and stopping it
// around the load, and returns the trace and the number of replies.
func traceDirect(t testing.TB, s *service, l load) ([]byte, int) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	l.until = time.Now().Add(time.Minute)
	sent := l.run(t, s.srv.URL)
	time.Sleep(l.gap)
	trace.Stop()
	return buf.Bytes(), sent
}
