package analyze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Outcome is the gate's answer.
type Outcome string

// The outcomes of a verdict.
const (
	// Pass: nothing regressed beyond its threshold.
	Pass Outcome = "pass"
	// Regression: at least one result is significantly worse than its
	// threshold allows.
	Regression Outcome = "regression"
	// Inconclusive: nothing regressed, but some result is not clear: it
	// had too few samples for any difference to be significant, or (paired)
	// the budget of rounds ran out before a change beyond its threshold
	// was either found or ruled out.
	Inconclusive Outcome = "inconclusive"
	// Error: the tool or the workload failed; see Verdict.Error.
	Error Outcome = "error"
)

// Status is what the comparison of one benchmark and unit found.
type Status string

// The statuses of a result.
const (
	StatusRegression      Status = "regression"       // significant, worse beyond the threshold
	StatusImprovement     Status = "improvement"      // significant, better beyond the threshold
	StatusWithinThreshold Status = "within-threshold" // significant, but smaller than the threshold
	StatusChanged         Status = "changed"          // significant, in a unit whose better direction is unknown
	StatusUnchanged       Status = "unchanged"        // not significant
	StatusTooFewSamples   Status = "too-few-samples"  // no difference could have been significant
	StatusInconclusive    Status = "inconclusive"     // not significant, yet a change beyond the threshold is not ruled out
	StatusBaseOnly        Status = "base-only"        // the benchmark ran on the base side only
	StatusHeadOnly        Status = "head-only"        // the benchmark ran on the head side only
)

// SchemaVersion is the version of the verdict's JSON form (Verdict.Schema).
// It grows when a change would mislead a reader of the older form; a
// reader refuses a verdict of a newer version than it knows.
const SchemaVersion = 1

// Verdict is the decision of the gate and everything it rests on. Its JSON
// form is the schema of perfgate's --json output.
type Verdict struct {
	// Schema is SchemaVersion for a verdict made by this perfgate; 0 in
	// one written before verdicts carried a version (the same form as 1).
	Schema  int     `json:"schema"`
	Verdict Outcome `json:"verdict"`
	Base    Side    `json:"base"`
	Head    Side    `json:"head"`
	// Alpha is the significance level: of each comparison in benchstat's
	// mode, of each unit's results over all looks when Paired.
	Alpha float64 `json:"alpha"`
	// Paired says the results were compared round by round, corrected for
	// many benchmarks (Holm, per unit) and for Looks looks at the rounds.
	Paired  bool     `json:"paired,omitempty"`
	Looks   int      `json:"looks,omitempty"`
	Results []Result `json:"results"`
	// Explanations are the regressions explained: one per benchmark or
	// load scenario (and per kind of profile), grouping the regressed
	// results that the same profiles explain under one hot list. Each
	// regressed result's Hot is its explanation's.
	Explanations []Explanation `json:"explanations,omitempty"`
	// Curves are the latency curves of the capacity scenarios, a side's
	// each.
	Curves []Curve `json:"curves,omitempty"`
	// Notes are things the reader must know that are not a result: a
	// benchmark that ran on one side only, a round that failed.
	Notes []string `json:"notes,omitempty"`
	// Error is the one-line reason when Verdict is Error.
	Error string `json:"error,omitempty"`
}

// Curve is the latency curve of a capacity scenario on one side: the
// objective's percentile of latency at every rate its searches offered,
// in the order offered.
type Curve struct {
	Scenario string `json:"scenario"`
	// Side is "base" or "head".
	Side string `json:"side"`
	// Percentile and Objective are the objective: that percentile of
	// latency at most Objective seconds.
	Percentile float64      `json:"percentile"`
	Objective  float64      `json:"objective_sec"`
	Points     []CurvePoint `json:"points"`
}

// CurvePoint is one step of a capacity search.
type CurvePoint struct {
	// Rate is the offered rate, in requests per second.
	Rate float64 `json:"rate"`
	// Latency is the objective's percentile of latency, in seconds.
	Latency float64 `json:"latency_sec"`
	Met     bool    `json:"met"`
}

