package pyroscope

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
)

// The recorded query window (testdata/README.md), and what was asked.
var (
	windowStart = time.UnixMilli(1795631160000)
	windowEnd   = time.UnixMilli(1795631220000)
)

const (
	cpuType  = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
	selector = `{service_name="pyrotest.app"}`
)

// The expected totals of the recorded CPU window (testdata/README.md).
const (
	cpuTotal      = 19940000000
	burnSHATotal  = 14940000000
	burnLoopTotal = 4950000000
	burnLoopSelf  = 4900000000
	mainTotal     = 19900000000
	maxSelf       = 14190000000
	maxSelfName   = "crypto/internal/fips140/sha256.blockSHANI"
)

// recorded is one recorded query of testdata: the request body the
// client sent, and the status and body the server answered with.
type recorded struct {
	request  []byte
	status   int
	response []byte
}

func readRecorded(t testing.TB, name string) recorded {
	t.Helper()
	read := func(suffix string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "query-"+name+"."+suffix))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	status, err := strconv.Atoi(strings.TrimSpace(string(read("status"))))
	if err != nil {
		t.Fatalf("%s: status: %v", name, err)
	}
	return recorded{request: read("request.json"), status: status, response: read("response.json")}
}

// replay starts a server standing in for Pyroscope: it checks that the
// request is a Connect call of method whose body is the same JSON as the
// recorded request, and answers with the recorded status and body. A
// request that differs fails the test and is answered 418, which fails
// the call.
func replay(t *testing.T, method string, rec recorded) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequest(r, method, rec.request); err != nil {
			t.Errorf("request: %v", err)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.status)
		w.Write(rec.response)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func checkRequest(r *http.Request, method string, want []byte) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("method %s, want POST", r.Method)
	}
	if p := "/querier.v1.QuerierService/" + method; r.URL.Path != p {
		return fmt.Errorf("path %s, want %s", r.URL.Path, p)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	if v := r.Header.Get("Connect-Protocol-Version"); v != "1" {
		return fmt.Errorf("Connect-Protocol-Version %q, want 1", v)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	got, err := decodeJSON(body)
	if err != nil {
		return fmt.Errorf("body %s: %v", body, err)
	}
	exp, err := decodeJSON(want)
	if err != nil {
		return fmt.Errorf("recorded request: %v", err)
	}
	if !reflect.DeepEqual(got, exp) {
		return fmt.Errorf("body %s, want the JSON of %s", body, want)
	}
	return nil
}

// decodeJSON decodes b into maps, slices and json.Numbers, for comparing
// two JSON texts.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

func TestProfileTypes(t *testing.T) {
	srv := replay(t, "ProfileTypes", readRecorded(t, "profile-types"))
	c := &Client{BaseURL: srv.URL}
	types, err := c.ProfileTypes(context.Background(), windowStart, windowEnd)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, pt := range types {
		ids = append(ids, pt.ID)
		// The parts are the ID's, as the server builds them.
		if parsed, err := ParseProfileType(pt.ID); err != nil || parsed != pt {
			t.Errorf("ParseProfileType(%q) = %+v, %v; the server sent %+v", pt.ID, parsed, err, pt)
		}
	}
	want := []string{
		"memory:alloc_objects:count:space:bytes",
		"memory:alloc_space:bytes:space:bytes",
		"memory:inuse_objects:count:space:bytes",
		"memory:inuse_space:bytes:space:bytes",
		"process_cpu:cpu:nanoseconds:cpu:nanoseconds",
		"process_cpu:samples:count:cpu:nanoseconds",
	}
	if !slices.Equal(ids, want) {
		t.Errorf("profile types %q, want %q", ids, want)
	}
	cpu := ProfileType{ID: cpuType, Name: "process_cpu", SampleType: "cpu", SampleUnit: "nanoseconds", PeriodType: "cpu", PeriodUnit: "nanoseconds"}
	if !slices.Contains(types, cpu) {
		t.Errorf("profile types %+v do not hold %+v", types, cpu)
	}
}

func TestLabelValues(t *testing.T) {
	srv := replay(t, "LabelValues", readRecorded(t, "label-values-service-name"))
	c := &Client{BaseURL: srv.URL}
	values, err := c.LabelValues(context.Background(), "service_name", nil, windowStart, windowEnd)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pyrotest.app"}; !slices.Equal(values, want) {
		t.Errorf("values %q, want %q", values, want)
	}
}

