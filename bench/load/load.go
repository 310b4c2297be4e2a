package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/internal/loopback"
)

// Target is the request a scenario sends.
type Target struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// URL is an absolute http URL. Its host must be a loopback IP
	// (127.0.0.0/8 or ::1) or a name that resolves only to loopback
	// addresses: anything else is refused with an error wrapping
	// loopback.ErrNotLoopback.
	URL string
	// Body is sent with every request; nil or empty sends none.
	Body []byte
	// Header is added to every request. A "Host" entry sets the request's
	// Host.
	Header http.Header
}

// Options configure Run. Start from DefaultOptions and change what differs.
type Options struct {
	// Rate is the target arrival rate in requests per second, open model:
	// request i is scheduled at i/Rate seconds from the start, whether or
	// not earlier requests have finished. It is not used when Users is
	// set.
	Rate float64
	// Users, when above 0, makes the run a closed model instead: that many
	// users, each sending its next request when its last one answered and
	// ThinkTime has passed, until Duration. It is at most MaxInFlight.
	Users int
	// ThinkTime is each user's pause between an answer and its next
	// request, closed model only (it needs Users).
	ThinkTime time.Duration
	// Duration is how long requests are scheduled: Rate*Duration of them
	// (rounded), all scheduled before Duration. A driver that fell behind
	// keeps sending its overdue requests for at most Timeout more. In the
	// closed model, no request starts after Duration.
	Duration time.Duration
	// Timeout bounds each request, from its send to the end of its
	// response body, and so also how long Run waits for the requests in
	// flight when scheduling stops.
	Timeout time.Duration
	// MaxInFlight caps the requests in flight. When the cap is reached the
	// scheduler waits; the wait shows in those requests' latency and send
	// lag and is counted in Result.CapHits. It also sizes the connection
	// pool.
	MaxInFlight int
	// Client is the HTTP client that sends the requests: FastHTTP (the
	// default, also when empty) or NetHTTP.
	Client Client
}

// Client names the HTTP/1.1 client of a run.
type Client string

const (
	// FastHTTP is github.com/valyala/fasthttp's request writer and
	// response parser over one keep-alive connection per worker: the
	// default, a fraction of net/http's CPU per request.
	FastHTTP Client = "fasthttp"
	// NetHTTP is net/http's client, for what fasthttp lacks.
	NetHTTP Client = "net/http"
)

// DefaultOptions are the options of a load scenario that sets none.
var DefaultOptions = Options{Rate: 100, Duration: 10 * time.Second, Timeout: 5 * time.Second, MaxInFlight: 512}

// MaxRate is the highest arrival rate a run may ask for, in requests per
// second: far beyond what a driver on one machine sends, so that a typo
// (1e9) is refused rather than attempted.
const MaxRate = 100000

// maxScheduled and maxDuration bound a run, so that a typo cannot schedule
// one that would take days or fill the memory. A closed run, which has no
// schedule, stops at Duration or after maxScheduled requests, whichever
// comes first.
const (
	maxScheduled = 1 << 30
	maxDuration  = 24 * time.Hour
)

// Histogram bounds: 1 µs (the lowest discernible value, in nanoseconds) to
// an hour, 3 significant figures. Values above the top are recorded as the
// top.
const (
	histLowest  = int64(time.Microsecond)
	histHighest = int64(time.Hour)
	histDigits  = 3
)

