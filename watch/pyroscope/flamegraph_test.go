package pyroscope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// flameJSON writes a SelectMergeStacktracesResponse as the server does:
// int64s as strings, zero totals left out.
func flameJSON(names []string, total, maxSelf int64, levels ...[]int64) []byte {
	type level struct {
		Values []string `json:"values"`
	}
	fg := struct {
		Names   []string `json:"names"`
		Levels  []level  `json:"levels"`
		Total   string   `json:"total,omitempty"`
		MaxSelf string   `json:"maxSelf,omitempty"`
	}{Names: names}
	if total != 0 {
		fg.Total = strconv.FormatInt(total, 10)
	}
	if maxSelf != 0 {
		fg.MaxSelf = strconv.FormatInt(maxSelf, 10)
	}
	for _, l := range levels {
		var vs []string
		for _, v := range l {
			vs = append(vs, strconv.FormatInt(v, 10))
		}
		fg.Levels = append(fg.Levels, level{vs})
	}
	b, err := json.Marshal(map[string]any{"flamegraph": fg})
	if err != nil {
		panic(err)
	}
	return b
}

// recursive is a flame graph of 10 in which a calls b, which calls a
// again, which calls c: a;b 2, a;b;a 3, a;b;a;c 5. Each node's callees lie
// after its self, as Pyroscope lays them out.
var recursive = flameJSON([]string{"total", "a", "b", "c"}, 10, 5,
	[]int64{0, 10, 0, 0},
	[]int64{0, 10, 0, 1},
	[]int64{0, 10, 2, 2},
	[]int64{2, 8, 3, 1},
	[]int64{5, 5, 5, 3},
)

func TestFlameGraphRecursion(t *testing.T) {
	g, err := decodeFlameGraph(recursive)
	if err != nil {
		t.Fatal(err)
	}
	wantLevels := [][]Node{
		{{Start: 0, Total: 10, Self: 0, Name: 0, Parent: -1}},
		{{Start: 0, Total: 10, Self: 0, Name: 1, Parent: 0}},
		{{Start: 0, Total: 10, Self: 2, Name: 2, Parent: 0}},
		{{Start: 2, Total: 8, Self: 3, Name: 1, Parent: 0}},
		{{Start: 5, Total: 5, Self: 5, Name: 3, Parent: 0}},
	}
	if !reflect.DeepEqual(g.Levels, wantLevels) {
		t.Errorf("levels %+v, want %+v", g.Levels, wantLevels)
	}
	// a is counted once on the path a;b;a;c, as pprof's cum counts it.
	want := []FunctionTotal{{"a", 3, 10}, {"b", 2, 10}, {"c", 5, 5}}
	if fs := g.Functions(); !reflect.DeepEqual(fs, want) {
		t.Errorf("functions %+v, want %+v", fs, want)
	}
	var folded bytes.Buffer
	if err := g.WriteFolded(&folded); err != nil {
		t.Fatal(err)
	}
	if want := "a;b 2\na;b;a 3\na;b;a;c 5\n"; folded.String() != want {
		t.Errorf("folded\n%s\nwant\n%s", &folded, want)
	}
	p := g.Profile(ProfileType{SampleType: "cpu", SampleUnit: "nanoseconds", PeriodType: "cpu", PeriodUnit: "nanoseconds"})
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	var stacks []string
	for _, s := range p.Sample {
		var names []string
		for _, l := range s.Location {
			names = append(names, l.Line[0].Function.Name)
		}
		stacks = append(stacks, fmt.Sprint(names, s.Value))
	}
	if want := "[b a] [2];[a b a] [3];[c a b a] [5]"; strings.Join(stacks, ";") != want {
		t.Errorf("samples (leaf first) %s, want %s", strings.Join(stacks, ";"), want)
	}
	if p.SampleType[0].Type != "cpu" || p.PeriodType.Unit != "nanoseconds" || p.DefaultSampleType != "cpu" || len(p.Function) != 3 {
		t.Errorf("profile %v", p)
	}
}

