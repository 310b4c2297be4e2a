// Package load is perfgate's HTTP load driver: an open-model, constant
// arrival rate load of one request against a service on loopback, with
// latency histograms that do not hide a stalled server; or, with
// Options.Users, a closed-model load of a fixed number of users, for the
// throughput and latency at saturation.
//
// # The open model
//
// A closed-loop client (hey, bombardier, wrk without correction) sends the
// next request when the previous one answers. When the service stalls, the
// client stalls with it and sends nothing: the requests that real users
// would have sent during the stall are never made, never measured, and the
// percentiles look fine. This is coordinated omission.
//
// Run schedules request i at start + i/Rate, whether or not earlier requests
// have finished, and measures each request's latency from that scheduled
// time, not from when it was actually sent. A 500 ms stall at 200 req/s
// then shows as 100 requests with latencies from 500 ms down to 0, as users
// would have seen.
//
// The driver's own lateness is measured apart: the send lag (actual send
// time minus scheduled time) has its own histogram, so the driver being
// late is never mistaken for the service being slow, and a round where the
// driver could not keep up says so (Result.DriverBound).
//
// # The closed model
//
// With Options.Users set, Run is such a closed loop on purpose, as wrk's
// connections and k6's virtual users are: Users users, each sending a
// request, waiting for its answer, pausing Options.ThinkTime, and sending
// the next, until Duration has passed. The rate is what the service
// carries at that concurrency (about Users / (service time + ThinkTime)),
// so a closed run measures throughput and latency at saturation: how many
// requests a second the service completes with Users in flight, and how
// long each takes.
//
// There is no schedule: Result.Rate and Result.Scheduled are 0, latency
// runs from each request's send, Result.SendLag stays empty, and
// Result.Seconds count requests by send time. Users is at most
// MaxInFlight, so no request waits for the cap. A stall of the service
// shows once per user (each waits for its stalled answer and sends nothing
// meanwhile), not once per request that users of an open system would
// have sent during it: use the open model to see stalls, the closed model
// to see the saturation throughput. Result.DriverBound is false for a
// closed run (see there why).
//
// # The steps of Run
//
//  1. Check the options and the target: the URL's host must be a loopback
//     address (IP literals need no resolver; names must resolve only to
//     loopback). The dialer checks every connection's remote address again,
//     so no name resolution or redirect can leave loopback. Redirects are
//     not followed: a 3xx answer counts as an error.
//  2. Build the run's client, Options.Client (see The clients below).
//  3. Schedule (open model). The scheduler sleeps only until the next
//     request is due, and on each wake-up sends every request whose scheduled time has
//     passed, without sleeping between them. Go's timers overshoot
//     sub-millisecond sleeps by about a millisecond on a small machine, so
//     a scheduler sleeping once per request would drift behind its
//     schedule; this one catches up at each wake-up (the discipline of
//     vegeta's Pacer, whose Pace returns zero wait when behind).
//  4. Send. A request first takes a token from a semaphore of MaxInFlight
//     tokens; when none is free the scheduler waits (counted in CapHits, and
//     visible in those requests' latency and send lag). Idle workers, started
//     on demand up to MaxInFlight, each with its sender, send the request
//     with a per-request timeout and read the response body to its end, so
//     the connection is reused. A closed run has no scheduler and no
//     semaphore: its Users workers start at once, each with its sender,
//     and each sends its next request when the last one answered and
//     ThinkTime has passed.
//  5. Record. Each worker adds its outcome to the run's histograms
//     (hdrhistogram, 1 µs to 1 hour, 3 significant figures), status codes
//     and per-second figures itself, under one lock held for a few
//     increments: handing outcomes to a recorder goroutine would wake it
//     once per request, which costs more CPU at high rates than the lock.
//  6. Stop. Scheduling stops when the schedule is done (Duration) or ctx
//     ends; in a closed run, no user starts a request at or after
//     Duration (nor after 2^30 requests in all), or once ctx
//     ended. Requests in flight then finish or time out, so Run returns at
//     most Timeout later, with no goroutine left behind. If ctx ended the
//     run, the partial Result comes back with ctx's error. A driver that
//     fell behind still sends its overdue requests, late, until it is
//     Timeout behind the end of the schedule; any left then are counted in
//     Result.Unsent, and the round is driver-bound.
//
// # The clients
//
// The client is behind one send function per client, so that the
// scheduler, the workers and the recorder are the same for both, and so are
// the guarantees above: each connection is dialed by a net.Dialer whose
// Control is loopback.Control, no redirect is followed, each request's
// deadline is Timeout after its send and covers its whole body, and a
// request past it counts as a timeout. Both send the target's method, body
// and headers; neither adds a Content-Type or an Accept-Encoding (net/http
// adds its User-Agent, fasthttp none), and Run refuses header fields that
// are not valid HTTP.
//
//   - FastHTTP, the default: github.com/valyala/fasthttp writes each
//     request and parses its response, reading the body to the end, on the
//     worker's own keep-alive connection, dialed on first use and again
//     after an error or a "Connection: close". A GET, HEAD, OPTIONS or
//     TRACE that finds its reused connection closed by the server, before
//     any answer, is sent again on a new connection, as net/http does. It
//     costs about half of net/http's CPU per request (bench_test.go,
//     wrk.sh), so the driver offers about twice the rate on the same cores.
//   - NetHTTP: one http.Client for the run, HTTP/1.1 over keep-alive
//     connections in a pool sized to MaxInFlight, no proxy, no transparent
//     compression, a context deadline per request: for comparison, and for
//     what fasthttp lacks.
//
// Result.Values and UnitMetadata turn a Result into Go benchmark format
// values (sec/op, p50-sec, p90-sec, p99-sec, max-sec, req/s, errors/op) and
// the unit metadata lines that tell benchmath which way is better.
package load