// Result is what a run measured.
type Result struct {
	// Rate is the target rate, in requests per second; 0 in a closed run,
	// which has none.
	Rate float64
	// Users and ThinkTime are the closed model's (Options.Users,
	// Options.ThinkTime); Users is 0 in an open run.
	Users     int
	ThinkTime time.Duration
	// Scheduled is the number of requests the schedule held:
	// Rate*Duration, rounded; 0 in a closed run, which has no schedule.
	Scheduled int
	// Sent is the number of requests sent.
	Sent int
	// Unsent counts requests that were due before the run stopped but
	// were never sent: the driver fell more than Timeout behind its
	// schedule. Requests not yet due when ctx ended a run are in neither
	// Sent nor Unsent. Always 0 in a closed run.
	Unsent int
	// Completed is the number of requests that finished, ok or not.
	Completed int
	// Errors counts transport errors, timeouts and non-2xx answers
	// (redirects are not followed: a 3xx is an error).
	Errors int
	// Span is the part of the schedule the run covered: Duration, or less
	// when ctx ended the run early.
	Span time.Duration
	// Elapsed runs from the run's start (the first scheduled start) to
	// the last completion, FirstDone to the first completion, and
	// LastSent to the last send.
	Elapsed, FirstDone, LastSent time.Duration
	// Latency holds every completed request's latency (ok or not), in
	// nanoseconds, from its SCHEDULED start to the end of its response
	// body. Measuring from the schedule rather than from the send is what
	// makes a stalled server show in the percentiles (no coordinated
	// omission). A closed run has no schedule: there latency runs from the
	// send, and a stall shows once per user, not once per request that
	// would have been sent during it.
	Latency *hdrhistogram.Histogram
	// SendLag holds, in nanoseconds, each sent request's actual send time
	// minus its scheduled time: the driver's own lateness, including any
	// wait for the in-flight cap. It is empty in a closed run, which has
	// no schedule to be late for.
	SendLag *hdrhistogram.Histogram
	// Seconds has one entry per second of the schedule, by scheduled time
	// (in a closed run, by send time), for charts.
	Seconds []Second
	// PeakInFlight is the most requests in flight at once.
	PeakInFlight int
	// MaxInFlight is the cap the run had (Options.MaxInFlight).
	MaxInFlight int
	// CapHits counts requests that had to wait for the in-flight cap;
	// always 0 in a closed run (Users is at most the cap).
	CapHits int
	// Codes counts the HTTP status codes seen.
	Codes map[int]int
	// FirstError is the text of the first error recorded, for a one-line
	// reason; empty when there was none.
	FirstError string
}

// Second is what happened to the requests scheduled in one second of a run.
type Second struct {
	// Requests is the number of completed requests scheduled (in a closed
	// run, sent) in the second.
	Requests int `json:"requests"`
	// Errors is how many of them failed.
	Errors int `json:"errors"`
	// MaxLatency is the largest latency among them, measured from the
	// scheduled start (in a closed run, from the send).
	MaxLatency time.Duration `json:"max_latency_ns"`
}

// Run sends t at opts.Rate for opts.Duration (the open model described in
// the package documentation), or, when opts.Users is set, keeps that many
// users sending it one request at a time for opts.Duration (the closed
// model), waits for the requests in flight (at most opts.Timeout more) and
// returns what it measured.
//
// An invalid target or options return an error before any request is sent.
// When ctx ends before every request was sent, Run stops scheduling, waits
// for the requests in flight, and returns the partial Result together with
// an error wrapping ctx.Err().
func Run(ctx context.Context, t Target, opts Options) (*Result, error) {
	n, err := opts.scheduled()
	if err != nil {
		return nil, err
	}
	u, err := loopback.CheckURL(ctx, t.URL)
	if err != nil {
		return nil, err
	}
	method := t.Method
	if method == "" {
		method = http.MethodGet
	}
	body := bytes.Clone(t.Body)
	var bodyReader io.Reader
	if len(body) > 0 {
		bodyReader = bytes.NewReader(body)
	}
	// The template request: every request is a shallow copy of it with its
	// own context and body reader. Its URL and Header are shared read-only.
	tmpl, err := http.NewRequestWithContext(context.Background(), method, u.String(), bodyReader)
	if err != nil {
		return nil, fmt.Errorf("building request for %s: %w", t.URL, err)
	}
	for k, vs := range t.Header {
		for _, v := range vs {
			if err := checkHeader(k, v); err != nil {
				return nil, err
			}
			tmpl.Header.Add(k, v)
		}
	}
	if h := t.Header.Get("Host"); h != "" {
		tmpl.Host = h
		tmpl.Header.Del("Host")
	}
	if err := ctx.Err(); err != nil {
		res := newResult(opts, n)
		res.Span = 0
		return res, fmt.Errorf("starting load run: %w", err)
	}

	d := newDriver(ctx, tmpl, body, opts, n)
	return d.run(ctx)
}

