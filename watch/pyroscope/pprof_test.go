package pyroscope

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// roundTrip writes p in pprof's binary format and parses it back, which
// gives what profile.Parse makes of the same message.
func roundTrip(t testing.TB, p *profile.Profile) *profile.Profile {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatalf("writing the profile: %v", err)
	}
	q, err := profile.Parse(&buf)
	if err != nil {
		t.Fatalf("parsing the written profile: %v", err)
	}
	return q
}

// The recorded profile is what pprof itself reads of the same message.
func TestDecodeProfileRoundTrip(t *testing.T) {
	p, err := decodeProfile(readRecorded(t, "select-merge-profile").response)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), roundTrip(t, p).String(); got != want {
		t.Errorf("decoded profile\n%s\nis not what pprof reads back\n%s", got, want)
	}
}

// rich uses the fields the recorded profile leaves out: labels, comments,
// drop and keep frames, a kernel mapping, a location without a mapping,
// inlined lines, and int64s as JSON numbers, which protojson also reads.
const rich = `{
  "sampleType": [{"type": "1", "unit": "2"}, {"type": "3", "unit": "4"}],
  "sample": [
    {"locationId": ["1", "2"], "value": ["5", 5000],
     "label": [{"key": "5", "str": "6"}, {"key": "7", "num": "512", "numUnit": "8"}, {"key": "7", "num": "1024"}, {"key": "5"}]},
    {"locationId": [3], "value": ["-1", "-1000"]}
  ],
  "mapping": [
    {"id": "1", "memoryStart": "4194304", "memoryLimit": "8388608", "fileOffset": "4096", "filename": "9", "buildId": "10", "hasFunctions": true, "hasLineNumbers": true},
    {"id": "7", "filename": "11"}
  ],
  "location": [
    {"id": "1", "mappingId": "1", "address": "4198400", "line": [{"functionId": "2", "line": "12"}, {"functionId": "1", "line": "30"}]},
    {"id": "2", "mappingId": "7", "address": "18446744073709551615", "isFolded": true},
    {"id": "3", "line": [{"functionId": "1"}]}
  ],
  "function": [
    {"id": "1", "name": "12", "systemName": "12", "filename": "13", "startLine": "28"},
    {"id": "2", "name": "14", "filename": "13", "startLine": 10}
  ],
  "stringTable": ["", "samples", "count", "cpu", "nanoseconds", "handler", "/checkout", "bytes", "bytes", "/app/cart", "abc123", "[kernel.kallsyms]_text", "main.main", "cart/main.go", "main.inlined", "drop.*", "keep.*", "a comment"],
  "dropFrames": "15",
  "keepFrames": "16",
  "timeNanos": "1795631220000000000",
  "durationNanos": "60000000000",
  "periodType": {"type": "3", "unit": "4"},
  "period": "10000000",
  "comment": ["17"],
  "defaultSampleType": "3"
}`

func TestDecodeProfileFields(t *testing.T) {
	p, err := decodeProfile([]byte(rich))
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := p.Sample[0], p.Sample[1]
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"sample types", []profile.ValueType{*p.SampleType[0], *p.SampleType[1]}, []profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}},
		{"default sample type", p.DefaultSampleType, "cpu"},
		{"period", []any{*p.PeriodType, p.Period}, []any{profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, int64(10000000)}},
		{"times", []int64{p.TimeNanos, p.DurationNanos}, []int64{1795631220000000000, 60000000000}},
		{"frames", []string{p.DropFrames, p.KeepFrames}, []string{"drop.*", "keep.*"}},
		{"comments", p.Comments, []string{"a comment"}},
		{"values", [][]int64{s0.Value, s1.Value}, [][]int64{{5, 5000}, {-1, -1000}}},
		{"string labels", s0.Label, map[string][]string{"handler": {"/checkout"}}},
		{"numeric labels", s0.NumLabel, map[string][]int64{"bytes": {512, 1024}}},
		// One unit per value, which profile.Parse would leave at {"bytes"},
		// and on which Profile.Write would panic.
		{"numeric label units", s0.NumUnit, map[string][]string{"bytes": {"bytes", ""}}},
		{"no labels", []any{s1.Label, s1.NumLabel, s1.NumUnit}, []any{map[string][]string(nil), map[string][]int64(nil), map[string][]string(nil)}},
		{"stack", []uint64{s0.Location[0].ID, s0.Location[1].ID}, []uint64{1, 2}},
		{"mapping", *p.Mapping[0], profile.Mapping{ID: 1, Start: 4194304, Limit: 8388608, Offset: 4096, File: "/app/cart", BuildID: "abc123", HasFunctions: true, HasLineNumbers: true}},
		{"kernel mapping", []string{p.Mapping[1].File, p.Mapping[1].KernelRelocationSymbol}, []string{"[kernel.kallsyms]_text", "_text"}},
		{"location mappings", []*profile.Mapping{p.Location[0].Mapping, p.Location[1].Mapping, p.Location[2].Mapping}, []*profile.Mapping{p.Mapping[0], p.Mapping[1], nil}},
		{"addresses", []uint64{p.Location[0].Address, p.Location[1].Address}, []uint64{4198400, 18446744073709551615}},
		{"folded", []bool{p.Location[0].IsFolded, p.Location[1].IsFolded}, []bool{false, true}},
		{"inlined lines", []any{p.Location[0].Line[0].Function.Name, p.Location[0].Line[0].Line, p.Location[0].Line[1].Function.Name, p.Location[0].Line[1].Line}, []any{"main.inlined", int64(12), "main.main", int64(30)}},
		{"function", *p.Function[1], profile.Function{ID: 2, Name: "main.inlined", Filename: "cart/main.go", StartLine: 10}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if got, want := p.String(), roundTrip(t, p).String(); got != want {
		t.Errorf("decoded profile\n%s\nis not what pprof reads back\n%s", got, want)
	}
}

