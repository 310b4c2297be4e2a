// Package config reads perfgate.yml: what to measure, on which sides, and the
// thresholds of the gate. Command-line flags override it; what it leaves out
// takes the value of Default.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/bench/service"
)

// Config is the whole of perfgate.yml.
type Config struct {
	// Base is the git ref of the base side; empty means the merge-base of
	// HEAD with the default branch. Sides.Base.Ref, when set, wins.
	Base string `yaml:"base"`
	// Sides says what each side is: a git ref (or the working tree), an
	// environment and build tags. Two configurations of one tree compare
	// the same way as two commits.
	Sides Sides `yaml:"sides"`
	// Bench configures the go test benchmarks.
	Bench Bench `yaml:"bench"`
	// GoBench says whether perfgate run runs the go test benchmarks: when
	// the file has a bench section, or no load section.
	GoBench bool `yaml:"-"`
	// Services are the services the load scenarios measure, started in
	// order from each side's tree.
	Services []service.Spec `yaml:"services"`
	// Load are the load scenarios.
	Load []Scenario `yaml:"load"`
	// PinCPUs pins, for the load scenarios, the load driver and the
	// services to separate CPUs (internal/cpuset): every thread of every
	// service of both sides, once ready, to about three quarters of the
	// CPUs perfgate may use, and perfgate itself, while it sends load, to
	// the rest (at least 1; on 2 CPUs, one each). The driver then takes no
	// CPU time from the services, which share fewer CPUs. It is accepted
	// on any machine, since a file is checked where it is written and the
	// machine is known only where it runs: where perfgate may use fewer
	// than 2 CPUs, or outside Linux, the run pins nothing and says so in a
	// note. run.json records what was pinned (Pinned).
	PinCPUs bool `yaml:"pin_cpus"`
	// Watch configures perfgate watch (the staging receiver and its
	// deploy verdicts).
	Watch Watch `yaml:"watch"`
	// Thresholds are the gate's effect-size floors.
	Thresholds analyze.Thresholds `yaml:"-"`
}

// Scenario is a load scenario: requests to one of the services, measured
// in interleaved rounds. By default it is an open model (requests at a
// constant rate); Users makes it a closed model and Capacity a search for
// the highest rate that meets an objective.
type Scenario struct {
	Name string `yaml:"name" json:"name"`
	// Target is the name of the service the requests go to.
	Target string            `yaml:"target" json:"target"`
	Method string            `yaml:"method" json:"method"`
	Path   string            `yaml:"path" json:"path"`
	Body   string            `yaml:"body" json:"body,omitempty"`
	Header map[string]string `yaml:"header" json:"header,omitempty"`
	// Rate is in requests per second, open model.
	Rate float64 `yaml:"rate" json:"rate"`
	// Users, when set, makes the scenario a closed model: that many users,
	// each sending its next request when its last one answered and
	// ThinkTime has passed. Rate is then not used.
	Users     int           `yaml:"users" json:"users,omitempty"`
	ThinkTime time.Duration `yaml:"think_time" json:"think_time_ns,omitempty"`
	// Capacity, when set, makes each round a search for the highest
	// arrival rate that meets the objective (open model, steps of
	// Duration); Rate is then not used.
	Capacity *Capacity `yaml:"capacity" json:"capacity,omitempty"`
	// Client is the driver's HTTP client: "fasthttp" (the default) or
	// "net/http", for what fasthttp lacks (HTTP/2).
	Client   string        `yaml:"client" json:"client,omitempty"`
	Duration time.Duration `yaml:"duration" json:"duration_ns"`
	// Timeout bounds each request.
	Timeout     time.Duration `yaml:"timeout" json:"timeout_ns"`
	MaxInFlight int           `yaml:"max_in_flight" json:"max_in_flight"`
	// Rounds is the number of measured rounds per side. Too few for the
	// signed-rank test, they are compared with the U test, which needs 5
	// per side to reach the gate's alpha (0.02) at all, and 6 when three
	// results share a unit (three services' cpu-sec/op).
	Rounds int `yaml:"rounds" json:"rounds"`
	// MinRounds is the first round the scenario's results are looked at
	// to stop early, as bench.min_rounds for benchmarks: the rounds stop
	// at a look where none of the scenario's response time and throughput
	// figures is open. 0 means Rounds always run.
	MinRounds int `yaml:"min_rounds" json:"min_rounds,omitempty"`
	// Warmup is an unmeasured load each side gets before its first round.
	Warmup time.Duration `yaml:"warmup" json:"warmup_ns"`
	// MaxErrorRate is the fraction of failed requests above which a round
	// is a failure of the workload rather than a figure.
	MaxErrorRate float64 `yaml:"max_error_rate" json:"max_error_rate"`
	// ProfileTime is how long each side's profiling load runs, in chunks
	// of Duration (at most 3s) interleaved with the other side's: the CPU
	// profiles of a service that uses little CPU reach few samples, and
	// the execution traces, which record every blocking event, carry the
	// explanation of waiting.
	ProfileTime time.Duration `yaml:"profile_time" json:"profile_time_ns"`
}

