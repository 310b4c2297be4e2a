package profiler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/pyroscope-go"
	pyroscopepprof "github.com/grafana/pyroscope-go/http/pprof"

	"github.com/perfgate/perfgate/internal/loopback"
)

// Config configures Start. Its zero value does nothing (nothing pushed,
// no pprof port, the runtime's rates untouched), so a service may call
// Start unconditionally with settings read from its environment; zero
// fields take DefaultConfig's values.
type Config struct {
	// ServerAddress is the root URL profiles are pushed to: perfgate watch
	// or any Grafana Pyroscope server (http://pyroscope:4040); the client
	// posts to ServerAddress/ingest. http or https, no credentials, query
	// or fragment in it. Empty: nothing is pushed. pyroscope-go itself
	// pushes to $PYROSCOPE_ADHOC_SERVER_ADDRESS instead when that variable
	// is set (its ad-hoc mode).
	ServerAddress string
	// Service is the application name the profiles are filed under
	// (letters, digits and _ . / -). Required when ServerAddress is set.
	// Use the value of the service label of the service's request metrics,
	// so that perfgate watch can match the two.
	Service string
	// Version and Environment become the profiles' version and env
	// labels; an empty one is left out.
	Version     string
	Environment string
	// Tags are further labels of every profile. Keys are letters, digits,
	// _ and . (not version or env, which Version and Environment set, nor
	// starting with __); values are not empty and hold none of {}=, and no
	// newline.
	Tags map[string]string
	// BasicAuthUser and BasicAuthPassword are HTTP basic credentials for
	// the server, both or neither. AuthToken is a bearer token instead.
	BasicAuthUser     string
	BasicAuthPassword string
	AuthToken         string
	// TenantID is sent as X-Scope-OrgID, for a multi-tenant server.
	TenantID string
	// UploadRate is how often profiles are pushed, each covering the time
	// since the last: at least MinUploadRate; 0 means DefaultUploadRate.
	UploadRate time.Duration
	// Mutex and Block turn on the mutex-contention and blocking profiles
	// (the runtime records neither by default): Start sets
	// runtime.SetMutexProfileFraction(MutexProfileFraction) and
	// runtime.SetBlockProfileRate(BlockProfileRate), Stop puts them back
	// (see Stop). They are pushed when ServerAddress is set and served on
	// PprofAddr either way.
	Mutex bool
	Block bool
	// PprofAddr, when set, is a loopback address (127.0.0.1:6060,
	// [::1]:6060, localhost:6060; port 0 picks a free one) on which
	// net/http/pprof is served under /debug/pprof/; PprofURL says where.
	// Any other address is refused.
	PprofAddr string
	// Logger receives pyroscope-go's messages (a failed upload is an
	// error). nil drops them; Stop still reports a failed last upload.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	// DefaultUploadRate is pyroscope-go's own default.
	DefaultUploadRate = 15 * time.Second
	// MinUploadRate bounds UploadRate from below: each upload is a
	// request per profile type.
	MinUploadRate = time.Second
	// MutexProfileFraction is the mutex profile rate of Config.Mutex:
	// about 1 in 5 contention events is recorded, as pyroscope-go's
	// documentation suggests.
	MutexProfileFraction = 5
	// BlockProfileRate is the block profile rate of Config.Block, in
	// nanoseconds: an event blocked 10 µs or longer is always recorded, a
	// shorter one with a probability of its duration over 10 µs, which
	// keeps the cost low on a service that blocks on channels and
	// sockets all the time.
	BlockProfileRate = 10_000
)

// DefaultConfig holds the values Start gives Config's zero fields: pushed
// every 15 s; no push (ServerAddress empty), no pprof port, no mutex or
// block profile, no labels, no credentials, no logger.
var DefaultConfig = Config{UploadRate: DefaultUploadRate}

// uploadTimeout bounds each push; Stop waits for the last ones.
const uploadTimeout = 10 * time.Second

// pushing is held by the Profiler that pushes: the Go runtime has one CPU
// profiler, and pyroscope-go keeps it running all the time.
var pushing atomic.Bool

// Profiler is a running continuous profiler, from Start until Stop.
type Profiler struct {
	push     *pyroscope.Profiler // nil when nothing is pushed
	uploads  *uploadClient
	srv      *http.Server // the pprof port, nil when none
	served   chan error
	pprofURL string
	mutex    bool
	oldMutex int
	block    bool

	mu      sync.Mutex
	unwatch func() bool // ends the watch on Start's ctx

	stopOnce sync.Once
	stopErr  error
}