func TestDecodeProfileErrors(t *testing.T) {
	// edit replaces old with new in rich, once.
	edit := func(old, new string) string {
		if strings.Count(rich, old) != 1 {
			panic("not once in rich: " + old)
		}
		return strings.Replace(rich, old, new, 1)
	}
	for _, tc := range []struct {
		name string
		in   string
		want string // the error; "" for none
	}{
		{"rich", rich, ""},
		{"empty", `{}`, ""},
		{"null", `null`, ""},
		{"not JSON", `{"sample": [`, "unexpected end of JSON input"},
		{"string index past the table", edit(`"name": "14"`, `"name": "18"`), "function name: string index 18 is not in the string table of 18"},
		{"negative string index", edit(`"key": "5", "str": "6"`, `"key": "-1", "str": "6"`), "sample label key: string index -1 is not in the string table of 18"},
		{"no string table", `{"sampleType": [{"type": "1"}]}`, "sample type: string index 1 is not in the string table of 0"},
		{"first string not empty", edit(`["", "samples"`, `["x", "samples"`), `string table starts with "x", not ""`},
		{"fraction", edit(`"period": "10000000"`, `"period": "1.5"`), `"1.5" is not an integer`},
		{"negative uint64", edit(`"memoryStart": "4194304"`, `"memoryStart": "-1"`), `parsing "-1": invalid syntax`},
		{"uint64 too large", edit(`"18446744073709551615"`, `"18446744073709551616"`), "value out of range"},
		{"sample of no location", edit(`"locationId": [3]`, `"locationId": [4]`), "sample 1: no location 4"},
		{"sample of location 0", edit(`"locationId": [3]`, `"locationId": [0]`), "sample 1: no location 0"},
		{"line of no function", edit(`"functionId": "2"`, `"functionId": "3"`), "location 1: no function 3"},
		{"line of function 0", edit(`[{"functionId": "1"}]`, `[{}]`), "location 3: no function 0"},
		{"location of no mapping", edit(`"mappingId": "7"`, `"mappingId": "2"`), "location 2: no mapping 2"},
		{"mapping id 0", edit(`{"id": "7", "filename": "11"}`, `{"filename": "11"}`), "mapping id 0 is 0 or repeated"},
		{"repeated function id", edit(`{"id": "2", "name": "14"`, `{"id": "1", "name": "14"`), "function id 1 is 0 or repeated"},
		{"repeated location id", edit(`{"id": "3", "line"`, `{"id": "2", "line"`), "location id 2 is 0 or repeated"},
		{"values short of the sample types", edit(`"value": ["-1", "-1000"]`, `"value": ["-1"]`), "invalid profile: mismatch: sample has 1 values vs. 2 types"},
		{"samples without sample types", `{"sample": [{"value": ["1"]}]}`, "invalid profile: missing sample type information"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decodeProfile([]byte(tc.in))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, profile\n%v\nwant %q", p, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want %q", err, tc.want)
			case tc.want == "":
				if err := p.CheckValid(); err != nil {
					t.Fatalf("decoded profile is invalid: %v", err)
				}
			}
		})
	}
}
