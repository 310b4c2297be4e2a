package gate

import (
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

func TestScenarioOpen(t *testing.T) {
	cart := analyze.LoadName{Scenario: "checkout", Service: "cart"}.String()
	pricing := analyze.LoadName{Scenario: "checkout", Service: "pricing"}.String()
	other := analyze.LoadName{Scenario: "browse", Service: "cart"}.String()
	for _, tt := range []struct {
		name    string
		results []analyze.Result
		open    bool
	}{
		{"none open", []analyze.Result{{Benchmark: cart, Unit: "sec/op"}}, false},
		{"latency open", []analyze.Result{{Benchmark: cart, Unit: "p99-sec", Open: true}}, true},
		{"throughput open", []analyze.Result{{Benchmark: cart, Unit: "req/s", Open: true}}, true},
		{"a resource open", []analyze.Result{{Benchmark: pricing, Unit: "cpu-sec/op", Open: true}, {Benchmark: cart, Unit: "peak-rss-B", Open: true}}, false},
		{"another scenario open", []analyze.Result{{Benchmark: other, Unit: "sec/op", Open: true}}, false},
		{"a benchmark open", []analyze.Result{{Benchmark: "BenchmarkX-2", Unit: "sec/op", Open: true}}, false},
	} {
		if got := scenarioOpen("checkout")(&analyze.Verdict{Results: tt.results}); got != tt.open {
			t.Errorf("%s: open = %v, want %v", tt.name, got, tt.open)
		}
	}
}
