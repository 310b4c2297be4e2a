package rundir

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/analyze"
)

// ReadFlames reads the folded stacks of the diffs behind v's hot
// functions, keyed as report.HTMLOptions.Flames wants them:
//
//   - for each explanation (analyze.Explanation), "BENCHMARK UNIT" of its
//     Benchmark and first unit (Units[0]): the folded files among its
//     Profiles (those ending in ".folded"), merged; when they are of
//     several services (a load scenario's), each stack under a root frame
//     named after its service;
//   - for each regressed result that no explanation with folded stacks
//     explains (Verdict.Explained; a verdict from before explanations),
//     "BENCHMARK UNIT" of the result, from its own Profiles likewise.
//
// Only files of the run directory are read.
func (d Dir) ReadFlames(v *analyze.Verdict) (map[string][]byte, error) {
	flames := make(map[string][]byte)
	explained := v.Explained()
	for i, r := range v.Results {
		if j := explained[i]; j >= 0 && hasFolded(v.Explanations[j].Profiles) {
			continue // its explanation's flame graph stands for it
		}
		data, err := d.readFolded(r.Benchmark, r.Unit, r.Profiles, hotServices(r.Hot, nil))
		if err != nil {
			return nil, fmt.Errorf("reading the flame graph of %s %s: %w", r.Benchmark, r.Unit, err)
		}
		if len(data) > 0 {
			flames[r.Benchmark+" "+r.Unit] = data
		}
	}
	for _, e := range v.Explanations {
		if len(e.Units) == 0 {
			continue
		}
		data, err := d.readFolded(e.Benchmark, e.Units[0], e.Profiles, hotServices(e.Hot, e.Split))
		if err != nil {
			return nil, fmt.Errorf("reading the flame graph of %s %s: %w", e.Benchmark, e.Units[0], err)
		}
		if len(data) > 0 {
			flames[e.Benchmark+" "+e.Units[0]] = data
		}
	}
	return flames, nil
}

func hasFolded(files []string) bool {
	return slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, ".folded") })
}

// hotServices are the services that hot functions and splits name, once
// each.
func hotServices(hot []analyze.Hot, split []analyze.Split) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, h := range hot {
		add(h.Service)
	}
	for _, s := range split {
		add(s.Service)
	}
	return out
}

// readFolded reads and merges the folded files among profiles, the diffs
// of benchmark's unit: when they are of several services, each line goes
// under a root frame named after its service.
func (d Dir) readFolded(benchmark, unit string, profiles []string, services []string) ([]byte, error) {
	var folded []string
	for _, f := range profiles {
		if strings.HasSuffix(f, ".folded") {
			folded = append(folded, f)
		}
	}
	stem := strings.TrimSuffix(d.Diffs(benchmark, unit, "").Folded, ".folded")
	if !slices.ContainsFunc(folded, func(f string) bool { return strings.HasPrefix(f, stem+".") }) {
		stem = commonStem(folded) // the files of another result, or named otherwise
	}
	names := make([]string, len(folded))
	several := false
	for i, f := range folded {
		names[i] = serviceOf(f, stem, services)
		several = several || names[i] != names[0]
	}
	var buf bytes.Buffer
	for i, f := range folded {
		path, err := d.Resolve(f)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.SplitAfter(string(data), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if several {
				service := names[i]
				if service == "" {
					service = "(no service)"
				}
				buf.WriteString(service + ";")
			}
			buf.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				buf.WriteByte('\n')
			}
		}
	}
	return buf.Bytes(), nil
}

// commonStem is what the names of files have in common before a dot,
// without ".folded": "diffs/x.sec_op" of "diffs/x.sec_op.cart.folded" and
// "diffs/x.sec_op.pricing.folded".
func commonStem(files []string) string {
	if len(files) == 0 {
		return ""
	}
	prefix := strings.TrimSuffix(files[0], ".folded")
	for _, f := range files[1:] {
		f = strings.TrimSuffix(f, ".folded")
		n := 0
		for n < len(prefix) && n < len(f) && prefix[n] == f[n] {
			n++
		}
		prefix = prefix[:n]
	}
	if len(files) > 1 {
		// Back to a whole component.
		if i := strings.LastIndexByte(prefix, '.'); i >= 0 {
			return prefix[:i]
		}
		return ""
	}
	return prefix
}

// kinds are what a diff's file name may add after its service (Diffs's
// service argument is "SERVICE.KIND" for time profiles): the kinds of
// analyze.Hot and analyze.Split, and a benchmark's contention profiles.
var kinds = []string{"on-cpu", "network", "sync", "syscall", "scheduling", "background", "block", "mutex"}

// serviceOf is the service a diff's folded file is of: one of services
// whose name (as FileName writes it) the file's name adds to stem, the
// name of the diffs without a service (Diffs), before a kind; else what
// the name adds, without a kind; "" for a file of no service.
func serviceOf(file, stem string, services []string) string {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(file, ".folded"), stem+".")
	if !ok {
		// Named otherwise: a service's name between dots.
		base := "." + filepath.Base(strings.TrimSuffix(file, ".folded")) + "."
		best := ""
		for _, s := range services {
			if strings.Contains(base, "."+FileName(s)+".") && len(s) > len(best) {
				best = s
			}
		}
		return best
	}
	best := ""
	for _, s := range services {
		fs := FileName(s)
		if (rest == fs || strings.HasPrefix(rest, fs+".")) && len(s) > len(best) {
			best = s
		}
	}
	if best != "" {
		return best
	}
	if slices.Contains(kinds, rest) {
		return ""
	}
	if i := strings.LastIndexByte(rest, '.'); i >= 0 && slices.Contains(kinds, rest[i+1:]) {
		return rest[:i]
	}
	return rest
}
