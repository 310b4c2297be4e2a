package profiler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/loopback"
)

// upload is one push as the receiver saw it.
type upload struct {
	service string
	labels  map[string]string
	header  http.Header
	prof    *profile.Profile
}

// kind names the profile by its first sample type, the way a Pyroscope
// server files it: samples (CPU), alloc_objects (heap), goroutine(s),
// contentions (mutex and block).
func (u upload) kind() string {
	if len(u.prof.SampleType) == 0 {
		return ""
	}
	return u.prof.SampleType[0].Type
}

// receiver stands in for perfgate watch or a Pyroscope server: it takes
// POST /ingest?name=service{k=v,...} with the profile in the multipart
// part "profile", as pyroscope-go sends it (see
// /work/shared/fixtures/pyroscope/README.md), checks and records it.
type receiver struct {
	*httptest.Server
	path   string // where pushes go: /ingest below the ServerAddress
	status int    // the answer to every push

	mu      sync.Mutex
	uploads []upload
	bad     []string // pushes that were not what pyroscope-go sends
}

func newReceiver(t *testing.T, path string, status int) *receiver {
	t.Helper()
	r := &receiver{path: path, status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	t.Cleanup(func() {
		for _, b := range r.badPushes() {
			t.Errorf("receiver: %s", b)
		}
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	u, err := readUpload(req, r.path)
	r.mu.Lock()
	if err != nil {
		r.bad = append(r.bad, err.Error())
	} else {
		r.uploads = append(r.uploads, u)
	}
	r.mu.Unlock()
	w.WriteHeader(r.status)
}

func readUpload(req *http.Request, path string) (upload, error) {
	if req.Method != http.MethodPost || req.URL.Path != path {
		return upload{}, fmt.Errorf("%s %s, want POST %s", req.Method, req.URL.Path, path)
	}
	q := req.URL.Query()
	name := q.Get("name")
	service, labels, err := parseName(name)
	if err != nil {
		return upload{}, err
	}
	for _, k := range []string{"from", "until", "spyName", "sampleRate"} {
		if q.Get(k) == "" {
			return upload{}, fmt.Errorf("%s: no %s in the query", name, k)
		}
	}
	if err := req.ParseMultipartForm(32 << 20); err != nil {
		return upload{}, fmt.Errorf("%s: reading the multipart body: %v", name, err)
	}
	f, _, err := req.FormFile("profile")
	if err != nil {
		return upload{}, fmt.Errorf("%s: part profile: %v", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return upload{}, fmt.Errorf("%s: reading part profile: %v", name, err)
	}
	p, err := profile.Parse(bytes.NewReader(data))
	if err != nil {
		return upload{}, fmt.Errorf("%s: part profile: %v", name, err)
	}
	return upload{service: service, labels: labels, header: req.Header.Clone(), prof: p}, nil
}

// parseName splits service{k=v,...}.
func parseName(name string) (string, map[string]string, error) {
	service, rest, ok := strings.Cut(name, "{")
	if !ok || !strings.HasSuffix(rest, "}") {
		return "", nil, fmt.Errorf("name %q: want service{k=v,...}", name)
	}
	labels := map[string]string{}
	for kv := range strings.SplitSeq(strings.TrimSuffix(rest, "}"), ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", nil, fmt.Errorf("name %q: label %q without =", name, kv)
		}
		labels[k] = v
	}
	return service, labels, nil
}

func (r *receiver) got() []upload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]upload(nil), r.uploads...)
}

func (r *receiver) badPushes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

// ofKind returns the uploads of kind.
func (r *receiver) ofKind(kind string) []upload {
	var us []upload
	for _, u := range r.got() {
		if u.kind() == kind {
			us = append(us, u)
		}
	}
	return us
}

// waitFor waits up to d for an upload of each kind.
func (r *receiver) waitFor(t *testing.T, d time.Duration, kinds ...string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var missing []string
		for _, k := range kinds {
			if len(r.ofKind(k)) == 0 {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %v upload within %v; got %d uploads", missing, d, len(r.got()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// burnCPU hashes until stop is closed.
func burnCPU(stop <-chan struct{}) {
	b := make([]byte, 4096)
	for {
		select {
		case <-stop:
			return
		default:
		}
		s := sha256.Sum256(b)
		b[0] = s[0]
	}
}

// burnFor burns one core for d.
func burnFor(d time.Duration) {
	stop := make(chan struct{})
	time.AfterFunc(d, func() { close(stop) })
	burnCPU(stop)
}

// cpuIn returns the CPU time of the samples with fn on their stack.
func cpuIn(p *profile.Profile, fn string) time.Duration {
	i := -1
	for j, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			i = j
		}
	}
	if i < 0 {
		return 0
	}
	var total int64
	for _, s := range p.Sample {
		if onStack(s, fn) {
			total += s.Value[i]
		}
	}
	return time.Duration(total)
}

func onStack(s *profile.Sample, fn string) bool {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function != nil && strings.HasSuffix(l.Function.Name, fn) {
				return true
			}
		}
	}
	return false
}

