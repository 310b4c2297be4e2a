package pyroscope

import (
	"bytes"
	"testing"

	"github.com/google/pprof/profile"
)

// Any answer decodes to a flame graph that keeps its promises, or to an
// error; never a panic.
func FuzzDecodeFlameGraph(f *testing.F) {
	f.Add(readRecorded(f, "select-merge-stacktraces").response)
	f.Add(readRecorded(f, "empty-window").response)
	f.Add(recursive)
	f.Add([]byte(`{"flamegraph":{"names":["total","a"],"levels":[{"values":[0,3,0,0]},{"values":[0,3,3,1]}],"total":3,"maxSelf":3}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeFlameGraph(b)
		if err != nil {
			return
		}
		checkFlameGraph(t, g)
	})
}

// Any answer decodes to a valid profile that pprof can write and read
// back, or to an error; never a panic.
func FuzzDecodeProfile(f *testing.F) {
	f.Add(readRecorded(f, "select-merge-profile").response)
	f.Add([]byte(rich))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeProfile(b)
		if err != nil {
			return
		}
		if err := p.CheckValid(); err != nil {
			t.Fatalf("decoded profile is invalid: %v", err)
		}
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			t.Fatalf("writing the profile: %v", err)
		}
		if _, err := profile.Parse(&buf); err != nil {
			t.Fatalf("parsing the written profile: %v", err)
		}
	})
}
