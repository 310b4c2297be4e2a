package offcpu

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/exp/trace"
)

// A script feeds hand-made events to an analyzer.
type script struct {
	t   *testing.T
	a   *analyzer
	now trace.Time
}

func newScript(t *testing.T) *script {
	s := &script{t: t, a: newAnalyzer(), now: 1000}
	emit(s, trace.EventConfig[trace.Sync]{Kind: trace.EventSync, Details: trace.Sync{N: 1}})
	return s
}

func emit[T trace.EventDetails](s *script, c trace.EventConfig[T]) {
	s.t.Helper()
	c.Time = s.now
	c.Thread = 1
	c.Proc = 1
	ev, err := trace.MakeEvent(c)
	if err != nil {
		s.t.Fatal(err)
	}
	s.a.event(ev)
}

// after moves the clock on.
func (s *script) after(d time.Duration) *script {
	s.now += trace.Time(d)
	return s
}

// pcs gives each function a program counter of its own.
var pcs = map[string]uint64{}

// stk returns a stack of fns, leaf first.
func stk(fns ...string) trace.Stack {
	if len(fns) == 0 {
		return trace.NoStack
	}
	var frames []trace.StackFrame
	for _, fn := range fns {
		pc, ok := pcs[fn]
		if !ok {
			pc = uint64(0x1000 + 0x10*len(pcs))
			pcs[fn] = pc
		}
		frames = append(frames, trace.StackFrame{PC: pc, Func: fn, File: "f.go", Line: 1})
	}
	return trace.MakeStack(frames)
}

// Stacks of a goroutine serving an HTTP/1 connection.
var (
	readingRequest = []string{"internal/poll.(*FD).Read", "net/http.(*connReader).Read", "bufio.(*Reader).fill", "net/http.(*conn).readRequest", "net/http.(*conn).serve"}
	waitingIdle    = []string{"internal/poll.(*FD).Read", "net/http.(*connReader).Read", "bufio.(*Reader).fill", "bufio.(*Reader).Peek", "net/http.(*conn).serve"}
	finishing      = []string{"syscall.write", "internal/poll.(*FD).Write", "bufio.(*Writer).Flush", "net/http.(*response).finishRequest", "net/http.(*conn).serve"}
)

// inHandler returns the stack of fns called by a handler.
func inHandler(fns ...string) []string {
	return append(fns, "net/http.HandlerFunc.ServeHTTP", "net/http.serverHandler.ServeHTTP", "net/http.(*conn).serve")
}

func (s *script) transition(g trace.GoID, from, to trace.GoState, reason string, cur trace.GoID, curStack, stack trace.Stack) {
	s.t.Helper()
	st := trace.MakeGoStateTransition(g, from, to)
	st.Reason = reason
	st.Stack = stack
	emit(s, trace.EventConfig[trace.StateTransition]{Kind: trace.EventStateTransition, Goroutine: cur, Stack: curStack, Details: st})
}

// create has creator, at stack cs, create g to start at start.
func (s *script) create(creator trace.GoID, cs []string, g trace.GoID, start string) *script {
	s.transition(g, trace.GoNotExist, trace.GoRunnable, "", creator, stk(cs...), stk(start))
	return s
}

// status reports g's state when the trace starts.
func (s *script) status(g trace.GoID, state trace.GoState, fns ...string) *script {
	s.transition(g, trace.GoUndetermined, state, "", trace.NoGoroutine, stk(fns...), stk(fns...))
	return s
}

func (s *script) start(g trace.GoID) *script {
	s.transition(g, trace.GoRunnable, trace.GoRunning, "", trace.NoGoroutine, trace.NoStack, trace.NoStack)
	return s
}

func (s *script) block(g trace.GoID, reason string, fns ...string) *script {
	s.transition(g, trace.GoRunning, trace.GoWaiting, reason, g, stk(fns...), stk(fns...))
	return s
}

func (s *script) unblock(g trace.GoID) *script {
	s.transition(g, trace.GoWaiting, trace.GoRunnable, "", trace.NoGoroutine, trace.NoStack, trace.NoStack)
	return s
}

// unblockBy has by, running at stack fns, unblock g.
func (s *script) unblockBy(g, by trace.GoID, fns ...string) *script {
	s.transition(g, trace.GoWaiting, trace.GoRunnable, "", by, stk(fns...), trace.NoStack)
	return s
}

func (s *script) syscall(g trace.GoID, fns ...string) *script {
	s.transition(g, trace.GoRunning, trace.GoSyscall, "", g, stk(fns...), stk(fns...))
	return s
}