// percent is v as a percentage of total, as the fixtures' README writes
// it.
func percent(v, total int64) string {
	return fmt.Sprintf("%.2f%%", 100*float64(v)/float64(total))
}

func TestSelectMergeStacktraces(t *testing.T) {
	srv := replay(t, "SelectMergeStacktraces", readRecorded(t, "select-merge-stacktraces"))
	c := &Client{BaseURL: srv.URL}
	g, err := c.SelectMergeStacktraces(context.Background(), cpuType, selector, windowStart, windowEnd, 16384)
	if err != nil {
		t.Fatal(err)
	}
	if g.Total != cpuTotal || g.MaxSelf != maxSelf {
		t.Errorf("total %d, maxSelf %d; want %d, %d", g.Total, g.MaxSelf, int64(cpuTotal), int64(maxSelf))
	}
	if len(g.Names) != 46 || len(g.Levels) != 14 {
		t.Errorf("%d names and %d levels, want 46 and 14", len(g.Names), len(g.Levels))
	}
	if root := g.Levels[0][0]; g.Names[root.Name] != "total" || root.Total != cpuTotal {
		t.Errorf("root %+v named %q, want total of %d", root, g.Names[root.Name], int64(cpuTotal))
	}
	var maxSelfNames []string
	for _, level := range g.Levels {
		for _, n := range level {
			if n.Self == g.MaxSelf {
				maxSelfNames = append(maxSelfNames, g.Names[n.Name])
			}
		}
	}
	if want := []string{maxSelfName}; !slices.Equal(maxSelfNames, want) {
		t.Errorf("nodes with the largest self %q, want %q", maxSelfNames, want)
	}

	fs := map[string]FunctionTotal{}
	for _, f := range g.Functions() {
		fs[f.Name] = f
	}
	for _, w := range []struct {
		name        string
		total, self int64
		pct         string
	}{
		{"main.main", mainTotal, 10000000, "99.80%"},
		{"main.burnSHA", burnSHATotal, 30000000, "74.92%"},
		{"main.burnLoop", burnLoopTotal, burnLoopSelf, "24.82%"},
		{"crypto/sha256.Sum256", 14650000000, 20000000, "73.47%"},
		// On more paths than the largest self's.
		{maxSelfName, 14470000000, 14470000000, "72.57%"},
	} {
		f := fs[w.name]
		if f.Total != w.total || f.Self != w.self || percent(f.Total, g.Total) != w.pct {
			t.Errorf("%s: total %d (%s), self %d; want %d (%s), %d", w.name, f.Total, percent(f.Total, g.Total), f.Self, w.total, w.pct, w.self)
		}
	}
	if f, ok := fs["main.allocHeap"]; ok {
		t.Errorf("main.allocHeap is in the CPU window: %+v", f)
	}
	// runtime.main and main.main tie on total; main.main has a self.
	if fs := g.Functions(); fs[0].Name != "main.main" || fs[1].Name != "runtime.main" || fs[1].Total != mainTotal {
		t.Errorf("first functions %+v, want main.main, then runtime.main with %d", fs[:2], int64(mainTotal))
	}
}

