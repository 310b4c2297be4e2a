package action

import (
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/analyze"
)

// MaxAnnotations is how many error annotations the runner shows for one
// step; it drops the rest (10 errors and 10 warnings a step, 50
// annotations a job). A step that runs Annotate should issue no other
// error annotation, or that one goes unseen.
const MaxAnnotations = 10

// Annotate puts an error annotation on the source line of each of the
// worst regressed benchmarks, at most MaxAnnotations, and a notice that
// says how many more there are. One annotation covers all the regressed
// units of a benchmark; the worst is the largest change beyond its
// threshold; the function most of a regression's growth is in is said
// once per explanation (analyze.Explanation), not for each result it
// explains. locate maps a benchmark's full name to its file, relative to
// the repository's root, and line; a benchmark it cannot place is
// annotated without a file. Benchmark and function names come from the
// pull request: go-githubactions escapes them as the runner's command
// format requires (%, \r and \n in the message; also : and , in
// properties), so no name can end the command or start another.
func Annotate(a *githubactions.Action, v *analyze.Verdict, locate func(benchmark string) (file string, line int, ok bool)) {
	if v == nil {
		return
	}
	type group struct {
		benchmark string
		results   []explainedResult
		worst     float64
	}
	var groups []*group
	byKey := map[string]*group{}
	explained := v.Explained()
	for i, r := range v.Results {
		if r.Status != analyze.StatusRegression {
			continue
		}
		key := r.Config.Get("pkg") + "\x00" + r.Benchmark
		g := byKey[key]
		if g == nil {
			g = &group{benchmark: r.Benchmark}
			byKey[key] = g
			groups = append(groups, g)
		}
		x := explainedResult{Result: r, explanation: -1, hot: r.Hot}
		if j := explained[i]; j >= 0 {
			x.explanation, x.hot = j, v.Explanations[j].Hot
		}
		g.results = append(g.results, x)
		g.worst = max(g.worst, severity(r))
	}
	// Worst first; the stable sort keeps the verdict's order among equals.
	slices.SortStableFunc(groups, func(x, y *group) int { return cmp.Compare(y.worst, x.worst) })
	for i, g := range groups {
		if i == MaxAnnotations {
			a.IssueCommand(&githubactions.Command{
				Name: "notice",
				Message: fmt.Sprintf("perfgate: %d more regressed benchmarks are not annotated "+
					"(a step shows at most %d error annotations); the job summary lists them all",
					len(groups)-MaxAnnotations, MaxAnnotations),
			})
			break
		}
		slices.SortStableFunc(g.results, func(x, y explainedResult) int { return cmp.Compare(severity(y.Result), severity(x.Result)) })
		props := githubactions.CommandProperties{"title": "perfgate: performance regression"}
		if locate != nil {
			if file, line, ok := locate(g.benchmark); ok && file != "" {
				props["file"] = filepath.ToSlash(file)
				if line > 0 {
					props["line"] = strconv.Itoa(line)
				}
			}
		}
		a.IssueCommand(&githubactions.Command{Name: "error", Properties: props, Message: annotationMessage(g.benchmark, g.results)})
	}
}

// severity is how far a regression goes beyond its threshold, in the
// unit's worse direction; a regression from a base of zero is the worst.
func severity(r analyze.Result) float64 {
	d := math.Abs(float64(r.Delta))
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d - r.Threshold
}

// explainedResult is a regressed result with the hot functions that
// explain it: its explanation's (the index of it in the verdict's
// Explanations), or, with explanation -1, its own.
type explainedResult struct {
	analyze.Result
	explanation int
	hot         []analyze.Hot
}

// annotationMessage describes a benchmark's regressions on one line (the
// escaping keeps it one line whatever the names hold), each with its
// delta, both sides' centers, p-value and threshold; and where the time
// went, once per explanation (after the first of the results it explains)
// or for a result that no explanation explains, its own.
func annotationMessage(benchmark string, rs []explainedResult) string {
	var b strings.Builder
	b.WriteString(benchmark)
	b.WriteString(" regressed:")
	said := make(map[int]bool) // the explanations whose function is said
	for i, x := range rs {
		r := x.Result
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s %s", r.Unit, r.FormatDelta())
		if r.Base != nil && r.Head != nil {
			fmt.Fprintf(&b, " (%.4g → %.4g)", r.Base.Center, r.Head.Center)
		}
		fmt.Fprintf(&b, ", p=%.2g, threshold %.0f%%", r.P, r.Threshold*100)
		if x.explanation >= 0 {
			if said[x.explanation] {
				continue
			}
			said[x.explanation] = true
		}
		if len(x.hot) > 0 {
			h := x.hot[0]
			fmt.Fprintf(&b, ", mostly in %s", h.Function)
			if h.Service != "" {
				fmt.Fprintf(&b, " in %s", h.Service)
			}
			fmt.Fprintf(&b, " (%.0f%% of the growth)", h.Share*100)
		}
	}
	return b.String()
}

// LocateBenchmark finds the declaration of the top-level benchmark of a
// full benchmark name (BenchmarkX for BenchmarkX/sub=1-8) in the _test.go
// files of the package directories pkgDirs (relative to root, or
// absolute), and returns its file, relative to root with forward
// slashes, and line. A directory outside root is skipped: an annotation
// can only point into the repository.
func LocateBenchmark(root string, pkgDirs []string, benchmark string) (string, int, bool) {
	name := topLevel(benchmark)
	if name == "" {
		return "", 0, false
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return "", 0, false
	}
	for _, d := range pkgDirs {
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		files, err := filepath.Glob(filepath.Join(d, "*_test.go"))
		if err != nil {
			continue
		}
		slices.Sort(files)
		for _, f := range files {
			line, ok := findFunc(f, name)
			if !ok {
				continue
			}
			rel, err := filepath.Rel(root, f)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
			return filepath.ToSlash(rel), line, true
		}
	}
	return "", 0, false
}

// topLevel returns the name of the Benchmark function that ran a full
// benchmark name: the part before the first "/", without the -GOMAXPROCS
// suffix; "" when that is not a benchmark function's name.
func topLevel(benchmark string) string {
	name, _, _ := strings.Cut(benchmark, "/")
	if i := strings.LastIndexByte(name, '-'); i >= 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	if !strings.HasPrefix(name, "Benchmark") || !token.IsIdentifier(name) {
		return ""
	}
	return name
}

// findFunc returns the line of the top-level function name declared in
// the Go file path.
func findFunc(path, name string) (int, bool) {
	src, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(src, []byte(name)) {
		return 0, false
	}
	fset := token.NewFileSet()
	// A file with a syntax error still gives the declarations before it.
	f, _ := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if f == nil {
		return 0, false
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
			return fset.Position(fd.Pos()).Line, true
		}
	}
	return 0, false
}
