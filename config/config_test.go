package config

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
)

// examplePath is the example configuration of the README, relative to the
// config package directory.
const examplePath = "../testdata/example/perfgate.yml"

// fullFile sets every key perfgate.yml knows. BENCHTIME is replaced by
// each case of TestParseFull.
const fullFile = `# Every key perfgate.yml knows.
base: main
sides:
  base:
    ref: v1.2.0
    env:
      GOGC: "200"
      GODEBUG: madvdontneed=1
    tags: [purego]
  head:
    env: {GOGC: "off"}
    tags: [perfgate_slow, netgo]
bench:
  packages: [./internal/..., ./cmd/perfgate]
  run: ^Benchmark(Top|Tokenize)$
  benchtime: BENCHTIME
  rounds: 6
  profile: false
  timeout: 2m
thresholds:
  ns/op: 5%
  B/op: 0.5%
  MB/s: 3%
  allocs/op: 0%
  default: 7%
  benchmarks:
    ^BenchmarkNoisy: {ns/op: 20%}
    Tokenize/size=1e6: {B/op: 1%, MB/s: 10%}
    .: {p99-sec: 25%}
`

func fullFileWith(benchtime string) string {
	return strings.Replace(fullFile, "BENCHTIME", benchtime, 1)
}

// defaultConfig is Default with the default thresholds, as Parse returns it
// for an empty file.
func defaultConfig() Config {
	c := Default
	c.Bench.Packages = slices.Clone(Default.Bench.Packages)
	c.Thresholds = DefaultThresholds()
	return c
}

// checkConfig compares got with want field by field, patterns by String
// and thresholds to within rounding.
func checkConfig(t *testing.T, got, want *Config) {
	t.Helper()
	if got.Base != want.Base {
		t.Errorf("Base = %q, want %q", got.Base, want.Base)
	}
	for _, s := range []struct {
		name      string
		got, want Side
	}{{"base", got.Sides.Base, want.Sides.Base}, {"head", got.Sides.Head, want.Sides.Head}} {
		if s.got.Ref != s.want.Ref {
			t.Errorf("Sides.%s.Ref = %q, want %q", s.name, s.got.Ref, s.want.Ref)
		}
		if !reflect.DeepEqual(s.got.Env, s.want.Env) {
			t.Errorf("Sides.%s.Env = %#v, want %#v", s.name, s.got.Env, s.want.Env)
		}
		if !reflect.DeepEqual(s.got.Tags, s.want.Tags) {
			t.Errorf("Sides.%s.Tags = %#v, want %#v", s.name, s.got.Tags, s.want.Tags)
		}
	}
	gb, wb := got.Bench, want.Bench
	if !reflect.DeepEqual(gb.Packages, wb.Packages) {
		t.Errorf("Bench.Packages = %#v, want %#v", gb.Packages, wb.Packages)
	}
	if gb.Run != wb.Run {
		t.Errorf("Bench.Run = %q, want %q", gb.Run, wb.Run)
	}
	if gb.Benchtime != wb.Benchtime {
		t.Errorf("Bench.Benchtime = %q, want %q", gb.Benchtime, wb.Benchtime)
	}
	if gb.Rounds != wb.Rounds {
		t.Errorf("Bench.Rounds = %d, want %d", gb.Rounds, wb.Rounds)
	}
	if gb.Profile != wb.Profile {
		t.Errorf("Bench.Profile = %v, want %v", gb.Profile, wb.Profile)
	}
	if gb.Timeout != wb.Timeout {
		t.Errorf("Bench.Timeout = %v, want %v", gb.Timeout, wb.Timeout)
	}
	checkThresholds(t, got.Thresholds, want.Thresholds)
}

func checkThresholds(t *testing.T, got, want analyze.Thresholds) {
	t.Helper()
	if !near(got.Default, want.Default) {
		t.Errorf("Thresholds.Default = %v, want %v", got.Default, want.Default)
	}
	checkUnits(t, "Thresholds.Units", got.Units, want.Units)
	if len(got.Benchmarks) != len(want.Benchmarks) {
		t.Errorf("Thresholds.Benchmarks has %d entries, want %d: %v", len(got.Benchmarks), len(want.Benchmarks), got.Benchmarks)
		return
	}
	for i, g := range got.Benchmarks {
		w := want.Benchmarks[i]
		if g.Pattern == nil {
			t.Errorf("Thresholds.Benchmarks[%d].Pattern is nil, want %q", i, w.Pattern)
			continue
		}
		if g.Pattern.String() != w.Pattern.String() {
			t.Errorf("Thresholds.Benchmarks[%d].Pattern = %q, want %q", i, g.Pattern, w.Pattern)
		}
		checkUnits(t, "Thresholds.Benchmarks["+g.Pattern.String()+"].Units", g.Units, w.Units)
	}
}

