package offcpu

import (
	"encoding/binary"
	"strings"

	"github.com/google/pprof/profile"
	"golang.org/x/exp/trace"

	"github.com/perfgate/perfgate/analyze"
)

// maxStacks bounds the distinct stacks kept; the time of any more is
// shown under one placeholder stack.
const maxStacks = 1 << 16

// Functions whose frames tell what a goroutine is doing.
const (
	connServe     = "net/http.(*conn).serve"
	serveHTTP     = "net/http.serverHandler.ServeHTTP"
	finishRequest = "net/http.(*response).finishRequest"
	readRequest   = "net/http.(*conn).readRequest"
	pprofPrefix   = "net/http/pprof."
)

// h2Handlers are the start functions of HTTP/2 handler goroutines.
var h2Handlers = map[string]bool{
	"net/http.(*http2serverConn).runHandler":          true,
	"golang.org/x/net/http2.(*serverConn).runHandler": true,
}

// transportStarts are the start functions of the HTTP client's goroutines
// that dial a connection or serve it all its life: neither they nor the
// goroutines they create are counted as created by a request.
var transportStarts = []string{
	// The server's read-ahead of a connection while its handler runs:
	// network wait as long as the handler, none of it the request's.
	"net/http.(*connReader).backgroundRead",
	"net/http.(*persistConn).readLoop",
	"net/http.(*persistConn).writeLoop",
	"net/http.(*Transport).dialConnFor",
	"net/http.(*Transport).startDialConnFor", // newer Go: startDialConnForLocked.func1 calls dialConnFor
	"net/http.(*http2ClientConn).readLoop",
	"golang.org/x/net/http2.(*ClientConn).readLoop",
}

func isTransport(start string) bool {
	for _, p := range transportStarts {
		if strings.HasPrefix(start, p) {
			return true
		}
	}
	return false
}

// isSystem reports whether a goroutine with this start function is the
// runtime's own (or the tracer's or the CPU profiler's).
func isSystem(start string) bool {
	switch {
	case start == "runtime.main":
		return false
	case strings.HasPrefix(start, "runtime."),
		strings.HasPrefix(start, "runtime/trace."),
		strings.HasPrefix(start, "runtime/pprof."):
		return true
	}
	return false
}

// A frame is one frame of a stack as the trace records it.
type frame struct {
	pc   uint64
	fn   string
	file string
	line uint64
}

// A stack is a distinct stack and what its frames say.
type stack struct {
	frames  []int32 // indices in stackTable.frames, leaf first
	serve   bool    // serving a connection (conn.serve) or an HTTP/2 stream
	h2      bool    // in an HTTP/2 handler goroutine
	handler bool    // in serverHandler.ServeHTTP
	finish  bool    // in (*response).finishRequest, right after a handler
	reading bool    // reading a request, or waiting for one, on an HTTP/1 connection
	h2After bool    // in an HTTP/2 handler goroutine, after the handler
	pprof   bool    // in a net/http/pprof handler
	netpoll bool    // parked in the netpoller
	assist  bool    // parked for a GC assist
	start   string  // outermost function other than runtime.goexit
}

// A stackTable interns the stacks of a trace. Stack 0 is no stack.
type stackTable struct {
	frames   []frame
	frameIDs map[frame]int32
	stacks   []stack
	ids      map[string]int32      // by frame indices
	gen      map[trace.Stack]int32 // this generation's stack handles
	unseen   map[int32]int32       // stack after a handler -> a stack that ends at ServeHTTP
	overflow int32                 // the placeholder past maxStacks
	key      []byte
	buf      []int32
}

func newStackTable() *stackTable {
	return &stackTable{
		frameIDs: make(map[frame]int32),
		stacks:   make([]stack, 1),
		ids:      make(map[string]int32),
		gen:      make(map[trace.Stack]int32),
		unseen:   make(map[int32]int32),
	}
}

// newGeneration forgets the stack handles of the previous generation:
// handles are per generation, and holding them would hold its tables.
func (t *stackTable) newGeneration() {
	clear(t.gen)
}

// intern returns the index of s, 0 for no stack.
func (t *stackTable) intern(s trace.Stack) int32 {
	if s == trace.NoStack {
		return 0
	}
	if id, ok := t.gen[s]; ok {
		return id
	}
	ids := t.buf[:0]
	for f := range s.Frames() {
		ids = append(ids, t.frame(frame{f.PC, f.Func, f.File, f.Line}))
	}
	t.buf = ids
	id := t.add(ids)
	t.gen[s] = id
	return id
}

func (t *stackTable) frame(f frame) int32 {
	id, ok := t.frameIDs[f]
	if !ok {
		id = int32(len(t.frames))
		t.frames = append(t.frames, f)
		t.frameIDs[f] = id
	}
	return id
}