func TestSelectMergeProfile(t *testing.T) {
	srv := replay(t, "SelectMergeProfile", readRecorded(t, "select-merge-profile"))
	c := &Client{BaseURL: srv.URL}
	p, err := c.SelectMergeProfile(context.Background(), cpuType, selector, windowStart, windowEnd)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sample) != 110 {
		t.Errorf("%d samples, want 110", len(p.Sample))
	}
	vt := func(v *profile.ValueType) string {
		if v == nil {
			return "<nil>"
		}
		return v.Type + "/" + v.Unit
	}
	if len(p.SampleType) != 1 || vt(p.SampleType[0]) != "cpu/nanoseconds" || p.DefaultSampleType != "cpu" {
		t.Errorf("sample types %v, default %q; want cpu/nanoseconds", p.SampleType, p.DefaultSampleType)
	}
	if vt(p.PeriodType) != "cpu/nanoseconds" || p.Period != 1000000000 {
		t.Errorf("period %d %s, want 1000000000 cpu/nanoseconds", p.Period, vt(p.PeriodType))
	}
	if p.TimeNanos != windowEnd.UnixNano() || p.DurationNanos != 0 {
		t.Errorf("time %d, duration %d; want %d, 0", p.TimeNanos, p.DurationNanos, windowEnd.UnixNano())
	}
	if len(p.Mapping) != 1 || p.Mapping[0].File != "/app/pyroclient" || !p.Mapping[0].HasFunctions {
		t.Errorf("mappings %v, want /app/pyroclient with functions", p.Mapping)
	}
	if len(p.Location) != 124 || len(p.Function) != 45 {
		t.Errorf("%d locations, %d functions; want 124, 45", len(p.Location), len(p.Function))
	}
	var sum int64
	for _, s := range p.Sample {
		sum += s.Value[0]
	}
	if sum != cpuTotal {
		t.Errorf("samples add up to %d, want %d", sum, int64(cpuTotal))
	}
	// Ranked by perfgate's analysis: pprof's flat (Head) and cum
	// (HeadCum), with Work 1 the raw values.
	hot, err := analyze.Rank(analyze.ProfileSide{Profiles: []*profile.Profile{p}, Work: 1}, analyze.HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hot[0].Function != maxSelfName || hot[0].Head != 14470000000 {
		t.Errorf("hottest %s with %v, want %s with 14470000000", hot[0].Function, hot[0].Head, maxSelfName)
	}
	byName := map[string]analyze.Hot{}
	for _, h := range hot {
		byName[h.Function] = h
	}
	for _, w := range []struct {
		name        string
		total, self int64
	}{
		{"main.main", mainTotal, 10000000},
		{"main.burnSHA", burnSHATotal, 30000000},
		{"main.burnLoop", burnLoopTotal, burnLoopSelf},
	} {
		h := byName[w.name]
		if h.HeadCum != float64(w.total) || h.Head != float64(w.self) {
			t.Errorf("%s: cum %v, flat %v; want %d, %d", w.name, h.HeadCum, h.Head, w.total, w.self)
		}
	}
	// The flame graph's largest self is the stack of function names with
	// the largest value.
	var folded bytes.Buffer
	if err := analyze.Folded(&folded, p, ""); err != nil {
		t.Fatal(err)
	}
	var top string
	var topValue int64
	for line := range strings.Lines(folded.String()) {
		stack, value, _ := strings.Cut(strings.TrimSpace(line), " ")
		if v, err := strconv.ParseInt(value, 10, 64); err == nil && v > topValue {
			top, topValue = stack, v
		}
	}
	if !strings.HasSuffix(top, ";"+maxSelfName) || topValue != maxSelf {
		t.Errorf("largest stack %s with %d, want one ending in %s with %d", top, topValue, maxSelfName, int64(maxSelf))
	}
}