func TestDecodeFlameGraph(t *testing.T) {
	names := []string{"total", "a", "b", "c"}
	for _, tc := range []struct {
		name string
		in   []byte
		want string // the error; "" for none
	}{
		{"recursive", recursive, ""},
		{"no flame graph", []byte(`{}`), ""},
		{"null flame graph", []byte(`{"flamegraph":null}`), ""},
		{"numbers, not strings", []byte(`{"flamegraph":{"names":["total","a"],"levels":[{"values":[0,3,0,0]},{"values":[0,3,3,1]}],"total":3,"maxSelf":3}}`), ""},
		{"zero-width callee", flameJSON(names, 0, 0, []int64{0, 0, 0, 0}, []int64{0, 0, 0, 1}), ""},
		{"gaps between nodes", flameJSON(names, 10, 4, []int64{0, 10, 2, 0}, []int64{0, 4, 4, 1, 2, 4, 4, 2}), ""},

		{"not JSON", []byte(`{"flamegraph":`), "unexpected end of JSON input"},
		{"fraction", []byte(`{"flamegraph":{"total":"1.5"}}`), `"1.5" is not an integer`},
		{"exponent", []byte(`{"flamegraph":{"total":1e3}}`), `1e3 is not an integer`},
		{"plus sign", []byte(`{"flamegraph":{"total":"+3"}}`), `"+3" is not an integer`},
		{"bool", []byte(`{"flamegraph":{"total":true}}`), `true is not an integer`},
		{"too large", []byte(`{"flamegraph":{"total":"9223372036854775808"}}`), `value out of range`},
		{"values not in fours", flameJSON(names, 10, 0, []int64{0, 10, 0}), "level 0 has 3 values, not a multiple of 4"},
		{"negative offset", flameJSON(names, 10, 0, []int64{0, 10, 0, 0}, []int64{-1, 10, 10, 1}), "level 1 node 0: negative value in [-1 10 10 1]"},
		{"negative self", flameJSON(names, 10, 0, []int64{0, 10, -1, 0}), "level 0 node 0: negative value in [0 10 -1 0]"},
		{"negative total", flameJSON(names, -10, 0), "flame graph total -10 is negative"},
		{"self over total", flameJSON(names, 10, 0, []int64{0, 10, 11, 0}), "self 11 is more than its total 10"},
		{"name out of range", flameJSON(names, 10, 10, []int64{0, 10, 10, 4}), "name index 4 is not in the 4 names"},
		{"negative name", flameJSON(names, 10, 10, []int64{0, 10, 10, -1}), "name index -1 is not in the 4 names"},
		{"x overflows", flameJSON(names, 10, 10, []int64{0, 10, 10, 0}, []int64{math.MaxInt64, 10, 10, 1}), "level 1 node 0: x axis overflows int64"},
		{"maxSelf over total", flameJSON(names, 10, 11, []int64{0, 10, 10, 0}), "maxSelf 11 is not between 0 and the total 10"},
		{"total without levels", flameJSON(names, 10, 0), "total of 10 but no levels"},
		{"two roots", flameJSON(names, 10, 5, []int64{0, 5, 5, 0, 0, 5, 5, 0}), "level 0 has 2 nodes, want the root alone"},
		{"root is not the total", flameJSON(names, 10, 9, []int64{0, 9, 9, 0}), "root has a total of 9, but the graph's total is 10"},
		{"callee past its caller", flameJSON(names, 10, 10, []int64{0, 10, 0, 0}, []int64{5, 10, 10, 1}), "level 1 node 0 (a, x 5 to 15) lies outside every node of level 0"},
		{"callee in a gap", flameJSON(names, 10, 4, []int64{0, 10, 2, 0}, []int64{0, 4, 3, 1, 2, 4, 4, 2}, []int64{4, 1, 1, 3}),
			"level 2 node 0 (c, x 4 to 5) lies outside every node of level 1"},
		{"callees over their caller", flameJSON(names, 10, 10, []int64{0, 10, 5, 0}, []int64{0, 10, 10, 1}), "level 0 node 0 (total): total 10 is not self 5 plus callees 10"},
		{"callees short of their caller", flameJSON(names, 10, 8, []int64{0, 10, 0, 0}, []int64{0, 8, 8, 1}), "level 0 node 0 (total): total 10 is not self 0 plus callees 8"},
		{"leaf without its self", flameJSON(names, 10, 5, []int64{0, 10, 0, 0}, []int64{0, 10, 5, 1}), "level 1 node 0 (a): total 10 is not self 5 plus callees 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := decodeFlameGraph(tc.in)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, flame graph %+v; want %q", g, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want %q", err, tc.want)
			case tc.want == "":
				checkFlameGraph(t, g)
			}
		})
	}
}

// checkFlameGraph checks what a decoded flame graph promises: its values
// add up to its total, and so do those of its Profile, which is valid.
func checkFlameGraph(t testing.TB, g *FlameGraph) {
	t.Helper()
	var self int64
	for _, level := range g.Levels {
		for _, n := range level {
			self += n.Self
		}
	}
	if self != g.Total {
		t.Errorf("selves add up to %d, total %d", self, g.Total)
	}
	p := g.Profile(ProfileType{SampleType: "cpu", SampleUnit: "nanoseconds"})
	if err := p.CheckValid(); err != nil {
		t.Errorf("profile: %v", err)
	}
	var sum int64
	for _, s := range p.Sample {
		sum += s.Value[0]
	}
	if sum != g.Total {
		t.Errorf("profile's values add up to %d, total %d", sum, g.Total)
	}
	for _, f := range g.Functions() {
		if f.Total > g.Total || f.Self > f.Total || f.Self < 0 {
			t.Errorf("function %+v in a graph of %d", f, g.Total)
		}
	}
	var folded bytes.Buffer
	if err := g.WriteFolded(&folded); err != nil {
		t.Errorf("folding: %v", err)
	}
}