// add returns the index of the stack of these frames, leaf first.
func (t *stackTable) add(ids []int32) int32 {
	if len(ids) == 0 {
		return 0
	}
	t.key = t.key[:0]
	for _, id := range ids {
		t.key = binary.LittleEndian.AppendUint32(t.key, uint32(id))
	}
	if id, ok := t.ids[string(t.key)]; ok {
		return id
	}
	if len(t.stacks) > maxStacks {
		if t.overflow == 0 {
			t.overflow = int32(len(t.stacks))
			t.stacks = append(t.stacks, stack{frames: []int32{t.frame(frame{fn: "(more distinct stacks than offcpu keeps)"})}})
		}
		return t.overflow
	}
	s := stack{frames: append([]int32(nil), ids...)}
	for i, fi := range ids {
		fn := t.frames[fi].fn
		var caller string
		if i+1 < len(ids) {
			caller = t.frames[ids[i+1]].fn
		}
		switch {
		case fn == readRequest, fn == "bufio.(*Reader).Peek" && caller == connServe:
			s.reading = true
		case strings.HasPrefix(fn, connServe):
			s.serve = true
		case h2Handlers[fn]:
			s.serve, s.h2 = true, true
			if i > 0 {
				// What runHandler calls: the handler, then its deferred
				// functions and sendServeMsg.
				callee := t.frames[ids[i-1]].fn
				s.h2After = strings.HasPrefix(callee, fn+".func") || strings.HasSuffix(callee, ".sendServeMsg")
			}
		case fn == serveHTTP:
			s.handler = true
		case fn == finishRequest:
			s.finish = true
		case strings.HasPrefix(fn, pprofPrefix):
			s.pprof = true
		case fn == "internal/poll.runtime_pollWait", fn == "runtime.netpollblock":
			s.netpoll = true
		case fn == "runtime.gcParkAssist":
			s.assist = true
		}
		if fn != "runtime.goexit" {
			s.start = fn
		}
	}
	id := int32(len(t.stacks))
	t.stacks = append(t.stacks, s)
	t.ids[string(t.key)] = id
	return id
}

// unseenHandler returns a stack for a handler that ran with no event
// inside it, from a stack of the goroutine after it: the frames from
// conn.serve (or runHandler) out, under a ServeHTTP frame of its own.
func (t *stackTable) unseenHandler(after int32) int32 {
	if id, ok := t.unseen[after]; ok {
		return id
	}
	ids := []int32{t.frame(frame{fn: serveHTTP})}
	frames := t.stacks[after].frames
	for i, fi := range frames {
		if fn := t.frames[fi].fn; strings.HasPrefix(fn, connServe) || h2Handlers[fn] {
			ids = append(ids, frames[i:]...)
			break
		}
	}
	id := t.add(ids)
	t.unseen[after] = id
	return id
}

// A sampleKey is one sample of one profile.
type sampleKey struct {
	kind    int // index in Kinds
	stack   int32
	created bool // the "created" label, else "request"
}

type sampleValue struct {
	events int64
	nanos  int64
}

// profile returns the profile of these samples, which are all of one kind.
// With blocked, the stacks are where goroutines blocked: their leaf frames
// in package runtime (gopark, selectgo, chanrecv, semacquire...) are left
// out, so that a wait is named by the code that waited (a select in
// net/http.(*persistConn).roundTrip, a sync.(*WaitGroup).Wait) rather than
// by the runtime's parking, the same for every wait.
func (t *stackTable) profile(keys []sampleKey, vals map[sampleKey]*sampleValue, timeNanos, durationNanos int64, blocked bool) *profile.Profile {
	p := &profile.Profile{
		SampleType:        []*profile.ValueType{{Type: "events", Unit: "count"}, {Type: "delay", Unit: "nanoseconds"}},
		DefaultSampleType: "delay",
		PeriodType:        &profile.ValueType{Type: "delay", Unit: "nanoseconds"},
		Period:            1,
		TimeNanos:         timeNanos,
		DurationNanos:     durationNanos,
	}
	locs := make(map[int32]*profile.Location)
	funcs := make(map[[2]string]*profile.Function)
	for _, k := range keys {
		v := vals[k]
		label := "request"
		if k.created {
			label = "created"
		}
		s := &profile.Sample{
			Value: []int64{v.events, v.nanos},
			Label: map[string][]string{"goroutine": {label}},
		}
		frames := t.stacks[k.stack].frames
		if blocked {
			frames = trimParking(frames, t.frames)
		}
		for _, fi := range frames {
			loc := locs[fi]
			if loc == nil {
				f := t.frames[fi]
				fn := funcs[[2]string{f.fn, f.file}]
				if fn == nil {
					fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: f.fn, SystemName: f.fn, Filename: f.file}
					p.Function = append(p.Function, fn)
					funcs[[2]string{f.fn, f.file}] = fn
				}
				loc = &profile.Location{
					ID:      uint64(len(p.Location) + 1),
					Address: f.pc,
					Line:    []profile.Line{{Function: fn, Line: int64(f.line)}},
				}
				p.Location = append(p.Location, loc)
				locs[fi] = loc
			}
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

// trimParking drops a blocked stack's leaf frames in package runtime (and
// its internal packages), keeping at least one frame.
func trimParking(ids []int32, frames []frame) []int32 {
	for len(ids) > 1 {
		if !analyze.Parking(frames[ids[0]].fn) {
			break
		}
		ids = ids[1:]
	}
	return ids
}