// Both answers hold the same samples, one merged by function name into a
// flame graph, one as pprof: every function costs the same in both, and
// their folded stacks are the same.
func TestStacktracesAgreeWithProfile(t *testing.T) {
	g, err := decodeFlameGraph(readRecorded(t, "select-merge-stacktraces").response)
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodeProfile(readRecorded(t, "select-merge-profile").response)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := ParseProfileType(cpuType)
	if err != nil {
		t.Fatal(err)
	}
	rank := func(p *profile.Profile) map[string][2]float64 {
		hot, err := analyze.Rank(analyze.ProfileSide{Profiles: []*profile.Profile{p}, Work: 1}, analyze.HotOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string][2]float64{}
		for _, h := range hot {
			m[h.Function] = [2]float64{h.HeadCum, h.Head}
		}
		return m
	}
	fromGraph := map[string][2]float64{}
	for _, f := range g.Functions() {
		fromGraph[f.Name] = [2]float64{float64(f.Total), float64(f.Self)}
	}
	if len(fromGraph) != 45 {
		t.Errorf("%d functions in the flame graph, want 45", len(fromGraph))
	}
	if fromProfile := rank(p); !reflect.DeepEqual(fromGraph, fromProfile) {
		t.Errorf("flame graph's functions (total, self)\n%v\nare not the profile's\n%v", fromGraph, fromProfile)
	}
	if fromGraphProfile := rank(g.Profile(pt)); !reflect.DeepEqual(fromGraph, fromGraphProfile) {
		t.Errorf("flame graph's functions (total, self)\n%v\nare not its Profile's\n%v", fromGraph, fromGraphProfile)
	}

	var folded, foldedProfile bytes.Buffer
	if err := g.WriteFolded(&folded); err != nil {
		t.Fatal(err)
	}
	if err := analyze.Folded(&foldedProfile, p, ""); err != nil {
		t.Fatal(err)
	}
	if folded.String() != foldedProfile.String() {
		t.Errorf("folded flame graph\n%s\nis not the folded profile\n%s", &folded, &foldedProfile)
	}
	want := "runtime.main;main.main;main.burnLoop " + strconv.Itoa(burnLoopSelf) + "\n"
	if !strings.Contains(folded.String(), want) {
		t.Errorf("folded stacks have no line %q:\n%s", want, &folded)
	}
}

func TestEmptyWindow(t *testing.T) {
	srv := replay(t, "SelectMergeStacktraces", readRecorded(t, "empty-window"))
	c := &Client{BaseURL: srv.URL}
	g, err := c.SelectMergeStacktraces(context.Background(), cpuType, selector, time.UnixMilli(1795627560000), time.UnixMilli(1795627620000), 16384)
	if err != nil {
		t.Fatal(err)
	}
	if g.Total != 0 || g.MaxSelf != 0 || len(g.Levels) != 1 || len(g.Levels[0]) != 1 {
		t.Errorf("flame graph %+v, want a root of 0", g)
	}
	if fs := g.Functions(); len(fs) != 0 {
		t.Errorf("functions %+v, want none", fs)
	}
	if p := g.Profile(ProfileType{SampleType: "cpu", SampleUnit: "nanoseconds"}); len(p.Sample) != 0 || p.CheckValid() != nil {
		t.Errorf("profile of the empty flame graph: %d samples, check %v", len(p.Sample), p.CheckValid())
	}
}