// scheduled checks o and returns the number of requests it schedules: 0
// for a closed run, which has no schedule (its bounds are Duration and
// maxScheduled requests).
func (o Options) scheduled() (int, error) {
	switch {
	case o.Users <= 0 && !(o.Rate > 0 && o.Rate <= MaxRate):
		return 0, fmt.Errorf("checking load options: rate %v: must be a positive number of requests per second, at most %d", o.Rate, MaxRate)
	case o.Duration <= 0 || o.Duration > maxDuration:
		return 0, fmt.Errorf("checking load options: duration %v: must be positive and at most %v", o.Duration, maxDuration)
	case o.Timeout <= 0:
		return 0, fmt.Errorf("checking load options: timeout %v: must be positive", o.Timeout)
	case o.MaxInFlight < 1:
		return 0, fmt.Errorf("checking load options: max in flight %d: must be at least 1", o.MaxInFlight)
	case o.Client != "" && o.Client != FastHTTP && o.Client != NetHTTP:
		return 0, fmt.Errorf("checking load options: client %q: must be %q or %q", o.Client, FastHTTP, NetHTTP)
	case o.Users < 0:
		return 0, fmt.Errorf("checking load options: users %d: must not be negative (0 is the open model)", o.Users)
	case o.Users > o.MaxInFlight:
		return 0, fmt.Errorf("checking load options: users %d: more than max in flight (%d)", o.Users, o.MaxInFlight)
	case o.ThinkTime < 0 || o.ThinkTime > maxDuration:
		return 0, fmt.Errorf("checking load options: think time %v: must not be negative, and at most %v", o.ThinkTime, maxDuration)
	case o.ThinkTime > 0 && o.Users == 0:
		return 0, fmt.Errorf("checking load options: think time %v without users: think time is for the closed model", o.ThinkTime)
	}
	if o.Users > 0 {
		return 0, nil
	}
	n := math.Round(o.Rate * o.Duration.Seconds())
	switch {
	case n < 1:
		return 0, fmt.Errorf("checking load options: rate %v for %v schedules no request", o.Rate, o.Duration)
	case n > maxScheduled:
		return 0, fmt.Errorf("checking load options: rate %v for %v schedules %.0f requests, more than %d", o.Rate, o.Duration, n, maxScheduled)
	}
	return int(n), nil
}

// driver is one Run: its client, schedule, workers and recorder.
type driver struct {
	opts   Options
	n      int       // requests scheduled
	closed bool      // a closed run (opts.Users > 0): no schedule, n is 0
	limit  int64     // the most requests a closed run sends: maxScheduled
	start  time.Time // the schedule's origin, read-only once workers run

	// newSender returns a worker's sender; closeIdle closes the client's
	// idle connections once the workers are done.
	newSender func() sender
	closeIdle func()

	sem      chan struct{}      // one token per request in flight
	jobs     chan time.Duration // scheduled offsets, scheduler to workers
	inFlight atomic.Int32
	workers  sync.WaitGroup
	started  int // workers started, owned by the scheduler
	rec      recorder
}

// outcome is one request's record, which its worker adds to the recorder.
// All times are offsets from driver.start.
type outcome struct {
	due, sent, end time.Duration
	code           int
	inFlight       int32 // requests in flight when this one was sent, itself included
	err            error
}

// newDriver returns the driver of a run of n requests of tmpl (whose body
// is body) with opts. Requests carry ctx's values but not its cancellation.
func newDriver(ctx context.Context, tmpl *http.Request, body []byte, opts Options, n int) *driver {
	d := &driver{
		opts:   opts,
		n:      n,
		closed: opts.Users > 0,
		limit:  maxScheduled,
		sem:    make(chan struct{}, opts.MaxInFlight),
		jobs:   make(chan time.Duration),
	}
	dialer := &net.Dialer{
		Timeout:   opts.Timeout,
		KeepAlive: 30 * time.Second,
		// Enforced at connect time, whatever the name resolved to.
		Control: loopback.Control,
	}
	if opts.Client == NetHTTP {
		s := newNetSender(context.WithoutCancel(ctx), tmpl, body, dialer, opts.MaxInFlight)
		d.newSender = func() sender { return s }
		d.closeIdle = s.client.CloseIdleConnections
	} else {
		f := newFastSenders(tmpl, body, dialer)
		d.newSender = f.newSender
		d.closeIdle = func() {} // each worker closed its own connection
	}
	return d
}

// newResult returns the empty Result of a run of n requests with opts.
func newResult(opts Options, n int) *Result {
	r := &Result{
		Rate:        opts.Rate,
		Scheduled:   n,
		Span:        opts.Duration,
		MaxInFlight: opts.MaxInFlight,
		Latency:     hdrhistogram.New(histLowest, histHighest, histDigits),
		SendLag:     hdrhistogram.New(histLowest, histHighest, histDigits),
		Seconds:     make([]Second, int((opts.Duration+time.Second-1)/time.Second)),
		Codes:       make(map[int]int),
	}
	if opts.Users > 0 {
		// A closed run has no target rate: the service's pace sets it.
		r.Rate, r.Users, r.ThinkTime = 0, opts.Users, opts.ThinkTime
	}
	return r
}

// due returns request i's scheduled offset from the start.
func (d *driver) due(i int) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / d.opts.Rate)
}

