package offcpu

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/exp/trace"
)

// Bounds on what the analyzer keeps.
const (
	maxGoroutines = 1 << 20 // live goroutines tracked at once
	maxSamples    = 64      // distinct CPU sample stacks in one running interval
)

// Indices in Kinds.
const (
	kOnCPU = iota
	kNetwork
	kSync
	kSyscall
	kScheduling
)

// waitKinds maps the reasons the runtime gives for a goroutine's wait
// (runtime.traceBlockReasonStrings) to kinds. A reason not listed is Sync.
var waitKinds = map[string]int{
	"network":               kNetwork,
	"select":                kSync,
	"chan send":             kSync,
	"chan receive":          kSync,
	"sync":                  kSync, // sync.Mutex, RWMutex, WaitGroup...
	"sync.(*Cond).Wait":     kSync,
	"sleep":                 kSync, // time.Sleep
	"forever":               kSync, // select {}, nil channels
	"unspecified":           kSync,
	"synctest":              kSync,
	"wait for debug call":   kSync,
	"wait until GC ends":    kSync, // runtime.GC: the program asked for it
	"system goroutine wait": kSync,
	// Waits the runtime imposes on a goroutine that could otherwise run.
	"GC mark assist wait for work": kScheduling,
	"GC background sweeper wait":   kScheduling,
	"GC weak to strong wait":       kScheduling,
	"preempted":                    kScheduling,
}

// A role is what a goroutine is to the analysis.
type role uint8

const (
	roleUnknown  role = iota // no stack seen yet
	roleOther                // not serving requests
	roleRequest              // serving a connection or an HTTP/2 stream
	roleCreated              // created by a request goroutine in a handler, or by such a goroutine
	roleExcluded             // the transport's, net/http/pprof's, and what they create
	roleSystem               // the runtime's own
)

// A phase is where a request goroutine is in serving its connection.
type phase uint8

const (
	phaseUnknown phase = iota
	phaseIdle          // reading a request or waiting for one
	phaseHandler       // in serverHandler.ServeHTTP
	phaseAfter         // after a handler, until reading the next request
)

// A goroutine is the analyzer's record of one goroutine.
type goroutine struct {
	role   role
	state  trace.GoState
	since  trace.Time // start of the current interval
	reason string     // of the current wait
	at     int32      // stack of the current interval; for running, the one before it
	last   int32      // last stack seen

	// For request goroutines.
	phase     phase
	h2        bool // an HTTP/2 handler goroutine
	born      bool // created within the trace
	profiling bool // the current request is net/http/pprof's

	// Of the current running interval.
	inHandler int32         // the first stack seen inside the handler
	unseen    int32         // a stack after a handler that ran with no event
	samples   []sampleCount // CPU samples
}

type sampleCount struct {
	stack int32
	n     int64
}

// An analyzer accumulates the time of goroutines by kind and stack.
type analyzer struct {
	stacks     *stackTable
	gs         map[trace.GoID]*goroutine
	samples    map[sampleKey]*sampleValue
	started    bool
	start, end trace.Time
	events     int // other than Sync
	wall       time.Time
	background time.Duration
	requests   int
	serving    bool          // a request goroutine was seen
	unseenCPU  time.Duration // on-CPU time of handlers that ran with no event
	notes      []string
	noted      map[string]bool
}

func newAnalyzer() *analyzer {
	return &analyzer{
		stacks:  newStackTable(),
		gs:      make(map[trace.GoID]*goroutine),
		samples: make(map[sampleKey]*sampleValue),
		noted:   make(map[string]bool),
	}
}

func (a *analyzer) notef(format string, args ...any) {
	a.notes = append(a.notes, fmt.Sprintf(format, args...))
}

// noteOnce adds a note the first time it is called with key.
func (a *analyzer) noteOnce(key, format string, args ...any) {
	if !a.noted[key] {
		a.noted[key] = true
		a.notef(format, args...)
	}
}

func (a *analyzer) sawEvents() bool { return a.events > 0 }