// Failed returns the verdict of a run that failed for reason (one line).
func Failed(reason string) *Verdict {
	return &Verdict{Schema: SchemaVersion, Verdict: Error, Error: reason, Results: []Result{}}
}

// Side names what one side of the comparison measured.
type Side struct {
	Ref    string `json:"ref,omitempty"`
	Commit string `json:"commit,omitempty"`
	// Dirty is set when the side is a working tree with uncommitted
	// changes, which Commit alone does not describe.
	Dirty bool `json:"dirty,omitempty"`
}

// Result is the comparison of one benchmark in one unit.
type Result struct {
	Benchmark string `json:"benchmark"`
	Unit      string `json:"unit"`
	// Config is the file configuration both sides share (pkg, goos, ...).
	Config Config   `json:"config,omitempty"`
	Base   *Summary `json:"base,omitempty"`
	Head   *Summary `json:"head,omitempty"`
	// Delta is (head-base)/base of the centers; NaN (null in JSON) when
	// the base center is zero and the head's is not.
	Delta Float `json:"delta"`
	// P is the p-value of the test that the sides differ.
	P         float64   `json:"p"`
	Threshold float64   `json:"threshold"`
	Better    Direction `json:"better"`
	// Regression is Status == StatusRegression, for readers of the JSON.
	Regression bool   `json:"regression"`
	Status     Status `json:"status"`
	// Open says more rounds could still change Status: the result is
	// inconclusive, or a significant change within its threshold that the
	// data do not yet keep within it. Set by the paired comparison.
	Open     bool     `json:"open,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Hot are the functions that explain the result, from its profiles
	// (Diff), largest growth first.
	Hot []Hot `json:"hot,omitempty"`
	// Profiles are the files behind Hot, relative to the run directory:
	// the base profile scaled to the head's work, the head's, their diff
	// (go tool pprof opens each) and the diff's folded stacks.
	Profiles []string `json:"profiles,omitempty"`
}

// Explanation is the cause of one regression: the regressed results of one
// benchmark, or of one load scenario, that the same profiles explain, and
// the functions that grew in them beyond sampling noise.
type Explanation struct {
	// Package is the benchmark's package (its results' pkg key), "" for
	// load.
	Package string `json:"package,omitempty"`
	// Benchmark is the benchmark, or for load the scenario
	// (LoadName{Scenario}.String()) whose response time and throughput it
	// explains, or the service (LoadName with Service) whose resources.
	Benchmark string `json:"benchmark"`
	// Units are the regressed results it explains, in the verdict's order.
	Units []string `json:"units"`
	// SampleType is the profiles' sample type ranked: "cpu", "alloc_space",
	// "alloc_objects", "inuse_space", or "delay" when on-CPU and off-CPU
	// time are ranked together (load latency).
	SampleType string `json:"sample_type"`
	// BaseSamples and HeadSamples are the sampled events behind each
	// side's profiles after filtering (CPU samples, sampled allocations,
	// blocking events): what the ranking's confidence rests on.
	BaseSamples int64 `json:"base_samples"`
	HeadSamples int64 `json:"head_samples"`
	// BaseWork and HeadWork are the units of work the profiles cover:
	// benchmark iterations, requests.
	BaseWork float64 `json:"base_work"`
	HeadWork float64 `json:"head_work"`
	// Split is the time per unit of work by kind (on-CPU, network, sync,
	// syscall, scheduling), per service, on each side: where a latency
	// regression's time went.
	Split []Split `json:"split,omitempty"`
	// Hot are the functions whose growth per unit of work is beyond
	// sampling noise (Holm-corrected over the functions tested), largest
	// growth first. Empty, with a note, when the samples support none.
	Hot []Hot `json:"hot"`
	// Notes say what limits the explanation: samples short of the target,
	// a trace that could not be read.
	Notes []string `json:"notes,omitempty"`
	// Profiles are the files behind Hot, relative to the run directory.
	Profiles []string `json:"profiles,omitempty"`
}

// Split is the time per unit of work one service spent in one kind of
// state, on each side.
type Split struct {
	Service string `json:"service,omitempty"`
	// Kind is "on-cpu", "network", "sync", "syscall" or "scheduling".
	Kind string  `json:"kind"`
	Base float64 `json:"base"`
	Head float64 `json:"head"`
	// Unit is "ns/op".
	Unit string `json:"unit"`
}

// Summary describes one side's sample of a result.
type Summary struct {
	// Center is the median (or the exact value for assume=exact units);
	// Lo and Hi bound its 95% confidence interval, and are null in JSON
	// when the sample is too small to have one.
	Center float64 `json:"center"`
	Lo     Float   `json:"lo"`
	Hi     Float   `json:"hi"`
	N      int     `json:"n"`
	// Values are the samples in the order they were measured (round order
	// for perfgate bench).
	Values []float64 `json:"values,omitempty"`
}

// Config is an ordered list of configuration keys and values; its JSON form
// is an object with the keys in order.
type Config []KeyValue

// KeyValue is one configuration key and its value.
type KeyValue struct{ Key, Value string }

// Get returns the value of key, or "".
func (c Config) Get(key string) string {
	for _, kv := range c {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// MarshalJSON writes c as a JSON object, keys in order.
func (c Config) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key)
		v, _ := json.Marshal(kv.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a JSON object of strings, keeping the key order, or
// null.
func (c *Config) UnmarshalJSON(data []byte) error {
	*c = nil
	dec := json.NewDecoder(bytes.NewReader(data))
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('{') {
		return fmt.Errorf("config: want an object, got %v", t)
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return err
		}
		k, _ := kt.(string)
		*c = append(*c, KeyValue{k, v})
	}
	_, err = dec.Token() // }
	return err
}

// Float is a float64 whose JSON form is null when it is not finite, since
// JSON has no NaN or infinity.
type Float float64

// MarshalJSON writes f, or null when f is NaN or infinite.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a number, or null as NaN.
func (f *Float) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(data), 64)
	*f = Float(v)
	return err
}

// FormatDelta formats the delta as benchstat's "vs base" column does:
// "~" when the difference is not significant, "?" from a base of zero,
// else a signed percentage.
func (r Result) FormatDelta() string {
	d := float64(r.Delta)
	switch {
	case r.Status == StatusUnchanged || r.Status == StatusTooFewSamples || r.Status == StatusInconclusive:
		return "~"
	case math.IsNaN(d):
		return "?"
	case d == 0:
		return "0.00%"
	}
	return fmt.Sprintf("%+.2f%%", d*100)
}

// Count returns how many results have status s.
func (v *Verdict) Count(s Status) int {
	n := 0
	for _, r := range v.Results {
		if r.Status == s {
			n++
		}
	}
	return n
}

// Explained returns, for each result of v, the index in v.Explanations of
// the explanation that explains it, or -1. Only a regressed result is
// explained: by the first explanation that lists its unit for its
// benchmark (and package), or else by the first that lists its unit for
// its load scenario (an explanation named by the scenario alone,
// LoadName{Scenario}, explains the response time and throughput that the
// scenario's target service's line holds). A regressed result that no
// explanation explains keeps its own Hot, as in verdicts made before
// explanations and by perfgate compare, which has no profiles.
func (v *Verdict) Explained() []int {
	out := make([]int, len(v.Results))
	type key struct{ pkg, name, unit string }
	exact := make(map[key]int)
	scenario := make(map[key]int)
	for j := len(v.Explanations) - 1; j >= 0; j-- { // the first wins
		e := v.Explanations[j]
		n, load := ParseLoadName(e.Benchmark)
		for _, u := range e.Units {
			exact[key{e.Package, e.Benchmark, u}] = j
			if load && n.Service == "" {
				scenario[key{"", n.Scenario, u}] = j
			}
		}
	}
	for i, r := range v.Results {
		out[i] = -1
		if r.Status != StatusRegression {
			continue
		}
		if j, ok := exact[key{r.Config.Get("pkg"), r.Benchmark, r.Unit}]; ok {
			out[i] = j
		} else if j, ok := exact[key{"", r.Benchmark, r.Unit}]; ok {
			out[i] = j
		} else if n, ok := ParseLoadName(r.Benchmark); ok && n.Service != "" {
			if j, ok := scenario[key{"", n.Scenario, r.Unit}]; ok {
				out[i] = j
			}
		}
	}
	return out
}
