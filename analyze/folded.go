package analyze

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// Folded writes p's samples of sampleType ("": the default, as pprof picks
// it) as folded stacks, Brendan Gregg's input to flame graphs: one
// "root;caller;leaf value" line per distinct stack of function names,
// outermost first, in byte order of the stacks. Frames are named as Rank
// names them (inlined functions are frames of their own); a ';' in a name
// becomes ':' and a line break a space, so that the format holds. A stack
// whose values add up to zero is left out; the values of the lines add up
// to the sum of the profile's values (negative for a diff's base).
func Folded(w io.Writer, p *profile.Profile, sampleType string) error {
	if p == nil {
		return fmt.Errorf("folding stacks: no profile")
	}
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("folding stacks: invalid profile: %w", err)
	}
	if len(p.SampleType) == 0 {
		return fmt.Errorf("folding stacks: profile has no sample types")
	}
	vi, err := hotSampleIndex(p.SampleType, p.DefaultSampleType, sampleType)
	if err != nil {
		return err
	}
	t := newTally()
	locs := t.locations(p)
	sums := map[string]int64{}
	var frames []string
	for _, s := range p.Sample {
		v := s.Value[vi]
		if v == 0 {
			continue
		}
		frames = frames[:0]
		for i := len(s.Location) - 1; i >= 0; i-- {
			for _, n := range locs.nodes(s.Location[i]) {
				frames = append(frames, foldedName(t.names[n]))
			}
		}
		if len(frames) == 0 {
			frames = append(frames, "<unknown>")
		}
		sums[strings.Join(frames, ";")] += v
	}
	stacks := make([]string, 0, len(sums))
	for s, v := range sums {
		if v != 0 {
			stacks = append(stacks, s)
		}
	}
	slices.Sort(stacks)
	bw := bufio.NewWriter(w)
	for _, s := range stacks {
		fmt.Fprintf(bw, "%s %d\n", s, sums[s])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing folded stacks: %w", err)
	}
	return nil
}

var foldedEscaper = strings.NewReplacer(";", ":", "\n", " ", "\r", " ")

// foldedName is a function's name as a frame of a folded stack, which a
// ';' or a line break in it would break: a Go function instantiated with
// a struct type has both spaces and ';' in its name,
// "slices.insertionSortCmpFunc[go.shape.struct { net/http.key string;
// net/http.values []string }]".
func foldedName(name string) string {
	if strings.ContainsAny(name, ";\n\r") {
		return foldedEscaper.Replace(name)
	}
	return name
}