func (a *analyzer) event(ev trace.Event) {
	t := ev.Time()
	if !a.started {
		a.started, a.start = true, t
	}
	if t > a.end {
		a.end = t
	}
	switch ev.Kind() {
	case trace.EventSync:
		a.stacks.newGeneration()
		if c := ev.Sync().ClockSnapshot; c != nil && a.wall.IsZero() {
			a.wall = c.Wall.Add(-c.Trace.Sub(a.start))
		}
		return
	case trace.EventStateTransition:
		if st := ev.StateTransition(); st.Resource.Kind == trace.ResourceGoroutine {
			a.transition(ev, st)
		}
	case trace.EventStackSample:
		a.sample(ev)
	case trace.EventLog, trace.EventRegionBegin, trace.EventRegionEnd,
		trace.EventTaskBegin, trace.EventTaskEnd, trace.EventRangeBegin, trace.EventRangeEnd:
		// Stacks of the running goroutine: where it is.
		if g := a.gs[ev.Goroutine()]; g != nil && g.state == trace.GoRunning {
			a.observe(g, a.stacks.intern(ev.Stack()))
		}
	}
	a.events++
}

func (a *analyzer) transition(ev trace.Event, st trace.StateTransition) {
	t := ev.Time()
	id := st.Resource.Goroutine()
	from, to := st.Goroutine()
	sid := a.stacks.intern(st.Stack)
	g := a.gs[id]

	if from == trace.GoNotExist {
		// Created: st.Stack is the new goroutine's start, ev.Stack() its creator's.
		creator := a.gs[ev.Goroutine()]
		cs := a.stacks.intern(ev.Stack())
		if creator != nil && creator.state == trace.GoRunning {
			a.observe(creator, cs)
		}
		if g != nil {
			a.close(g, t)
			delete(a.gs, id)
		}
		if g = a.newGoroutine(id, to, t); g == nil {
			return
		}
		g.born = true
		g.role = a.roleOfNew(creator, cs, sid)
		g.at, g.last = sid, sid
		if g.role == roleRequest {
			g.phase = phaseIdle
			g.h2 = a.stacks.stacks[sid].h2
		}
		return
	}
	if g == nil {
		// First seen: it was in this state since before the trace.
		state := from
		if from == trace.GoUndetermined {
			state = to
		}
		if g = a.newGoroutine(id, state, a.start); g == nil {
			return
		}
		if from == trace.GoUndetermined {
			a.observe(g, sid)
			g.at = g.last
			return
		}
	}
	if from == to || from == trace.GoUndetermined {
		a.observe(g, sid)
		return
	}
	if from == trace.GoWaiting && to == trace.GoRunnable {
		// ev.Stack() is the unblocking goroutine's.
		if u := a.gs[ev.Goroutine()]; u != nil && u != g && u.state == trace.GoRunning {
			a.observe(u, a.stacks.intern(ev.Stack()))
		}
	}
	a.observe(g, sid)
	if to == trace.GoNotExist {
		a.ending(g)
	}
	a.close(g, t)
	if to == trace.GoNotExist {
		delete(a.gs, id)
		return
	}
	a.open(g, to, st.Reason, t)
}

func (a *analyzer) newGoroutine(id trace.GoID, state trace.GoState, since trace.Time) *goroutine {
	if len(a.gs) >= maxGoroutines {
		a.noteOnce("goroutines", "more than %d goroutines were alive at once: the time of the others is left out", maxGoroutines)
		return nil
	}
	g := &goroutine{}
	a.gs[id] = g
	a.open(g, state, "", since)
	return g
}

// open starts an interval of g in state.
func (a *analyzer) open(g *goroutine, state trace.GoState, reason string, t trace.Time) {
	g.state, g.reason, g.since, g.at = state, reason, t, g.last
	if state == trace.GoRunning {
		g.inHandler, g.unseen, g.samples = 0, 0, g.samples[:0]
	}
}