// Start starts continuous profiling as cfg says, with grafana/pyroscope-go:
// when cfg.ServerAddress is set, the CPU, allocation (objects and bytes),
// in-use (objects and bytes) and goroutine profiles, and the mutex and
// block profiles when cfg.Mutex and cfg.Block are set, are pushed every
// cfg.UploadRate under cfg.Service with the labels version, env and
// cfg.Tags. One Profiler at a time pushes in a process. When cfg.PprofAddr
// is set, net/http/pprof is served there; its CPU profile
// (/debug/pprof/profile) is pyroscope-go's handler, which works while the
// push holds the CPU profiler (net/http/pprof's answers 500 then).
//
// A bad cfg is a one-line error, and nothing is started. When ctx is done
// the Profiler stops as Stop does, flushing included, in the background; a
// later Stop waits for that and returns its result. Pass
// context.WithoutCancel(ctx) to stop it by Stop alone.
func Start(ctx context.Context, cfg Config) (*Profiler, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("starting profiling: %w", err)
	}
	if cfg.UploadRate == 0 {
		cfg.UploadRate = DefaultConfig.UploadRate
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("starting profiling: %w", err)
	}
	p := &Profiler{mutex: cfg.Mutex, block: cfg.Block}
	if cfg.ServerAddress != "" && !pushing.CompareAndSwap(false, true) {
		return nil, errors.New("starting profiling: another Profiler of this process is pushing (the Go runtime has one CPU profiler)")
	}
	if cfg.PprofAddr != "" {
		if err := p.servePprof(ctx, cfg.PprofAddr); err != nil {
			if cfg.ServerAddress != "" {
				pushing.Store(false)
			}
			return nil, fmt.Errorf("starting profiling: %w", err)
		}
	}
	if p.mutex {
		p.oldMutex = runtime.SetMutexProfileFraction(MutexProfileFraction)
	}
	if p.block {
		runtime.SetBlockProfileRate(BlockProfileRate)
	}
	if cfg.ServerAddress != "" {
		p.uploads = &uploadClient{client: &http.Client{
			Timeout:   uploadTimeout,
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			// As pyroscope-go's own client: a redirect would drop the
			// credentials.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
		pc := pyroscope.Config{
			ApplicationName:   cfg.Service,
			Tags:              cfg.tags(),
			ServerAddress:     cfg.ServerAddress,
			BasicAuthUser:     cfg.BasicAuthUser,
			BasicAuthPassword: cfg.BasicAuthPassword,
			TenantID:          cfg.TenantID,
			UploadRate:        cfg.UploadRate,
			ProfileTypes:      cfg.profileTypes(),
			HTTPClient:        p.uploads,
		}
		if cfg.AuthToken != "" {
			// pyroscope-go's own AuthToken is deprecated and logs so.
			pc.HTTPHeaders = map[string]string{"Authorization": "Bearer " + cfg.AuthToken}
		}
		if cfg.Logger != nil {
			pc.Logger = slogLogger{cfg.Logger.With("from", "pyroscope-go")}
		}
		push, err := pyroscope.Start(pc)
		if err != nil {
			err = fmt.Errorf("starting profiling: pushing to %s: %w", cfg.ServerAddress, err)
			if p.srv != nil {
				err = joinLine(err, p.closePprof())
			}
			p.undo(true)
			return nil, err
		}
		p.push = push
	}
	// Under p.mu: when ctx is already done, the Stop may run at once.
	p.mu.Lock()
	p.unwatch = context.AfterFunc(ctx, func() { _ = p.Stop() })
	p.mu.Unlock()
	return p, nil
}

// PprofURL returns the root of the pprof endpoints Config.PprofAddr asked
// for, with the port bound (http://127.0.0.1:PORT/debug/pprof), which
// Capture takes as its base; "" when there are none.
func (p *Profiler) PprofURL() string {
	if p == nil {
		return ""
	}
	return p.pprofURL
}

// Stop stops profiling: it closes the pprof port (cutting off a CPU
// profile or trace in progress there after 2 s), pushes what was profiled
// since the last upload and waits for the uploads (pyroscope-go's
// Flush(true), each upload bounded by 10 s), stops the client (its Stop),
// and puts the mutex profile fraction back to what it was and the block
// profile rate to 0, the runtime's default (the runtime cannot say what
// it was). It returns an error when one of those last uploads failed. A
// CPU profile in progress through pyroscope-go's handler on another mux
// (a service's own /debug/pprof/profile) holds Stop until it ends.
// Stop is safe to call more than once, and concurrently: every call
// returns the first one's result once it is done. A nil Profiler's Stop
// does nothing.
func (p *Profiler) Stop() error {
	if p == nil {
		return nil
	}
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Profiler) stop() error {
	p.mu.Lock()
	if p.unwatch != nil {
		p.unwatch()
	}
	p.mu.Unlock()
	var errs []error
	if p.srv != nil {
		if err := p.closePprof(); err != nil {
			errs = append(errs, err)
		}
	}
	if p.push != nil {
		p.uploads.stopping()
		p.push.Flush(true)
		if err := p.push.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the push: %w", err))
		}
		if err := p.uploads.err(); err != nil {
			errs = append(errs, err)
		}
	}
	p.undo(p.push != nil)
	if err := joinLine(errs...); err != nil {
		return fmt.Errorf("stopping profiling: %w", err)
	}
	return nil
}

