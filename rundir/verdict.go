package rundir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
)

// maxVerdict bounds the verdict.json a reader accepts: a real one of
// thousands of results with their samples and hot functions is a few MiB.
const maxVerdict = 64 << 20

// WriteVerdict writes v to the run's verdict.json.
func (d Dir) WriteVerdict(v *analyze.Verdict) error {
	return WriteVerdict(d.Path(VerdictFile), v)
}

// ReadVerdict reads the run's verdict.json.
func (d Dir) ReadVerdict() (*analyze.Verdict, error) {
	return ReadVerdict(d.Path(VerdictFile))
}

// WriteVerdict writes v as JSON (perfgate's --json schema) to path.
func WriteVerdict(path string, v *analyze.Verdict) error {
	var buf bytes.Buffer
	if err := report.JSON(&buf, v); err != nil {
		return fmt.Errorf("writing the verdict: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the verdict: %w", err)
	}
	return nil
}

// ReadVerdict reads a verdict written by WriteVerdict (or --json). What is
// not one is an error that says so: a file that is not JSON, larger than
// 64 MiB, of a newer schema than this perfgate knows, or without an
// outcome perfgate gives.
func ReadVerdict(path string) (*analyze.Verdict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the verdict: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxVerdict+1))
	if err != nil {
		return nil, fmt.Errorf("reading the verdict: %w", err)
	}
	if len(data) > maxVerdict {
		return nil, fmt.Errorf("reading the verdict %s: larger than %d MiB", path, maxVerdict>>20)
	}
	v, err := ParseVerdict(data)
	if err != nil {
		return nil, fmt.Errorf("reading the verdict %s: %w", path, err)
	}
	return v, nil
}

// ParseVerdict reads a verdict from its JSON form; see ReadVerdict.
func ParseVerdict(data []byte) (*analyze.Verdict, error) {
	var v analyze.Verdict
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v.Schema > analyze.SchemaVersion {
		return nil, fmt.Errorf("written by a newer perfgate (schema %d; this one reads up to %d)", v.Schema, analyze.SchemaVersion)
	}
	switch v.Verdict {
	case analyze.Pass, analyze.Regression, analyze.Inconclusive, analyze.Error:
	default:
		return nil, fmt.Errorf("not a perfgate verdict: verdict %q is none of pass, regression, inconclusive, error", v.Verdict)
	}
	return &v, nil
}