// roleOfNew returns the role of a goroutine created by creator, whose
// stack was cs, to start at start.
func (a *analyzer) roleOfNew(creator *goroutine, cs, start int32) role {
	s := &a.stacks.stacks[start]
	switch {
	case isTransport(s.start):
		return roleExcluded
	case isSystem(s.start):
		return roleSystem
	}
	if creator != nil {
		switch creator.role {
		case roleRequest:
			if c := &a.stacks.stacks[cs]; c.handler {
				if c.pprof {
					return roleExcluded
				}
				return roleCreated
			}
		case roleCreated:
			return roleCreated
		case roleExcluded:
			return roleExcluded
		}
	}
	if s.serve {
		a.serving = true
		return roleRequest
	}
	return roleOther
}

// observe records that g's stack was sid.
func (a *analyzer) observe(g *goroutine, sid int32) {
	if sid == 0 {
		return
	}
	s := &a.stacks.stacks[sid]
	switch g.role {
	case roleUnknown, roleOther:
		switch {
		case s.serve:
			g.role, g.h2, a.serving = roleRequest, s.h2, true
			if g.born {
				g.phase = phaseIdle // it cannot have begun a handler before
			}
		case g.role == roleUnknown && isSystem(s.start):
			g.role = roleSystem
		default:
			g.role = roleOther
		}
	}
	if g.role == roleRequest {
		a.advance(g, sid, s)
	}
	g.last = sid
}

// advance follows a request goroutine from phase to phase, counting the
// handler invocations it completes.
func (a *analyzer) advance(g *goroutine, sid int32, s *stack) {
	running := g.state == trace.GoRunning
	switch {
	case s.handler:
		if s.pprof {
			g.profiling = true
		} else if running && g.inHandler == 0 {
			g.inHandler = sid
		}
		g.phase = phaseHandler
		return
	case g.phase == phaseHandler:
		a.complete(g)
		g.phase = phaseAfter
	case g.phase == phaseIdle && (s.finish || s.h2After):
		// The handler ran from start to end with no event.
		a.complete(g)
		if running && g.unseen == 0 {
			g.unseen = sid
		}
		g.phase = phaseAfter
	}
	if s.reading {
		g.phase = phaseIdle
	}
}

// complete counts a handler invocation of g.
func (a *analyzer) complete(g *goroutine) {
	if !g.profiling {
		a.requests++
	}
	g.profiling = false
}

// ending handles the end of g, before its last interval is closed.
func (a *analyzer) ending(g *goroutine) {
	if g.role != roleRequest {
		return
	}
	switch {
	case g.phase == phaseHandler:
		a.complete(g)
	case g.h2 && g.phase == phaseIdle:
		// An HTTP/2 handler goroutine whose handler ran with no event.
		a.complete(g)
		if g.state == trace.GoRunning && g.unseen == 0 {
			g.unseen = g.at
		}
	}
	g.phase = phaseAfter
}

// sample records a CPU sample.
func (a *analyzer) sample(ev trace.Event) {
	g := a.gs[ev.Goroutine()]
	if g == nil || g.state != trace.GoRunning {
		return // samples may disagree with the transitions: trust those
	}
	sid := a.stacks.intern(ev.Stack())
	if sid == 0 {
		return
	}
	a.observe(g, sid)
	if g.role != roleRequest && g.role != roleCreated {
		return
	}
	for i := range g.samples {
		if g.samples[i].stack == sid {
			g.samples[i].n++
			return
		}
	}
	if len(g.samples) < maxSamples {
		g.samples = append(g.samples, sampleCount{sid, 1})
	}
}

// close ends g's current interval at t.
func (a *analyzer) close(g *goroutine, t trace.Time) {
	d := max(t.Sub(g.since), 0)
	switch g.role {
	case roleSystem:
		if g.state == trace.GoRunning {
			a.background += d
		}
		return
	case roleRequest, roleCreated:
	default:
		return
	}
	switch g.state {
	case trace.GoRunning:
		a.closeRunning(g, d)
	case trace.GoRunnable:
		a.add(kScheduling, g, g.at, 1, d)
	case trace.GoSyscall:
		a.add(kSyscall, g, g.at, 1, d)
	case trace.GoWaiting:
		a.add(a.waitKind(g), g, g.at, 1, d)
	}
}

