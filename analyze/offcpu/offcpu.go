// Package offcpu reads a Go execution trace (the body of a service's
// /debug/pprof/trace?seconds=N endpoint, Go 1.22 or later) and tells
// where the goroutines serving HTTP requests spent their time: running,
// blocked on the network, blocked on synchronization, in system calls, or
// waiting for a CPU. The result is one pprof profile per kind of time.
//
// # Which goroutines count
//
// A request goroutine is one whose stack, at any event the trace records
// with a stack, includes net/http.(*conn).serve (an HTTP/1 connection) or
// net/http.(*http2serverConn).runHandler (an HTTP/2 stream of net/http's
// own server). Only the time it spends handling a request counts: time
// whose stack includes net/http.serverHandler.ServeHTTP. The wait for the
// next request on a keep-alive connection, and the reading of a request
// and writing of a response around the handler, are left out. So is the
// time of the handlers of net/http/pprof: the trace endpoint's own handler
// sleeps for the whole trace.
//
// A goroutine created by a request goroutine while it handles a request,
// and any goroutine such a goroutine creates, counts too, all of its life,
// with the label "created". The transport's long-lived goroutines are not
// counted ((*persistConn).readLoop and writeLoop, the goroutine that
// dials, and whatever they create), nor are goroutines created by a
// net/http/pprof handler.
//
// The runtime's own goroutines (GC workers, the sweeper, the scavenger,
// the finalizer, the tracer's and the CPU profiler's readers...: those
// whose start function is in package runtime, runtime/trace or
// runtime/pprof) give Result.Background.
//
// The runtime records at most GODEBUG=profstackdepth frames of a stack
// (128 by default), dropping the outermost: the time of a handler nested
// deeper than that is not seen.
//
// # Kinds and stacks
//
// A goroutine's time comes from its state transitions. Running is OnCPU;
// runnable is Scheduling; in a system call is Syscall; waiting is a kind
// chosen by the wait reason the runtime records (see waitKinds):
//
//	network                              Network
//	chan receive, chan send, select,
//	sync, sync.(*Cond).Wait, sleep,
//	forever, wait until GC ends,
//	wait for debug call, synctest,
//	system goroutine wait, unspecified,
//	and any reason not listed here       Sync
//	GC mark assist wait for work,
//	GC background sweeper wait,
//	GC weak to strong wait, preempted    Scheduling (held by the runtime)
//
// A goroutine already waiting when the trace starts has no reason; it is
// Network if its stack is in the netpoller and Sync otherwise.
//
// Waiting and system calls are attributed to the stack of the transition
// into them; runnable time to the stack where the goroutine stopped
// running (or was created). Running time, when the trace holds CPU samples
// of the goroutine during the interval (a CPU profile was running with the
// trace), is split among the sampled stacks; otherwise it goes to the
// stack of the transition before it. For a request goroutine whose running
// interval began outside the handler, it goes to the first stack inside
// the handler seen before it stopped; and a handler that ran from start to
// end with no event at all (a handler that only computes) is detected from
// the stacks around it and its time is shown under
// net/http.serverHandler.ServeHTTP itself, with a note.
//
// # Requests
//
// Result.Requests counts handler invocations that completed in the trace,
// following each request goroutine's stacks. An HTTP/1 connection's
// goroutine counts one each time it is seen inside
// serverHandler.ServeHTTP and then outside it, and each time it is seen
// reading a request ((*conn).readRequest, or the wait for one) and then
// in (*response).finishRequest with no stack inside the handler in
// between: a handler that ran with no event inside it. An HTTP/2 handler goroutine counts one when
// it leaves the handler, or when it ends, if it was created in the trace
// and not counted yet. A request whose handler began before the trace
// counts if it completes in it; one still running at the end does not,
// nor do the requests of net/http/pprof's handlers. Pipelined HTTP/1
// requests with no event between them count as one.
//
// # Bad input
//
// A trace that cannot be parsed, one with no events, and one in the format
// of Go 1.21 or earlier are errors naming what failed. A trace that fails
// after one or more whole generations (about a second each) were read, a
// truncated download typically, gives the result for what was read, with
// a note saying where it stopped: Window, Requests and the profiles then
// all cover the part read. A trace longer than Options.MaxBytes is an
// error wrapping ErrTooBig. Past 2^16 distinct stacks, or 2^20 goroutines
// alive at once, the analysis keeps no more, with a note.
package offcpu

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/exp/trace"
)