// Capacity is the objective of a capacity scenario and the bounds of its
// search.
type Capacity struct {
	// Percentile and Latency are the latency objective: the Percentile-th
	// percentile of latency (from each request's scheduled start) at most
	// Latency.
	Percentile float64       `yaml:"percentile" json:"percentile"`
	Latency    time.Duration `yaml:"latency" json:"latency_ns"`
	// MaxErrorRate is the objective's fraction of failed requests.
	MaxErrorRate float64 `yaml:"max_error_rate" json:"max_error_rate"`
	// MinRate and MaxRate bound the search, in requests per second.
	MinRate float64 `yaml:"min_rate" json:"min_rate"`
	MaxRate float64 `yaml:"max_rate" json:"max_rate"`
	// Precision is the relative width at which the search stops: the
	// highest rate that met the objective and the lowest that did not
	// are within it.
	Precision float64 `yaml:"precision" json:"precision"`
	// ProfileRate is the rate both sides are profiled at; 0 means the
	// lower of the two sides' capacities.
	ProfileRate float64 `yaml:"profile_rate" json:"profile_rate,omitempty"`
}

// DefaultCapacity holds the values a capacity objective takes where it
// says nothing (or zero). Latency has no default.
var DefaultCapacity = Capacity{Percentile: 99, MaxErrorRate: 0.01, MinRate: 10, MaxRate: 20000, Precision: 0.05}

// DefaultScenario holds the values a scenario takes where it says nothing
// (or zero).
var DefaultScenario = Scenario{
	Method:       "GET",
	Path:         "/",
	Rate:         100,
	Duration:     5 * time.Second,
	Timeout:      5 * time.Second,
	MaxInFlight:  512,
	Rounds:       6,
	Warmup:       time.Second,
	MaxErrorRate: 0.01,
	ProfileTime:  10 * time.Second,
}

// Sides are the two sides of a comparison.
type Sides struct {
	Base Side `yaml:"base"`
	Head Side `yaml:"head"`
}

// Side says what one side is: the tree it is built from, and how. For the
// base side, an empty Ref means Config.Base.
type Side struct {
	// Ref is a git ref checked out in a worktree of its own; empty means
	// the working tree as it is, uncommitted edits included.
	Ref string `yaml:"ref"`
	// Env is added to the environment of builds, benchmark runs and
	// services. For services, its values take the placeholders of a
	// service's args ({addr}, {NAME}).
	Env map[string]string `yaml:"env"`
	// Tags are build tags.
	Tags []string `yaml:"tags"`
}

