package analyze

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"
)

// TestCompareMatchesBenchstat runs the real benchstat, built from the
// golang.org/x/perf version in go.mod, on pairs of files and checks that
// Compare computes the same numbers: for every benchmark and unit, both
// sides' centers and confidence intervals, the delta (or "~") and the
// p-value and sample sizes, as benchstat's CSV prints them.
func TestCompareMatchesBenchstat(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build benchstat: %v", err)
	}
	benchstat := filepath.Join(t.TempDir(), "benchstat")
	build := exec.Command(goTool, "build", "-o", benchstat, "golang.org/x/perf/cmd/benchstat")
	if out, err := build.CombinedOutput(); err != nil {
		// Without the module cache (or network) there is nothing to
		// compare with.
		t.Skipf("cannot build benchstat from the module cache: %v\n%s", err, out)
	}

	tests := []struct {
		base, head string
		// ignore are the keys both benchstat and perfgate are told to
		// ignore; benchstat is also told perfgate's side keys
		// (commit, variant), which perfgate always ignores.
		ignore string
		rows   int // benchstat rows expected, to catch a parser that reads nothing
		// noShared: no table has both sides, and perfgate says so.
		noShared bool
	}{
		{base: "old.txt", head: "new.txt", rows: 2},
		// crc-old.txt says "note: hw acceleration disabled" and
		// crc-new.txt "... enabled".
		{base: "crc-old.txt", head: "crc-new.txt", ignore: "note", rows: 2 * 36},
		{base: "crc-old.txt", head: "crc-new.txt", rows: 4 * 36, noShared: true},
		{base: "server-base.txt", head: "server-head.txt", rows: 17},
		// cpu: MachineA and MachineB against MachineC.
		{base: "machines-old.txt", head: "machines-new.txt", rows: 3, noShared: true},
		{base: "machines-old.txt", head: "machines-new.txt", ignore: "cpu", rows: 1},
	}
	for _, tt := range tests {
		t.Run(tt.base+","+tt.head+",ignore="+tt.ignore, func(t *testing.T) {
			ignore := slices.Concat(sideKeys, strings.FieldsFunc(tt.ignore, func(r rune) bool { return r == ',' }))
			args := []string{"-format", "csv", "-ignore", strings.Join(ignore, ","), tt.base, tt.head}
			cmd := exec.Command(benchstat, args...)
			cmd.Dir = "testdata"
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("benchstat %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
			}
			rows, err := parseBenchstatCSV(&stdout, tt.base, tt.head)
			if err != nil {
				t.Fatalf("parsing benchstat's CSV: %v\n%s", err, stdout.Bytes())
			}
			if len(rows) != tt.rows {
				t.Fatalf("benchstat printed %d rows, want %d:\n%s", len(rows), tt.rows, stdout.Bytes())
			}

			opts := DefaultOptions
			opts.Ignore = ignore[len(sideKeys):]
			v, err := Compare(readFile(t, tt.base, "base"), readFile(t, tt.head, "head"), opts)
			if tt.noShared {
				checkNoShared(t, err, rows)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Results) != len(rows) {
				t.Errorf("perfgate has %d results, benchstat %d rows", len(v.Results), len(rows))
			}
			results := make(map[string]Result)
			for _, r := range v.Results {
				k := benchstatKey(configString(r.Config), r.Unit, r.Benchmark)
				if _, dup := results[k]; dup {
					t.Errorf("two perfgate results for %s", k)
				}
				results[k] = r
			}
			for _, row := range rows {
				k := benchstatKey(row.config, row.unit, "Benchmark"+row.name)
				r, ok := results[k]
				if !ok {
					t.Errorf("%s: in benchstat, not in perfgate", k)
					continue
				}
				checkSide(t, k+" base", row.base, r.Base)
				checkSide(t, k+" head", row.head, r.Head)
				if r.Base == nil || r.Head == nil {
					if row.delta != "" || row.p != "" {
						t.Errorf("%s: benchstat compares (%s %s), perfgate says %s", k, row.delta, row.p, r.Status)
					}
					continue
				}
				if got := r.FormatDelta(); got != row.delta {
					t.Errorf("%s: delta %s (status %s, delta %v), benchstat %s", k, got, r.Status, float64(r.Delta), row.delta)
				}
				cmp := benchmath.Comparison{P: r.P, N1: r.Base.N, N2: r.Head.N}
				if got := cmp.String(); got != row.p {
					t.Errorf("%s: %s, benchstat %s", k, got, row.p)
				}
			}
		})
	}
}

