package profiler

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
)

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		file       string
		sampleType string // the default sample type, as pprof picks it
		symbolized bool
	}{
		{"pricing-cpu.pb.gz", "cpu", true},
		{"pricing-heap.pb.gz", "inuse_space", true},
		// The legacy text format (heap?debug=1): addresses only.
		{"pricing-heap-debug1.txt", "inuse_space", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p, err := Load(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Sample) == 0 {
				t.Fatal("no samples")
			}
			i, err := p.SampleIndexByName("")
			if err != nil || p.SampleType[i].Type != tc.sampleType {
				t.Errorf("default sample type %v (%v), want %s", p.SampleType[i].Type, err, tc.sampleType)
			}
			if got := analyze.Symbolized(p); got != tc.symbolized {
				t.Errorf("Symbolized = %v, want %v", got, tc.symbolized)
			}
			hot, err := analyze.Rank(analyze.ProfileSide{Profiles: []*profile.Profile{p}, Work: 1}, analyze.HotOptions{Top: 5})
			if err != nil || len(hot) == 0 {
				t.Errorf("Rank: %v, %v", hot, err)
			}
		})
	}
}

// Parse reads what pprof writes, compressed or not.
func TestParseUncompressed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "pricing-cpu.pb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := Parse(bytes.NewReader(data), "gz")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Parse(bytes.NewReader(raw), "raw")
	if err != nil {
		t.Fatal(err)
	}
	if p1.String() != p2.String() {
		t.Error("the profile differs gzipped and not")
	}
}

func TestLoadErrors(t *testing.T) {
	cpu, err := os.ReadFile(filepath.Join("testdata", "pricing-cpu.pb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	// A profile that parses but is invalid: a sample with one value of
	// two types. Encoded by hand, since Write would refuse nothing but
	// pprof's readers check.
	bad := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample:     []*profile.Sample{{Value: []int64{1}}},
	}
	var badBuf bytes.Buffer
	if err := bad.WriteUncompressed(&badBuf); err != nil {
		t.Fatal(err)
	}
	var noTypes bytes.Buffer
	if err := (&profile.Profile{Comments: []string{"hello"}}).Write(&noTypes); err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(cpu)
	corrupt[len(corrupt)/2] ^= 0xff

	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file, not a profile"},
		{"truncated gzip", cpu[:len(cpu)/2], "truncated: the gzip stream ends early"},
		{"corrupt gzip", corrupt, "corrupt gzip stream"},
		{"gzip of nothing", gz(nil), "empty profile (gzip of nothing)"},
		{"gzipped twice", gz(cpu), "gzipped twice"},
		{"truncated profile", gz(mustGunzip(t, cpu)[:1000]), "not a pprof profile, or a truncated or corrupt one"},
		{"binary", []byte{0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef}, "not a pprof profile, or a truncated or corrupt one"},
		{"text", []byte("hello, world\nsecond line\n"), `not a pprof profile: it looks like text, starting "hello, world"`},
		{"blank", []byte("\n \n"), "looks like blank text"},
		{"html", []byte("<!DOCTYPE html>\n<html><body>404 page not found</body></html>\n"), "looks like an HTML page"},
		{"json", []byte(`{"error": "no such profile"}`), `looks like JSON, starting "{\"error\": \"no such profile\"}"`},
		{"benchmarks", []byte("goos: linux\nBenchmarkX-8 1 100 ns/op\n"), "looks like Go benchmark output"},
		{"invalid", badBuf.Bytes(), "invalid profile: mismatch: sample has 1 values vs. 2 types"},
		{"no sample types", noTypes.Bytes(), "it has no sample types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := Load(path)
			if err == nil {
				t.Fatalf("Load: no error, profile %v", p)
			}
			if !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v\nwant %q, after the file's name", err, tc.want)
			}
		})
	}

	if _, err := Load(filepath.Join(dir, "missing.pb.gz")); err == nil || !strings.Contains(err.Error(), "missing.pb.gz: no such file") {
		t.Errorf("Load of a missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Load of a directory: %v", err)
	}
	if _, err := Parse(io.MultiReader(strings.NewReader("x"), errReader{}), "pipe"); err == nil || !strings.Contains(err.Error(), "pipe: reading: broken") {
		t.Errorf("Parse of a failing reader: %v", err)
	}
}

