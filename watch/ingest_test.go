package watch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// fixture is a recorded push of pyroscope-go (testdata/README.md).
type fixture struct {
	kind   string
	head   []byte // the request line and headers, LF line ends
	target string // path and query
	header http.Header
	body   []byte
}

func loadFixture(t testing.TB, kind string) fixture {
	t.Helper()
	read := func(suffix string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "pyroscope", "ingest-"+kind+"."+suffix))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	f := fixture{kind: kind, head: read("request.txt"), body: read("body.bin"), header: http.Header{}}
	lines := strings.Split(strings.TrimRight(string(f.head), "\n"), "\n")
	method, rest, _ := strings.Cut(lines[0], " ")
	target, _, _ := strings.Cut(rest, " ")
	if method != http.MethodPost {
		t.Fatalf("%s: request line %q", kind, lines[0])
	}
	f.target = target
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ": ")
		if !ok {
			t.Fatalf("%s: header line %q", kind, l)
		}
		f.header.Add(k, v)
	}
	if ct := string(read("content-type.txt")); ct != f.header.Get("Content-Type") {
		t.Fatalf("%s: content-type.txt %q, request.txt %q", kind, ct, f.header.Get("Content-Type"))
	}
	return f
}

// request is f as an *http.Request, with its query changed by set (a
// value "-" removes the key) and, when body is not nil, another body.
func (f fixture) request(t testing.TB, set map[string]string, body []byte) *http.Request {
	t.Helper()
	u, err := url.Parse(f.target)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range set {
		if v == "-" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	if body == nil {
		body = f.body
	}
	r := httptest.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	for k, v := range f.header {
		r.Header[k] = v
	}
	r.ContentLength = int64(len(body))
	return r
}

// profilePart is the pprof part of f's multipart body.
func (f fixture) profilePart(t testing.TB) []byte {
	t.Helper()
	raw, _, err := splitBody(f.header.Get("Content-Type"), f.body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// multipartBody is a body as pyroscope-go writes it, with parts in
// order: name, content, name, content...
func multipartBody(t testing.TB, parts ...string) (contentType string, body []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i < len(parts); i += 2 {
		fw, err := w.CreateFormFile(parts[i], parts[i]+".bin")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(parts[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.Bytes()
}

// testPprof is a pprof, gzipped unless raw, with sample types types
// ("cpu/nanoseconds") and one sample of values in function fn.
func testPprof(t testing.TB, raw bool, types []string, fn string, values ...int64) []byte {
	t.Helper()
	p := &profile.Profile{}
	for _, ty := range types {
		name, unit, _ := strings.Cut(ty, "/")
		p.SampleType = append(p.SampleType, &profile.ValueType{Type: name, Unit: unit})
	}
	if len(types) > 0 {
		p.PeriodType = p.SampleType[0]
	}
	f := &profile.Function{ID: 1, Name: fn}
	loc := &profile.Location{ID: 1, Line: []profile.Line{{Function: f}}}
	p.Function, p.Location = []*profile.Function{f}, []*profile.Location{loc}
	if len(values) > 0 {
		p.Sample = []*profile.Sample{{Location: []*profile.Location{loc}, Value: values}}
	}
	var b bytes.Buffer
	write := p.Write
	if raw {
		write = p.WriteUncompressed
	}
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestParseName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // Name as %v, or "error: substring"
	}{
		{"pyrotest.app{__session_id__=d3d69a4c485b1845,env=staging,otel.scope.name=com.grafana.pyroscope/go,version=v1}",
			"{pyrotest.app map[__session_id__:d3d69a4c485b1845 env:staging otel.scope.name:com.grafana.pyroscope/go version:v1]}"},
		{"app", "{app map[]}"},
		{"app{}", "{app map[]}"},
		{" my-svc/api.v2 { b = 2 , a=1, }", "{my-svc/api.v2 map[a:1 b:2]}"},
		{"app{version=v1.2.3-rc.1,region=eu-west-1,expr=a=b,path=/x{y}", "{app map[expr:a=b path:/x{y region:eu-west-1 version:v1.2.3-rc.1]}"},
		{"app{zone=,version=v1}", "{app map[version:v1]}"},
		{"app{k=vàlue with spaces}", "{app map[k:vàlue with spaces]}"},
		{"", "error: no service name"},
		{"{version=v1}", "error: no service name"},
		{"app name{}", `error: character ' ' is not allowed`},
		{"app{version=v1", "error: no closing brace"},
		{"app{version=v1}x", "error: text after the closing brace"},
		{"app{version=v1}}", "error: text after the closing brace"},
		{"app{version}", "error: has no value"},
		{"app{,version=v1}", "error: has no value"},
		{"app{version=v1,,env=x}", "error: has no value"},
		{"app{=v1}", "error: a label without a name"},
		{"app{ver-sion=v1}", `error: character '-' is not allowed`},
		{"app{version=v1,version=v2}", "error: label \"version\" twice"},
		{"app{k=a\x00b}", "error: is not allowed"},
		{"app{k=\xff}", "error: not UTF-8"},
	} {
		n, err := ParseName(tc.in)
		got := fmt.Sprint(n)
		if err != nil {
			got = "error: " + err.Error()
		}
		if want, isErr := strings.CutPrefix(tc.want, "error: "); isErr && (err == nil || !strings.Contains(err.Error(), want)) || !isErr && got != tc.want {
			t.Errorf("ParseName(%q) = %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	now := time.Unix(1795631200, 0)
	ns := func(n int64) time.Time { return time.Unix(0, n) }
	for _, tc := range []struct {
		from, until string
		want        string // from, until, raised; or "error: substring"
	}{
		{"1795631129678422539", "1795631134687757682", fmt.Sprint(ns(1795631129678422539), ns(1795631134687757682), false)}, // pyroscope-go v1.5
		{"1795631129678422", "1795631134687757", fmt.Sprint(ns(1795631129678422000), ns(1795631134687757000), false)},       // microseconds
		{"1795631129678", "1795631134687", fmt.Sprint(ns(1795631129678000000), ns(1795631134687000000), false)},             // milliseconds
		{"1795631129", "1795631134", fmt.Sprint(time.Unix(1795631129, 0), time.Unix(1795631134, 0), false)},                 // seconds
		{"1795631129", "1795631134687757682", fmt.Sprint(time.Unix(1795631129, 0), ns(1795631134687757682), false)},         // mixed
		{"946684800000", "946684801000", fmt.Sprint(time.Unix(946684800, 0), time.Unix(946684801, 0), false)},               // milliseconds of 2000: 12 digits
		// The client quirk: Flush rounds until down to a 10 s boundary.
		{"1795631079895735018", "1795631070000000000", fmt.Sprint(ns(1795631079895735018), ns(1795631079895735018), true)},
		{"", "", fmt.Sprint(now, now, false)},
		{"0", "0", fmt.Sprint(now, now, false)},
		{"", "1795631134", fmt.Sprint(time.Unix(1795631134, 0), time.Unix(1795631134, 0), false)},
		{"1795631134", "", fmt.Sprint(time.Unix(1795631134, 0), now, false)},
		{"-1795631134", "", "error: from: \"-1795631134\" is not a Unix time"},
		{"now-10s", "", "error: from: \"now-10s\" is not a Unix time"},
		{"", "1.5", "error: until: \"1.5\" is not a Unix time"},
		{"", "99999999999999999999", "error: until: \"99999999999999999999\" is not a Unix time: out of range"},
	} {
		from, until, raised, err := window(tc.from, tc.until, now)
		got := fmt.Sprint(from, until, raised)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tc.want {
			t.Errorf("window(%q, %q) = %s\nwant %s", tc.from, tc.until, got, tc.want)
		}
	}
}

func TestParseIngestFixtures(t *testing.T) {
	for _, tc := range []struct {
		kind   string
		types  string
		totals string
	}{
		{"cpu", "[samples/count/sum cpu/nanoseconds/sum]", "[498 4980000000]"},
		{"heap", "[alloc_objects/count/sum alloc_space/bytes/sum inuse_objects/count/average inuse_space/bytes/average]", "[10 10914269 1109 15669438]"},
		{"cpu-empty", "[samples/count/sum cpu/nanoseconds/sum]", "[0 0]"},
	} {
		f := loadFixture(t, tc.kind)
		push, err := ParseIngest(f.request(t, nil, nil), Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		var types, totals []string
		for _, st := range push.Types {
			types = append(types, st.Name+"/"+st.Unit+"/"+string(st.Aggregation))
			totals = append(totals, fmt.Sprint(st.Total))
		}
		if fmt.Sprint(types) != tc.types || fmt.Sprint(totals) != tc.totals {
			t.Errorf("%s: types %v totals %v, want %s %s", tc.kind, types, totals, tc.types, tc.totals)
		}
		if got := fmt.Sprint(push.Series); got != "{pyrotest.app map[env:staging version:v1]}" {
			t.Errorf("%s: series %s", tc.kind, got)
		}
		if !bytes.Equal(push.Data, f.profilePart(t)) {
			t.Errorf("%s: the data stored is not the pprof pushed", tc.kind)
		}
	}
}

func TestParseIngestBodies(t *testing.T) {
	cpu := loadFixture(t, "cpu")
	gz := cpu.profilePart(t)
	raw := testPprof(t, true, []string{"samples/count", "cpu/nanoseconds"}, "main.f", 3, 30000000)
	mutexCT, mutexBody := multipartBody(t,
		"profile", string(testPprof(t, false, []string{"contentions/count", "delay/nanoseconds"}, "sync.(*Mutex).Lock", 4, 5000)),
		"sample_type_config", `{"contentions":{"display-name":"mutex_count","units":"lock_samples"},"delay":{"display-name":"mutex_duration","units":"lock_nanoseconds"}}`)
	goroutineCT, goroutineBody := multipartBody(t,
		"profile", string(testPprof(t, false, []string{"goroutine/count"}, "runtime.gopark", 12)),
		"sample_type_config", `{"goroutine":{"display-name":"goroutine","units":"goroutines","aggregation":"average"}}`)
	for _, tc := range []struct {
		name        string
		contentType string
		body        []byte
		want        string
	}{
		{"raw gzipped pprof", "application/octet-stream", gz, "[samples/count/sum/498 cpu/nanoseconds/sum/4980000000]"},
		{"raw pprof, no content type", "", raw, "[samples/count/sum/3 cpu/nanoseconds/sum/30000000]"},
		{"mutex, display names", mutexCT, mutexBody, "[mutex_count/count/sum/4 mutex_duration/nanoseconds/sum/5000]"},
		{"goroutine", goroutineCT, goroutineBody, "[goroutine/count/average/12]"},
	} {
		r := cpu.request(t, nil, tc.body)
		r.Header.Set("Content-Type", tc.contentType)
		push, err := ParseIngest(r, Limits{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, st := range push.Types {
			got = append(got, fmt.Sprintf("%s/%s/%s/%d", st.Name, st.Unit, st.Aggregation, st.Total))
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
		p, err := profile.Parse(bytes.NewReader(push.Data))
		if err != nil || !isGzip(push.Data) {
			t.Errorf("%s: the data stored is not a gzipped pprof: %v", tc.name, err)
		} else if len(p.SampleType) != len(push.Types) {
			t.Errorf("%s: the data stored has %d sample types, want %d", tc.name, len(p.SampleType), len(push.Types))
		}
	}
}

func TestParseIngestRefuses(t *testing.T) {
	cpu := loadFixture(t, "cpu")
	gz := string(cpu.profilePart(t))
	octets := "application/octet-stream"
	for _, tc := range []struct {
		name        string
		query       map[string]string
		contentType string   // "" keeps the fixture's
		body        []byte   // nil keeps the fixture's
		parts       []string // when set, the body: a multipart of these parts
		limits      Limits
		want        string
		tooLarge    bool
	}{
		{name: "malformed name", query: map[string]string{"name": "pyrotest.app{version=v1"}, want: "no closing brace"},
		{name: "no name", query: map[string]string{"name": "-"}, want: "name: no service name"},
		{name: "too many labels", query: map[string]string{"name": "app{a=1,b=2,c=3}"}, limits: Limits{MaxLabels: 2}, want: "3 labels, more than 2"},
		{name: "client labels not counted", query: map[string]string{"name": "app{__session_id__=1,otel.scope.name=x,a=1,b=2,c=3}"}, limits: Limits{MaxLabels: 2}, want: "3 labels, more than 2"},
		{name: "long label name", query: map[string]string{"name": "app{" + strings.Repeat("k", 129) + "=1}"}, want: "more than 128"},
		{name: "long label value", query: map[string]string{"name": "app{k=" + strings.Repeat("v", 1025) + "}"}, want: "value of 1025 bytes, more than 1024"},
		{name: "long service", query: map[string]string{"name": strings.Repeat("s", 1025)}, want: "service name of 1025 bytes"},
		{name: "bad from", query: map[string]string{"from": "yesterday"}, want: `from: "yesterday" is not a Unix time`},
		{name: "format jfr", query: map[string]string{"format": "jfr"}, want: `format "jfr"`},
		{name: "trie", contentType: "binary/octet-stream+trie", want: "pprof profiles only"},
		{name: "bad content type", contentType: "multipart/form-data; boundary", want: "content type"},
		{name: "no boundary", contentType: "multipart/form-data", want: "without a boundary"},
		{name: "truncated multipart body", body: cpu.body[:len(cpu.body)-20], want: "multipart body: part \"profile\": unexpected EOF"},
		{name: "truncated in the profile", body: cpu.body[:len(cpu.body)/2], want: "multipart body: part \"profile\": unexpected EOF"},
		{name: "empty body", contentType: octets, body: []byte{}, want: "profile: empty"},
		{name: "non-gzip garbage as profile", parts: []string{"profile", "this is not a profile at all"}, want: "profile: not a pprof profile"},
		{name: "non-gzip garbage as raw body", contentType: octets, body: []byte("\xff\xfe garbage"), want: "profile: not a pprof profile"},
		{name: "gzipped garbage", contentType: octets, body: gzipped(t, []byte("\xff\xff\xff\xff garbage")), want: "profile: not a pprof profile"},
		{name: "broken gzip", contentType: octets, body: []byte(gz[:len(gz)/2]), want: "profile: decompressing"},
		{name: "gzip inside gzip", contentType: octets, body: gzipped(t, []byte(gz)), want: "gzip inside gzip"},
		{name: "oversized body", limits: Limits{MaxBodyBytes: 1000}, want: "body of 3083 bytes: too large", tooLarge: true},
		{name: "oversized decompressed", contentType: octets, body: gzipped(t, make([]byte, 1<<20)), limits: Limits{MaxProfileBytes: 1000}, want: "decompressed: too large", tooLarge: true},
		{name: "unknown sample type", contentType: octets, body: testPprof(t, false, []string{"wall/nanoseconds"}, "f", 1), want: `unknown sample type "wall"`},
		{name: "no sample types", contentType: octets, body: testPprof(t, false, nil, "f"), want: "no sample types"},
		{name: "no profile part", parts: []string{"sample_type_config", "{}"}, want: "no profile part"},
		{name: "two profile parts", parts: []string{"profile", gz, "profile", gz}, want: "two profile parts"},
		{name: "bad sample_type_config", parts: []string{"profile", gz, "sample_type_config", "{"}, want: "sample_type_config: "},
		{name: "cumulative", parts: []string{"profile", gz, "sample_type_config", `{"cpu":{"cumulative":true}}`}, want: "cumulative profiles are not supported"},
		{name: "prev_profile", parts: []string{"profile", gz, "prev_profile", gz}, want: "cumulative profiles are not supported"},
		{name: "bad aggregation", parts: []string{"profile", gz, "sample_type_config", `{"cpu":{"aggregation":"max"}}`}, want: `unknown aggregation "max"`},
		{name: "display names collide", parts: []string{"profile", gz, "sample_type_config", `{"samples":{"display-name":"cpu"}}`}, want: "two sample types named cpu"},
		{name: "bad display name", parts: []string{"profile", gz, "sample_type_config", `{"cpu":{"display-name":"c p u"}}`}, want: "display name"},
	} {
		body, contentType := tc.body, tc.contentType
		if tc.parts != nil {
			contentType, body = multipartBody(t, tc.parts...)
		}
		r := cpu.request(t, tc.query, body)
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		_, err := ParseIngest(r, tc.limits)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
			continue
		}
		if errors.Is(err, ErrTooLarge) != tc.tooLarge {
			t.Errorf("%s: %v: errors.Is(ErrTooLarge) = %v", tc.name, err, !tc.tooLarge)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %q: not one line", tc.name, err)
		}
	}
}
