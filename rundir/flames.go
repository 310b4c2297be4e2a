package rundir

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/perfgate/perfgate/analyze"
)

// ReadFlames reads the folded stacks of the diffs behind each regressed
// result of v, keyed by "BENCHMARK UNIT" as report.HTMLOptions.Flames
// wants them. The stacks of several services go under a root frame named
// after the service. Only files of the run directory are read.
func (d Dir) ReadFlames(v *analyze.Verdict) (map[string][]byte, error) {
	flames := make(map[string][]byte)
	for _, r := range v.Results {
		var folded []string
		for _, f := range r.Profiles {
			if strings.HasSuffix(f, ".folded") {
				folded = append(folded, f)
			}
		}
		// The service of a file is what its name adds to the result's
		// own (Diffs).
		stem := strings.TrimSuffix(d.Diffs(r.Benchmark, r.Unit, "").Folded, ".folded")
		var buf bytes.Buffer
		for _, f := range folded {
			path, err := d.Resolve(f)
			if err != nil {
				return nil, fmt.Errorf("reading the flame graph of %s %s: %w", r.Benchmark, r.Unit, err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("reading the flame graph of %s %s: %w", r.Benchmark, r.Unit, err)
			}
			if len(folded) == 1 {
				buf.Write(data)
				continue
			}
			service := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(f, ".folded"), stem), ".")
			for _, line := range strings.SplitAfter(string(data), "\n") {
				if strings.TrimSpace(line) != "" {
					buf.WriteString(service + ";" + line)
				}
			}
		}
		if buf.Len() > 0 {
			flames[r.Benchmark+" "+r.Unit] = buf.Bytes()
		}
	}
	return flames, nil
}