func (a *analyzer) closeRunning(g *goroutine, d time.Duration) {
	if len(g.samples) > 0 {
		a.split(g, d)
		return
	}
	sid := g.at
	if g.role == roleRequest && !a.inHandler(sid) {
		switch {
		case g.inHandler != 0:
			sid = g.inHandler
		case g.unseen != 0:
			sid = a.stacks.unseenHandler(g.unseen)
			a.unseenCPU += d
		}
	}
	a.add(kOnCPU, g, sid, 1, d)
}

// split divides running time d among the stacks of the CPU samples taken
// during it, giving the one event to the stack sampled most.
func (a *analyzer) split(g *goroutine, d time.Duration) {
	var total int64
	best := -1
	for i, s := range g.samples {
		total += s.n
		if (g.role == roleCreated || a.inHandler(s.stack)) && (best < 0 || s.n > g.samples[best].n) {
			best = i
		}
	}
	var cum int64
	var prev time.Duration
	for i, s := range g.samples {
		cum += s.n
		next := time.Duration(float64(d) * float64(cum) / float64(total))
		events := int64(0)
		if i == best {
			events = 1
		}
		a.add(kOnCPU, g, s.stack, events, next-prev)
		prev = next
	}
}

// inHandler reports whether time at stack sid is request time.
func (a *analyzer) inHandler(sid int32) bool {
	s := &a.stacks.stacks[sid]
	return s.handler && !s.pprof
}

func (a *analyzer) waitKind(g *goroutine) int {
	if k, ok := waitKinds[g.reason]; ok {
		return k
	}
	if g.reason == "" { // waiting since before the trace
		switch s := &a.stacks.stacks[g.at]; {
		case s.netpoll:
			return kNetwork
		case s.assist:
			return kScheduling
		}
	}
	return kSync
}

// add adds an interval of g at stack sid to the profile of kind.
func (a *analyzer) add(kind int, g *goroutine, sid int32, events int64, d time.Duration) {
	if g.role == roleRequest && !a.inHandler(sid) || events == 0 && d == 0 {
		return
	}
	k := sampleKey{kind: kind, stack: sid, created: g.role == roleCreated}
	v := a.samples[k]
	if v == nil {
		v = new(sampleValue)
		a.samples[k] = v
	}
	v.events += events
	v.nanos += int64(d)
}

func (a *analyzer) result() *Result {
	for _, g := range a.gs {
		a.close(g, a.end)
	}
	r := &Result{
		Profiles:   make(map[string]*profile.Profile),
		Background: a.background,
		Requests:   a.requests,
		Window:     a.end.Sub(a.start),
	}
	keys := make([]sampleKey, 0, len(a.samples))
	for k := range a.samples {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y sampleKey) int {
		switch {
		case x.kind != y.kind:
			return x.kind - y.kind
		case x.created != y.created:
			if x.created {
				return 1
			}
			return -1
		}
		return int(x.stack - y.stack)
	})
	var timeNanos int64
	if !a.wall.IsZero() {
		timeNanos = a.wall.UnixNano()
	}
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].kind == keys[i].kind {
			j++
		}
		kind := Kinds[keys[i].kind]
		r.Profiles[kind] = a.stacks.profile(keys[i:j], a.samples, timeNanos, int64(r.Window), kind != OnCPU)
		i = j
	}

	if !a.serving {
		a.notef("no goroutine serving net/http requests was seen in the trace")
	}
	if a.unseenCPU > 0 {
		a.notef("%v of on-CPU request time ran in handlers with no trace event inside them: it is shown under %s itself (collect a CPU profile during the trace to see its stacks)",
			a.unseenCPU.Round(time.Microsecond), serveHTTP)
	}
	if a.stacks.overflow != 0 {
		a.notef("the trace has more than %d distinct stacks: the time of the others is shown under one placeholder", maxStacks)
	}
	r.Notes = a.notes
	return r
}