// Bench says what go test benchmarks to run and how: perfgate.yml's bench
// section.
type Bench struct {
	// Packages are go package patterns, relative to the directory perfgate
	// runs in.
	Packages []string `yaml:"packages" json:"packages"`
	// Run is the -bench regexp.
	Run string `yaml:"run" json:"run"`
	// Benchtime is -benchtime: a duration or Nx.
	Benchtime string `yaml:"benchtime" json:"benchtime"`
	// Rounds is the budget of measured rounds per side.
	Rounds int `yaml:"rounds" json:"rounds"`
	// Profile explains each regression: once the rounds have decided,
	// the benchmarks and scenarios that regressed run again, profiled,
	// on both sides (CPU and memory profiles, block and mutex profiles of
	// benchmarks, each service's CPU and heap profiles and execution
	// trace under load).
	Profile bool `yaml:"profile" json:"profile"`
	// ProfileAll profiles every benchmark and scenario, not only the
	// regressed ones.
	ProfileAll bool `yaml:"profile_all" json:"profile_all,omitempty"`
	// ProfileSamples is the CPU samples a benchmark's profiling runs aim
	// for on each side; they run in chunks of equal iterations on both
	// sides, interleaved, until both sides have as many or ProfileTime
	// has passed on one.
	ProfileSamples int `yaml:"profile_samples" json:"profile_samples"`
	// ProfileTime caps the profiling runs of one benchmark on one side.
	ProfileTime time.Duration `yaml:"profile_time" json:"profile_time_ns"`
	// Timeout bounds each benchmark process (go test's -timeout does not
	// cover benchmarks).
	Timeout time.Duration `yaml:"timeout" json:"timeout_ns"`
	// MinRounds is the first round the results are looked at to stop
	// early; they are looked at again each time the rounds have grown by
	// half, and at Rounds, the budget (analyze.Looks). 0, or not below
	// Rounds, means Rounds always run.
	MinRounds int `yaml:"min_rounds" json:"min_rounds"`
	// RequireAll fails the gate when a benchmark of the base is missing
	// from the head (deleted, renamed, or its package moved), which is
	// otherwise reported first, as base-only, and does not fail it.
	RequireAll bool `yaml:"require_all" json:"require_all,omitempty"`
}

// Default is the configuration when perfgate.yml says nothing.
var Default = Config{
	Bench: Bench{
		Packages:  []string{"./..."},
		Run:       ".",
		Benchtime: "30ms",
		Rounds:    60,
		MinRounds: 10,
		Profile:   true,
		Timeout:   10 * time.Minute,
		// 3,000 samples tell a function 25% slower among five of equal
		// cost (the benchmark 5% slower) in about 9 runs of 10; 1,000
		// in 4 (a simulation of the test in signif.go's terms).
		ProfileSamples: 3000,
		ProfileTime:    20 * time.Second,
	},
}

// DefaultThresholds returns a copy of analyze.DefaultThresholds that
// can be changed freely.
func DefaultThresholds() analyze.Thresholds {
	t := analyze.DefaultThresholds
	t.Units = make(map[string]float64, len(t.Units))
	for k, v := range analyze.DefaultThresholds.Units {
		t.Units[k] = v
	}
	return t
}

// File is the configuration file perfgate looks for in the directory it
// runs in when no file is named.
const File = "perfgate.yml"

// Defaults returns the configuration when there is no file: Default, with
// the default thresholds, free to change.
func Defaults() *Config {
	c := Default
	c.Watch = DefaultWatch
	c.Bench.Packages = slices.Clone(c.Bench.Packages)
	c.Thresholds = DefaultThresholds()
	return &c
}

// Find returns the configuration perfgate runs with in dir: the file at
// path (relative to dir) when one is named, else File in dir when there is
// one, else Default with the default thresholds.
func Find(dir, path string) (*Config, error) {
	if path == "" {
		p := filepath.Join(dir, File)
		if _, err := os.Stat(p); err != nil {
			return Defaults(), nil
		}
		return Load(p)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return Load(path)
}

// Load reads the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(data, path)
}