func checkUnits(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for u, w := range want {
		g, ok := got[u]
		if !ok || !near(g, w) {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }

func TestParseDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
	}{
		{"empty", ""},
		{"newline", "\n"},
		{"comment only", "# nothing to say\n"},
		{"empty document", "---\n"},
		{"empty mapping", "{}\n"},
		{"null bench and sides", "bench:\nsides:\n"},
		{"empty bench and sides", "bench: {}\nsides: {base: {}, head: {}}\n"},
		{"empty documents", "---\n---\n...\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.file), "perfgate.yml")
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.file, err)
			}
			want := defaultConfig()
			checkConfig(t, c, &want)
			// The values the documentation promises, spelt out rather
			// than taken from Default, so that a change of Default is
			// seen here.
			b := c.Bench
			if !reflect.DeepEqual(b.Packages, []string{"./..."}) || b.Run != "." ||
				b.Benchtime != "30ms" || b.Rounds != 60 || b.MinRounds != 10 || !b.Profile || b.Timeout != 10*time.Minute {
				t.Errorf("Bench = %+v, want packages ./..., run ., benchtime 30ms, rounds 60, min rounds 10, profile true, timeout 10m", b)
			}
			if !reflect.DeepEqual(c.Thresholds, analyze.DefaultThresholds) {
				t.Errorf("Thresholds = %+v, want analyze.DefaultThresholds %+v", c.Thresholds, analyze.DefaultThresholds)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestParseFull(t *testing.T) {
	for _, benchtime := range []string{"100x", "250ms"} {
		t.Run(benchtime, func(t *testing.T) {
			c, err := Parse([]byte(fullFileWith(benchtime)), "full.yml")
			if err != nil {
				t.Fatal(err)
			}
			want := &Config{
				Base: "main",
				Sides: Sides{
					Base: Side{
						Ref:  "v1.2.0",
						Env:  map[string]string{"GOGC": "200", "GODEBUG": "madvdontneed=1"},
						Tags: []string{"purego"},
					},
					Head: Side{
						Env:  map[string]string{"GOGC": "off"},
						Tags: []string{"perfgate_slow", "netgo"},
					},
				},
				Bench: Bench{
					Packages:  []string{"./internal/...", "./cmd/perfgate"},
					Run:       "^Benchmark(Top|Tokenize)$",
					Benchtime: benchtime,
					Rounds:    6,
					Profile:   false,
					Timeout:   2 * time.Minute,
				},
				Thresholds: analyze.Thresholds{
					Default: 0.07,
					Units: map[string]float64{
						"sec/op":     0.05,  // ns/op
						"B/op":       0.005, // 0.5%
						"B/s":        0.03,  // MB/s
						"allocs/op":  0,
						"req/s":      0.05, // default
						"max-req/s":  0.10, // default
						"p50-sec":    0.10, // default
						"p90-sec":    0.10, // default
						"p99-sec":    0.10, // default
						"max-sec":    0.50, // default
						"cpu-sec/op": 0.10, // default
						"peak-rss-B": 0.10, // default
					},
					Benchmarks: []analyze.BenchmarkThresholds{
						{Pattern: regexpOf(t, "^BenchmarkNoisy"), Units: map[string]float64{"sec/op": 0.20}},
						{Pattern: regexpOf(t, "Tokenize/size=1e6"), Units: map[string]float64{"B/op": 0.01, "B/s": 0.10}},
						{Pattern: regexpOf(t, "."), Units: map[string]float64{"p99-sec": 0.25}},
					},
				},
			}
			checkConfig(t, c, want)
			// The untidied names must not survive beside the tidy ones.
			for _, u := range []string{"ns/op", "MB/s"} {
				if _, ok := c.Thresholds.Units[u]; ok {
					t.Errorf("Thresholds.Units has %q; want it tidied", u)
				}
				for _, b := range c.Thresholds.Benchmarks {
					if _, ok := b.Units[u]; ok {
						t.Errorf("Thresholds.Benchmarks[%s].Units has %q; want it tidied", b.Pattern, u)
					}
				}
			}
			// First match wins, in file order.
			for _, q := range []struct {
				bench, unit string
				want        float64
			}{
				{"BenchmarkNoisy-8", "sec/op", 0.20},
				{"BenchmarkTokenize/size=1e6-8", "B/s", 0.10},
				{"BenchmarkTokenize/size=1e6-8", "p99-sec", 0.25},
				{"BenchmarkTop-8", "sec/op", 0.05},
				{"BenchmarkTop-8", "custom/op", 0.07},
			} {
				if got := c.Thresholds.For(q.bench, q.unit); !near(got, q.want) {
					t.Errorf("Thresholds.For(%q, %q) = %v, want %v", q.bench, q.unit, got, q.want)
				}
			}
		})
	}
}

func TestParsePartial(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		edit func(*Config) // applied to the defaults to give the want
	}{
		{"rounds only", "bench: {rounds: 3}\n", func(c *Config) { c.Bench.Rounds = 3 }},
		{"profile only", "bench: {profile: false}\n", func(c *Config) { c.Bench.Profile = false }},
		{"packages only", "bench:\n  packages: [./a, ./b/...]\n", func(c *Config) { c.Bench.Packages = []string{"./a", "./b/..."} }},
		{"timeout only", "bench: {timeout: 90s}\n", func(c *Config) { c.Bench.Timeout = 90 * time.Second }},
		{"run and benchtime", "bench: {run: ^BenchmarkTop$, benchtime: 1s}\n", func(c *Config) {
			c.Bench.Run = "^BenchmarkTop$"
			c.Bench.Benchtime = "1s"
		}},
		{"base only", "base: origin/main\n", func(c *Config) { c.Base = "origin/main" }},
		{"head tags only", "sides: {head: {tags: [x]}}\n", func(c *Config) { c.Sides.Head.Tags = []string{"x"} }},
		{"one unit", "thresholds: {sec/op: 10%}\n", func(c *Config) { c.Thresholds.Units["sec/op"] = 0.10 }},
		{"bare fraction", "thresholds: {B/op: 0.02}\n", func(c *Config) { c.Thresholds.Units["B/op"] = 0.02 }},
		{"new unit", "thresholds: {req/op: 15%}\n", func(c *Config) { c.Thresholds.Units["req/op"] = 0.15 }},
		{"default only", "thresholds: {default: 1%}\n", func(c *Config) { c.Thresholds.Default = 0.01 }},
		{"empty thresholds", "thresholds: {}\n", func(c *Config) {}},
		{"empty benchmarks", "thresholds: {benchmarks: {}}\n", func(c *Config) {}},
		{"null thresholds", "thresholds:\n", func(c *Config) {}},
		{"document markers", "---\nbench: {rounds: 3}\n...\n", func(c *Config) { c.Bench.Rounds = 3 }},
		{"trailing empty document", "bench: {rounds: 3}\n---\n# nothing more\n", func(c *Config) { c.Bench.Rounds = 3 }},
		{"merge key", "<<: {bench: {rounds: 3}}\n", func(c *Config) { c.Bench.Rounds = 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.file), "perfgate.yml")
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.file, err)
			}
			want := defaultConfig()
			tc.edit(&want)
			checkConfig(t, c, &want)
		})
	}
}