func (s *script) sysret(g trace.GoID) *script {
	s.transition(g, trace.GoSyscall, trace.GoRunning, "", g, trace.NoStack, trace.NoStack)
	return s
}

func (s *script) exit(g trace.GoID) *script {
	s.transition(g, trace.GoRunning, trace.GoNotExist, "", g, trace.NoStack, trace.NoStack)
	return s
}

func (s *script) sample(g trace.GoID, fns ...string) *script {
	emit(s, trace.EventConfig[trace.StackSample]{Kind: trace.EventStackSample, Goroutine: g, Stack: stk(fns...)})
	return s
}

// end ends the trace and returns the result.
func (s *script) end() *Result {
	emit(s, trace.EventConfig[trace.Sync]{Kind: trace.EventSync, Details: trace.Sync{N: 2}})
	return s.a.result()
}

const ms = time.Millisecond

func TestRules(t *testing.T) {
	tests := []struct {
		name       string
		script     func(s *script)
		want       map[string]time.Duration // by "kind/label"
		requests   int
		background time.Duration
		frames     map[string][]string // by "kind/label": functions the biggest stack has
		note       string              // a note that must be there
	}{
		{
			name: "keep-alive wait is not request time",
			script: func(s *script) {
				s.create(1, []string{"net/http.(*Server).Serve"}, 10, "net/http.(*conn).serve")
				s.after(1 * ms).start(10)
				s.after(1*ms).block(10, "network", readingRequest...)
				s.after(100 * ms).unblock(10).start(10)
				s.after(1*ms).block(10, "network", inHandler("internal/poll.(*FD).Read", "main.call")...)
				s.after(5 * ms).unblock(10).after(1 * ms).start(10)
				s.after(2*ms).syscall(10, finishing...)
				s.after(1 * ms).sysret(10)
				s.after(1*ms).block(10, "network", waitingIdle...)
				s.after(200 * ms)
			},
			want: map[string]time.Duration{
				"on-cpu/request":     3 * ms, // 1ms from reading the request into the handler, 2ms after the call
				"network/request":    5 * ms,
				"scheduling/request": 1 * ms,
			},
			requests: 1,
			frames: map[string][]string{
				"network/request": {"main.call"},
				"on-cpu/request":  {"main.call"},
			},
		},
		{
			name: "a request counts once",
			script: func(s *script) {
				s.status(20, trace.GoWaiting, "internal/poll.runtime_pollWait", "net/http.(*connReader).backgroundRead")
				s.status(10, trace.GoRunning, readingRequest...)
				s.after(1*ms).block(10, "select", inHandler("runtime.selectgo", "main.h")...)
				s.after(1 * ms).unblock(10).start(10)
				// After the handler: conn.serve cancels the request's context,
				// then flushes the response.
				s.after(1*ms).unblockBy(20, 10, "context.(*cancelCtx).cancel", "net/http.(*response).cancelCtx", "net/http.(*conn).serve")
				s.after(1*ms).syscall(10, finishing...)
				s.after(1*ms).sysret(10).block(10, "network", waitingIdle...)
				s.after(1*ms).unblock(10).start(10).syscall(10, readingRequest...)
				s.after(1*ms).sysret(10).after(1*ms).syscall(10, finishing...) // the next handler, with no event
				s.after(1*ms).sysret(10).block(10, "network", waitingIdle...)
			},
			want: map[string]time.Duration{
				"on-cpu/request": 4 * ms, // into the first handler 1ms, out of it 2ms, the second 1ms
				"sync/request":   1 * ms,
			},
			requests: 2,
			note:     "no trace event inside",
		},
		{
			name: "a handler with no event inside is on-cpu under ServeHTTP",
			script: func(s *script) {
				s.status(10, trace.GoWaiting, readingRequest...)
				s.after(10 * ms).unblock(10).start(10)
				s.after(3*ms).syscall(10, finishing...)
				s.after(1 * ms).sysret(10)
				s.after(1*ms).block(10, "network", waitingIdle...)
				s.after(10 * ms)
			},
			want:     map[string]time.Duration{"on-cpu/request": 3 * ms},
			requests: 1,
			frames:   map[string][]string{"on-cpu/request": {"net/http.serverHandler.ServeHTTP", "net/http.(*conn).serve"}},
			note:     "no trace event inside",
		},
		{
			name: "goroutines created in a handler, transitively, but not the transport's",
			script: func(s *script) {
				s.status(10, trace.GoRunning)
				s.after(1*ms).create(10, []string{"net/http.(*connReader).startBackgroundRead", "net/http.(*conn).serve"}, 40, "net/http.(*connReader).backgroundRead")
				s.create(10, inHandler("main.h"), 20, "main.worker")
				s.create(10, inHandler("net/http.(*Transport).queueForDial", "main.h"), 30, "net/http.(*Transport).startDialConnForLocked.func1")
				s.block(10, "chan receive", inHandler("main.h")...)
				s.start(20).after(2*ms).create(20, []string{"main.worker"}, 21, "main.helper")
				s.block(20, "chan send", "main.worker")
				s.start(30).after(1*ms).create(30, []string{"net/http.(*Transport).dialConn"}, 31, "net/http.(*persistConn).readLoop")
				s.block(30, "select", "net/http.(*Transport).dialConn")
				s.start(21).after(4*ms).block(21, "sleep", "time.Sleep", "main.helper")
				s.start(31).after(4*ms).block(31, "network", "internal/poll.(*FD).Read", "net/http.(*persistConn).readLoop")
				s.start(40).after(1*ms).block(40, "network", "internal/poll.(*FD).Read", "net/http.(*connReader).backgroundRead")
				s.after(10 * ms)
			},
			want: map[string]time.Duration{
				"on-cpu/request":     1 * ms,
				"sync/request":       22 * ms,
				"on-cpu/created":     6 * ms,         // worker 2ms, helper 4ms
				"sync/created":       (20 + 15) * ms, // worker's chan send, helper's sleep
				"scheduling/created": 1 * ms,         // helper, from its creation until it ran
			},
			frames: map[string][]string{
				"sync/request": {"main.h"},
				"sync/created": {"main.worker"},
			},
		},
		{
			name: "the trace endpoint's handler is left out",
			script: func(s *script) {
				s.status(10, trace.GoWaiting, inHandler("time.Sleep", "net/http/pprof.Trace")...)
				s.status(11, trace.GoRunning)
				s.after(1*ms).create(11, inHandler("runtime/trace.Start", "net/http/pprof.Trace"), 12, "main.notTheTracer")
				s.after(1000 * ms).unblock(10).start(10)
				s.after(1*ms).syscall(10, finishing...)
				s.after(1*ms).sysret(10).block(10, "network", waitingIdle...)
			},
			want: map[string]time.Duration{},
		},
		{
			name: "runtime goroutines are background",
			script: func(s *script) {
				s.status(1, trace.GoRunning, "main.main", "runtime.main", "runtime.goexit")
				s.create(1, []string{"runtime.gcStart", "main.main"}, 5, "runtime.gcBgMarkWorker")
				s.after(1*ms).start(5).after(7*ms).block(5, "system goroutine wait", "runtime.gcBgMarkWorker")
				s.status(6, trace.GoRunnable, "runtime.bgsweep", "runtime.goexit")
				s.start(6).after(2*ms).block(6, "GC background sweeper wait", "runtime.bgsweep", "runtime.goexit")
			},
			want:       map[string]time.Duration{},
			background: 9 * ms,
			note:       "no goroutine serving net/http requests",
		},
		{
			name: "CPU samples split running time",
			script: func(s *script) {
				s.status(10, trace.GoRunning)
				s.after(1*ms).sample(10, inHandler("main.a", "main.h")...)
				s.after(1*ms).sample(10, inHandler("main.b", "main.h")...)
				s.after(1*ms).sample(10, inHandler("main.a", "main.h")...)
				s.after(1*ms).sample(10, inHandler("main.a", "main.h")...)
				s.after(4*ms).block(10, "sync", inHandler("sync.(*Mutex).Lock", "main.h")...)
			},
			want:   map[string]time.Duration{"on-cpu/request": 8 * ms},
			frames: map[string][]string{"on-cpu/request": {"main.a"}}, // 6ms; main.b has 2ms
		},
		{
			name: "intervals from before the trace start at its start, open ones end at its end",
			script: func(s *script) {
				s.after(5*ms).status(10, trace.GoWaiting, inHandler("internal/poll.runtime_pollWait", "main.h")...)
				s.after(15 * ms)
			},
			want: map[string]time.Duration{"network/request": 20 * ms},
		},
		{
			name: "HTTP/2 handler goroutines",
			script: func(s *script) {
				h2 := []string{"net/http.HandlerFunc.ServeHTTP", "net/http.serverHandler.ServeHTTP", "net/http.initALPNRequest.ServeHTTP", "net/http.(*http2serverConn).runHandler"}
				s.status(7, trace.GoRunning, "net/http.(*http2serverConn).serve", "net/http.(*conn).serve")
				s.create(7, []string{"net/http.(*http2serverConn).scheduleHandler"}, 11, "net/http.(*http2serverConn).runHandler")
				s.create(7, []string{"net/http.(*http2serverConn).scheduleHandler"}, 12, "net/http.(*http2serverConn).runHandler")
				s.create(7, []string{"net/http.(*http2serverConn).scheduleHandler"}, 13, "net/http.(*http2serverConn).runHandler")
				s.block(7, "select", "net/http.(*http2serverConn).serve", "net/http.(*conn).serve")
				s.start(11).after(1*ms).block(11, "chan receive", append([]string{"main.h"}, h2...)...)
				s.after(2 * ms).unblock(11).start(11).after(1 * ms).exit(11)
				// Handlers with no event inside: 12 seen after it, 13 not.
				s.start(12).after(1*ms).block(12, "select", "runtime.selectgo", "net/http.(*http2serverConn).sendServeMsg", "net/http.(*http2serverConn).runHandler")
				s.after(1 * ms).unblock(12).start(12).exit(12)
				s.start(13).after(1 * ms).exit(13)
			},
			want: map[string]time.Duration{
				"on-cpu/request": 4 * ms, // 1ms of each of the last two under ServeHTTP itself
				"sync/request":   2 * ms,
			},
			requests: 3,
			note:     "no trace event inside",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(t)
			tt.script(s)
			r := s.end()
			checkProfiles(t, r)
			got := map[string]time.Duration{}
			for kind, p := range r.Profiles {
				for _, label := range []string{"request", "created"} {
					if d := total(p, label); d != 0 {
						got[kind+"/"+label] = d
					}
				}
			}
			for k, d := range tt.want {
				if got[k] != d {
					t.Errorf("%s = %v, want %v", k, got[k], d)
				}
			}
			for k, d := range got {
				if _, ok := tt.want[k]; !ok {
					t.Errorf("%s = %v, want none", k, d)
				}
			}
			if r.Requests != tt.requests {
				t.Errorf("Requests = %d, want %d", r.Requests, tt.requests)
			}
			if r.Background != tt.background {
				t.Errorf("Background = %v, want %v", r.Background, tt.background)
			}
			for k, fns := range tt.frames {
				kind, label, _ := strings.Cut(k, "/")
				s := biggest(r.Profiles[kind], label)
				for _, fn := range fns {
					if s == nil || !hasFrame(s, fn) {
						t.Errorf("biggest %s stack has no %s:\n%s", k, fn, stackString(s))
					}
				}
			}
			if tt.note != "" && !strings.Contains(strings.Join(r.Notes, "\n"), tt.note) {
				t.Errorf("notes %q, want one with %q", r.Notes, tt.note)
			}
		})
	}
}

