package watch

import (
	"bytes"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// fuzzKinds are the fixtures whose pushes seed the fuzz targets.
var fuzzKinds = []string{"cpu", "heap", "cpu-empty"}

// FuzzParseName checks that ParseName never panics, that what it accepts
// is a valid series, and that writing a Name back as pyroscope-go does
// and parsing it again gives the same Name.
func FuzzParseName(f *testing.F) {
	for _, kind := range fuzzKinds {
		u, err := url.Parse(loadFixture(f, kind).target)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(u.Query().Get("name"))
	}
	for _, s := range []string{"app", "app{}", "app{a=b,}", "a{b=c=d,e={f}", "app{version=v1", "app{k=v}x", " x { a = 1 } "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseName(%q): %q: not one line", s, err)
			}
			return
		}
		if err := checkService(n.Service); err != nil {
			t.Errorf("ParseName(%q) gave a bad service: %v", s, err)
		}
		var b strings.Builder
		b.WriteString(n.Service + "{")
		for i, k := range slices.Sorted(maps.Keys(n.Labels)) {
			v := n.Labels[k]
			if err := checkLabel(k, v); err != nil || v == "" || strings.ContainsAny(v, ",}") {
				t.Errorf("ParseName(%q) gave a bad label %q=%q (%v)", s, k, v, err)
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(k + "=" + v)
		}
		b.WriteString("}")
		again, err := ParseName(b.String())
		if err != nil || again.Service != n.Service || !maps.Equal(again.Labels, n.Labels) {
			t.Errorf("ParseName(%q) = %v; written back %q, parsed again %v, %v", s, n, b.String(), again, err)
		}
	})
}

// FuzzWindow checks that from and until never panic and never give a
// window that ends before it begins.
func FuzzWindow(f *testing.F) {
	for _, kind := range fuzzKinds {
		u, err := url.Parse(loadFixture(f, kind).target)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(u.Query().Get("from"), u.Query().Get("until"))
	}
	f.Add("1795631079895735018", "1795631070000000000")
	f.Add("1795631129", "")
	f.Add("0", "99999999999999999999")
	now := time.Unix(1795631200, 0)
	f.Fuzz(func(t *testing.T, from, until string) {
		fr, un, raised, err := window(from, until, now)
		if err != nil {
			return
		}
		if un.Before(fr) || fr.IsZero() || un.IsZero() {
			t.Errorf("window(%q, %q) = %v to %v", from, until, fr, un)
		}
		if raised && !un.Equal(fr) {
			t.Errorf("window(%q, %q): raised, yet %v to %v", from, until, fr, un)
		}
	})
}

// FuzzIngestBody checks that no body, under any content type, makes
// ParseIngest panic, and that what it accepts is a pprof whose sample
// types and totals are the push's.
func FuzzIngestBody(f *testing.F) {
	cpu := loadFixture(f, "cpu")
	for _, kind := range fuzzKinds {
		fx := loadFixture(f, kind)
		f.Add(fx.header.Get("Content-Type"), fx.body)
		f.Add("application/octet-stream", fx.profilePart(f))
		// Uncompressed, for the fuzzer to reach pprof's decoder.
		p, err := profile.Parse(bytes.NewReader(fx.profilePart(f)))
		if err != nil {
			f.Fatal(err)
		}
		var raw bytes.Buffer
		if err := p.WriteUncompressed(&raw); err != nil {
			f.Fatal(err)
		}
		f.Add("", raw.Bytes())
		f.Add(fx.header.Get("Content-Type"), fx.body[:len(fx.body)/2])
	}
	f.Add("", []byte{})
	f.Add("binary/octet-stream+trie", []byte("x"))
	// Small limits, so that the fuzzer meets them.
	limits := Limits{MaxBodyBytes: 1 << 16, MaxProfileBytes: 1 << 18}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := cpu.request(t, nil, body)
		r.Header.Set("Content-Type", contentType)
		push, err := ParseIngest(r, limits)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: not one line", err)
			}
			return
		}
		p, err := profile.Parse(bytes.NewReader(push.Data))
		if err != nil {
			t.Fatalf("accepted, but the data stored does not parse: %v", err)
		}
		if !isGzip(push.Data) || len(p.SampleType) != len(push.Types) {
			t.Fatalf("accepted, but the data stored has %d sample types, the push %d", len(p.SampleType), len(push.Types))
		}
		totals := make([]int64, len(p.SampleType))
		for _, s := range p.Sample {
			for i, v := range s.Value {
				totals[i] += v
			}
		}
		for i, ty := range push.Types {
			if ty.Total != totals[i] {
				t.Errorf("sample type %s: total %d, the data's %d", ty.Name, ty.Total, totals[i])
			}
		}
	})
}