func TestMalformedSelector(t *testing.T) {
	srv := replay(t, "SelectMergeStacktraces", readRecorded(t, "malformed-selector"))
	c := &Client{BaseURL: srv.URL}
	g, err := c.SelectMergeStacktraces(context.Background(), cpuType, `{service_name="pyrotest.app"`, windowStart, windowEnd, 16384)
	if err == nil {
		t.Fatalf("no error, flame graph %+v", g)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	wantMsg := `parsing label selector "{service_name=\"pyrotest.app\"": 1:29: parse error: unexpected end of input inside braces`
	if e.Method != "SelectMergeStacktraces" || e.Code != CodeInvalidArgument || e.HTTPStatus != 400 || e.Message != wantMsg {
		t.Errorf("error %#v, want invalid_argument, 400, %q", e, wantMsg)
	}
	if want := "pyroscope: SelectMergeStacktraces: invalid_argument: " + wantMsg; err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}

// The credentials, the tenant and the deadline go in headers, and the
// path keeps BaseURL's prefix.
func TestHeaders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for _, tc := range []struct {
		name   string
		client Client
		want   map[string]string
	}{
		{"basic auth and tenant", Client{BasicAuthUser: "u", BasicAuthPassword: "p", TenantID: "t1"},
			map[string]string{"Authorization": "Basic dTpw", "X-Scope-OrgID": "t1"}},
		{"bearer", Client{BearerToken: "glc_token"},
			map[string]string{"Authorization": "Bearer glc_token", "X-Scope-OrgID": ""}},
		{"none", Client{},
			map[string]string{"Authorization": "", "X-Scope-OrgID": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			var path, timeout string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				path, timeout = r.URL.Path, r.Header.Get("Connect-Timeout-Ms")
				for k := range tc.want {
					got[k] = r.Header.Get(k)
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"names":["v1"]}`)
			}))
			defer srv.Close()
			c := tc.client
			c.BaseURL = srv.URL + "/pyroscope/"
			values, err := c.LabelValues(ctx, "version", []string{selector}, windowStart, windowEnd)
			if err != nil || !slices.Equal(values, []string{"v1"}) {
				t.Fatalf("values %q, %v; want [v1]", values, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("headers %q, want %q", got, tc.want)
			}
			if want := "/pyroscope/querier.v1.QuerierService/LabelValues"; path != want {
				t.Errorf("path %s, want %s", path, want)
			}
			if ms, err := strconv.ParseInt(timeout, 10, 64); err != nil || ms <= 0 || ms > time.Hour.Milliseconds() {
				t.Errorf("Connect-Timeout-Ms %q, want the hour left in milliseconds", timeout)
			}
		})
	}
}

// Every way a call can fail is one line that says which call failed, and
// wraps what failed.
func TestCallErrors(t *testing.T) {
	types := readRecorded(t, "profile-types").response
	answer := func(status int, contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if contentType != "" {
				w.Header().Set("Content-Type", contentType)
			}
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc // nil: no server
		client  Client           // BaseURL is the server's unless set
		ctx     context.Context
		want    string // what the error says, after "pyroscope: ProfileTypes: "
		// code and status, when the server answered, are the *Error's;
		// check, when set, says whether the error wraps what failed.
		code   Code
		status int
		check  func(error) bool
	}{
		{
			name:   "server down",
			client: Client{BaseURL: closed.URL},
			want:   "connect: connection refused",
			check: func(err error) bool {
				var op *net.OpError
				return errors.As(err, &op) && op.Op == "dial"
			},
		},
		{
			name:    "truncated JSON",
			handler: answer(200, "application/json", string(types[:len(types)/2])),
			want:    "decoding response: unexpected end of JSON input",
			check: func(err error) bool {
				var syn *json.SyntaxError
				return errors.As(err, &syn)
			},
		},
		{
			name: "connection lost in the body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(types)))
				w.WriteHeader(200)
				w.Write(types[:100])
				w.(http.Flusher).Flush()
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			},
			want:  "reading response: unexpected EOF",
			check: func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
		},
		{
			name:    "HTML instead of JSON",
			handler: answer(200, "text/html; charset=utf-8", "<html><body>Grafana login</body></html>"),
			want:    `answer's Content-Type is "text/html; charset=utf-8", not application/json`,
		},
		{
			name:    "not JSON, labelled JSON",
			handler: answer(200, "application/json", "<html>"),
			want:    "decoding response: invalid character '<' looking for beginning of value",
			check: func(err error) bool {
				var syn *json.SyntaxError
				return errors.As(err, &syn)
			},
		},
		{
			name:    "answer too large",
			handler: answer(200, "application/json", string(types)),
			client:  Client{MaxResponseBytes: 100},
			want:    "reading response: answer is larger than 100 bytes",
		},
		{
			name:    "proxy error page",
			handler: answer(502, "text/html", "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>\n"),
			want:    "unavailable: 502 Bad Gateway: <html> <head><title>502 Bad Gateway</title></head> <body>nginx</body> </html>",
			code:    CodeUnavailable, status: 502,
		},
		{
			name:    "no credentials",
			handler: answer(401, "", ""),
			want:    "unauthenticated: 401 Unauthorized",
			code:    CodeUnauthenticated, status: 401,
		},
		{
			name:    "connect error without a message",
			handler: answer(503, "application/json", `{"code":"unavailable"}`),
			want:    "unavailable (HTTP 503)",
			code:    CodeUnavailable, status: 503,
		},
		{
			name:    "connect error with line breaks",
			handler: answer(500, "application/json", `{"code":"internal","message":"querying\nstore-gateway:\r\n\tEOF"}`),
			want:    "internal: querying store-gateway:   EOF",
			code:    CodeInternal, status: 500,
		},
		{
			name:    "unknown connect code",
			handler: answer(404, "application/json", `{"code":"gone","message":"no such method"}`),
			want:    `unimplemented: 404 Not Found: {"code":"gone","message":"no such method"}`,
			code:    CodeUnimplemented, status: 404,
		},
		{
			name:    "long error page",
			handler: answer(500, "text/plain", strings.Repeat("x", 1000)),
			want:    "unknown: 500 Internal Server Error: " + strings.Repeat("x", maxSnippet) + "...",
			code:    CodeUnknown, status: 500,
		},
		{
			name:    "canceled",
			handler: answer(200, "application/json", string(types)),
			ctx:     canceled,
			want:    "context canceled",
			check:   func(err error) bool { return errors.Is(err, context.Canceled) },
		},
		{
			name:   "not an http URL",
			client: Client{BaseURL: "127.0.0.1:4040"},
			want:   `base URL "127.0.0.1:4040": want http://host[:port][/prefix] or https://...`,
		},
		{
			name:    "two kinds of credentials",
			handler: answer(200, "application/json", string(types)),
			client:  Client{BasicAuthUser: "u", BearerToken: "t"},
			want:    "both basic auth and a bearer token are set",
		},
		{
			name:    "password without a user",
			handler: answer(200, "application/json", string(types)),
			client:  Client{BasicAuthPassword: "p"},
			want:    "basic auth password set without a user",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.client
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				if c.BaseURL == "" {
					c.BaseURL = srv.URL
				}
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			types, err := c.ProfileTypes(ctx, windowStart, windowEnd)
			if err == nil {
				t.Fatalf("no error, types %+v", types)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "pyroscope: ProfileTypes: ") || !strings.HasSuffix(msg, tc.want) || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error %q, want one line %q ending in %q", msg, "pyroscope: ProfileTypes: ...", tc.want)
			}
			if tc.check != nil && !tc.check(err) {
				t.Errorf("error %v (%T) does not wrap what failed", err, err)
			}
			var e *Error
			switch isAPI := errors.As(err, &e); {
			case tc.code == "" && isAPI:
				t.Errorf("error %#v is an *Error, but the server gave no answer", e)
			case tc.code != "" && (!isAPI || e.Code != tc.code || e.HTTPStatus != tc.status || e.Method != "ProfileTypes"):
				t.Errorf("error %v (%T), want an *Error of ProfileTypes, %s, HTTP %d", err, err, tc.code, tc.status)
			}
		})
	}
}