// TestWaitKinds checks the kind each wait reason gives.
func TestWaitKinds(t *testing.T) {
	tests := []struct {
		reason string
		stack  []string // where it waits, under a handler
		kind   string
	}{
		{"network", []string{"internal/poll.(*FD).Read"}, Network},
		{"chan receive", []string{"runtime.chanrecv1"}, Sync},
		{"chan send", []string{"runtime.chansend1"}, Sync},
		{"select", []string{"runtime.selectgo"}, Sync},
		{"sync", []string{"sync.(*WaitGroup).Wait"}, Sync},
		{"sync.(*Cond).Wait", []string{"sync.(*Cond).Wait"}, Sync},
		{"sleep", []string{"time.Sleep"}, Sync},
		{"forever", []string{"runtime.block"}, Sync},
		{"wait until GC ends", []string{"runtime.GC"}, Sync},
		{"a reason of a future Go", []string{"runtime.future"}, Sync},
		{"GC mark assist wait for work", []string{"runtime.gcParkAssist"}, Scheduling},
		{"preempted", []string{"main.loop"}, Scheduling},
		// Waiting since before the trace: no reason.
		{"", []string{"internal/poll.runtime_pollWait"}, Network},
		{"", []string{"runtime.gcParkAssist"}, Scheduling},
		{"", []string{"runtime.chanrecv1"}, Sync},
	}
	for _, tt := range tests {
		t.Run(tt.reason+"/"+tt.stack[0], func(t *testing.T) {
			s := newScript(t)
			if tt.reason == "" {
				s.status(10, trace.GoWaiting, inHandler(tt.stack...)...)
			} else {
				s.status(10, trace.GoRunning).block(10, tt.reason, inHandler(tt.stack...)...)
			}
			s.after(ms)
			r := s.end()
			for kind, p := range r.Profiles {
				if d, want := total(p, "request"), kind == tt.kind; (d == ms) != want || d != 0 && !want {
					t.Errorf("%s: %v", kind, d)
				}
			}
			if r.Profiles[tt.kind] == nil {
				t.Errorf("no %s profile", tt.kind)
			}
		})
	}
}
