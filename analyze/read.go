package analyze

import (
	"fmt"
	"io"
	"math"

	"golang.org/x/perf/benchfmt"
)

// Results is what one side's benchmark files hold: every result line, in
// file order, and the unit metadata the files declared.
type Results struct {
	// Label names the side ("base", "head", or a file name).
	Label string
	// Results are the parsed result lines. Each line of a -count run is
	// a sample of its own.
	Results []*benchfmt.Result
	// Units holds unit metadata lines such as "Unit req/s better=higher".
	Units benchfmt.UnitMetadataMap
}

// maxValue bounds a measurement so that sums of two (a median's
// interpolation) stay finite. No real measurement comes near it.
const maxValue = 1e300

// ReadResults reads Go benchmark format text from r, which is named
// fileName in error messages, and labels its results as label. Unlike
// benchstat, which warns and skips them, a malformed line is an error
// (fileName:line: reason): a gate that drops samples silently can pass
// what it should fail. So is a measurement that is not a finite number
// (NaN, Inf, or beyond 1e300 once its unit is tidied): no statistic of it
// means anything, and benchmath's U test does not return on NaN.
func ReadResults(r io.Reader, fileName, label string) (*Results, error) {
	rd := new(benchfmt.Reader)
	rd.Reset(r, fileName, ".file", label)
	out := &Results{Label: label}
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			for _, v := range rec.Values {
				if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) || math.Abs(v.Value) > maxValue {
					file, line := rec.Pos()
					return nil, &benchfmt.SyntaxError{FileName: file, Line: line,
						Msg: fmt.Sprintf("measurement %v %s is not a finite number in range", v.Value, v.Unit)}
				}
			}
			out.Results = append(out.Results, rec.Clone())
		case *benchfmt.UnitMetadata:
			// Collected by the reader; see Units below.
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", fileName, err)
	}
	out.Units = rd.Units()
	return out, nil
}
