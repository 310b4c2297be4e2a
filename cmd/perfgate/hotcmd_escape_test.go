package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/google/pprof/profile"
)

// TestHotEscape: perfgate hot prints the functions of a profile (the code
// under test named them) escaped: no escape sequence, BEL, CR, bidi
// override or byte that is not UTF-8 reaches the terminal, and no line is
// a workflow command for the GitHub runner, in the ranking, the diff or
// the call path.
func TestHotEscape(t *testing.T) {
	dir := t.TempDir()
	evil := []string{
		"::set-output name=x::pwned",
		"\x1b]0;pwned\a\x1b[2J",
		"  ::add-mask::p",
		"f ##[error]e",
		"bidi\u202eevil\rcr",
		"\xff\x9b",
	}
	stack := append([]string{"main.main"}, evil...)
	write := func(name string, p *profile.Profile) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := p.Write(f); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// The path to the function that grew most passes through all of them.
	base := write("base.pb.gz", cpuProfile([]sample{{[]string{"main.main", "x"}, 10}, {stack, 10}}))
	head := write("head.pb.gz", cpuProfile([]sample{{[]string{"main.main", "x"}, 10}, {stack, 60}, {[]string{"main.main", evil[1]}, 30}}))
	for _, args := range [][]string{{head}, {head, "--base", base}} {
		code, stdout, _ := perfgate(t, context.Background(), append([]string{"hot"}, args...)...)
		if code != exitPass {
			t.Fatalf("hot %v: exit %d", args, code)
		}
		for i, line := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
				t.Errorf("hot %v: line %d is a workflow command: %q", args, i+1, line)
			}
		}
		for i, r := range stdout {
			if unicode.IsControl(r) && r != '\n' || unicode.Is(unicode.Bidi_Control, r) || r == unicode.ReplacementChar {
				t.Errorf("hot %v: %U at %d: %q", args, r, i, stdout)
				break
			}
		}
		if !strings.Contains(stdout, `\x1b]0;pwned\a\x1b[2J`) {
			t.Errorf("hot %v: the escape sequence is not shown escaped:\n%s", args, stdout)
		}
	}
}

// sample is a stack, outermost frame first, and its CPU time in
// nanoseconds.
type sample struct {
	frames []string
	v      int64
}

// cpuProfile is a CPU profile (samples/count, cpu/nanoseconds) of samples,
// with one location per function.
func cpuProfile(samples []sample) *profile.Profile {
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x800000, File: "/bin/x", HasFunctions: true}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     1,
		Mapping:    []*profile.Mapping{m},
	}
	locs := make(map[string]*profile.Location)
	for _, s := range samples {
		frames := s.frames
		ps := &profile.Sample{Value: []int64{s.v, s.v}}
		for i := len(frames) - 1; i >= 0; i-- { // leaf first
			l := locs[frames[i]]
			if l == nil {
				id := uint64(len(p.Location) + 1)
				fn := &profile.Function{ID: id, Name: frames[i], SystemName: frames[i], Filename: "x.go"}
				l = &profile.Location{ID: id, Mapping: m, Address: 0x401000 + 0x10*id, Line: []profile.Line{{Function: fn, Line: 1}}}
				p.Function = append(p.Function, fn)
				p.Location = append(p.Location, l)
				locs[frames[i]] = l
			}
			ps.Location = append(ps.Location, l)
		}
		p.Sample = append(p.Sample, ps)
	}
	return p
}