// checkNoShared checks Compare's error on files that share no
// configuration with benchstat's tables of them: no row has both sides,
// and the values perfgate names for each key are those of benchstat's
// tables of each side.
func checkNoShared(t *testing.T, err error, rows []benchstatRow) {
	t.Helper()
	var nc *NoSharedConfigError
	if !errors.As(err, &nc) {
		t.Fatalf("error %v, want a *NoSharedConfigError", err)
	}
	if len(nc.Keys) == 0 {
		t.Errorf("error names no key: %v", err)
	}
	for _, row := range rows {
		if row.base != nil && row.head != nil {
			t.Errorf("benchstat compares %s %s [%s]", row.name, row.unit, row.config)
		}
	}
	for _, kv := range nc.Keys {
		var values [2][]string
		for _, row := range rows {
			for side, c := range []*benchstatCell{row.base, row.head} {
				if v := row.configMap[kv.Key]; c != nil && !slices.Contains(values[side], v) {
					values[side] = append(values[side], v)
				}
			}
		}
		for side, want := range [][]string{kv.Base, kv.Head} {
			got := slices.Sorted(slices.Values(values[side]))
			if want = slices.Sorted(slices.Values(want)); !slices.Equal(got, want) {
				t.Errorf("%s on side %d: perfgate names %q, benchstat's tables have %q", kv.Key, side, want, got)
			}
		}
	}
}

// checkSide compares one side of a perfgate result with benchstat's
// center and interval cells.
func checkSide(t *testing.T, what string, cell *benchstatCell, s *Summary) {
	t.Helper()
	switch {
	case cell == nil && s == nil:
		return
	case cell == nil:
		t.Errorf("%s: perfgate has a summary, benchstat none", what)
		return
	case s == nil:
		t.Errorf("%s: benchstat has a summary, perfgate none", what)
		return
	}
	// benchstat prints the center with fmt.Sprint, which round-trips.
	if got := fmt.Sprint(s.Center); got != cell.center {
		t.Errorf("%s: center %s, benchstat %s", what, got, cell.center)
	}
	sum := benchmath.Summary{Center: s.Center, Lo: float64(s.Lo), Hi: float64(s.Hi)}
	if got := sum.PctRangeString(); got != cell.ci {
		t.Errorf("%s: interval ±%s, benchstat ±%s", what, got, cell.ci)
	}
}

func benchstatKey(config, unit, benchmark string) string {
	return fmt.Sprintf("[%s] %s %s", config, benchmark, unit)
}

// configString is a configuration as sorted key=value pairs.
func configString(c Config) string {
	var kv []string
	for _, x := range c {
		kv = append(kv, x.Key+"="+x.Value)
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}

// benchstatRow is one benchmark row of one of benchstat's CSV tables.
type benchstatRow struct {
	config     string // file configuration, as configString writes it
	configMap  map[string]string
	unit, name string // name without "Benchmark"
	base, head *benchstatCell
	delta, p   string // "vs base" and "P" columns: "-17.20%" or "~", "p=0.000 n=10"
}

type benchstatCell struct{ center, ci string }

// parseBenchstatCSV reads the output of benchstat -format csv with two
// input files. Each table is preceded by the configuration lines that
// changed ("pkg: hash/crc32", or "key:" when a key went away) and a
// header of file names, then a header naming the unit:
//
//	,old.txt,,new.txt,,,
//	,sec/op,CI,sec/op,CI,vs base,P
//	Encode/format=json-48,1.7180000000000001e-06,1%,1.4225000000000001e-06,1%,-17.20%,p=0.000 n=10
//	geomean,2.294891936453654e-06,,2.089754770302007e-06,,-8.94%,
//
// A row that lacks a side has empty cells in its place, or is cut short;
// a table of one file only has that file's column alone. base and head are
// the file names of the sides.
func parseBenchstatCSV(r io.Reader, base, head string) ([]benchstatRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	config := make(map[string]string)
	var (
		rows  []benchstatRow
		unit  string
		files []string // of the table's columns
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case len(rec) == 1 && strings.Contains(rec[0], ":"):
			k, v, _ := strings.Cut(rec[0], ":")
			if v = strings.TrimSpace(v); v == "" {
				delete(config, k)
			} else {
				config[k] = v
			}
			unit = ""
		case len(rec) >= 3 && rec[0] == "" && rec[2] == "CI":
			unit = rec[1]
		case len(rec) >= 2 && rec[0] == "":
			// The header of file names.
			unit, files = "", nil
			for i := 1; i < len(rec); i += 2 {
				if rec[i] != "" {
					files = append(files, rec[i])
				}
			}
		case rec[0] == "geomean":
		case unit == "":
			return nil, fmt.Errorf("row %q outside a table", rec)
		default:
			var kv []string
			for k, v := range config {
				kv = append(kv, k+"="+v)
			}
			slices.Sort(kv)
			row := benchstatRow{config: strings.Join(kv, " "), configMap: maps.Clone(config), unit: unit, name: rec[0]}
			cell := func(i int) *benchstatCell {
				if i+1 >= len(rec) || rec[i] == "" {
					return nil
				}
				return &benchstatCell{rec[i], rec[i+1]}
			}
			for i, f := range files {
				switch f {
				case base:
					row.base = cell(1 + 2*i)
				case head:
					row.head = cell(1 + 2*i)
				default:
					return nil, fmt.Errorf("column of file %q, neither %s nor %s", f, base, head)
				}
			}
			if len(rec) > 6 {
				row.delta, row.p = rec[5], rec[6]
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}
