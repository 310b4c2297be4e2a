package watch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/grafana/pyroscope-go"

	"github.com/perfgate/perfgate/store"
)

// basic is the fixtures' credentials (u:p).
var basic = Auth{User: "u", Password: "p"}

func newReceiver(t testing.TB, auth Auth, limits Limits) (*Receiver, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Receiver{Store: st, Auth: auth, Limits: limits}, st
}

// replay sends f to addr byte for byte, as pyroscope-go sent it, and
// returns the answer and its body.
func replay(t testing.TB, addr string, f fixture) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := strings.ReplaceAll(string(f.head), "\n", "\r\n") + "\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(f.body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// inclusive is the total of sample type typ of the samples with fn on
// their stack.
func inclusive(p *profile.Profile, typ, fn string) int64 {
	i := -1
	for j, st := range p.SampleType {
		if st.Type == typ {
			i = j
		}
	}
	var n int64
	for _, s := range p.Sample {
	stack:
		for _, loc := range s.Location {
			for _, l := range loc.Line {
				if l.Function != nil && l.Function.Name == fn {
					n += s.Value[i]
					break stack
				}
			}
		}
	}
	return n
}

// TestReplayFixtures sends each recorded push of pyroscope-go, byte for
// byte, to a receiver on a real listener, and reads it back from the
// store.
func TestReplayFixtures(t *testing.T) {
	ctx := context.Background()
	rc, st := newReceiver(t, basic, Limits{})
	mux := http.NewServeMux()
	mux.Handle("/ingest", rc)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ns := func(n int64) time.Time { return time.Unix(0, n) }
	for _, tc := range []struct {
		kind        string
		typ         string
		from, until time.Time
		totals      string
		inclusive   map[string]int64 // of the last sample type
	}{
		{"cpu", "cpu", ns(1795631129678422539), ns(1795631134687757682), "[samples/count/sum/498 cpu/nanoseconds/sum/4980000000]",
			map[string]int64{"main.burnSHA": 3730000000, "main.burnLoop": 1220000000, "main.allocHeap": 10000000, "main.main": 4960000000}},
		{"heap", "alloc_space", ns(1795631134678313839), ns(1795631139678313092),
			"[alloc_objects/count/sum/10 alloc_space/bytes/sum/10914269 inuse_objects/count/average/1109 inuse_space/bytes/average/15669438]",
			map[string]int64{"main.allocHeap": 13339663}},
		{"cpu-empty", "cpu", ns(1795631140885106357), ns(1795631140886513275), "[samples/count/sum/0 cpu/nanoseconds/sum/0]", nil},
	} {
		f := loadFixture(t, tc.kind)
		before := time.Now()
		resp, body := replay(t, srv.Listener.Addr().String(), f)
		if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Type") != "" {
			t.Fatalf("%s: %s %q, Content-Type %q; want 200, an empty body and none", tc.kind, resp.Status, body, resp.Header.Get("Content-Type"))
		}
		ps, err := st.Profiles(ctx, store.Query{
			Service: "pyrotest.app",
			Labels:  map[string]string{"version": "v1", "env": "staging"},
			Type:    tc.typ,
			From:    tc.from, Until: tc.until.Add(time.Nanosecond),
		})
		if err != nil {
			t.Fatal(err)
		}
		var p store.Profile
		for _, q := range ps {
			if q.From.Equal(tc.from) {
				p = q
			}
		}
		if p.ID == 0 {
			t.Fatalf("%s: not in the store (%d profiles of the window)", tc.kind, len(ps))
		}
		if fmt.Sprint(p.Labels) != "map[env:staging version:v1]" {
			t.Errorf("%s: labels %v, want env=staging and version=v1 alone", tc.kind, p.Labels)
		}
		if !p.From.Equal(tc.from) || !p.Until.Equal(tc.until) {
			t.Errorf("%s: window %v to %v, want %v to %v", tc.kind, p.From, p.Until, tc.from, tc.until)
		}
		if p.Received.Before(before) || p.Received.After(time.Now()) {
			t.Errorf("%s: received at %v, not during the push", tc.kind, p.Received)
		}
		var totals []string
		for _, ty := range p.Types {
			totals = append(totals, fmt.Sprintf("%s/%s/%s/%d", ty.Name, ty.Unit, ty.Aggregation, ty.Total))
		}
		if fmt.Sprint(totals) != tc.totals {
			t.Errorf("%s: sample types %v\nwant %s", tc.kind, totals, tc.totals)
		}
		pp, err := profile.Parse(bytes.NewReader(p.Data))
		if err != nil {
			t.Fatalf("%s: the stored data: %v", tc.kind, err)
		}
		last := pp.SampleType[len(pp.SampleType)-1].Type
		for fn, want := range tc.inclusive {
			if got := inclusive(pp, last, fn); got != want {
				t.Errorf("%s: %s inclusive %s %d, want %d", tc.kind, fn, last, got, want)
			}
		}
	}

	// The CPU profiles, the empty one included, merge.
	merged, err := st.Merge(ctx, store.Query{Service: "pyrotest.app", Labels: map[string]string{"version": "v1"}, Type: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	if got := inclusive(merged, "cpu", "main.burnSHA"); got != 3730000000 {
		t.Errorf("merged CPU profiles: main.burnSHA %d, want 3730000000", got)
	}
	for _, q := range []struct{ label, want string }{{"version", "[v1]"}, {"env", "[staging]"}, {"__session_id__", "[]"}, {"otel.scope.name", "[]"}} {
		if got, err := st.LabelValues(ctx, "pyrotest.app", q.label); err != nil || fmt.Sprint(got) != q.want {
			t.Errorf("LabelValues(%s) = %v, %v; want %s", q.label, got, err, q.want)
		}
	}
}

func TestReceiverRefuses(t *testing.T) {
	cpu := loadFixture(t, "cpu")
	for _, tc := range []struct {
		name    string
		auth    Auth
		limits  Limits
		change  func(r *http.Request)
		status  int
		want    string
		headers map[string]string
	}{
		{name: "GET", auth: basic, change: func(r *http.Request) { r.Method = http.MethodGet }, status: 405, want: "method GET", headers: map[string]string{"Allow": "POST"}},
		{name: "PUT", auth: basic, change: func(r *http.Request) { r.Method = http.MethodPut }, status: 405, want: "method PUT"},
		{name: "no credentials", auth: basic, change: func(r *http.Request) { r.Header.Del("Authorization") }, status: 401, want: "missing or wrong credentials",
			headers: map[string]string{"WWW-Authenticate": `Basic realm="perfgate watch", charset="UTF-8"`}},
		{name: "wrong password", auth: basic, change: func(r *http.Request) { r.SetBasicAuth("u", "q") }, status: 401, want: "missing or wrong credentials"},
		{name: "wrong user", auth: basic, change: func(r *http.Request) { r.SetBasicAuth("v", "p") }, status: 401, want: "missing or wrong credentials"},
		{name: "basic when a token is required", auth: Auth{Token: "s3cret"}, status: 401, want: "missing or wrong credentials"},
		{name: "wrong token", auth: Auth{Token: "s3cret"}, change: func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3creT") }, status: 401, want: "missing or wrong credentials"},
		{name: "token when basic is required", auth: basic, change: func(r *http.Request) { r.Header.Set("Authorization", "Bearer u:p") }, status: 401, want: "missing or wrong credentials"},
		{name: "malformed name", auth: basic, change: func(r *http.Request) { setQuery(r, "name", "pyrotest.app{version=v1") }, status: 400, want: "no closing brace"},
		{name: "too many labels", auth: basic, limits: Limits{MaxLabels: 1}, status: 400, want: "name: 2 labels, more than 1"},
		{name: "truncated body", auth: basic, change: func(r *http.Request) { setBody(r, cpu.body[:len(cpu.body)-100]) }, status: 400, want: "unexpected EOF"},
		{name: "garbage profile", auth: basic, change: func(r *http.Request) {
			r.Header.Set("Content-Type", "application/octet-stream")
			setBody(r, []byte("GIF89a not a profile"))
		}, status: 400, want: "not a pprof profile"},
		{name: "oversized body", auth: basic, limits: Limits{MaxBodyBytes: 3000}, status: 413, want: "too large"},
		{name: "oversized body, no Content-Length", auth: basic, limits: Limits{MaxBodyBytes: 3000}, change: func(r *http.Request) {
			r.ContentLength = -1
			r.Body = io.NopCloser(bytes.NewReader(cpu.body))
		}, status: 413, want: "too large"},
		{name: "unknown format", auth: basic, change: func(r *http.Request) { setQuery(r, "format", "speedscope") }, status: 400, want: `format "speedscope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, st := newReceiver(t, tc.auth, tc.limits)
			r := cpu.request(t, nil, nil)
			if tc.change != nil {
				tc.change(r)
			}
			w := httptest.NewRecorder()
			rc.ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != tc.status || !strings.Contains(body, tc.want) || strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") {
				t.Errorf("%d %q, want %d and one line with %q", w.Code, body, tc.status, tc.want)
			}
			for k, v := range tc.headers {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if ps, err := st.Profiles(context.Background(), store.Query{}); err != nil || len(ps) != 0 {
				t.Errorf("a refused push stored %d profiles (%v)", len(ps), err)
			}
		})
	}
}

func setQuery(r *http.Request, k, v string) {
	q := r.URL.Query()
	q.Set(k, v)
	r.URL.RawQuery = q.Encode()
}

func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
}

func TestReceiverAccepts(t *testing.T) {
	ctx := context.Background()
	cpu := loadFixture(t, "cpu")
	from := time.Unix(0, 1795631129678422539)
	for _, tc := range []struct {
		name   string
		auth   Auth
		change func(r *http.Request)
		check  func(t *testing.T, p store.Profile)
	}{
		{name: "as pushed", auth: basic},
		{name: "until before from", auth: basic, change: func(r *http.Request) { setQuery(r, "until", "1795631120000000000") },
			check: func(t *testing.T, p store.Profile) {
				if !p.From.Equal(from) || !p.Until.Equal(from) {
					t.Errorf("window %v to %v, want the instant %v", p.From, p.Until, from)
				}
			}},
		{name: "seconds", auth: basic, change: func(r *http.Request) { setQuery(r, "from", "1795631129"); setQuery(r, "until", "1795631134") },
			check: func(t *testing.T, p store.Profile) {
				if !p.From.Equal(time.Unix(1795631129, 0)) || !p.Until.Equal(time.Unix(1795631134, 0)) {
					t.Errorf("window %v to %v", p.From, p.Until)
				}
			}},
		{name: "bearer token", auth: Auth{Token: "s3cret"}, change: func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }},
		{name: "token or basic, basic", auth: Auth{Token: "s3cret", User: "u", Password: "p"}},
		{name: "no auth configured, credentials ignored", auth: Auth{}},
		{name: "tenant not recorded", auth: basic, change: func(r *http.Request) { r.Header.Set("X-Scope-OrgID", "other") },
			check: func(t *testing.T, p store.Profile) {
				if fmt.Sprint(p.Labels) != "map[env:staging version:v1]" {
					t.Errorf("labels %v", p.Labels)
				}
			}},
		{name: "raw pprof body", auth: basic, change: func(r *http.Request) {
			r.Header.Set("Content-Type", "application/octet-stream")
			setBody(r, cpu.profilePart(t))
		}, check: func(t *testing.T, p store.Profile) {
			if ty, _ := p.Type("cpu"); ty.Total != 4980000000 {
				t.Errorf("cpu total %d", ty.Total)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, st := newReceiver(t, tc.auth, Limits{})
			r := cpu.request(t, nil, nil)
			if tc.change != nil {
				tc.change(r)
			}
			w := httptest.NewRecorder()
			rc.ServeHTTP(w, r)
			if w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Fatalf("%d %q, want 200 and no body", w.Code, w.Body)
			}
			ps, err := st.Profiles(ctx, store.Query{Service: "pyrotest.app", Type: "cpu"})
			if err != nil || len(ps) != 1 {
				t.Fatalf("%d profiles stored (%v), want 1", len(ps), err)
			}
			if tc.check != nil {
				tc.check(t, ps[0])
			}
		})
	}
}

func TestReceiverMaxSeries(t *testing.T) {
	cpu := loadFixture(t, "cpu")
	rc, st := newReceiver(t, basic, Limits{MaxSeries: 2})
	for _, tc := range []struct {
		name   string
		status int
	}{
		{"pyrotest.app{version=v1}", 200},
		{"pyrotest.app{version=v2}", 200},
		{"pyrotest.app{version=v3}", 429},
		{"other.app", 429},
		{"pyrotest.app{version=v1,__session_id__=2}", 200}, // the series of the first
	} {
		r := cpu.request(t, map[string]string{"name": tc.name}, nil)
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("%s: %d %q, want %d", tc.name, w.Code, w.Body, tc.status)
		}
	}
	series, err := st.Series(context.Background())
	if err != nil || len(series) != 2 {
		t.Errorf("%d series (%v), want 2", len(series), err)
	}
}

// TestReceiverStoreFailure checks that a push the store could not keep
// is not acknowledged.
func TestReceiverStoreFailure(t *testing.T) {
	cpu := loadFixture(t, "cpu")
	rc, st := newReceiver(t, basic, Limits{})
	st.Close()
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, cpu.request(t, nil, nil))
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "adding a profile of pyrotest.app") {
		t.Errorf("%d %q, want 500 and the store's error", w.Code, w.Body)
	}
}

// clientLog keeps what pyroscope-go logs as errors.
type clientLog struct {
	mu     sync.Mutex
	errors []string
}

func (l *clientLog) Infof(string, ...any)  {}
func (l *clientLog) Debugf(string, ...any) {}
func (l *clientLog) Errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors = append(l.errors, fmt.Sprintf(format, args...))
}

// TestRealClient runs the real pyroscope-go client against a receiver:
// every push it makes is accepted, and each profile type it sends is in
// the store under its name.
func TestRealClient(t *testing.T) {
	if testing.Short() {
		t.Skip("profiles this process for a second")
	}
	ctx := context.Background()
	rc, st := newReceiver(t, basic, Limits{})
	mux := http.NewServeMux()
	mux.Handle("/ingest", rc)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	log := &clientLog{}
	p, err := pyroscope.Start(pyroscope.Config{
		ApplicationName:   "e2e.app",
		Tags:              map[string]string{"version": "v2", "env": "test"},
		ServerAddress:     srv.URL,
		BasicAuthUser:     "u",
		BasicAuthPassword: "p",
		TenantID:          "t1",
		UploadRate:        time.Second,
		Logger:            log,
		ProfileTypes: []pyroscope.ProfileType{
			pyroscope.ProfileCPU, pyroscope.ProfileAllocObjects, pyroscope.ProfileAllocSpace,
			pyroscope.ProfileInuseObjects, pyroscope.ProfileInuseSpace, pyroscope.ProfileGoroutines,
			pyroscope.ProfileMutexCount, pyroscope.ProfileMutexDuration,
			pyroscope.ProfileBlockCount, pyroscope.ProfileBlockDuration,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sink [32]byte
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		sink = sha256.Sum256(sink[:])
		_ = make([]byte, 64<<10)
	}
	p.Flush(true)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	if len(log.errors) > 0 {
		t.Errorf("pyroscope-go logged errors: %q", log.errors)
	}
	log.mu.Unlock()

	for _, typ := range []string{"cpu", "samples", "alloc_objects", "alloc_space", "inuse_objects", "inuse_space",
		"goroutine", "mutex_count", "mutex_duration", "block_count", "block_duration"} {
		ps, err := st.Profiles(ctx, store.Query{Service: "e2e.app", Type: typ, Labels: map[string]string{"version": "v2", "env": "test"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			t.Errorf("no %s profile stored", typ)
		}
	}
	cpu, err := st.Merge(ctx, store.Query{Service: "e2e.app", Type: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	if cpu == nil || inclusive(cpu, "cpu", "crypto/sha256.Sum256") == 0 {
		t.Errorf("the merged CPU profiles have no time in crypto/sha256.Sum256")
	}
	series, err := st.Series(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(series) != "[{e2e.app map[env:test version:v2]}]" {
		t.Errorf("series %v, want the one of e2e.app", series)
	}
}