// run schedules, sends, waits, and summarizes.
func (d *driver) run(ctx context.Context) (*Result, error) {
	res := newResult(d.opts, d.n)
	d.rec = recorder{res: res, closed: d.closed, first: -1}
	d.start = time.Now()
	if d.closed {
		return d.runClosed(ctx, res)
	}

	// A request in flight when ctx ends finishes, or times out, on its
	// own: the senders do not see ctx's cancellation.
	sent, capHits, stoppedAt, cancelled := d.schedule(ctx)

	// Scheduling is over. Each request in flight ends within Timeout of
	// its send (its deadline covers the body read too), so this wait is
	// bounded by Timeout.
	close(d.jobs)
	d.workers.Wait()
	d.rec.finish()
	d.closeIdle()

	res.Sent = sent
	res.CapHits = capHits
	if cancelled {
		res.Span = min(stoppedAt, d.opts.Duration)
		for i := sent; i < d.n && d.due(i) <= stoppedAt; i++ {
			res.Unsent++
		}
		return res, fmt.Errorf("load run stopped after %v of %v: %w",
			res.Span.Round(time.Millisecond), d.opts.Duration, ctx.Err())
	}
	res.Unsent = d.n - sent
	return res, nil
}

// schedule is the open-model scheduler. It returns how many requests it
// sent, how many waited for the in-flight cap, and, when ctx ended it early,
// when that was noticed.
func (d *driver) schedule(ctx context.Context) (sent, capHits int, stoppedAt time.Duration, cancelled bool) {
	done := ctx.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// Overdue requests are still sent until the driver is more than
	// Timeout behind the end of the schedule; past that, the rest stay
	// unsent (Result.Unsent) and the round is marked driver-bound.
	sendBy := d.opts.Duration + d.opts.Timeout

	for i := 0; i < d.n; {
		due := d.due(i)
		now := time.Since(d.start)
		if due > now {
			// Sleep until the next request is due, once. Go's timers
			// overshoot short sleeps by up to a millisecond or so, so
			// the scheduler never sleeps per request: after this
			// wake-up, every request whose time has passed is sent
			// below without sleeping (vegeta's Pace returns zero wait
			// when behind schedule: the same discipline). Each is
			// measured from its scheduled time, so the lateness is in
			// the latency, and its send lag is recorded apart.
			timer.Reset(due - now)
			select {
			case <-timer.C:
			case <-done:
				return sent, capHits, time.Since(d.start), true
			}
			continue
		}
		// Due or overdue: send it now.
		select {
		case <-done:
			return sent, capHits, now, true
		default:
		}
		if now > sendBy {
			return sent, capHits, now, false
		}
		select {
		case d.sem <- struct{}{}:
		default:
			// The in-flight cap is reached: wait for a request to
			// finish. This request's latency and send lag include the
			// wait, since both are measured from its scheduled time.
			capHits++
			timer.Reset(sendBy - now)
			select {
			case d.sem <- struct{}{}:
				timer.Stop()
			case <-timer.C:
				return sent, capHits, time.Since(d.start), false
			case <-done:
				return sent, capHits, time.Since(d.start), true
			}
		}
		d.dispatch(due)
		sent++
		i++
	}
	return sent, capHits, time.Since(d.start), false
}

// runClosed is run for the closed model: Users workers, each sending a
// request, recording it, pausing ThinkTime and sending the next, until
// Duration has passed, d.limit requests were sent, or ctx ends. A
// request in flight then finishes or times out on its own, so the wait is
// bounded by Timeout, as in the open model.
func (d *driver) runClosed(ctx context.Context, res *Result) (*Result, error) {
	var sent atomic.Int64      // requests started, over all users
	var stoppedAt atomic.Int64 // offset when a user first saw ctx end, plus 1; 0 while none has
	for range d.opts.Users {
		d.workers.Add(1)
		go d.user(ctx, &sent, &stoppedAt)
	}
	d.workers.Wait()
	d.rec.finish()
	d.closeIdle()

	res.Sent = int(min(sent.Load(), d.limit))
	if at := stoppedAt.Load(); at > 0 {
		res.Span = min(time.Duration(at-1), d.opts.Duration)
		return res, fmt.Errorf("load run stopped after %v of %v: %w",
			res.Span.Round(time.Millisecond), d.opts.Duration, ctx.Err())
	}
	return res, nil
}

