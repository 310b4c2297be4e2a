package analyze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/pprof/profile"
)

// The fixtures of testdata/profiles (see its README.md): real profiles of
// a loop of operations, work1 + work2 + misc, whose head's work2 costs 3x.
var profileFixtures = []string{"cpu-base", "cpu-head", "allocs-base", "allocs-head"}

// fixture returns the profile testdata/profiles/name.pb.gz as a side whose
// work is the operations in name.ops.
func fixture(t testing.TB, name string) ProfileSide {
	t.Helper()
	p := parseProfileFile(t, filepath.Join("testdata", "profiles", name+".pb.gz"))
	data, err := os.ReadFile(filepath.Join("testdata", "profiles", name+".ops"))
	if err != nil {
		t.Fatal(err)
	}
	ops, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s.ops: %v", name, err)
	}
	return ProfileSide{Profiles: []*profile.Profile{p}, Work: float64(ops)}
}

func parseProfileFile(t testing.TB, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

func writeProfileFile(t testing.TB, path string, p *profile.Profile) {
	t.Helper()
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pprofPath is the pprof binary of the go command running the tests: in
// GOTOOLDIR, or (Go 1.24 and later) built on demand, where `go tool -n
// pprof` says.
var pprofPath = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOTOOLDIR").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOTOOLDIR: %v", err)
	}
	if p := filepath.Join(strings.TrimSpace(string(out)), "pprof"); fileExists(p) {
		return p, nil
	}
	out, err = exec.Command("go", "tool", "-n", "pprof").Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n pprof: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
})

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// topLine is a line of `pprof -top`.
type topLine struct {
	flat, flatPct, sumPct, cum, cumPct, name string
}