// Parse reads a configuration from data, named name in errors. Keys it
// does not know are errors, so that a misspelt or not yet supported part
// is never ignored silently.
func Parse(data []byte, name string) (*Config, error) {
	// The file decodes into Config itself; only the thresholds, a mapping
	// whose keys are units or special words, are read by hand.
	var doc struct {
		Config     `yaml:",inline"`
		Thresholds yaml.Node `yaml:"thresholds"`
	}
	doc.Bench = Default.Bench
	doc.Bench.Packages = nil
	if err := decodeOne(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c := doc.Config
	var top map[string]yaml.Node // which sections the file has
	yaml.Unmarshal(data, &top)
	_, hasBench := top["bench"]
	c.GoBench = hasBench || len(c.Load) == 0
	for i := range c.Load {
		c.Load[i] = withDefaults(c.Load[i])
	}
	c.Watch = c.Watch.withDefaults()
	if c.Bench.Packages == nil {
		c.Bench.Packages = append([]string(nil), Default.Bench.Packages...)
	}
	t, err := parseThresholds(&doc.Thresholds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.Thresholds = t
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

// decodeOne decodes the YAML document in data into v, with unknown keys as
// errors. Empty data leaves v as it is. A second document that is not
// empty is an error rather than ignored. yaml.v3 returns most failures as
// errors but lets some internal panics on malformed input through; those
// are errors here too.
func decodeOne(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if len(doc.Content) > 0 && doc.Content[0].ShortTag() != "!!null" {
			return fmt.Errorf("line %d: a second YAML document; the file must hold one", doc.Content[0].Line)
		}
	}
}

// parseThresholds reads the thresholds mapping: unit keys with percentages,
// and an optional "benchmarks" mapping from name patterns to unit
// percentages, kept in file order because the first match wins:
//
//	thresholds:
//	  sec/op: 5%
//	  benchmarks:
//	    BenchmarkNoisy: {sec/op: 20%}
func parseThresholds(n *yaml.Node) (analyze.Thresholds, error) {
	t := DefaultThresholds()
	if n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return t, nil
	}
	if n.Kind != yaml.MappingNode {
		return t, fmt.Errorf("line %d: thresholds: want a mapping of unit to percentage", n.Line)
	}
	units, err := unitPercents(n, func(k, v *yaml.Node) (bool, error) {
		switch k.Value {
		case "benchmarks":
			if v.Kind != yaml.MappingNode {
				return true, fmt.Errorf("line %d: thresholds.benchmarks: want a mapping of benchmark pattern to {unit: percentage}", v.Line)
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				pk, pv := v.Content[j], v.Content[j+1]
				re, err := regexp.Compile(pk.Value)
				if err != nil {
					return true, fmt.Errorf("line %d: thresholds: benchmark pattern %q: %v", pk.Line, pk.Value, err)
				}
				units, err := unitPercents(pv, nil)
				if err != nil {
					return true, err
				}
				t.Benchmarks = append(t.Benchmarks, analyze.BenchmarkThresholds{Pattern: re, Units: units})
			}
			return true, nil
		case "default":
			p, err := percentNode(v)
			t.Default = p
			return true, err
		}
		return false, nil
	})
	if err != nil {
		return t, err
	}
	for u, p := range units {
		t.Units[u] = p
	}
	return t, nil
}

// unitPercents reads a mapping of unit to percentage, units tidied as
// benchstat names them; a unit given twice (ns/op and sec/op included) is
// an error. special, if set, handles the keys that are not units: it
// reports whether it took the key.
func unitPercents(n *yaml.Node, special func(k, v *yaml.Node) (bool, error)) (map[string]float64, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: thresholds: want a mapping of unit to percentage", n.Line)
	}
	m := make(map[string]float64)
	lines := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if special != nil {
			if took, err := special(k, v); took || err != nil {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		unit := analyze.TidyUnit(k.Value)
		if line, dup := lines[unit]; dup {
			return nil, fmt.Errorf("line %d: thresholds: %s is set twice (also on line %d)", k.Line, unit, line)
		}
		p, err := percentNode(v)
		if err != nil {
			return nil, err
		}
		m[unit], lines[unit] = p, k.Line
	}
	return m, nil
}

func percentNode(n *yaml.Node) (float64, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, fmt.Errorf("line %d: thresholds: want a percentage such as 5%%", n.Line)
	}
	p, err := analyze.ParsePercent(n.Value)
	if err != nil {
		return 0, fmt.Errorf("line %d: thresholds: %v", n.Line, err)
	}
	return p, nil
}