// Zero times and a zero maxNodes are left out of the request, as protojson
// leaves out zero fields: the server then picks its defaults.
func TestZeroFieldsLeftOut(t *testing.T) {
	for _, tc := range []struct {
		method string
		call   func(*Client) error
		want   string
	}{
		{"ProfileTypes", func(c *Client) error {
			_, err := c.ProfileTypes(context.Background(), time.Time{}, time.Time{})
			return err
		}, `{}`},
		{"SelectMergeStacktraces", func(c *Client) error {
			_, err := c.SelectMergeStacktraces(context.Background(), cpuType, "{}", time.Time{}, windowEnd, 0)
			return err
		}, `{"profileTypeID":"` + cpuType + `","labelSelector":"{}","end":1795631220000}`},
	} {
		t.Run(tc.method, func(t *testing.T) {
			srv := replay(t, tc.method, recorded{request: []byte(tc.want), status: 200, response: []byte(`{}`)})
			if err := tc.call(&Client{BaseURL: srv.URL}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A gzipped answer is read, and the size bound applies to it decoded.
func TestGzipAnswer(t *testing.T) {
	types := readRecorded(t, "profile-types").response
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(types)
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("Accept-Encoding %q, want gzip", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL}
	pts, err := c.ProfileTypes(context.Background(), windowStart, windowEnd)
	if err != nil || len(pts) != 6 {
		t.Fatalf("%d profile types, %v; want 6", len(pts), err)
	}
	c.MaxResponseBytes = int64(len(types)) - 1
	if gz.Len() >= len(types)-1 {
		t.Fatalf("gzip does not shrink the answer: %d bytes of %d", gz.Len(), len(types))
	}
	want := fmt.Sprintf("pyroscope: ProfileTypes: reading response: answer is larger than %d bytes", len(types)-1)
	if _, err := c.ProfileTypes(context.Background(), windowStart, windowEnd); err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