func sampleTypes(p *profile.Profile) string {
	var s []string
	for _, st := range p.SampleType {
		s = append(s, st.Type+"/"+st.Unit)
	}
	return strings.Join(s, " ")
}

// checkLabels checks every upload's name and labels, and the headers.
func checkLabels(t *testing.T, us []upload, service string, labels map[string]string, header map[string]string) {
	t.Helper()
	for _, u := range us {
		if u.service != service {
			t.Errorf("%s upload: service %q, want %q", u.kind(), u.service, service)
		}
		for k, v := range labels {
			if u.labels[k] != v {
				t.Errorf("%s upload: label %s=%q, want %q (labels %v)", u.kind(), k, u.labels[k], v, u.labels)
			}
		}
		for k, v := range header {
			if got := u.header.Get(k); got != v {
				t.Errorf("%s upload: header %s %q, want %q", u.kind(), k, got, v)
			}
		}
	}
}

// A real push, as a service in staging makes it: every profile type, on
// time, named and labelled; the pprof port answers a CPU profile while the
// push holds the CPU profiler; Stop puts the mutex rate back.
func TestStartPushes(t *testing.T) {
	rec := newReceiver(t, "/ingest", http.StatusOK)
	mutexBefore := runtime.SetMutexProfileFraction(-1)
	p, err := Start(t.Context(), Config{
		ServerAddress:     rec.URL,
		Service:           "perfgate.test",
		Version:           "v2",
		Environment:       "staging",
		Tags:              map[string]string{"region": "local"},
		BasicAuthUser:     "u",
		BasicAuthPassword: "p",
		TenantID:          "t1",
		UploadRate:        time.Second,
		Mutex:             true,
		PprofAddr:         "127.0.0.1:0",
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer p.Stop()
	if got := runtime.SetMutexProfileFraction(-1); got != MutexProfileFraction {
		t.Errorf("mutex profile fraction %d while profiling, want %d", got, MutexProfileFraction)
	}

	stop := make(chan struct{})
	go burnCPU(stop)
	cpu, _, err := Capture(t.Context(), p.PprofURL(), CPU, time.Second)
	close(stop)
	if err != nil {
		t.Fatalf("capturing a CPU profile from the pprof port while pushing: %v", err)
	}
	if d := cpuIn(cpu, "profiler.burnCPU"); d < 100*time.Millisecond {
		t.Errorf("pprof port's CPU profile: %v in burnCPU, want most of a second", d)
	}
	// Uploads come every second, without Stop.
	rec.waitFor(t, 5*time.Second, "samples", "alloc_objects", "goroutine", "contentions")

	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if got := runtime.SetMutexProfileFraction(-1); got != mutexBefore {
		t.Errorf("mutex profile fraction %d after Stop, want %d as before", got, mutexBefore)
	}

	us := rec.got()
	checkLabels(t, us, "perfgate.test",
		map[string]string{"version": "v2", "env": "staging", "region": "local"},
		map[string]string{"Authorization": "Basic dTpw", "X-Scope-Orgid": "t1"})
	var burnt time.Duration
	for _, u := range rec.ofKind("samples") {
		if got := sampleTypes(u.prof); got != "samples/count cpu/nanoseconds" {
			t.Errorf("CPU upload: sample types %s", got)
		}
		burnt += cpuIn(u.prof, "profiler.burnCPU")
	}
	if burnt < 100*time.Millisecond {
		t.Errorf("CPU uploads: %v in burnCPU, want most of a second", burnt)
	}
	for _, u := range rec.ofKind("alloc_objects") {
		if got := sampleTypes(u.prof); got != "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes" {
			t.Errorf("heap upload: sample types %s", got)
		}
	}
}

// Stop pushes what was profiled since the last upload: with uploads a
// minute apart, the profiles are there once Stop returns.
func TestStopFlushes(t *testing.T) {
	rec := newReceiver(t, "/base/ingest", http.StatusOK)
	p, err := Start(t.Context(), Config{
		ServerAddress: rec.URL + "/base", // a path prefix is kept
		Service:       "perfgate.test",
		AuthToken:     "tok",
		UploadRate:    time.Minute,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	burnFor(300 * time.Millisecond)
	if n := len(rec.got()); n != 0 {
		t.Fatalf("%d uploads before Stop, with uploads a minute apart", n)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	cpu := rec.ofKind("samples")
	if len(cpu) == 0 || len(rec.ofKind("alloc_objects")) == 0 {
		t.Fatalf("after Stop: %d CPU and %d heap uploads, want both", len(cpu), len(rec.ofKind("alloc_objects")))
	}
	var burnt time.Duration
	for _, u := range cpu {
		burnt += cpuIn(u.prof, "profiler.burnCPU")
	}
	if burnt == 0 {
		t.Errorf("the CPU uploads at Stop hold no burnCPU samples")
	}
	checkLabels(t, rec.got(), "perfgate.test", nil, map[string]string{"Authorization": "Bearer tok"})
	for _, u := range rec.got() {
		if _, ok := u.labels["version"]; ok {
			t.Errorf("version label %q without Version", u.labels["version"])
		}
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// When Start's context is done the profiler stops and flushes by itself;
// Stop then returns that result, and the push is free for another
// Profiler, which only one at a time may hold.
func TestStartStopsWithContext(t *testing.T) {
	rec := newReceiver(t, "/ingest", http.StatusOK)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg := Config{ServerAddress: rec.URL, Service: "perfgate.test", UploadRate: time.Minute}
	p, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if _, err := Start(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "another Profiler") {
		t.Fatalf("a second pushing Start = %v, want an error saying one is pushing", err)
	}
	burnFor(100 * time.Millisecond)
	cancel()
	rec.waitFor(t, 5*time.Second, "samples", "alloc_objects")
	if err := p.Stop(); err != nil {
		t.Errorf("Stop after the context's stop: %v", err)
	}
	p2, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Start after the first stopped: %v", err)
	}
	if err := p2.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// Uploads that fail at Stop are Stop's error, on one line.
func TestStopReportsFailedUploads(t *testing.T) {
	rec := newReceiver(t, "/ingest", http.StatusServiceUnavailable)
	p, err := Start(t.Context(), Config{ServerAddress: rec.URL, Service: "perfgate.test", UploadRate: time.Minute})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	burnFor(50 * time.Millisecond)
	err = p.Stop()
	if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Stop with a receiver answering 503 = %v, want one line naming the 503", err)
	}
	if strings.Contains(err.Error(), "name=") {
		t.Errorf("Stop's error holds the upload's query: %v", err)
	}
	if len(rec.got()) == 0 {
		t.Errorf("no upload reached the receiver")
	}
	if again := p.Stop(); again == nil || again.Error() != err.Error() {
		t.Errorf("second Stop = %v, want the first's %v", again, err)
	}
}

// The pprof port alone: a valid heap profile, then nothing once stopped.
func TestPprofPort(t *testing.T) {
	p, err := Start(t.Context(), Config{PprofAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	base := p.PprofURL()
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/debug/pprof") || strings.HasSuffix(base, ":0/debug/pprof") {
		t.Fatalf("PprofURL() = %q, want http://127.0.0.1:PORT/debug/pprof", base)
	}
	heap, data, err := Capture(t.Context(), base, Heap, 0)
	if err != nil {
		t.Fatalf("capturing the heap profile: %v", err)
	}
	if !strings.Contains(sampleTypes(heap), "inuse_space/bytes") || len(data) < 2 || data[0] != 0x1f {
		t.Errorf("heap profile: sample types %s, %d bytes", sampleTypes(heap), len(data))
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	index, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"heap", "goroutine", "mutex", "block", "profile", "trace"} {
		if !bytes.Contains(index, []byte(want)) {
			t.Errorf("the index at %s/ does not list %s", base, want)
		}
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, _, err := Capture(t.Context(), base, Heap, 0); err == nil {
		t.Errorf("the pprof port still answers after Stop")
	}
}

// A zero Config starts nothing, and a nil Profiler stops.
func TestStartZeroConfig(t *testing.T) {
	p, err := Start(t.Context(), Config{})
	if err != nil || p == nil {
		t.Fatalf("Start(Config{}) = %v, %v", p, err)
	}
	if p.PprofURL() != "" {
		t.Errorf("PprofURL() = %q without PprofAddr", p.PprofURL())
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	var nilp *Profiler
	if err := nilp.Stop(); err != nil || nilp.PprofURL() != "" {
		t.Errorf("nil Profiler: Stop %v, PprofURL %q", err, nilp.PprofURL())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Start(ctx, Config{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a cancelled context = %v", err)
	}
}

// A bad Config is a one-line error, and Start changes nothing.
func TestStartBadConfig(t *testing.T) {
	ok := Config{ServerAddress: "http://127.0.0.1:1", Service: "svc", Mutex: true}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no service", func(c *Config) { c.Service = "" }, "Service is required when ServerAddress is set"},
		{"service with a space", func(c *Config) { c.Service = "shop cart" }, `Service "shop cart": only letters`},
		{"service with a brace", func(c *Config) { c.Service = "svc{a=b}" }, "only letters"},
		{"not a URL", func(c *Config) { c.ServerAddress = "http://[::1" }, "ServerAddress: parse"},
		{"no scheme", func(c *Config) { c.ServerAddress = "127.0.0.1:4040" }, "ServerAddress"},
		{"ftp", func(c *Config) { c.ServerAddress = "ftp://pyroscope:4040" }, "want an http or https URL"},
		{"no host", func(c *Config) { c.ServerAddress = "http:///ingest" }, "no host"},
		{"credentials in the URL", func(c *Config) { c.ServerAddress = "http://u:secret@pyroscope:4040" }, "credentials go in BasicAuthUser"},
		{"query", func(c *Config) { c.ServerAddress = "http://pyroscope:4040/?name=x" }, "no query or fragment"},
		{"upload rate too short", func(c *Config) { c.UploadRate = 100 * time.Millisecond }, "UploadRate 100ms: want at least 1s"},
		{"negative upload rate", func(c *Config) { c.UploadRate = -time.Second }, "UploadRate -1s"},
		{"user without password", func(c *Config) { c.BasicAuthUser = "u" }, "BasicAuthUser and BasicAuthPassword go together"},
		{"password without user", func(c *Config) { c.BasicAuthPassword = "p" }, "go together"},
		{"basic and token", func(c *Config) { c.BasicAuthUser, c.BasicAuthPassword, c.AuthToken = "u", "p", "t" }, "not both"},
		{"version with a comma", func(c *Config) { c.Version = "v1,v2" }, `Version "v1,v2": none of`},
		{"environment with a newline", func(c *Config) { c.Environment = "stag\ning" }, "Environment"},
		{"tag key with a dash", func(c *Config) { c.Tags = map[string]string{"my-tag": "x"} }, `Tags["my-tag"]: a key is`},
		{"reserved tag key", func(c *Config) { c.Tags = map[string]string{"__name__": "x"} }, "not starting with __"},
		{"version as a tag", func(c *Config) { c.Tags = map[string]string{"version": "v1"} }, "set Version or Environment instead"},
		{"empty tag value", func(c *Config) { c.Tags = map[string]string{"region": ""} }, `Tags["region"]: empty value`},
		{"tag value with a brace", func(c *Config) { c.Tags = map[string]string{"region": "}"} }, "none of"},
		{"pprof on every interface", func(c *Config) { c.PprofAddr = "0.0.0.0:0" }, `PprofAddr "0.0.0.0:0": not a loopback address`},
		{"pprof without a host", func(c *Config) { c.PprofAddr = ":6060" }, "not a loopback address"},
		{"pprof on a LAN address", func(c *Config) { c.PprofAddr = "192.0.2.1:6060" }, "not a loopback address"},
		{"pprof on a name", func(c *Config) { c.PprofAddr = "example.com:6060" }, "not a loopback address"},
		{"pprof without a port", func(c *Config) { c.PprofAddr = "127.0.0.1" }, "want host:port"},
		{"pprof alone on a LAN address", func(c *Config) { *c = Config{PprofAddr: "10.0.0.1:6060"} }, "not a loopback address"},
	}
	mutexBefore := runtime.SetMutexProfileFraction(-1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			p, err := Start(t.Context(), cfg)
			if err == nil {
				p.Stop()
				t.Fatalf("Start: no error, want one containing %q", tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "starting profiling: ") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("Start: %q, want one line starting %q containing %q", msg, "starting profiling: ", tt.want)
			}
			if strings.HasPrefix(tt.name, "pprof") && strings.Contains(tt.want, "loopback") && !errors.Is(err, loopback.ErrNotLoopback) {
				t.Errorf("Start: %v does not wrap loopback.ErrNotLoopback", err)
			}
			if strings.Contains(msg, "secret") {
				t.Errorf("Start: %q shows the password", msg)
			}
		})
	}
	if got := runtime.SetMutexProfileFraction(-1); got != mutexBefore {
		t.Errorf("mutex profile fraction %d after refused Starts, want %d", got, mutexBefore)
	}
	// None of them kept the push.
	p, err := Start(t.Context(), Config{ServerAddress: "http://127.0.0.1:1", Service: "svc", UploadRate: time.Minute})
	if err != nil {
		t.Fatalf("Start after refused Starts: %v", err)
	}
	if err := p.Stop(); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Stop with nothing listening at ServerAddress = %v, want connection refused", err)
	}
}
