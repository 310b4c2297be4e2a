package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadShopConfig(t *testing.T) {
	c, err := Load("../testdata/shop/perfgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.GoBench {
		t.Error("GoBench set for a file with load and no bench section")
	}
	if len(c.Services) != 3 || c.Services[2].Name != "cart" {
		t.Fatalf("services %+v, want inventory, pricing, cart", c.Services)
	}
	if len(c.Load) != 1 {
		t.Fatalf("%d scenarios, want 1", len(c.Load))
	}
	sc := c.Load[0]
	if sc.Target != "cart" || sc.Method != "POST" || sc.Rate != 200 || sc.Rounds != 14 || sc.MinRounds != 6 || sc.Duration != 1500*time.Millisecond {
		t.Errorf("scenario %+v", sc)
	}
	// Defaults fill what the file leaves out.
	if sc.Timeout != DefaultScenario.Timeout || sc.MaxInFlight != DefaultScenario.MaxInFlight || sc.MaxErrorRate != DefaultScenario.MaxErrorRate {
		t.Errorf("scenario defaults not applied: %+v", sc)
	}
	if got := c.Sides.Head.Env["SHOP_FANOUT"]; got != "sequential" {
		t.Errorf("head SHOP_FANOUT = %q, want sequential", got)
	}
}

func TestGoBench(t *testing.T) {
	for _, tt := range []struct {
		yaml string
		want bool
	}{
		{"", true},
		{"bench: {rounds: 3}\n", true},
		{"services: [{name: a, build: ./a}]\nload: [{name: x, target: a}]\n", false},
		{"bench: {}\nservices: [{name: a, build: ./a}]\nload: [{name: x, target: a}]\n", true},
	} {
		c, err := Parse([]byte(tt.yaml), "p.yml")
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.yaml, err)
		}
		if c.GoBench != tt.want {
			t.Errorf("Parse(%q).GoBench = %v, want %v", tt.yaml, c.GoBench, tt.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	const svc = "services:\n  - {name: inventory, build: ./inv}\n  - {name: cart, build: ./cart, args: [\"-i\", \"http://{inventory}\", \"{addr}\"]}\n"
	for _, tt := range []struct {
		name, yaml string
		wants      []string
	}{
		{"unknown target", svc + "load: [{name: c, target: nope}]\n", []string{"load.c.target", `"nope"`}},
		{"no services", "load: [{name: c, target: cart}]\n", []string{"load.c.target"}},
		{"service twice", "services: [{name: a, build: ./a}, {name: a, build: ./b}]\n", []string{`"a" named twice`}},
		{"bad service name", "services: [{name: A b, build: ./a}]\n", []string{"services[0].name"}},
		{"no build", "services: [{name: a}]\n", []string{"services.a.build"}},
		{"later service in args", "services:\n  - {name: a, build: ./a, args: [\"{b}\"]}\n  - {name: b, build: ./b}\n", []string{"services.a.args", "{b}"}},
		{"unknown scenario key", svc + "load: [{name: c, target: cart, rps: 5}]\n", []string{"rps", "not found"}},
		{"scenario twice", svc + "load: [{name: c, target: cart}, {name: c, target: cart}]\n", []string{`"c" named twice`}},
		{"negative rate", svc + "load: [{name: c, target: cart, rate: -5}]\n", []string{"load.c.rate"}},
		{"path without slash", svc + "load: [{name: c, target: cart, path: checkout}]\n", []string{"load.c.path"}},
		{"negative duration", svc + "load: [{name: c, target: cart, duration: -1s}]\n", []string{"load.c.duration"}},
		{"too long", svc + "load: [{name: c, target: cart, duration: 2h}]\n", []string{"load.c.duration"}},
		{"error rate over 1", svc + "load: [{name: c, target: cart, max_error_rate: 5}]\n", []string{"load.c.max_error_rate"}},
		{"error rate NaN", svc + "load: [{name: c, target: cart, max_error_rate: .nan}]\n", []string{"load.c.max_error_rate"}},
		{"rate NaN", svc + "load: [{name: c, target: cart, rate: .nan}]\n", []string{"load.c.rate"}},
		{"method", svc + "load: [{name: c, target: cart, method: post}]\n", []string{"load.c.method"}},
		{"less than a request", svc + "load: [{name: c, target: cart, rate: 0.1, duration: 1s}]\n", []string{"below one request"}},
		{"rounds", svc + "load: [{name: c, target: cart, rounds: 5000}]\n", []string{"load.c.rounds"}},
		{"min rounds", svc + "load: [{name: c, target: cart, rounds: 6, min_rounds: 8}]\n", []string{"load.c.min_rounds"}},
		{"client", svc + "load: [{name: c, target: cart, client: curl}]\n", []string{"load.c.client", `"curl"`}},
		{"users over the cap", svc + "load: [{name: c, target: cart, users: 600}]\n", []string{"load.c.users", "max_in_flight"}},
		{"think time alone", svc + "load: [{name: c, target: cart, think_time: 10ms}]\n", []string{"load.c.think_time", "closed model"}},
		{"users and capacity", svc + "load: [{name: c, target: cart, users: 4, capacity: {latency: 50ms}}]\n", []string{"load.c", "choose one"}},
		{"capacity without latency", svc + "load: [{name: c, target: cart, capacity: {percentile: 90}}]\n", []string{"load.c.capacity.latency"}},
		{"capacity percentile", svc + "load: [{name: c, target: cart, capacity: {latency: 50ms, percentile: 101}}]\n", []string{"load.c.capacity.percentile"}},
		{"capacity rates", svc + "load: [{name: c, target: cart, capacity: {latency: 50ms, min_rate: 500, max_rate: 100}}]\n", []string{"load.c.capacity.max_rate"}},
		{"capacity precision", svc + "load: [{name: c, target: cart, capacity: {latency: 50ms, precision: 0.001}}]\n", []string{"load.c.capacity.precision"}},
		{"capacity unknown key", svc + "load: [{name: c, target: cart, capacity: {latency: 50ms, p99: 5ms}}]\n", []string{"p99", "not found"}},
		{"profile time", svc + "load: [{name: c, target: cart, profile_time: -1s}]\n", []string{"load.c.profile_time"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), "p.yml")
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", c)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