// TestParseDoesNotShare checks that what Parse returns can be changed
// without changing Default, analyze.DefaultThresholds or a later result.
func TestParseDoesNotShare(t *testing.T) {
	c, err := Parse(nil, "perfgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	c.Bench.Packages[0] = "./changed"
	c.Bench.Packages = append(c.Bench.Packages, "./more")
	c.Thresholds.Units["sec/op"] = 0.99
	c.Thresholds.Units["new/op"] = 0.99
	if !reflect.DeepEqual(Default.Bench.Packages, []string{"./..."}) {
		t.Errorf("Default.Bench.Packages = %v after changing a result", Default.Bench.Packages)
	}
	if v, ok := analyze.DefaultThresholds.Units["sec/op"]; !ok || v != 0.05 {
		t.Errorf("analyze.DefaultThresholds.Units[sec/op] = %v after changing a result", v)
	}
	if _, ok := analyze.DefaultThresholds.Units["new/op"]; ok {
		t.Errorf("analyze.DefaultThresholds.Units gained new/op after changing a result")
	}
	c2, err := Parse(nil, "perfgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := defaultConfig()
	checkConfig(t, c2, &want)
}

func TestParseErrors(t *testing.T) {
	const name = "ci/perfgate-test.yml"
	for _, tc := range []struct {
		name  string
		file  string
		words []string // each must be in the message, besides name
	}{
		{"unknown top-level key", "store: perfgate.db\n", []string{"store", "not found"}},
		{"services not a list", "services: {db: postgres}\n", []string{"line 1", "cannot unmarshal"}},
		{"unknown bench key", "bench: {roundz: 3}\n", []string{"roundz", "not found"}},
		{"unknown side key", "sides: {head: {branch: main}}\n", []string{"branch", "not found"}},
		{"unknown side", "sides: {middle: {ref: x}}\n", []string{"middle", "not found"}},
		{"rounds 0", "bench: {rounds: 0}\n", []string{"bench.rounds", "0"}},
		{"rounds -1", "bench: {rounds: -1}\n", []string{"bench.rounds", "-1"}},
		{"rounds 5000", "bench: {rounds: 5000}\n", []string{"bench.rounds", "5000"}},
		{"rounds not a number", "bench: {rounds: many}\n", []string{"many", "int"}},
		{"benchtime fast", "bench: {benchtime: fast}\n", []string{"bench.benchtime", `"fast"`}},
		{"benchtime 0s", "bench: {benchtime: 0s}\n", []string{"bench.benchtime", `"0s"`}},
		{"benchtime -1s", "bench: {benchtime: -1s}\n", []string{"bench.benchtime", `"-1s"`}},
		{"benchtime 0x", "bench: {benchtime: 0x}\n", []string{"bench.benchtime", `"0x"`}},
		{"benchtime 1.5x", "bench: {benchtime: 1.5x}\n", []string{"bench.benchtime", `"1.5x"`}},
		{"benchtime empty", "bench: {benchtime: \"\"}\n", []string{"bench.benchtime"}},
		{"run regexp", "bench: {run: \"(\"}\n", []string{"bench.run", "missing closing )"}},
		{"threshold five", "thresholds: {sec/op: five}\n", []string{"thresholds", `"five"`, "line 1"}},
		{"threshold negative", "thresholds:\n  sec/op: -5%\n", []string{"thresholds", `"-5%"`, "line 2"}},
		{"threshold infinite", "thresholds: {sec/op: .inf}\n", []string{"thresholds", `".inf"`}},
		{"threshold not a scalar", "thresholds: {sec/op: [5%]}\n", []string{"thresholds", "percentage"}},
		{"default threshold", "thresholds: {default: lots}\n", []string{"thresholds", `"lots"`}},
		{"benchmark threshold", "thresholds:\n  benchmarks:\n    Top: {sec/op: -1%}\n", []string{"thresholds", `"-1%"`, "line 3"}},
		{"benchmark pattern", "thresholds:\n  benchmarks:\n    \"(\": {sec/op: 5%}\n", []string{"thresholds", "benchmark pattern", `"("`, "line 3"}},
		{"benchmark units not a mapping", "thresholds:\n  benchmarks:\n    Top: 5%\n", []string{"thresholds", "mapping", "line 3"}},
		{"thresholds list", "thresholds:\n  - sec/op: 5%\n", []string{"thresholds", "mapping"}},
		{"unit set twice", "thresholds:\n  sec/op: 5%\n  ns/op: 10%\n", []string{"thresholds", "sec/op is set twice", "line 3"}},
		{"benchmark unit set twice", "thresholds:\n  benchmarks:\n    Top: {B/op: 1%, B/op: 2%}\n", []string{"thresholds", "B/op is set twice"}},
		{"benchmarks not a mapping", "thresholds: {benchmarks: 5%}\n", []string{"thresholds.benchmarks", "mapping"}},
		{"env value with NUL", "sides: {head: {env: {A: \"x\\0y\"}}}\n", []string{"sides.head.env", "NUL"}},
		{"thresholds scalar", "thresholds: 5%\n", []string{"thresholds", "mapping"}},
		{"env key with =", "sides: {head: {env: {\"GOGC=100\": x}}}\n", []string{"sides.head.env", `"GOGC=100"`}},
		{"env key empty", "sides: {base: {env: {\"\": x}}}\n", []string{"sides.base.env", `""`}},
		{"empty tag", "sides: {head: {tags: [\"\"]}}\n", []string{"sides.head.tags", `""`}},
		{"tag with comma", "sides: {base: {tags: [\"a,b\"]}}\n", []string{"sides.base.tags", `"a,b"`}},
		{"tag with space", "sides: {head: {tags: [\"a b\"]}}\n", []string{"sides.head.tags", `"a b"`}},
		{"side ref dash", "sides: {base: {ref: \"--force\"}}\n", []string{"sides.base.ref", `"--force"`}},
		{"head ref dash", "sides: {head: {ref: -x}}\n", []string{"sides.head.ref", `"-x"`}},
		{"base dash", "base: -main\n", []string{"base", `"-main"`}},
		{"timeout 0s", "bench: {timeout: 0s}\n", []string{"bench.timeout", "not positive"}},
		{"timeout negative", "bench: {timeout: -1m}\n", []string{"bench.timeout", "not positive"}},
		{"profile samples 0", "bench: {profile_samples: 0}\n", []string{"bench.profile_samples", "0"}},
		{"profile time too long", "bench: {profile_time: 2h}\n", []string{"bench.profile_time", "2h"}},
		{"timeout bare 0", "bench: {timeout: 0}\n", []string{"time.Duration"}},
		{"timeout nonsense", "bench: {timeout: soon}\n", []string{"soon", "time.Duration"}},
		{"empty packages", "bench: {packages: []}\n", []string{"bench.packages", "no package"}},
		{"unclosed bracket", "bench:\n  packages: [./a, ./b\n", []string{"line", "did not find expected"}},
		{"unclosed brace", "sides: {head: {tags: [x]}\n", []string{"line", "did not find expected"}},
		{"tab indented", "bench:\n\trounds: 3\n", []string{"line 2", "cannot start any token"}},
		{"duplicate key", "bench: {rounds: 3}\nbench: {rounds: 4}\n", []string{"bench", "already defined"}},
		{"not a mapping", "just a string\n", []string{"cannot unmarshal"}},
		{"bench a list", "bench: [rounds]\n", []string{"cannot unmarshal"}},
		{"second document", "bench: {rounds: 3}\n---\nservices: {db: postgres}\n", []string{"second YAML document", "line 3"}},
		{"second document valid", "bench: {rounds: 3}\n---\nbench: {rounds: 4}\n", []string{"second YAML document", "line 3"}},
		{"second document broken", "bench: {rounds: 3}\n---\n[\n", []string{"line 3"}},
		{"merge of a list", "<<: [[a]]\n", []string{"merge"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.file), name)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tc.file, c)
			}
			if c != nil {
				t.Errorf("Parse(%q) returned a config beside the error", tc.file)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, name+": ") {
				t.Errorf("error %q does not start with the file name %q", msg, name)
			}
			for _, w := range tc.words {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}

// panicky panics when yaml.v3 decodes into it, standing for the internal
// panics yaml.v3 lets through on some malformed input.
type panicky struct{}

func (*panicky) UnmarshalYAML(func(any) error) error { panic("internal error (please report)") }

func TestDecodeOneRecovers(t *testing.T) {
	var v panicky
	err := decodeOne([]byte("x: 1\n"), &v)
	if err == nil || !strings.Contains(err.Error(), "malformed YAML") || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("decodeOne into a panicking Unmarshaler: error %v, want one saying malformed YAML", err)
	}
}

func TestLoad(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope", "perfgate.yml")
		c, err := Load(path)
		if err == nil {
			t.Fatalf("Load(%q) = %+v, want an error", path, c)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not mention %q", err, path)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %q does not wrap a not-exist error", err)
		}
	})
	t.Run("bad file names its path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "perfgate.yml")
		if err := os.WriteFile(path, []byte("bench: {rounds: 0}\n"), 0o666); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), "bench.rounds") {
			t.Errorf("Load(%q) error = %v, want one that starts with the path and says bench.rounds", path, err)
		}
	})
	t.Run("example", func(t *testing.T) {
		c, err := Load(examplePath)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Sides.Head.Tags; !reflect.DeepEqual(got, []string{"perfgate_slow"}) {
			t.Errorf("Sides.Head.Tags = %q, want [perfgate_slow]", got)
		}
		if got := c.Sides.Base.Ref; got != "HEAD" {
			t.Errorf("Sides.Base.Ref = %q, want HEAD", got)
		}
		if got := c.Sides.Head.Ref; got != "" {
			t.Errorf("Sides.Head.Ref = %q, want the working tree", got)
		}
		if got := c.Bench.Packages; !reflect.DeepEqual(got, []string{"./testdata/example/wordfreq"}) {
			t.Errorf("Bench.Packages = %q", got)
		}
		if c.Bench.Rounds != 10 || c.Bench.Benchtime != "100ms" || !c.Bench.Profile {
			t.Errorf("Bench = %+v", c.Bench)
		}
		if got := c.Thresholds.Units["allocs/op"]; got != 0 {
			t.Errorf("Thresholds.Units[allocs/op] = %v, want 0", got)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
	})
}

func regexpOf(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

func TestValidateDefault(t *testing.T) {
	c := defaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default does not validate: %v", err)
	}
}