// Kinds of time, in this order.
const (
	OnCPU      = "on-cpu"     // running
	Network    = "network"    // blocked on network I/O (netpoll)
	Sync       = "sync"       // blocked on sync primitives, channels, select, sleep/timers, sync.Cond, WaitGroup
	Syscall    = "syscall"    // in a system call
	Scheduling = "scheduling" // runnable, waiting for a CPU
)

// Kinds lists the kinds of time, in the order of the constants.
var Kinds = []string{OnCPU, Network, Sync, Syscall, Scheduling}

// Options controls Read.
type Options struct {
	// MaxBytes bounds the trace read; a longer trace is an error (ErrTooBig wrapped). 0 means 256 MiB.
	MaxBytes int64
}

// defaultMaxBytes is the bound on a trace's size when Options.MaxBytes is 0.
const defaultMaxBytes = 256 << 20

// ErrTooBig is wrapped by the error Read returns for a trace longer than
// Options.MaxBytes.
var ErrTooBig = errors.New("trace too big")

// Result is where the goroutines serving requests spent their time.
type Result struct {
	// Profiles has one profile per kind (keys of Kinds) with at least one sample; each profile has
	// sample types [{"events","count"}, {"delay","nanoseconds"}], DefaultSampleType "delay",
	// PeriodType {"delay","nanoseconds"}, Period 1, and samples by stack (locations with functions,
	// file and line from the trace's stack frames; outermost frame last in Sample.Location as pprof expects:
	// Location[0] is the leaf). Each sample carries a string label "goroutine" = "request" (a goroutine
	// serving requests) or "created" (a goroutine created, directly or transitively, by one).
	Profiles map[string]*profile.Profile
	// Background is the runtime's own background work during the trace (GC workers, the scavenger,
	// other system goroutines) as on-CPU nanoseconds: shown apart, never attributed to requests.
	Background time.Duration
	// Requests is the number of HTTP handler invocations that completed within the trace
	// (see the package documentation for how they are detected); 0 if none could be detected.
	Requests int
	// Window is the time the trace covers.
	Window time.Duration
	// Notes are what the reader must know (a truncated trace read as far as it went, say).
	Notes []string
}

// Read reads an execution trace from r and returns where the goroutines
// serving HTTP requests spent their time. See the package documentation.
func Read(r io.Reader, opts Options) (*Result, error) {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = defaultMaxBytes
	}
	in := &countingReader{r: io.LimitReader(r, limit+1)}
	tooBig := func() error {
		if in.n > limit {
			return fmt.Errorf("offcpu: trace longer than %d bytes: %w", limit, ErrTooBig)
		}
		return nil
	}

	tr, err := newReader(in)
	if err != nil {
		if err := tooBig(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("offcpu: reading trace header: %w", err)
	}
	a := newAnalyzer()
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			if err := tooBig(); err != nil {
				return nil, err
			}
			if !a.sawEvents() {
				return nil, fmt.Errorf("offcpu: reading trace: %w", err)
			}
			a.notef("the trace could be read only up to %v of it (%v); the result covers that part",
				a.end.Sub(a.start).Round(time.Millisecond), err)
			break
		}
		a.event(ev)
	}
	if err := tooBig(); err != nil {
		return nil, err
	}
	if !a.sawEvents() {
		return nil, errors.New("offcpu: reading trace: no events after the header")
	}
	return a.result(), nil
}

// newReader checks the trace's version, which must be Go 1.22 or later,
// and returns a reader of its events.
func newReader(r io.Reader) (*trace.Reader, error) {
	// The header is "go 1.%d trace\x00\x00\x00", padded to 16 bytes.
	var hdr [16]byte
	n, err := io.ReadFull(r, hdr[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var v int
	if _, err := fmt.Sscanf(string(hdr[:n]), "go 1.%d trace", &v); err == nil && v < 22 {
		return nil, fmt.Errorf("unsupported trace version go 1.%d: need go 1.22 or later", v)
	}
	return trace.NewReader(io.MultiReader(bytes.NewReader(hdr[:n]), r))
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