// user is one closed-model user: it sends a request with its own sender,
// waits for the answer, hands the outcome to the recorder, pauses
// ThinkTime, and starts again, as long as the run lasts. No request starts
// at or after Duration.
func (d *driver) user(ctx context.Context, sent, stoppedAt *atomic.Int64) {
	defer d.workers.Done()
	s := d.newSender()
	defer s.close()
	done := ctx.Done()
	var timer *time.Timer
	if d.opts.ThinkTime > 0 {
		timer = time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
	}
	stop := func() { stoppedAt.CompareAndSwap(0, int64(time.Since(d.start))+1) }
	for {
		now := time.Since(d.start)
		if now >= d.opts.Duration {
			return
		}
		select {
		case <-done:
			stop()
			return
		default:
		}
		if sent.Add(1) > d.limit {
			return
		}
		// The outcome's due is when the user decided to send (before
		// Duration, so it falls in one of Result.Seconds); the recorder
		// measures a closed run's latency from the send itself.
		d.rec.add(d.send(s, now))
		if d.opts.ThinkTime <= 0 {
			continue
		}
		// A pause that would end at or after Duration ends the user:
		// it could send nothing after it.
		now = time.Since(d.start)
		if now+d.opts.ThinkTime >= d.opts.Duration {
			return
		}
		timer.Reset(d.opts.ThinkTime)
		select {
		case <-timer.C:
		case <-done:
			stop()
			return
		}
	}
}

// dispatch hands a request, already holding its in-flight token, to an idle
// worker, starting one when none is idle. Workers are started on demand, at
// most MaxInFlight: the token guarantees that one is idle or about to be.
func (d *driver) dispatch(due time.Duration) {
	select {
	case d.jobs <- due:
		return
	default:
	}
	if d.started < d.opts.MaxInFlight {
		d.started++
		d.workers.Add(1)
		go d.work()
	}
	d.jobs <- due
}

// work sends the requests it is handed until the schedule closes.
func (d *driver) work() {
	defer d.workers.Done()
	s := d.newSender()
	defer s.close()
	for due := range d.jobs {
		o := d.send(s, due)
		<-d.sem
		d.rec.add(o)
	}
}

// send sends one request scheduled at offset due with s, which reads its
// response to the end before the per-request deadline, and returns what
// happened.
func (d *driver) send(s sender, due time.Duration) outcome {
	o := outcome{due: due, inFlight: d.inFlight.Add(1)}
	o.sent = time.Since(d.start)
	o.code, o.err = s.send(d.start.Add(o.sent + d.opts.Timeout))
	o.end = time.Since(d.start)
	d.inFlight.Add(-1)
	return o
}

// recorder holds a run's Result while its workers add their outcomes,
// under a lock. A worker records its own outcome: handing it to a recorder
// goroutine instead would wake that goroutine once per request, which at
// 20,000 req/s costs more CPU than the lock, held for a few histogram
// increments, ever does (BenchmarkDriver).
type recorder struct {
	mu                    sync.Mutex
	res                   *Result
	closed                bool          // a closed run: latency from the send, no send lag
	first, last, lastSent time.Duration // first < 0 until an outcome is added
}

// add records o.
func (r *recorder) add(o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Completed++
	if r.first < 0 || o.end < r.first {
		r.first = o.end
	}
	r.lastSent = max(r.lastSent, o.sent)
	latency := o.end - o.due
	if r.closed {
		// No schedule: latency runs from the send, and there is no
		// send lag to record.
		latency = o.end - o.sent
	} else {
		recordValue(res.SendLag, o.sent-o.due)
	}
	recordValue(res.Latency, latency)
	r.last = max(r.last, o.end)
	res.PeakInFlight = max(res.PeakInFlight, int(o.inFlight))
	if o.code != 0 {
		res.Codes[o.code]++
	}
	failed := o.err != nil || o.code < 200 || o.code > 299
	if failed {
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = errorText(o)
		}
	}
	if s := int(o.due / time.Second); s < len(res.Seconds) {
		sec := &res.Seconds[s]
		sec.Requests++
		if failed {
			sec.Errors++
		}
		sec.MaxLatency = max(sec.MaxLatency, latency)
	}
}

// finish sets the Result's times once every worker is done.
func (r *recorder) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Elapsed, r.res.FirstDone, r.res.LastSent = r.last, max(r.first, 0), r.lastSent
}

// recordValue records v, clamped to the histogram's range.
func recordValue(h *hdrhistogram.Histogram, v time.Duration) {
	n := min(max(int64(v), 0), histHighest)
	if err := h.RecordValue(n); err != nil {
		// Unreachable with the value clamped to the range; a panic
		// here means the bounds above are wrong.
		panic(fmt.Sprintf("load: recording %d ns: %v", n, err))
	}
}

// errorText is the one-line reason of a failed outcome.
func errorText(o outcome) string {
	if o.err != nil {
		var ne net.Error
		if errors.As(o.err, &ne) && ne.Timeout() {
			return fmt.Sprintf("timeout: %v", o.err)
		}
		return o.err.Error()
	}
	return fmt.Sprintf("HTTP %d %s", o.code, http.StatusText(o.code))
}