// withDefaults fills the fields of sc that are zero from DefaultScenario
// (and of its capacity objective from DefaultCapacity).
func withDefaults(sc Scenario) Scenario {
	d := DefaultScenario
	orDefault(&sc.Method, d.Method)
	orDefault(&sc.Path, d.Path)
	orDefault(&sc.Rate, d.Rate)
	orDefault(&sc.Duration, d.Duration)
	orDefault(&sc.Timeout, d.Timeout)
	orDefault(&sc.MaxInFlight, d.MaxInFlight)
	orDefault(&sc.Rounds, d.Rounds)
	orDefault(&sc.Warmup, d.Warmup)
	orDefault(&sc.MaxErrorRate, d.MaxErrorRate)
	orDefault(&sc.ProfileTime, d.ProfileTime)
	if sc.Capacity != nil {
		c, d := *sc.Capacity, DefaultCapacity
		orDefault(&c.Percentile, d.Percentile)
		orDefault(&c.MaxErrorRate, d.MaxErrorRate)
		orDefault(&c.MinRate, d.MinRate)
		orDefault(&c.MaxRate, d.MaxRate)
		orDefault(&c.Precision, d.Precision)
		sc.Capacity = &c
	}
	return sc
}

// orDefault sets *v to d when *v is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ValidName reports whether s can name a service or a load scenario: lower
// case letters, digits, - and _, as result names and file names carry them.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// ValidFraction reports whether f is a fraction between 0 and 1 (NaN is
// not).
func ValidFraction(f float64) bool { return f >= 0 && f <= 1 }

