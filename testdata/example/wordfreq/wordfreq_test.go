package wordfreq

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestTop(t *testing.T) {
	got := Top("the cat and The dog, the END; and the end.", 3)
	want := []Count{{"the", 4}, {"and", 2}, {"end", 2}}
	if !slices.Equal(got, want) {
		t.Errorf("Top = %v, want %v", got, want)
	}
}

// text returns n words drawn from a small vocabulary, some capitalized.
func text(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := []string{"Gate", "bench", "Profile", "latency", "throughput", "median", "Regression", "noise", "round", "sample"}
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(vocab[rng.IntN(len(vocab))])
	}
	return b.String()
}

var sink []Count

func BenchmarkTop(b *testing.B) {
	for _, n := range []int{100, 1000} {
		t := text(n)
		b.Run(fmt.Sprintf("words=%d", n), func(b *testing.B) {
			for b.Loop() {
				sink = Top(t, 5)
			}
		})
	}
}

var tokens []string

func BenchmarkTokenize(b *testing.B) {
	t := text(1000)
	for b.Loop() {
		tokens = Tokenize(t)
	}
}
