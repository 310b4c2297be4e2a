package rundir

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
)

// Dir is a run directory. Its methods name the files of the layout,
// relative to the directory (as run.json and verdict.json record them);
// Path makes such a name a path.
type Dir struct {
	root string
}

// Create makes path (and its parents) the run directory of a new run. It
// must not exist yet, or be an empty directory (as New leaves one): perfgate
// writes only where nothing of anyone else's can be overwritten, and runs
// are never mixed.
func Create(path string) (Dir, error) {
	root, err := filepath.Abs(path)
	if err != nil {
		return Dir{}, fmt.Errorf("locating the run directory: %w", err)
	}
	d := Dir{root}
	if _, err := os.Stat(d.Path(InfoFile)); err == nil {
		return Dir{}, fmt.Errorf("%s already holds a run: choose another --out", root)
	}
	if err := MkdirEmpty(root); err != nil {
		return Dir{}, fmt.Errorf("creating the run directory: %w (choose another --out)", err)
	}
	return d, nil
}

// MkdirEmpty makes the directory path with its parents, or accepts it when
// it is an empty directory already. A directory that holds anything is
// refused, so that what perfgate writes there never replaces a file it did
// not make.
func MkdirEmpty(path string) error {
	entries, err := os.ReadDir(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(path, 0o755)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty", path)
	}
	return nil
}

// Open returns the run directory at path, which must exist.
func Open(path string) (Dir, error) {
	root, err := filepath.Abs(path)
	if err != nil {
		return Dir{}, fmt.Errorf("locating the run directory: %w", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return Dir{}, fmt.Errorf("opening the run directory: %w", err)
	}
	if !fi.IsDir() {
		return Dir{}, fmt.Errorf("%s is not a run directory", path)
	}
	return Dir{root}, nil
}

// Root returns the directory's absolute path.
func (d Dir) Root() string { return d.root }

// Path returns the path of a file of the layout, named relative to the
// directory by one of d's methods.
func (d Dir) Path(rel string) string { return filepath.Join(d.root, rel) }

// Resolve returns the path of a file named relative to the directory by
// what a run directory holds (verdict.json's profile files): a name that
// is absolute or climbs out of the directory is refused, since run
// directories are read by workflows that trust them less than their
// own files.
func (d Dir) Resolve(rel string) (string, error) {
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%q is not a file of the run directory", rel)
	}
	return d.Path(rel), nil
}

// WriteFile writes data to the file rel of the directory, making its
// parent directories as needed.
func (d Dir) WriteFile(rel string, data []byte) error {
	p := d.Path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// MkdirFor makes the parent directories of the file rel.
func (d Dir) MkdirFor(rel string) error {
	return os.MkdirAll(filepath.Dir(d.Path(rel)), 0o755)
}

// The files of the layout that do not depend on a side or a result.
const (
	InfoFile        = "run.json"
	VerdictFile     = "verdict.json"
	ReportFile      = "report.html"
	LoadResultsFile = "load.txt"
	binDir          = "bin"
)

// Results is the benchmark file of side ("base" or "head").
func (Dir) Results(side string) string { return side + ".txt" }

// Round is the raw output of side's measured round of the go test
// benchmarks.
func (Dir) Round(side string, round int) string {
	return filepath.Join("rounds", fmt.Sprintf("%s-%02d.txt", side, round))
}

// LoadRound is the output of side's round of a load scenario; attempt
// counts the tries of a round run again (the first is 0).
func (Dir) LoadRound(side, scenario string, round, attempt int) string {
	name := fmt.Sprintf("%s-%s-%02d.txt", side, scenario, round)
	if attempt > 0 {
		name = fmt.Sprintf("%s-%s-%02d-again%d.txt", side, scenario, round, attempt)
	}
	return filepath.Join("rounds", name)
}

// BuildLog is the compiler output of side's builds.
func (Dir) BuildLog(side string) string { return "build-" + side + ".log" }

// Bin is the directory of side's test and service binaries.
func (Dir) Bin(side string) string { return filepath.Join(binDir, side) }

// ServiceLog is the output of side's service.
func (Dir) ServiceLog(side, service string) string {
	return filepath.Join("logs", side+"-"+service+".log")
}

// BenchProfiles are the files of one profiling run (a chunk) of one
// benchmark on a side.
type BenchProfiles struct {
	CPU, Mem, Block, Mutex, Output string
}

// BenchProfiles names the files of side's chunk-th profiling run of the
// i-th benchmark of the pkg-th package.
func (Dir) BenchProfiles(side string, pkg, i int, benchmark string, chunk int) BenchProfiles {
	stem := filepath.Join("profiles", side, fmt.Sprintf("%02d-%03d-%s.%02d", pkg, i, FileName(benchmark), chunk))
	return BenchProfiles{CPU: stem + ".cpu.pprof", Mem: stem + ".mem.pprof", Block: stem + ".block.pprof",
		Mutex: stem + ".mutex.pprof", Output: stem + ".txt"}
}

// ServiceProfile is side's profile of kind (profile, heap, goroutine,
// trace) of service, taken during the chunk-th profiling run of scenario.
func (Dir) ServiceProfile(side, service, scenario, kind string, chunk int) string {
	ext := ".pprof"
	if kind == "trace" {
		ext = ".out"
	}
	return filepath.Join("profiles", side, service, fmt.Sprintf("%s.%02d.%s%s", scenario, chunk, kind, ext))
}

// ScenarioOutput holds the figures of side's chunk-th profiling run of
// scenario.
func (Dir) ScenarioOutput(side, scenario string, chunk int) string {
	return filepath.Join("profiles", side, fmt.Sprintf("%s.%02d.txt", scenario, chunk))
}

// EndpointProfile is the profile of kind of the i-th pprof endpoint that
// perfgate load was given.
func (Dir) EndpointProfile(i int, kind string) string {
	return filepath.Join("profiles", fmt.Sprintf("%02d.%s.pprof", i, kind))
}

// DiffFiles are the files behind one regressed result's hot functions, of
// one service (or of the benchmark).
type DiffFiles struct {
	// Base is the base profile scaled to the head's work, Head the head's,
	// Diff their difference as go tool pprof -diff_base builds it, Folded
	// the diff's folded stacks.
	Base, Head, Diff, Folded string
}

// Diffs names the files of the diff of a result's profiles; service is ""
// for a benchmark.
func (Dir) Diffs(benchmark, unit, service string) DiffFiles {
	stem := filepath.Join("diffs", FileName(benchmark)+"."+FileName(unit))
	if service != "" {
		stem += "." + FileName(service)
	}
	return DiffFiles{Base: stem + ".base.pb.gz", Head: stem + ".head.pb.gz", Diff: stem + ".diff.pb.gz", Folded: stem + ".folded"}
}

// RemoveBinaries removes the test and service binaries of the run, which
// are large and of no use once the run has ended.
func (d Dir) RemoveBinaries() error {
	if err := os.RemoveAll(d.Path(binDir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the run's binaries: %w", err)
	}
	return nil
}

// maxFileName bounds a name made by FileName.
const maxFileName = 100

// FileName turns a benchmark, unit or service name into a file name:
// every byte but letters, digits, '-', '.' and '=' becomes '_', and a
// name longer than 100 bytes is cut, with a hash of the whole so that two
// long names that begin alike stay apart.
func FileName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '=') {
			b[i] = '_'
		}
	}
	if len(b) > maxFileName {
		h := fnv.New32a()
		h.Write([]byte(name))
		b = fmt.Appendf(b[:maxFileName-9], "-%08x", h.Sum32())
	}
	return string(b)
}