// joinLine is errors.Join on one line: the non-nil errs, separated by
// "; ".
func joinLine(errs ...error) error {
	var l lineErrors
	for _, err := range errs {
		if err != nil {
			l = append(l, err)
		}
	}
	if len(l) == 0 {
		return nil
	}
	return l
}

type lineErrors []error

func (l lineErrors) Error() string {
	s := make([]string, len(l))
	for i, err := range l {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (l lineErrors) Unwrap() []error { return l }

// undo puts back the runtime's rates and releases the push.
func (p *Profiler) undo(pushed bool) {
	if p.mutex {
		runtime.SetMutexProfileFraction(p.oldMutex)
	}
	if p.block {
		runtime.SetBlockProfileRate(0)
	}
	if pushed {
		pushing.Store(false)
	}
}

// servePprof serves net/http/pprof on addr, which must be on loopback.
func (p *Profiler) servePprof(ctx context.Context, addr string) error {
	if err := checkListenAddr(addr); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("serving pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", httppprof.Index) // heap, allocs, goroutine, block, mutex, threadcreate
	mux.HandleFunc("/debug/pprof/cmdline", httppprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pyroscopepprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", httppprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)
	// No WriteTimeout: profile?seconds=N answers after N seconds.
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	p.served = make(chan error, 1)
	p.pprofURL = "http://" + ln.Addr().String() + "/debug/pprof"
	go func() { p.served <- p.srv.Serve(ln) }()
	return nil
}

// closePprof shuts the pprof port down, waiting 2 s for requests in
// flight.
func (p *Profiler) closePprof() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		_ = p.srv.Close()
	}
	if err := <-p.served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving pprof on %s: %w", p.pprofURL, err)
	}
	return nil
}

// checkListenAddr accepts a host:port whose host is localhost or a
// loopback IP: the pprof port shows the process's memory and command line
// to whoever connects.
func checkListenAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("PprofAddr %q: want host:port on loopback, such as 127.0.0.1:6060", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().IsLoopback() {
		return nil
	}
	return fmt.Errorf("PprofAddr %q: %w (use 127.0.0.1 or [::1])", addr, loopback.ErrNotLoopback)
}