func TestParseSizeLimit(t *testing.T) {
	// Load checks a file's size before reading it: a sparse file of
	// 32 MiB + 1 costs nothing.
	path := filepath.Join(t.TempDir(), "big.pb.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxProfile + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "big.pb.gz: larger than 32 MiB") {
		t.Errorf("Load of 32 MiB + 1: %v", err)
	}
	// A small file whose profile is too large once decompressed (which
	// would take gigabytes to parse) is refused before it is parsed.
	var big bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&big, gzip.BestCompression)
	io.Copy(zw, io.LimitReader(zeros{}, maxProfile+1))
	zw.Close()
	if err := os.WriteFile(path, big.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "larger than 32 MiB uncompressed") {
		t.Errorf("Load of %d bytes, 32 MiB + 1 uncompressed: %v", big.Len(), err)
	}

	// Parse reads at most the limit (1 MiB here, 32 MiB in Parse),
	// before and after decompression.
	const limit = 1 << 20
	if _, err := parseLimited(io.LimitReader(zeros{}, limit+1), "big", limit); err == nil || !strings.Contains(err.Error(), "big: larger than 1 MiB") {
		t.Errorf("parse of 1 MiB + 1: %v", err)
	}
	var bomb bytes.Buffer
	w, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	io.Copy(w, io.LimitReader(zeros{}, limit+1))
	w.Close()
	if _, err := parseLimited(&bomb, "bomb", limit); err == nil || !strings.Contains(err.Error(), "bomb: larger than 1 MiB uncompressed") {
		t.Errorf("parse of a gzip bomb (%d bytes, 1 MiB + 1 uncompressed): %v", bomb.Len(), err)
	}
	// At the limit is fine (and not a profile).
	if _, err := parseLimited(io.LimitReader(zeros{}, limit), "zeros", limit); err == nil || strings.Contains(err.Error(), "larger than") {
		t.Errorf("parse of 1 MiB of zeros: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func mustGunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// FuzzParse feeds arbitrary bytes to Parse. Properties: Parse never
// panics; when it returns a profile, the profile is valid (CheckValid),
// and Rank (work 1), Folded and Symbolized take it without an error or a
// panic. Seeds: every file of testdata (real CPU and heap profiles of the
// shop's pricing service, the heap profile in the legacy text format, an
// empty file, a truncated profile, text), and the profiles uncompressed,
// so that mutations reach the protobuf decoder rather than gzip's
// checksum.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if fi, err := os.Stat(name); err != nil || fi.IsDir() {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasSuffix(name, ".txt") && len(data) > 2048 {
			// The fuzzer minimizes every input that finds new
			// coverage, for up to a minute each (-fuzzminimizetime),
			// and a 10 KB text takes all of it: its first lines
			// reach the same parser.
			data = data[:bytes.LastIndexByte(data[:2048], '\n')+1]
		}
		f.Add(data)
		if strings.HasSuffix(name, ".pb.gz") && len(data) > 0 {
			if raw, err := io.ReadAll(gzipReader(data)); err == nil {
				f.Add(raw)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz: ") {
				t.Errorf("error does not name the input: %v", err)
			}
			return
		}
		if err := p.CheckValid(); err != nil {
			t.Fatalf("Parse returned an invalid profile: %v", err)
		}
		side := analyze.ProfileSide{Profiles: []*profile.Profile{p}, Work: 1}
		hot, err := analyze.Rank(side, analyze.HotOptions{})
		if err != nil {
			t.Fatalf("Rank of a profile Parse accepted: %v", err)
		}
		// Flat values are conserved: each sample with a stack gives its
		// value to one function.
		vi, _ := p.SampleIndexByName("")
		var withStack, total int64
		small := true
		for _, s := range p.Sample {
			v := s.Value[vi]
			total += v
			if len(s.Location) > 0 {
				withStack += v
			}
			small = small && v > -1<<40 && v < 1<<40
		}
		var flat float64
		for _, h := range hot {
			flat += h.Head
		}
		if small && len(p.Sample) < 1<<10 && flat != float64(withStack) {
			t.Errorf("Rank's flat values add up to %v, the samples with a stack to %d", flat, withStack)
		}
		// A profile does not differ from itself (values beyond 2^53
		// lose their last bits in pprof's Scale, as in go tool pprof).
		if small {
			diffs, err := analyze.DiffProfiles([]analyze.ProfileSide{side}, []analyze.ProfileSide{side}, "")
			if err != nil {
				t.Fatalf("DiffProfiles of a profile with itself: %v", err)
			}
			if d, err := analyze.Diff(diffs, analyze.HotOptions{}); err != nil || len(d) != 0 {
				t.Errorf("Diff of a profile with itself: %v, %v", d, err)
			}
		}
		// Folded stacks add up to the total (in int64 arithmetic, as
		// the profile's own values).
		var b bytes.Buffer
		if err := analyze.Folded(&b, p, ""); err != nil {
			t.Fatalf("Folded of a profile Parse accepted: %v", err)
		}
		var sum int64
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if l == "" {
				continue
			}
			v, err := strconv.ParseInt(l[strings.LastIndexByte(l, ' ')+1:], 10, 64)
			if err != nil {
				t.Fatalf("folded line %q: %v", l, err)
			}
			sum += v
		}
		if sum != total {
			t.Errorf("folded stacks add up to %d, the profile to %d", sum, total)
		}
		analyze.Symbolized(p)
	})
}

func gzipReader(data []byte) io.Reader {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return bytes.NewReader(nil)
	}
	return zr
}
