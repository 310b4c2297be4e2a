package analyze

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkCompare measures a comparison of two files of 200 benchmarks,
// 10 samples each, in three units: the analysis of a large pull request.
func BenchmarkCompare(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	file := func(shift float64) string {
		var s strings.Builder
		s.WriteString("goos: linux\ngoarch: amd64\npkg: example.com/big\n")
		for i := range 200 {
			for range 10 {
				ns := 1000 * (1 + float64(i%7)) * (shift + 0.05*rng.Float64())
				fmt.Fprintf(&s, "BenchmarkB%03d/size=%d-8 1000 %.1f ns/op %d B/op %d allocs/op\n", i, i%5, ns, 64*(i%9), i%4)
			}
		}
		return s.String()
	}
	base, err := ReadResults(strings.NewReader(file(1)), "base.txt", "base")
	if err != nil {
		b.Fatal(err)
	}
	head, err := ReadResults(strings.NewReader(file(1.02)), "head.txt", "head")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compare(base, head, DefaultOptions); err != nil {
			b.Fatal(err)
		}
	}
}