// check says what is wrong with c, in one line; c.UploadRate is set.
func (c Config) check() error {
	if c.PprofAddr != "" {
		if err := checkListenAddr(c.PprofAddr); err != nil {
			return err
		}
	}
	if c.ServerAddress == "" {
		return nil
	}
	u, err := url.Parse(c.ServerAddress)
	switch {
	case err != nil:
		return fmt.Errorf("ServerAddress: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("ServerAddress %q: want an http or https URL", c.ServerAddress)
	case u.Host == "":
		return fmt.Errorf("ServerAddress %q: no host", c.ServerAddress)
	case u.User != nil:
		return fmt.Errorf("ServerAddress %q: credentials go in BasicAuthUser and BasicAuthPassword, not the URL", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("ServerAddress %q: no query or fragment, the client adds its own", c.ServerAddress)
	case c.Service == "":
		return errors.New("Service is required when ServerAddress is set")
	case strings.IndexFunc(c.Service, notServiceRune) >= 0:
		return fmt.Errorf("Service %q: only letters, digits and _ . / - are allowed", c.Service)
	case c.UploadRate < MinUploadRate:
		return fmt.Errorf("UploadRate %v: want at least %v", c.UploadRate, MinUploadRate)
	case (c.BasicAuthUser == "") != (c.BasicAuthPassword == ""):
		return errors.New("BasicAuthUser and BasicAuthPassword go together")
	case c.BasicAuthUser != "" && c.AuthToken != "":
		return errors.New("BasicAuthUser and AuthToken: set one, not both")
	}
	if err := checkLabelValue("Version", c.Version, true); err != nil {
		return err
	}
	if err := checkLabelValue("Environment", c.Environment, true); err != nil {
		return err
	}
	for k, v := range c.Tags {
		switch {
		case k == "version" || k == "env":
			return fmt.Errorf("Tags[%q]: set Version or Environment instead", k)
		case k == "" || strings.HasPrefix(k, "__") || strings.IndexFunc(k, notLabelRune) >= 0:
			return fmt.Errorf("Tags[%q]: a key is letters, digits, _ and ., not starting with __", k)
		}
		if err := checkLabelValue(fmt.Sprintf("Tags[%q]", k), v, false); err != nil {
			return err
		}
	}
	return nil
}

// checkLabelValue refuses what the label set in the pushed name
// (service{k=v,...}) cannot carry; it has no escapes.
func checkLabelValue(what, v string, emptyOK bool) error {
	switch {
	case v == "" && !emptyOK:
		return fmt.Errorf("%s: empty value", what)
	case strings.ContainsAny(v, "{}=,\n\r"):
		return fmt.Errorf("%s %q: none of {}=, or a newline is allowed", what, v)
	}
	return nil
}

func notLabelRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.')
}

func notServiceRune(r rune) bool {
	return notLabelRune(r) && r != '/' && r != '-'
}

// tags are the labels of every profile.
func (c Config) tags() map[string]string {
	t := make(map[string]string, len(c.Tags)+2)
	for k, v := range c.Tags {
		t[k] = v
	}
	if c.Version != "" {
		t["version"] = c.Version
	}
	if c.Environment != "" {
		t["env"] = c.Environment
	}
	return t
}

// profileTypes are the profiles pushed.
func (c Config) profileTypes() []pyroscope.ProfileType {
	ts := []pyroscope.ProfileType{
		pyroscope.ProfileCPU,
		pyroscope.ProfileAllocObjects,
		pyroscope.ProfileAllocSpace,
		pyroscope.ProfileInuseObjects,
		pyroscope.ProfileInuseSpace,
		pyroscope.ProfileGoroutines,
	}
	if c.Mutex {
		ts = append(ts, pyroscope.ProfileMutexCount, pyroscope.ProfileMutexDuration)
	}
	if c.Block {
		ts = append(ts, pyroscope.ProfileBlockCount, pyroscope.ProfileBlockDuration)
	}
	return ts
}

// uploadClient is pyroscope-go's HTTP client: it records the uploads that
// fail once Stop has begun, which Stop reports (pyroscope-go only logs
// them).
type uploadClient struct {
	client *http.Client

	mu          sync.Mutex
	atStop      bool
	sent, fails int
	first       error
}

// Do sends req and notes whether it failed.
func (c *uploadClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.client.Do(req)
	where := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path // without the query, which is long
	var fail error
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			fail = fmt.Errorf("posting to %s: %w", where, ue.Err)
		} else {
			fail = fmt.Errorf("posting to %s: %w", where, err)
		}
	case resp.StatusCode != http.StatusOK:
		fail = fmt.Errorf("posting to %s: %s", where, resp.Status)
	}
	c.mu.Lock()
	if c.atStop {
		c.sent++
		if fail != nil {
			c.fails++
			if c.first == nil {
				c.first = fail
			}
		}
	}
	c.mu.Unlock()
	return resp, err
}

// stopping starts the count of the last uploads.
func (c *uploadClient) stopping() {
	c.mu.Lock()
	c.atStop = true
	c.mu.Unlock()
}

// err reports the last uploads that failed.
func (c *uploadClient) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fails == 0 {
		return nil
	}
	return fmt.Errorf("%d of the last %d uploads failed, the first: %w", c.fails, c.sent, c.first)
}

// slogLogger is pyroscope-go's Logger on a *slog.Logger.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Infof(format string, args ...any)  { s.l.Info(fmt.Sprintf(format, args...)) }
func (s slogLogger) Debugf(format string, args ...any) { s.l.Debug(fmt.Sprintf(format, args...)) }
func (s slogLogger) Errorf(format string, args ...any) { s.l.Error(fmt.Sprintf(format, args...)) }