// validateLoad checks the services and the load scenarios.
func (c *Config) validateLoad() error {
	names := make(map[string]bool)
	for i, s := range c.Services {
		switch {
		case !nameRE.MatchString(s.Name):
			return fmt.Errorf("services[%d].name: %q: want lower-case letters, digits, - and _", i, s.Name)
		case names[s.Name]:
			return fmt.Errorf("services[%d].name: %q named twice", i, s.Name)
		case s.Build == "":
			return fmt.Errorf("services.%s.build: no package to build", s.Name)
		case s.StartTimeout < 0:
			return fmt.Errorf("services.%s.start_timeout: negative", s.Name)
		}
		for _, a := range s.Args {
			for _, ref := range placeholders.FindAllStringSubmatch(a, -1) {
				if ref[1] != "addr" && !names[ref[1]] {
					return fmt.Errorf("services.%s.args: {%s} is not a service started before %s", s.Name, ref[1], s.Name)
				}
			}
		}
		for k := range s.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return fmt.Errorf("services.%s.env: bad variable name %q", s.Name, k)
			}
		}
		names[s.Name] = true
	}
	scenarios := make(map[string]bool)
	for i, sc := range c.Load {
		switch {
		case !nameRE.MatchString(sc.Name):
			return fmt.Errorf("load[%d].name: %q: want lower-case letters, digits, - and _", i, sc.Name)
		case scenarios[sc.Name]:
			return fmt.Errorf("load[%d].name: %q named twice", i, sc.Name)
		case !names[sc.Target]:
			return fmt.Errorf("load.%s.target: %q is not one of the services", sc.Name, sc.Target)
		case !strings.HasPrefix(sc.Path, "/"):
			return fmt.Errorf("load.%s.path: %q does not begin with /", sc.Name, sc.Path)
		case !(sc.Rate > 0 && sc.Rate <= load.MaxRate):
			return fmt.Errorf("load.%s.rate: %v is not between 0 and %d requests per second", sc.Name, sc.Rate, load.MaxRate)
		case sc.Duration <= 0 || sc.Duration > time.Hour:
			return fmt.Errorf("load.%s.duration: %v is not between 0 and 1h", sc.Name, sc.Duration)
		case sc.Timeout <= 0:
			return fmt.Errorf("load.%s.timeout: %v is not positive", sc.Name, sc.Timeout)
		case sc.Warmup < 0:
			return fmt.Errorf("load.%s.warmup: %v is negative", sc.Name, sc.Warmup)
		case sc.ProfileTime < 0 || sc.ProfileTime > time.Hour:
			return fmt.Errorf("load.%s.profile_time: %v is not between 0 and 1h", sc.Name, sc.ProfileTime)
		case sc.MaxInFlight < 1:
			return fmt.Errorf("load.%s.max_in_flight: %d is below 1", sc.Name, sc.MaxInFlight)
		case sc.Rounds < 1 || sc.Rounds > 1000:
			return fmt.Errorf("load.%s.rounds: %d is not between 1 and 1000", sc.Name, sc.Rounds)
		case sc.MinRounds < 0 || sc.MinRounds > sc.Rounds:
			return fmt.Errorf("load.%s.min_rounds: %d is not between 0 and rounds (%d)", sc.Name, sc.MinRounds, sc.Rounds)
		case !ValidFraction(sc.MaxErrorRate):
			return fmt.Errorf("load.%s.max_error_rate: %v is not a fraction between 0 and 1", sc.Name, sc.MaxErrorRate)
		case sc.Rate*sc.Duration.Seconds() < 1 && sc.Users == 0 && sc.Capacity == nil:
			return fmt.Errorf("load.%s: rate × duration is below one request", sc.Name)
		case sc.Client != "" && sc.Client != string(load.FastHTTP) && sc.Client != string(load.NetHTTP):
			return fmt.Errorf("load.%s.client: %q is not %q or %q", sc.Name, sc.Client, load.FastHTTP, load.NetHTTP)
		case sc.Users < 0 || sc.Users > sc.MaxInFlight:
			return fmt.Errorf("load.%s.users: %d is not between 0 and max_in_flight (%d)", sc.Name, sc.Users, sc.MaxInFlight)
		case sc.ThinkTime < 0 || sc.ThinkTime > time.Minute:
			return fmt.Errorf("load.%s.think_time: %v is not between 0 and 1m", sc.Name, sc.ThinkTime)
		case sc.ThinkTime > 0 && sc.Users == 0:
			return fmt.Errorf("load.%s.think_time: set, but users is not (think time is for the closed model)", sc.Name)
		case sc.Users > 0 && sc.Capacity != nil:
			return fmt.Errorf("load.%s: users and capacity: a capacity search offers rates (open model), users are a closed model; choose one", sc.Name)
		}
		if err := sc.Capacity.validate(sc.Name); err != nil {
			return err
		}
		if !validMethod(sc.Method) {
			return fmt.Errorf("load.%s.method: %q is not an HTTP method", sc.Name, sc.Method)
		}
		scenarios[sc.Name] = true
	}
	if len(c.Load) > 0 && len(c.Services) == 0 {
		return errors.New("load: scenarios but no services to run them against")
	}
	return nil
}