// pprofTop runs `pprof -top args...` and returns its lines.
func pprofTop(t testing.TB, args ...string) []topLine {
	t.Helper()
	bin, err := pprofPath()
	if err != nil {
		t.Skipf("no pprof: %v", err)
	}
	cmd := exec.Command(bin, append([]string{"-top"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pprof -top %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	lines := strings.Split(string(out), "\n")
	i := slices.IndexFunc(lines, func(l string) bool {
		return strings.HasPrefix(strings.TrimSpace(l), "flat ") && strings.Contains(l, "cum%")
	})
	if i < 0 {
		t.Fatalf("pprof -top %s: no header:\n%s", strings.Join(args, " "), out)
	}
	var top []topLine
	for _, l := range lines[i+1:] {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		name := strings.Join(f[5:], " ")
		name = strings.TrimSuffix(name, " (inline)")
		name = strings.TrimSuffix(name, " (partial-inline)")
		top = append(top, topLine{f[0], f[1], f[2], f[3], f[4], name})
	}
	return top
}

var printedValue = regexp.MustCompile(`^(-?[0-9.]+)([a-zA-Z]*)$`)

// pprofUnits are the factors of the units pprof prints, from the base unit
// of each sample unit (nanoseconds, bytes, counts).
var pprofUnits = map[string]float64{
	"": 1, "ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "hrs": 3600e9,
	"B": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40,
}

// formatLike formats v (in the base unit) as pprof printed want: in its
// unit, with its rounding (measurement.ScaledLabel).
func formatLike(t testing.TB, v float64, want string) string {
	t.Helper()
	if want == "0" {
		if v == 0 {
			return "0"
		}
		return fmt.Sprint(v)
	}
	m := printedValue.FindStringSubmatch(want)
	if m == nil {
		t.Fatalf("pprof printed %q: not a value", want)
	}
	factor, ok := pprofUnits[m[2]]
	if !ok {
		t.Fatalf("pprof printed %q: unit %q unknown", want, m[2])
	}
	s := strings.TrimSuffix(fmt.Sprintf("%.2f", v/factor), ".00")
	if s == "0" || s == "-0" {
		return "0"
	}
	return s + m[2]
}

// percentage is measurement.Percentage, as pprof prints flat%.
func percentage(ratio float64) string {
	ratio = math.Abs(ratio) * 100
	switch {
	case ratio >= 99.95 && ratio <= 100.05:
		return "100%"
	case ratio >= 1:
		return fmt.Sprintf("%.2f%%", ratio)
	default:
		return strings.TrimSpace(fmt.Sprintf("%5.2g%%", ratio))
	}
}

// checkTop checks that hot lists the functions of pprof's top in its
// order, with its flat and cum values (per unit of work times work), for
// the first n lines.
func checkTop(t *testing.T, top []topLine, hot []Hot, work float64, n int, checkPct bool) {
	t.Helper()
	if len(top) < n {
		n = len(top)
	}
	if len(hot) < n {
		t.Fatalf("Rank returned %d functions, pprof %d", len(hot), len(top))
	}
	for i, l := range top[:n] {
		h := hot[i]
		if h.Function != l.name {
			t.Errorf("#%d: Rank %s, pprof %s\nRank:  %s\npprof: %s", i+1, h.Function, l.name, hotNames(hot[:n]), topNames(top[:n]))
			return
		}
		if got := formatLike(t, h.Head*work, l.flat); got != l.flat {
			t.Errorf("#%d %s: flat %s, pprof %s", i+1, l.name, got, l.flat)
		}
		if got := formatLike(t, h.HeadCum*work, l.cum); got != l.cum {
			t.Errorf("#%d %s: cum %s, pprof %s", i+1, l.name, got, l.cum)
		}
		if got := percentage(h.Share); checkPct && got != l.flatPct {
			t.Errorf("#%d %s: flat%% %s, pprof %s", i+1, l.name, got, l.flatPct)
		}
	}
}

func hotNames(hot []Hot) string {
	var s []string
	for _, h := range hot {
		s = append(s, h.Function)
	}
	return strings.Join(s, " ")
}

func topNames(top []topLine) string {
	var s []string
	for _, l := range top {
		s = append(s, l.name)
	}
	return strings.Join(s, " ")
}

func TestRankMatchesPprofTop(t *testing.T) {
	dir := t.TempDir()
	synth := filepath.Join(dir, "synth.pb.gz")
	sb, _ := synthProfiles(synthSpec{samples: 3000, funcs: 300, minDepth: 30, maxDepth: 60, seed: 7})
	writeProfileFile(t, synth, sb)
	for _, tc := range []struct {
		file, sampleIndex string
		unit              string
	}{
		{"testdata/profiles/cpu-base.pb.gz", "", "ns/op"},
		{"testdata/profiles/cpu-head.pb.gz", "", "ns/op"},
		{"testdata/profiles/cpu-base.pb.gz", "samples", "count/op"},
		{"testdata/profiles/allocs-base.pb.gz", "", "B/op"}, // default: alloc_space
		{"testdata/profiles/allocs-base.pb.gz", "alloc_space", "B/op"},
		{"testdata/profiles/allocs-base.pb.gz", "alloc_objects", "objects/op"},
		{"testdata/profiles/allocs-head.pb.gz", "alloc_space", "B/op"},
		{"testdata/profiles/allocs-head.pb.gz", "alloc_objects", "objects/op"},
		{"testdata/profiles/allocs-head.pb.gz", "inuse_space", "B/op"},
		{synth, "", "ns/op"}, // deep stacks, recursion, inlining
	} {
		t.Run(filepath.Base(tc.file)+"/"+tc.sampleIndex, func(t *testing.T) {
			args := []string{"-nodecount=20", "-nodefraction=0"}
			if tc.sampleIndex != "" {
				args = append(args, "-sample_index="+tc.sampleIndex)
			}
			top := pprofTop(t, append(args, tc.file)...)
			if len(top) < 15 && !strings.Contains(tc.sampleIndex, "inuse") {
				t.Fatalf("pprof shows %d functions; the fixture should have at least 15", len(top))
			}
			p := parseProfileFile(t, tc.file)
			hot, err := Rank(ProfileSide{Profiles: []*profile.Profile{p}, Work: 1}, HotOptions{SampleType: tc.sampleIndex})
			if err != nil {
				t.Fatal(err)
			}
			checkTop(t, top, hot, 1, 15, true)
			for _, h := range hot {
				if h.Unit != tc.unit {
					t.Fatalf("unit %q, want %q", h.Unit, tc.unit)
				}
			}
			// Top cuts the same list; work divides it.
			hot5, err := Rank(ProfileSide{Profiles: []*profile.Profile{p}, Work: 1000}, HotOptions{SampleType: tc.sampleIndex, Top: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(hot5) != min(5, len(hot)) {
				t.Fatalf("Top 5: %d functions", len(hot5))
			}
			for i, h := range hot5 {
				if h.Function != hot[i].Function || h.Head != hot[i].Head/1000 || h.HeadCum != hot[i].HeadCum/1000 || h.Share != hot[i].Share {
					t.Errorf("Top 5, work 1000: #%d %+v; work 1: %+v", i+1, h, hot[i])
				}
				if len(h.Path) == 0 || h.Path[len(h.Path)-1] != h.Function {
					t.Errorf("#%d %s: path %q does not end with it", i+1, h.Function, h.Path)
				}
			}
		})
	}
}

// Several profiles of a side count as their merge: twice the same profile
// with twice the work is the profile.
func TestRankMergesProfiles(t *testing.T) {
	one := fixture(t, "cpu-base")
	two := ProfileSide{Profiles: []*profile.Profile{one.Profiles[0], one.Profiles[0]}, Work: 2 * one.Work}
	h1, err := Rank(one, HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h2, err := Rank(two, HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(h1, h2, func(a, b Hot) bool {
		return a.Function == b.Function && a.Head == b.Head && a.HeadCum == b.HeadCum && a.Share == b.Share
	}) {
		t.Errorf("Rank of the profile twice, twice the work:\n%v\nonce:\n%v", h2, h1)
	}
}

func TestDiffFixtures(t *testing.T) {
	for _, tc := range []struct {
		kind, sampleType string
		unit             string
		// exact, when the profiles are exact (every allocation
		// sampled): work2's growth per operation, and work1 must be
		// absent.
		exact float64
	}{
		{"cpu", "", "ns/op", 0},
		{"allocs", "alloc_space", "B/op", 1024},
		{"allocs", "alloc_objects", "objects/op", 2},
	} {
		t.Run(tc.kind+"/"+tc.sampleType, func(t *testing.T) {
			base, head := fixture(t, tc.kind+"-base"), fixture(t, tc.kind+"-head")
			hot, err := diffSides([]ProfileSide{base}, []ProfileSide{head}, HotOptions{SampleType: tc.sampleType})
			if err != nil {
				t.Fatal(err)
			}
			if len(hot) == 0 {
				t.Fatal("Diff found nothing")
			}
			w2 := hot[0]
			if w2.Function != "main.work2" {
				t.Fatalf("first is %s, want main.work2; all: %s", w2.Function, hotNames(hot))
			}
			if w2.Share <= 0.5 {
				t.Errorf("work2's share %v, want > 0.5", w2.Share)
			}
			if w2.Unit != tc.unit {
				t.Errorf("unit %q, want %q", w2.Unit, tc.unit)
			}
			if g := w2.Head - w2.Base; !(g > 0) || (tc.exact != 0 && g != tc.exact) {
				t.Errorf("work2 grew by %v %s, want %v", g, tc.unit, tc.exact)
			}
			if r := w2.Head / w2.Base; tc.kind == "cpu" && (r < 2 || r > 4) {
				t.Errorf("work2 per operation: base %v, head %v: ratio %.2f, want about 3", w2.Base, w2.Head, r)
			}
			if n := len(w2.Path); n < 3 || w2.Path[n-1] != "main.work2" || w2.Path[n-2] != "main.op" || !slices.Contains(w2.Path[:2], "main.main") {
				t.Errorf("work2's path %q: want main.main first or second, then main.op, main.work2", w2.Path)
			}
			var sum float64
			for i, h := range hot {
				if !(h.Head > h.Base) {
					t.Errorf("%s: base %v head %v: did not grow", h.Function, h.Base, h.Head)
				}
				if i > 0 && h.Head-h.Base > hot[i-1].Head-hot[i-1].Base {
					t.Errorf("%s before %s: not ordered by growth", hot[i-1].Function, h.Function)
				}
				sum += h.Share
			}
			if sum < 1-1e-9 {
				t.Errorf("shares of the functions that grew add up to %v, want >= 1", sum)
			}
			// work1 did not change: absent, or tiny beside work2 (the
			// allocs fixtures count 3 more of its allocations on the
			// head side, over 3000 operations; CPU samples are noisy).
			limit := 0.25
			if tc.exact != 0 {
				limit = 0.01
			}
			for _, h := range hot {
				if h.Function == "main.work1" && h.Head-h.Base > limit*(w2.Head-w2.Base) {
					t.Errorf("work1 (unchanged) grew by %v, work2 by %v", h.Head-h.Base, w2.Head-w2.Base)
				}
			}
		})
	}
}

// stack is a hand-made sample: its frames outermost first, and its value.
// A frame "outer+inner" is one location with inner inlined into outer.
type stack struct {
	frames string // "main.main;a;b"
	v      int64
}

// handProfile builds a CPU profile (samples/count, cpu/nanoseconds) by
// hand, one location per distinct frame.
func handProfile(stacks ...stack) *profile.Profile {
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x800000, File: "/bin/hand", HasFunctions: true}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
		Mapping:    []*profile.Mapping{m},
	}
	funcs := map[string]*profile.Function{}
	fn := func(name string) *profile.Function {
		if f := funcs[name]; f != nil {
			return f
		}
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, Filename: "hand.go"}
		funcs[name] = f
		p.Function = append(p.Function, f)
		return f
	}
	locs := map[string]*profile.Location{}
	for _, s := range stacks {
		frames := strings.Split(s.frames, ";")
		sample := &profile.Sample{Value: []int64{s.v / 10_000_000, s.v}}
		for i := len(frames) - 1; i >= 0; i-- {
			l := locs[frames[i]]
			if l == nil {
				l = &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: m, Address: 0x401000 + 0x10*uint64(len(p.Location))}
				names := strings.Split(frames[i], "+")
				for j := len(names) - 1; j >= 0; j-- { // innermost first
					l.Line = append(l.Line, profile.Line{Function: fn(names[j]), Line: int64(10 + j)})
				}
				locs[frames[i]] = l
				p.Location = append(p.Location, l)
			}
			sample.Location = append(sample.Location, l)
		}
		p.Sample = append(p.Sample, sample)
	}
	return p
}

func oneSide(work float64, ps ...*profile.Profile) []ProfileSide {
	return []ProfileSide{{Profiles: ps, Work: work}}
}

// diffSides is what the gate does with the profiles of a result: their
// diffs (DiffProfiles), and the functions that grew in them (Diff).
func diffSides(base, head []ProfileSide, opts HotOptions) ([]Hot, error) {
	diffs, err := DiffProfiles(base, head, opts.SampleType)
	if err != nil {
		return nil, err
	}
	return Diff(diffs, opts)
}

func TestDiffPerUnitOfWork(t *testing.T) {
	const ms = 1_000_000
	type want struct {
		function          string
		base, head, share float64
		baseCum, headCum  float64
	}
	for _, tc := range []struct {
		name       string
		base, head []ProfileSide
		want       []want
	}{{
		// Head did twice the work in the same window, at the same
		// cost per operation: raw totals doubled, nothing changed.
		name: "twice the work",
		base: oneSide(1000, handProfile(stack{"main.main;a", 100 * ms}, stack{"main.main;b", 200 * ms})),
		head: oneSide(2000, handProfile(stack{"main.main;a", 200 * ms}, stack{"main.main;b", 400 * ms})),
	}, {
		// The same, misread: work 1 on both sides compares raw totals.
		name: "twice the work, raw",
		base: oneSide(1, handProfile(stack{"main.main;a", 100 * ms}, stack{"main.main;b", 200 * ms})),
		head: oneSide(1, handProfile(stack{"main.main;a", 200 * ms}, stack{"main.main;b", 400 * ms})),
		want: []want{{"b", 200 * ms, 400 * ms, 2.0 / 3, 200 * ms, 400 * ms}, {"a", 100 * ms, 200 * ms, 1.0 / 3, 100 * ms, 200 * ms}},
	}, {
		// A fixed window (a profile of a service under load): head's
		// new slow function c halves the operations, so a and b get
		// half the window. Per second they look cheaper; per
		// operation they are unchanged, and c is all of the change.
		name: "fixed window",
		base: oneSide(100, handProfile(stack{"main.main;a", 500 * ms}, stack{"main.main;b", 500 * ms})),
		head: oneSide(50, handProfile(stack{"main.main;a", 250 * ms}, stack{"main.main;b", 250 * ms}, stack{"main.main;b;c", 500 * ms})),
		want: []want{{"c", 0, 10 * ms, 1, 0, 10 * ms}},
	}, {
		// The fixed window read per second (the same work on both
		// sides): a and b shrink and are left out; c's share is of a
		// total change of zero, so of the growth.
		name: "fixed window, per second",
		base: oneSide(1, handProfile(stack{"main.main;a", 500 * ms}, stack{"main.main;b", 500 * ms})),
		head: oneSide(1, handProfile(stack{"main.main;a", 250 * ms}, stack{"main.main;b", 250 * ms}, stack{"main.main;b;c", 500 * ms})),
		want: []want{{"c", 0, 500 * ms, 1, 0, 500 * ms}},
	}, {
		// Other functions got cheaper: a share is of the growth, not of
		// the net change (which would make it 2 here).
		name: "shares of the growth",
		base: oneSide(1, handProfile(stack{"main.main;a", 100 * ms}, stack{"main.main;b", 100 * ms})),
		head: oneSide(1, handProfile(stack{"main.main;a", 160 * ms}, stack{"main.main;b", 70 * ms})),
		want: []want{{"a", 100 * ms, 160 * ms, 1, 100 * ms, 160 * ms}},
	}, {
		// Equal growth: by name. Recursion counts once in cum; flat
		// goes to the innermost inlined function (d, inlined into r).
		name: "ties, recursion and inlining",
		base: oneSide(1, handProfile(stack{"main.main;r;r;r+d", 10 * ms}, stack{"main.main;z", 10 * ms})),
		head: oneSide(1, handProfile(stack{"main.main;r;r;r+d", 20 * ms}, stack{"main.main;z", 20 * ms})),
		want: []want{{"d", 10 * ms, 20 * ms, 0.5, 10 * ms, 20 * ms}, {"z", 10 * ms, 20 * ms, 0.5, 10 * ms, 20 * ms}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			hot, err := diffSides(tc.base, tc.head, HotOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []want
			for _, h := range hot {
				got = append(got, want{h.Function, h.Base, h.Head, h.Share, h.BaseCum, h.HeadCum})
			}
			if !slices.EqualFunc(got, tc.want, func(a, b want) bool {
				return a.function == b.function && a.base == b.base && a.head == b.head &&
					math.Abs(a.share-b.share) < 1e-12 && a.baseCum == b.baseCum && a.headCum == b.headCum
			}) {
				t.Errorf("Diff:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRankRecursionAndInlining(t *testing.T) {
	const ms = 1_000_000
	p := handProfile(
		stack{"main.main;r;r;r+d", 30 * ms},
		stack{"main.main;r;x", 10 * ms},
		stack{"main.main;r", 10 * ms},
	)
	hot, err := Rank(ProfileSide{Profiles: []*profile.Profile{p}, Work: 1}, HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name      string
		flat, cum float64
		path      string
	}
	want := []row{
		{"d", 30 * ms, 30 * ms, "main.main;r;r;r;d"}, // inlined into the third r: flat to d
		{"r", 10 * ms, 50 * ms, "main.main;r"},       // cum once per sample, though three times in a stack
		{"x", 10 * ms, 10 * ms, "main.main;r;x"},
		{"main.main", 0, 50 * ms, ""},
	}
	var got []row
	for _, h := range hot {
		got = append(got, row{h.Function, h.Head, h.HeadCum, strings.Join(h.Path, ";")})
	}
	if !slices.Equal(got, want) {
		t.Errorf("Rank:\n got %v\nwant %v", got, want)
	}
}

func TestDiffServices(t *testing.T) {
	const ms = 1_000_000
	base := []ProfileSide{
		{Service: "cart", Profiles: []*profile.Profile{handProfile(stack{"main.main;handle", 100 * ms})}, Work: 100},
		{Service: "pricing", Profiles: []*profile.Profile{handProfile(stack{"main.main;handle", 100 * ms})}, Work: 100},
	}
	head := []ProfileSide{
		{Service: "pricing", Profiles: []*profile.Profile{handProfile(stack{"main.main;handle", 300 * ms})}, Work: 50},
		{Service: "pricing", Profiles: []*profile.Profile{handProfile(stack{"main.main;handle", 300 * ms})}, Work: 50}, // a second round
		{Service: "cart", Profiles: []*profile.Profile{handProfile(stack{"main.main;handle", 150 * ms})}, Work: 100},
	}
	hot, err := diffSides(base, head, HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// pricing: 1ms/op -> 6ms/op; cart: 1ms/op -> 1.5ms/op.
	if len(hot) != 2 || hot[0].Service != "pricing" || hot[0].Base != 1*ms || hot[0].Head != 6*ms ||
		hot[1].Service != "cart" || hot[1].Head != 1.5*ms || math.Abs(hot[0].Share-5/5.5) > 1e-12 {
		t.Errorf("Diff by service: %+v", hot)
	}
}

// Diff ranks the diff DiffProfiles builds, the profile a caller writes
// for pprof, and nothing else: each function's Base, Head and growth are
// the flat values of that profile's samples (base's labelled
// pprof::base=true), per unit of head's work; every function whose flat
// value in the diff is positive is listed; and ranking the diff read back
// from its written bytes gives the same list.
func TestDiffRanksItsDiff(t *testing.T) {
	const ms = 1_000_000
	sb, sh := synthProfiles(synthSpec{samples: 3000, funcs: 300, minDepth: 30, maxDepth: 60, seed: 11})
	cpuBase, cpuHead := fixture(t, "cpu-base"), fixture(t, "cpu-head")
	base := []ProfileSide{
		{Service: "cart", Profiles: cpuBase.Profiles, Work: cpuBase.Work},
		{Service: "pricing", Profiles: []*profile.Profile{sb}, Work: 700},
		{Service: "gone", Profiles: []*profile.Profile{handProfile(stack{"main.main;old", 100 * ms})}, Work: 10},
	}
	head := []ProfileSide{
		{Service: "search", Profiles: []*profile.Profile{handProfile(stack{"main.main;query", 30 * ms}, stack{"main.main;query;scan", 70 * ms})}, Work: 10},
		{Service: "pricing", Profiles: []*profile.Profile{sh}, Work: 300},
		{Service: "pricing", Profiles: []*profile.Profile{sh}, Work: 300}, // a second round
		{Service: "cart", Profiles: cpuHead.Profiles, Work: cpuHead.Work},
	}
	diffs, err := DiffProfiles(base, head, "")
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, d := range diffs {
		services = append(services, d.Service)
		if (d.Base == nil) != (d.Service == "search") || (d.Base == nil && d.Diff != d.Head) {
			t.Errorf("service %s: base %p, head %p, diff %p", d.Service, d.Base, d.Head, d.Diff)
		}
	}
	if want := []string{"search", "pricing", "cart"}; !slices.Equal(services, want) {
		t.Fatalf("diffs of services %q, want %q (head's order, not base's only)", services, want)
	}
	if diffs[1].Work != 600 {
		t.Errorf("pricing's work %v, want its two rounds' 600", diffs[1].Work)
	}
	hot, err := Diff(diffs, HotOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The flat values of each diff's samples, plainly: the leaf's
	// innermost function, or its address.
	type key struct{ service, function string }
	flat := map[key]*[2]int64{} // base's (negative), head's
	for _, d := range diffs {
		for _, s := range d.Diff.Sample {
			leaf := s.Location[0]
			name := fmt.Sprintf("0x%x", leaf.Address)
			if len(leaf.Line) > 0 {
				name = leaf.Line[0].Function.Name
			}
			k := key{d.Service, name}
			if flat[k] == nil {
				flat[k] = new([2]int64)
			}
			side := 1
			if s.DiffBaseSample() {
				side = 0
			}
			flat[k][side] += s.Value[1]
		}
	}
	work := map[string]float64{}
	for _, d := range diffs {
		work[d.Service] = d.Work
	}
	listed := map[key]bool{}
	var growth float64
	for _, h := range hot {
		k := key{h.Service, h.Function}
		listed[k] = true
		f, w := flat[k], work[h.Service]
		if f == nil {
			t.Fatalf("%s of %s: no sample of the diff has it as its leaf", h.Function, h.Service)
		}
		if h.Base != float64(-f[0])/w || h.Head != float64(f[1])/w {
			t.Errorf("%s of %s: base %v head %v; the diff's flat values %v over work %v", h.Function, h.Service, h.Base, h.Head, f, w)
		}
		if g := (h.Head - h.Base) * w; math.Abs(g-float64(f[0]+f[1])) > 1e-6*math.Abs(g) {
			t.Errorf("%s of %s: growth %v x work, the diff's flat value %d", h.Function, h.Service, g, f[0]+f[1])
		}
		growth += h.Head - h.Base
	}
	for k, f := range flat {
		if f[0]+f[1] > 0 && !listed[k] {
			t.Errorf("%s of %s grew by %d in the diff and is not listed", k.function, k.service, f[0]+f[1])
		}
	}
	for _, h := range hot {
		if math.Abs(h.Share-(h.Head-h.Base)/growth) > 1e-9 {
			t.Errorf("%s of %s: share %v, want %v", h.Function, h.Service, h.Share, (h.Head-h.Base)/growth)
		}
	}
	if !slices.ContainsFunc(hot, func(h Hot) bool {
		return h.Service == "search" && h.Function == "scan" && h.Base == 0 && h.Head == 7*ms
	}) {
		t.Errorf("the new service's scan is not all growth: %+v", hot)
	}
	if slices.ContainsFunc(hot, func(h Hot) bool { return h.Service == "gone" }) {
		t.Errorf("a service of the base side only is listed: %+v", hot)
	}

	// The diffs as written and read back rank the same.
	back := make([]ProfileDiff, len(diffs))
	for i, d := range diffs {
		var b bytes.Buffer
		if err := d.Diff.Write(&b); err != nil {
			t.Fatal(err)
		}
		p, err := profile.Parse(&b)
		if err != nil {
			t.Fatal(err)
		}
		back[i] = ProfileDiff{Service: d.Service, Diff: p, Work: d.Work, BaseWork: d.BaseWork, Kind: d.Kind}
	}
	again, err := Diff(back, HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, hot) {
		t.Errorf("Diff of the diffs read back:\n%+v\nof the diffs built:\n%+v", again, hot)
	}
}

func TestDiffProfileMatchesPprof(t *testing.T) {
	for _, tc := range []struct {
		kind, sampleType string
	}{
		{"cpu", ""},
		{"cpu", "cpu"},
		{"allocs", "alloc_space"},
		{"allocs", "alloc_objects"},
	} {
		t.Run(tc.kind+"/"+tc.sampleType, func(t *testing.T) {
			base, head := fixture(t, tc.kind+"-base"), fixture(t, tc.kind+"-head")
			diffs, err := DiffProfiles([]ProfileSide{base}, []ProfileSide{head}, tc.sampleType)
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) != 1 || diffs[0].Base == nil || diffs[0].Work != head.Work {
				t.Fatalf("DiffProfiles: %+v", diffs)
			}
			d := diffs[0]
			dir := t.TempDir()
			basePath, headPath, diffPath := filepath.Join(dir, "base.pb.gz"), filepath.Join(dir, "head.pb.gz"), filepath.Join(dir, "diff.pb.gz")
			writeProfileFile(t, basePath, d.Base)
			writeProfileFile(t, headPath, d.Head)
			writeProfileFile(t, diffPath, d.Diff)
			args := []string{"-nodecount=30", "-nodefraction=0"}
			if tc.sampleType != "" {
				args = append(args, "-sample_index="+tc.sampleType)
			}
			top := pprofTop(t, append(args, "-diff_base", basePath, headPath)...)

			// Diff is the profile pprof builds: pprof shows the same of
			// it, and Rank on it is pprof's -top of the diff, value for
			// value.
			if own := pprofTop(t, append(args, diffPath)...); !slices.Equal(own, top) {
				t.Errorf("pprof -top of the diff:\n%v\npprof -top -diff_base of its base and head:\n%v", own, top)
			}
			ranked, err := Rank(ProfileSide{Profiles: []*profile.Profile{d.Diff}, Work: 1}, HotOptions{SampleType: tc.sampleType})
			if err != nil {
				t.Fatal(err)
			}
			checkTop(t, top, ranked, 1, 30, false) // flat% of a diff is of the base's total

			// Diff lists the functions that grew in pprof's order.
			hot, err := Diff(diffs, HotOptions{SampleType: tc.sampleType})
			if err != nil {
				t.Fatal(err)
			}
			var grew []topLine
			for _, l := range top {
				if !strings.HasPrefix(l.flat, "-") && l.flat != "0" {
					grew = append(grew, l)
				}
			}
			if len(grew) == 0 || len(hot) == 0 || hot[0].Function != grew[0].name {
				t.Fatalf("Diff: %s\npprof -diff_base, those that grew: %s", hotNames(hot), topNames(grew))
			}
			// Diff ranks pprof's diff, whose base samples pprof rounded
			// to head's work: the same order, ties by name, and the
			// same values.
			for i := 0; i < len(grew) && i < len(hot); i++ {
				if hot[i].Function != grew[i].name {
					t.Errorf("#%d: Diff %s, pprof %s\nDiff:  %s\npprof: %s", i+1, hot[i].Function, grew[i].name, hotNames(hot), topNames(grew))
					break
				}
				if got := formatLike(t, (hot[i].Head-hot[i].Base)*head.Work, grew[i].flat); got != grew[i].flat {
					t.Errorf("#%d %s: growth %s, pprof %s", i+1, grew[i].name, got, grew[i].flat)
				}
			}
		})
	}
}

func TestDiffProfile(t *testing.T) {
	base, head := fixture(t, "cpu-base"), fixture(t, "cpu-head")
	diffs, err := DiffProfiles([]ProfileSide{base}, []ProfileSide{head}, "")
	if err != nil {
		t.Fatal(err)
	}
	d, nb := diffs[0].Diff, diffs[0].Base
	if err := d.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if d.DefaultSampleType != "cpu" {
		t.Errorf("DefaultSampleType %q, want cpu", d.DefaultSampleType)
	}
	var nBase, nHead int
	var sum [2]int64
	for _, s := range d.Sample {
		if s.DiffBaseSample() {
			nBase++
			if s.Value[1] >= 0 {
				t.Errorf("base sample with value %v: want negative", s.Value)
			}
		} else {
			nHead++
			if s.Value[1] <= 0 {
				t.Errorf("head sample with value %v: want positive", s.Value)
			}
		}
		sum[0] += s.Value[0]
		sum[1] += s.Value[1]
	}
	if nBase == 0 || nHead == 0 {
		t.Fatalf("%d base samples, %d head samples", nBase, nHead)
	}
	// Its total is head's minus base's scaled to head's work.
	total := func(p *profile.Profile) (v int64) {
		for _, s := range p.Sample {
			v += s.Value[1]
		}
		return v
	}
	if want := total(head.Profiles[0]) - total(nb); sum[1] != want {
		t.Errorf("diff total %d, want %d", sum[1], want)
	}
	if r := float64(total(nb)) / float64(total(base.Profiles[0])); math.Abs(r-head.Work/base.Work) > 0.01 {
		t.Errorf("normalized base is %.4f of base, want head.Work/base.Work = %.4f", r, head.Work/base.Work)
	}
	if total(diffs[0].Head) != total(head.Profiles[0]) {
		t.Errorf("merged head's total %d, head's %d", total(diffs[0].Head), total(head.Profiles[0]))
	}
	// The base written for pprof is not the diff's base: building the
	// diff did not label or negate it.
	for _, s := range nb.Sample {
		if s.DiffBaseSample() || s.Value[1] < 0 {
			t.Fatalf("base sample %v with labels %v: want positive, unlabelled", s.Value, s.Label)
		}
	}
	for _, p := range []*profile.Profile{nb, diffs[0].Head, d} {
		if p.DefaultSampleType != "cpu" {
			t.Errorf("DefaultSampleType %q, want cpu", p.DefaultSampleType)
		}
	}
	// The inputs are untouched.
	if fresh := fixture(t, "cpu-base"); total(fresh.Profiles[0]) != total(base.Profiles[0]) {
		t.Error("DiffProfiles changed the base profile")
	}
	if fresh := fixture(t, "cpu-head"); total(fresh.Profiles[0]) != total(head.Profiles[0]) {
		t.Error("DiffProfiles changed the head profile")
	}
	// Round trip: Write, Parse, Write again.
	var b1, b2 bytes.Buffer
	if err := d.Write(&b1); err != nil {
		t.Fatal(err)
	}
	d2, err := profile.Parse(bytes.NewReader(b1.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Write(&b2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Error("diff profile changed on a Write/Parse round trip")
	}
	var f1, f2 bytes.Buffer
	if err := Folded(&f1, d, ""); err != nil {
		t.Fatal(err)
	}
	if err := Folded(&f2, d2, ""); err != nil {
		t.Fatal(err)
	}
	if f1.String() != f2.String() {
		t.Error("folded stacks of the diff differ after the round trip")
	}
}

// parseFolded checks the folded format and returns its stacks and values.
func parseFolded(t *testing.T, text string) (stacks []string, values []int64) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if text == "" {
		return nil, nil
	}
	for _, l := range lines {
		i := strings.LastIndexByte(l, ' ')
		if i <= 0 {
			t.Fatalf("folded line %q: no value", l)
		}
		v, err := strconv.ParseInt(l[i+1:], 10, 64)
		if err != nil {
			t.Fatalf("folded line %q: %v", l, err)
		}
		for _, f := range strings.Split(l[:i], ";") {
			if f == "" {
				t.Fatalf("folded line %q: empty frame", l)
			}
		}
		stacks = append(stacks, l[:i])
		values = append(values, v)
	}
	if !slices.IsSorted(stacks) {
		t.Error("folded stacks are not sorted")
	}
	for i := 1; i < len(stacks); i++ {
		if stacks[i] == stacks[i-1] {
			t.Errorf("stack %q twice", stacks[i])
		}
	}
	return stacks, values
}

func TestFolded(t *testing.T) {
	const ms = 1_000_000
	hand := handProfile(
		stack{"main.main;r;r+d", 30 * ms},
		stack{"main.main;x", 10 * ms},
		stack{"main.main;x", 5 * ms}, // the same stack again: one line
	)
	var b bytes.Buffer
	if err := Folded(&b, hand, ""); err != nil {
		t.Fatal(err)
	}
	if want := "main.main;r;r;d 30000000\nmain.main;x 15000000\n"; b.String() != want {
		t.Errorf("Folded:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	generic := handProfile(stack{"main.main;generic", 10}) // functions leaf first
	generic.Function[0].Name = "slices.insertionSortCmpFunc[go.shape.struct { net/http.key string; net/http.values []string }]"
	if err := Folded(&b, generic, ""); err != nil {
		t.Fatal(err)
	}
	if want := "main.main;slices.insertionSortCmpFunc[go.shape.struct { net/http.key string: net/http.values []string }] 10\n"; b.String() != want {
		t.Errorf("Folded of a name with ';':\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := Folded(&b, hand, "samples"); err != nil {
		t.Fatal(err)
	}
	if want := "main.main;r;r;d 3\nmain.main;x 1\n"; b.String() != want {
		t.Errorf("Folded samples:\n%s\nwant:\n%s", b.String(), want)
	}

	base, head := fixture(t, "cpu-base"), fixture(t, "cpu-head")
	diffs, err := DiffProfiles([]ProfileSide{base}, []ProfileSide{head}, "")
	if err != nil {
		t.Fatal(err)
	}
	d := diffs[0].Diff
	for _, tc := range []struct {
		name       string
		p          *profile.Profile
		sampleType string
	}{
		{"cpu-base", base.Profiles[0], ""},
		{"cpu-head samples", head.Profiles[0], "samples"},
		{"allocs-head", fixture(t, "allocs-head").Profiles[0], "alloc_objects"},
		{"diff", d, "cpu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Folded(&b, tc.p, tc.sampleType); err != nil {
				t.Fatal(err)
			}
			stacks, values := parseFolded(t, b.String())
			vi, err := tc.p.SampleIndexByName(tc.sampleType)
			if err != nil {
				t.Fatal(err)
			}
			var total, sum int64
			for _, s := range tc.p.Sample {
				total += s.Value[vi]
			}
			leaf := map[string]int64{}
			for i, s := range stacks {
				sum += values[i]
				leaf[s[strings.LastIndexByte(s, ';')+1:]] += values[i]
			}
			if sum != total {
				t.Errorf("folded values add up to %d, the profile's to %d", sum, total)
			}
			// A stack's leaf is the function Rank gives its flat value.
			hot, err := Rank(ProfileSide{Profiles: []*profile.Profile{tc.p}, Work: 1}, HotOptions{SampleType: tc.sampleType})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hot {
				if float64(leaf[h.Function]) != h.Head {
					t.Errorf("%s: folded leaf total %d, Rank's flat %v", h.Function, leaf[h.Function], h.Head)
				}
			}
			if tc.name == "cpu-base" && !strings.HasPrefix(stacks[0], "runtime.main;main.main;") {
				t.Errorf("first stack %q: want runtime.main;main.main;...", stacks[0])
			}
			if tc.name == "diff" && !slices.ContainsFunc(values, func(v int64) bool { return v < 0 }) {
				t.Error("the diff's folded stacks have no negative value")
			}
		})
	}
}

// strip returns a copy of p without symbols: its locations lose their
// lines, its mappings say so.
func strip(p *profile.Profile) *profile.Profile {
	q := p.Copy()
	for _, l := range q.Location {
		l.Line = nil
	}
	for _, m := range q.Mapping {
		m.HasFunctions, m.HasFilenames, m.HasLineNumbers, m.HasInlineFrames = false, false, false, false
	}
	q.Function = nil
	return q
}

func TestUnsymbolized(t *testing.T) {
	p := fixture(t, "cpu-base").Profiles[0]
	if !Symbolized(p) {
		t.Error("Symbolized(cpu-base) = false")
	}
	q := strip(p)
	if Symbolized(q) {
		t.Error("Symbolized(stripped) = true")
	}
	// A location of [vdso] is not symbolized by anyone: no matter.
	v := p.Copy()
	vdso := &profile.Mapping{ID: 99, Start: 0x7ff000000000, Limit: 0x7ff000002000, File: "[vdso]"}
	v.Mapping = append(v.Mapping, vdso)
	v.Location = append(v.Location, &profile.Location{ID: 99999, Mapping: vdso, Address: 0x7ff000000100})
	if !Symbolized(v) {
		t.Error("Symbolized(with a [vdso] location) = false")
	}

	hot, err := Rank(ProfileSide{Profiles: []*profile.Profile{q}, Work: 1}, HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hot) == 0 {
		t.Fatal("Rank of an unsymbolized profile: nothing")
	}
	for _, h := range hot {
		if !regexp.MustCompile(`^0x[0-9a-f]+$`).MatchString(h.Function) {
			t.Errorf("unsymbolized function named %q, want an address", h.Function)
		}
	}
	// By address, it is pprof's -top -addresses: each address's flat
	// and cum, in its order.
	top := pprofTop(t, "-addresses", "-symbolize=none", "-nodecount=20", "-nodefraction=0", writeTemp(t, q))
	for i := range top {
		f := strings.Fields(top[i].name)
		a, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			t.Fatalf("pprof -addresses line %q: %v", top[i].name, err)
		}
		top[i].name = fmt.Sprintf("0x%x", a)
	}
	checkTop(t, top, hot, 1, 15, true)

	// Diff works, by address.
	d, err := diffSides(oneSide(1, q), oneSide(1, strip(fixture(t, "cpu-head").Profiles[0])), HotOptions{Top: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(d) == 0 || !strings.HasPrefix(d[0].Function, "0x") {
		t.Errorf("Diff of unsymbolized profiles: %v", d)
	}
}

func writeTemp(t *testing.T, p *profile.Profile) string {
	path := filepath.Join(t.TempDir(), "p.pb.gz")
	writeProfileFile(t, path, p)
	return path
}

func TestHotErrors(t *testing.T) {
	cpu := fixture(t, "cpu-base").Profiles[0]
	allocs := fixture(t, "allocs-base").Profiles[0]
	invalid := handProfile(stack{"main.main", 10})
	invalid.Sample[0].Value = []int64{1}
	otherPeriod := handProfile(stack{"main.main", 10})
	otherPeriod.PeriodType = &profile.ValueType{Type: "wall", Unit: "nanoseconds"}
	one := func(ps ...*profile.Profile) ProfileSide { return ProfileSide{Profiles: ps, Work: 1} }
	rank := func(s ProfileSide, o HotOptions) func() error {
		return func() error { _, err := Rank(s, o); return err }
	}
	diff := func(b, h []ProfileSide, o HotOptions) func() error {
		return func() error { _, err := diffSides(b, h, o); return err }
	}
	diffProfiles := func(b, h []ProfileSide, sampleType string) func() error {
		return func() error { _, err := DiffProfiles(b, h, sampleType); return err }
	}
	rankDiff := func(d []ProfileDiff, o HotOptions) func() error {
		return func() error { _, err := Diff(d, o); return err }
	}
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"rank no profiles", rank(ProfileSide{Work: 1}, HotOptions{}), "profile: no profiles"},
		{"rank nil profile", rank(one(cpu, nil), HotOptions{}), "profile 2 of 2 is nil"},
		{"rank work 0", rank(ProfileSide{Profiles: []*profile.Profile{cpu}}, HotOptions{}), "work 0 is not a positive number"},
		{"rank work -1", rank(ProfileSide{Profiles: []*profile.Profile{cpu}, Work: -1}, HotOptions{}), "work -1 is not a positive number"},
		{"rank work NaN", rank(ProfileSide{Profiles: []*profile.Profile{cpu}, Work: math.NaN()}, HotOptions{}), "work NaN is not"},
		{"rank work tiny", rank(ProfileSide{Profiles: []*profile.Profile{cpu}, Work: 1e-300}, HotOptions{}), "work 1e-300 is too small, under 1e-09 operations"},
		{"rank work Inf", rank(ProfileSide{Profiles: []*profile.Profile{cpu}, Work: math.Inf(1)}, HotOptions{}), "work +Inf is not"},
		{"rank unknown type", rank(one(cpu), HotOptions{SampleType: "alloc_space"}), `no sample type "alloc_space" in the profiles, which have samples, cpu`},
		{"rank mixed types", rank(one(cpu, allocs), HotOptions{}), "profile: profile 1 has samples/count, cpu/nanoseconds; profile 2 has alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes"},
		{"rank invalid", rank(one(invalid), HotOptions{}), "profile 1 of 1 is invalid: mismatch: sample has 1 values vs. 2 types"},
		{"rank no sample types", rank(one(&profile.Profile{}), HotOptions{}), "profile 1 of 1 has no sample types"},
		{"rank negative top", rank(one(cpu), HotOptions{Top: -1}), "top -1 is negative"},
		{"diff no base", diff(nil, oneSide(1, cpu), HotOptions{}), "no base profiles"},
		{"diff no head", diff(oneSide(1, cpu), nil, HotOptions{}), "no head profiles"},
		{"diff base vs head types", diff(oneSide(1, cpu), oneSide(1, allocs), HotOptions{}), "base has samples/count, cpu/nanoseconds; head has alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes"},
		{"diff service types", diff(oneSide(1, cpu), []ProfileSide{{Service: "cart", Profiles: []*profile.Profile{allocs}, Work: 1}}, HotOptions{}), `head of service "cart" has alloc_objects/count`},
		{"diff unknown type", diff(oneSide(1, cpu), oneSide(1, cpu), HotOptions{SampleType: "inuse_space"}), `no sample type "inuse_space"`},
		{"diff work 0", diff(oneSide(1, cpu), oneSide(0, cpu), HotOptions{}), "head: work 0 is not a positive number"},
		{"diff empty side", diff(oneSide(1, cpu), []ProfileSide{{Service: "cart", Work: 1}}, HotOptions{}), `head of service "cart": no profiles`},
		{"diffprofiles types", diffProfiles(oneSide(1, cpu), oneSide(1, allocs), ""), "base has samples/count, cpu/nanoseconds; head has alloc_objects/count"},
		{"diffprofiles unknown type", diffProfiles(oneSide(1, cpu), oneSide(1, cpu), "alloc_space"), `no sample type "alloc_space"`},
		{"diffprofiles merge", diffProfiles(oneSide(1, handProfile(stack{"main.main", 10}), otherPeriod), oneSide(1, cpu), ""), "merging base profiles: incompatible period types"},
		{"diffprofiles service merge", diffProfiles(
			[]ProfileSide{{Service: "cart", Profiles: []*profile.Profile{cpu}, Work: 1}},
			[]ProfileSide{{Service: "cart", Profiles: []*profile.Profile{handProfile(stack{"main.main", 10}), otherPeriod}, Work: 1}}, ""),
			`merging head profiles of service "cart": incompatible period types`},
		{"diffprofiles base work", diffProfiles([]ProfileSide{{Profiles: []*profile.Profile{cpu}}}, oneSide(1, cpu), ""), "base: work 0"},
		{"diffprofile types", diffProfiles([]ProfileSide{one(cpu)}, []ProfileSide{one(allocs)}, ""), "base has samples/count, cpu/nanoseconds; head has alloc_objects/count"},
		{"rank diff no diffs", rankDiff(nil, HotOptions{}), "no diffs"},
		{"rank diff nil", rankDiff([]ProfileDiff{{Work: 1}}, HotOptions{}), "diff: profile 1 of 1 is nil"},
		{"rank diff work", rankDiff([]ProfileDiff{{Diff: cpu}}, HotOptions{}), "diff: work 0 is not a positive number"},
		{"rank diff types", rankDiff([]ProfileDiff{{Diff: cpu, Work: 1}, {Service: "cart", Diff: allocs, Work: 1}}, HotOptions{}), `diff has samples/count, cpu/nanoseconds; diff of service "cart" has alloc_objects/count`},
		{"rank diff unknown type", rankDiff([]ProfileDiff{{Diff: cpu, Work: 1}}, HotOptions{SampleType: "alloc_space"}), `no sample type "alloc_space"`},
		{"rank diff negative top", rankDiff([]ProfileDiff{{Diff: cpu, Work: 1}}, HotOptions{Top: -2}), "top -2 is negative"},
		{"folded nil", func() error { return Folded(&bytes.Buffer{}, nil, "") }, "no profile"},
		{"folded unknown type", func() error { return Folded(&bytes.Buffer{}, cpu, "alloc_space") }, `no sample type "alloc_space"`},
		{"folded invalid", func() error { return Folded(&bytes.Buffer{}, invalid, "") }, "invalid profile"},
		{"folded write", func() error { return Folded(failWriter{}, cpu, "") }, "writing folded stacks: disk full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestHotJSON(t *testing.T) {
	hot, err := diffSides([]ProfileSide{fixture(t, "cpu-base")}, []ProfileSide{fixture(t, "cpu-head")}, HotOptions{Top: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := Result{Benchmark: "BenchmarkX", Unit: "sec/op", Hot: hot}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Hot) != 2 || back.Hot[0].Function != "main.work2" || back.Hot[0].Share != hot[0].Share || !slices.Equal(back.Hot[0].Path, hot[0].Path) {
		t.Errorf("hot after JSON: %+v", back.Hot)
	}
	for _, key := range []string{`"hot":[{"function":"main.work2"`, `"base_cum":`, `"share":`, `"unit":"ns/op"`, `"path":["runtime.main","main.main"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
	if data, _ := json.Marshal(Result{}); strings.Contains(string(data), "hot") {
		t.Errorf("a result without hot functions has a hot key: %s", data)
	}
}

// synthSpec describes a pair of synthetic CPU profiles, large ones for
// the benchmark: stacks are walks from main.main down a call graph of
// funcs functions, minDepth to maxDepth frames deep, with recursion (a
// function calling itself) and inlined frames; head is another walk (its
// own seed), in which the functions that are a multiple of 97 cost three
// times as much.
type synthSpec struct {
	samples, funcs, minDepth, maxDepth int
	seed                               uint64
}

func synthProfiles(spec synthSpec) (base, head *profile.Profile) {
	return synthProfile(spec, spec.seed, false), synthProfile(spec, spec.seed+1, true)
}

func synthProfile(spec synthSpec, seed uint64, head bool) *profile.Profile {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x4000000, File: "/bin/synth", HasFunctions: true, HasFilenames: true, HasLineNumbers: true, HasInlineFrames: true}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
		Mapping:    []*profile.Mapping{m},
	}
	n := spec.funcs
	for i := range n {
		name := fmt.Sprintf("example.com/pkg%02d.F%04d", i%40, i)
		switch i {
		case 0:
			name = "runtime.main"
		case 1:
			name = "main.main"
		}
		p.Function = append(p.Function, &profile.Function{ID: uint64(i + 1), Name: name, SystemName: name, Filename: fmt.Sprintf("pkg%02d/f.go", i%40)})
	}
	// Two call sites (locations) per function; every 10th function's
	// second one has function i+1 inlined into it.
	loc := make([][2]*profile.Location, n)
	for i := range n {
		for j := range 2 {
			l := &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: m, Address: 0x401000 + uint64(len(p.Location))*0x20}
			l.Line = []profile.Line{{Function: p.Function[i], Line: int64(10 + j)}}
			if j == 1 && i%10 == 0 && i+1 < n {
				l.Line = append([]profile.Line{{Function: p.Function[i+1], Line: 3}}, l.Line...)
			}
			loc[i][j] = l
			p.Location = append(p.Location, l)
		}
	}
	// A function calls four others, the first most often, or itself.
	callee := func(f int) int {
		r := rng.IntN(100)
		if r < 4 {
			return f // recursion
		}
		k := 0
		switch {
		case r < 70:
		case r < 90:
			k = 1
		case r < 97:
			k = 2
		default:
			k = 3
		}
		return 2 + (f*7+k*131)%(n-2)
	}
	var frames []*profile.Location
	for range spec.samples {
		depth := spec.minDepth + rng.IntN(spec.maxDepth-spec.minDepth+1)
		frames = frames[:0]
		frames = append(frames, loc[0][0], loc[1][0])
		f := 1
		for len(frames) < depth {
			f = callee(f)
			frames = append(frames, loc[f][rng.IntN(2)])
		}
		slices.Reverse(frames) // leaf first
		ticks := int64(1 + rng.IntN(3))
		if head && f%97 == 0 {
			ticks *= 3
		}
		p.Sample = append(p.Sample, &profile.Sample{
			Location: slices.Clone(frames),
			Value:    []int64{ticks, ticks * 10_000_000},
		})
	}
	return p
}

// refTally is Diff's counting written the plain way, over the two sides
// rather than their diff: names, maps and joined strings.
type refFunc struct {
	flat, cum [2]int64
	paths     map[string]*[2]int64
}

func refTally(sides [2][]*profile.Profile, vi int) map[string]*refFunc {
	funcs := map[string]*refFunc{}
	get := func(name string) *refFunc {
		if funcs[name] == nil {
			funcs[name] = &refFunc{paths: map[string]*[2]int64{}}
		}
		return funcs[name]
	}
	for side, ps := range sides {
		for _, p := range ps {
			for _, s := range p.Sample {
				v := s.Value[vi]
				if v == 0 || len(s.Location) == 0 {
					continue
				}
				var frames []string
				for i := len(s.Location) - 1; i >= 0; i-- {
					l := s.Location[i]
					if len(l.Line) == 0 {
						frames = append(frames, fmt.Sprintf("0x%x", l.Address))
					}
					for j := len(l.Line) - 1; j >= 0; j-- {
						frames = append(frames, l.Line[j].Function.Name)
					}
				}
				seen := map[string]bool{}
				for _, f := range frames {
					if !seen[f] {
						seen[f] = true
						get(f).cum[side] += v
					}
				}
				leaf := get(frames[len(frames)-1])
				leaf.flat[side] += v
				key := strings.Join(frames, ";")
				if leaf.paths[key] == nil {
					leaf.paths[key] = new([2]int64)
				}
				leaf.paths[key][side] += v
			}
		}
	}
	return funcs
}

func TestDiffLargeMatchesReference(t *testing.T) {
	spec := synthSpec{samples: 20000, funcs: 1000, minDepth: 30, maxDepth: 60, seed: 1}
	if testing.Short() {
		spec.samples = 4000
	}
	bp, hp := synthProfiles(spec)
	// Diff counts pprof's diff, whose base samples Profile.Scale rounded
	// to integers; the reference counts the sides as they are. Scaled by
	// 800/1000, the synthetic values (multiples of 10 ms) round to
	// themselves, so the two agree exactly and the comparisons below
	// need no tolerance. (Where scaling does round, the diff's values are
	// the ones pprof shows: TestDiffProfileMatchesPprof.)
	base := ProfileSide{Profiles: []*profile.Profile{bp}, Work: 1000}
	head := ProfileSide{Profiles: []*profile.Profile{hp}, Work: 800}
	hot, err := diffSides([]ProfileSide{base}, []ProfileSide{head}, HotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := refTally([2][]*profile.Profile{{bp}, {hp}}, 1)
	type g struct {
		name   string
		growth float64
	}
	var want []g
	var change float64 // the sum of the growths
	for name, f := range ref {
		d := float64(f.flat[1])/head.Work - float64(f.flat[0])/base.Work
		if d > 0 {
			change += d
			want = append(want, g{name, d})
		}
	}
	slices.SortFunc(want, func(a, b g) int {
		if a.growth != b.growth {
			if a.growth > b.growth {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	if len(hot) != len(want) {
		t.Fatalf("Diff: %d functions, reference %d", len(hot), len(want))
	}
	if len(hot) < 10 {
		t.Fatalf("Diff: too few functions grew: %v", hotNames(hot))
	}
	for i, h := range hot {
		f := ref[h.Function]
		if h.Function != want[i].name {
			t.Fatalf("#%d: Diff %s, reference %s", i+1, h.Function, want[i].name)
		}
		if h.Base != float64(f.flat[0])/base.Work || h.Head != float64(f.flat[1])/head.Work ||
			h.BaseCum != float64(f.cum[0])/base.Work || h.HeadCum != float64(f.cum[1])/head.Work {
			t.Errorf("%s: %+v; reference flat %v cum %v", h.Function, h, f.flat, f.cum)
		}
		if math.Abs(h.Share-want[i].growth/change) > 1e-9 {
			t.Errorf("%s: share %v, reference %v", h.Function, h.Share, want[i].growth/change)
		}
		// Its path is one with the largest growth.
		best := math.Inf(-1)
		for _, v := range f.paths {
			best = max(best, float64(v[1])/head.Work-float64(v[0])/base.Work)
		}
		v := f.paths[strings.Join(h.Path, ";")]
		if v == nil {
			t.Errorf("%s: path %q is not one of its stacks", h.Function, h.Path)
		} else if got := float64(v[1])/head.Work - float64(v[0])/base.Work; got != best {
			t.Errorf("%s: path grew %v, the best %v", h.Function, got, best)
		}
	}
	// The regressed functions (multiples of 97) lead.
	var regressed int
	for _, h := range hot[:5] {
		var k int
		fmt.Sscanf(h.Function[strings.LastIndex(h.Function, ".F")+2:], "%d", &k)
		if k%97 == 0 {
			regressed++
		}
	}
	if regressed < 3 {
		t.Errorf("top 5 %s: %d of them regressed, want most", hotNames(hot[:5]), regressed)
	}
}
