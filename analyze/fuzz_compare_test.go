package analyze

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzCompareConfigs compares two texts (the input split at its first
// "----\n" line) and checks the error of files that share no
// configuration:
//
//   - it names at least one key, in one line;
//   - ignoring the keys it names makes the sides meet: Compare with them
//     in Options.Ignore does not fail that way again.
func FuzzCompareConfigs(f *testing.F) {
	for _, s := range []string{
		"cpu: A\nBenchmarkX 1 1 ns/op\ncpu: B\nBenchmarkX 1 2 ns/op\n----\ncpu: C\nBenchmarkX 1 3 ns/op\n",
		"cpu: A\nos: x\nBenchmarkX 1 1 ns/op\ncpu: B\nos: y\nBenchmarkX 1 1 ns/op\n----\ncpu: A\nos: y\nBenchmarkX 1 1 ns/op\ncpu: B\nos: x\nBenchmarkX 1 1 ns/op\n",
		"note: a b\nBenchmarkX 1 1 ns/op\n----\nnote: a c\ntool: v\nBenchmarkX 1 1 ns/op\n",
		"commit: a\npkg: p\nBenchmarkX 1 1 ns/op\npkg:\nBenchmarkY 1 1 req/s\n----\ncommit: b\npkg: p\nBenchmarkX 1 1 ns/op\npkg:\nBenchmarkY 1 1 req/s\n",
		"cpu: A\nBenchmarkX 1 1 ns/op\ncpu: B\nBenchmarkX 1 1 ns/op\n----\ncpu: A\nBenchmarkY 1 1 ns/op\ncpu: C\nBenchmarkX 1 1 ns/op\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, h, ok := bytes.Cut(data, []byte("----\n"))
		if !ok {
			return
		}
		base, err := ReadResults(bytes.NewReader(b), "base.txt", "base")
		if err != nil {
			return
		}
		head, err := ReadResults(bytes.NewReader(h), "head.txt", "head")
		if err != nil {
			return
		}
		_, err = Compare(base, head, DefaultOptions)
		var nc *NoSharedConfigError
		if !errors.As(err, &nc) {
			return
		}
		if len(nc.Keys) == 0 {
			t.Errorf("error names no key: %v", err)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\r") {
			t.Errorf("error is not one line: %q", msg)
		}
		opts := DefaultOptions
		for _, kv := range nc.Keys {
			opts.Ignore = append(opts.Ignore, kv.Key)
		}
		if _, err := Compare(base, head, opts); errors.As(err, &nc) {
			t.Errorf("with %q ignored, still: %v", opts.Ignore, err)
		}
	})
}