// validate checks a capacity objective with its defaults applied (nil is
// valid: no capacity search).
func (c *Capacity) validate(scenario string) error {
	if c == nil {
		return nil
	}
	key := "load." + scenario + ".capacity."
	switch {
	case !(c.Percentile > 0 && c.Percentile <= 100):
		return fmt.Errorf("%spercentile: %v is not above 0 and at most 100", key, c.Percentile)
	case c.Latency <= 0 || c.Latency > time.Minute:
		return fmt.Errorf("%slatency: %v is not between 0 and 1m (the objective needs a latency)", key, c.Latency)
	case !ValidFraction(c.MaxErrorRate):
		return fmt.Errorf("%smax_error_rate: %v is not a fraction between 0 and 1", key, c.MaxErrorRate)
	case !(c.MinRate > 0 && c.MinRate <= load.MaxRate):
		return fmt.Errorf("%smin_rate: %v is not between 0 and %d requests per second", key, c.MinRate, load.MaxRate)
	case !(c.MaxRate > c.MinRate && c.MaxRate <= load.MaxRate):
		return fmt.Errorf("%smax_rate: %v is not above min_rate (%v) and at most %d requests per second", key, c.MaxRate, c.MinRate, load.MaxRate)
	case !(c.Precision >= 0.01 && c.Precision <= 0.5):
		return fmt.Errorf("%sprecision: %v is not between 0.01 and 0.5", key, c.Precision)
	case c.ProfileRate < 0 || c.ProfileRate > load.MaxRate || math.IsNaN(c.ProfileRate):
		return fmt.Errorf("%sprofile_rate: %v is not between 0 and %d requests per second", key, c.ProfileRate, load.MaxRate)
	}
	return nil
}

var placeholders = regexp.MustCompile(`\{([^{}]*)\}`)

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// Validate checks the values a file or flags gave.
func (c *Config) Validate() error {
	if err := c.validateLoad(); err != nil {
		return err
	}
	if err := c.Watch.withDefaults().validate(); err != nil {
		return err
	}
	b := c.Bench
	if len(b.Packages) == 0 {
		return errors.New("bench.packages: no package patterns")
	}
	if _, err := regexp.Compile(b.Run); err != nil {
		return fmt.Errorf("bench.run: %v", err)
	}
	if err := checkBenchtime(b.Benchtime); err != nil {
		return fmt.Errorf("bench.benchtime: %v", err)
	}
	if b.Rounds < 1 || b.Rounds > 1000 {
		return fmt.Errorf("bench.rounds: %d is not between 1 and 1000", b.Rounds)
	}
	if b.Timeout <= 0 {
		return fmt.Errorf("bench.timeout: %v is not positive", b.Timeout)
	}
	if b.MinRounds < 0 {
		return fmt.Errorf("bench.min_rounds: %d is negative", b.MinRounds)
	}
	if b.ProfileSamples < 1 || b.ProfileSamples > 1_000_000 {
		return fmt.Errorf("bench.profile_samples: %d is not between 1 and 1000000", b.ProfileSamples)
	}
	if b.ProfileTime <= 0 || b.ProfileTime > time.Hour {
		return fmt.Errorf("bench.profile_time: %v is not between 0 and 1h", b.ProfileTime)
	}
	for _, s := range []struct {
		name string
		side Side
	}{{"base", c.Sides.Base}, {"head", c.Sides.Head}} {
		for k, v := range s.side.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return fmt.Errorf("sides.%s.env: bad variable name %q", s.name, k)
			}
			if strings.ContainsRune(v, 0) {
				return fmt.Errorf("sides.%s.env: %s holds a NUL byte", s.name, k)
			}
		}
		for _, t := range s.side.Tags {
			if t == "" || strings.ContainsAny(t, ", \t\n") {
				return fmt.Errorf("sides.%s.tags: bad build tag %q", s.name, t)
			}
		}
		if strings.HasPrefix(s.side.Ref, "-") {
			return fmt.Errorf("sides.%s.ref: %q is not a git ref", s.name, s.side.Ref)
		}
	}
	if strings.HasPrefix(c.Base, "-") {
		return fmt.Errorf("base: %q is not a git ref", c.Base)
	}
	return nil
}

// checkBenchtime accepts what go test's -benchtime accepts: a positive
// duration, or a positive iteration count written Nx.
func checkBenchtime(s string) error {
	if n, ok := strings.CutSuffix(s, "x"); ok {
		var i int
		if _, err := fmt.Sscanf(n, "%d", &i); err != nil || i <= 0 || fmt.Sprint(i) != n {
			return fmt.Errorf("%q: want a duration or a count such as 100x", s)
		}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q: want a duration or a count such as 100x", s)
	}
	return nil
}
