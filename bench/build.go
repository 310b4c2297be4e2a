package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/rundir"
)

// listPackages lists the packages with test files that patterns match in
// the tree at root, relative to rel (the directory perfgate runs in).
func listPackages(ctx context.Context, s *Side, rel string, patterns []string) ([]rundir.Package, error) {
	args := []string{"list", "-e", "-json=ImportPath,Name,Dir,TestGoFiles,XTestGoFiles,Error"}
	if len(s.Tags) > 0 {
		args = append(args, "-tags", strings.Join(s.Tags, ","))
	}
	args = append(args, "--")
	args = append(args, patterns...)
	cmd := proc.Command(ctx, "go", args...)
	cmd.Dir = filepath.Join(s.Tree, rel)
	cmd.Env = s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := proc.Run(cmd); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("listing %s packages: %s", s.Name, reason(stderr.String(), err))
	}
	var pkgs []rundir.Package
	dec := json.NewDecoder(&stdout)
	for {
		var p struct {
			ImportPath, Name, Dir     string
			TestGoFiles, XTestGoFiles []string
			Error                     *struct{ Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("listing %s packages: reading go list: %w", s.Name, err)
		}
		if p.Error != nil && p.Dir == "" {
			return nil, fmt.Errorf("listing %s packages: %s", s.Name, p.Error.Err)
		}
		if len(p.TestGoFiles)+len(p.XTestGoFiles) == 0 {
			continue
		}
		dir, err := filepath.Rel(s.Tree, p.Dir)
		if err != nil || strings.HasPrefix(dir, "..") {
			continue // a package outside the tree (the standard library, a dependency)
		}
		pkgs = append(pkgs, rundir.Package{ImportPath: p.ImportPath, Name: p.Name, Dir: dir})
	}
	return pkgs, nil
}

// build builds the test binary of each package into binDir, and keeps the
// compiler's output in logFile. A failure's error is its first line.
func build(ctx context.Context, s *Side, pkgs []rundir.Package, binDir, logFile string) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	log, err := os.Create(logFile)
	if err != nil {
		return err
	}
	defer log.Close()
	for i := range pkgs {
		p := &pkgs[i]
		p.Binary = filepath.Join(binDir, fmt.Sprintf("%02d-%s.test", i, filepath.Base(p.ImportPath)))
		// -trimpath: the same code gives the same binary whatever tree
		// it is built in, so that the sides differ only by the change.
		overlay, err := writeRateOverlay(binDir, i, filepath.Join(s.Tree, p.Dir), p.Name)
		if err != nil {
			return err
		}
		args := []string{"test", "-c", "-trimpath", "-overlay", overlay, "-o", p.Binary}
		if len(s.Tags) > 0 {
			args = append(args, "-tags", strings.Join(s.Tags, ","))
		}
		args = append(args, "--", p.ImportPath)
		if err := proc.Go(ctx, filepath.Join(s.Tree, p.Dir), s.env, log, args...); err != nil {
			if ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("building %s test binary of %s: %v (full log: %s)", s.Name, p.ImportPath, err, logFile)
		}
	}
	return nil
}

// ProfileRateEnv is the environment variable that sets the CPU profiling
// rate (samples per CPU second) of a test binary perfgate built, when it
// runs with -test.cpuprofile.
const ProfileRateEnv = "PERFGATE_CPU_PROFILE_HZ"

// profileRate is the CPU profiling rate of benchmark profiling runs. The
// testing package profiles at runtime/pprof's fixed 100 Hz; a rate set
// earlier (at init) is the one the profile keeps, with the right period.
// 250 Hz is the most Linux gives at its usual CONFIG_HZ=250: its CPU-time
// timers fire at most once a tick (measured here: 1000 Hz asked gave 250
// samples a CPU second), so a higher rate would give no more samples and
// mislabel each sample's weight.
const profileRate = 250

// rateOverlay is a test file added to each package's test binary through
// go build's -overlay, without touching the tree: an init that sets the
// CPU profiling rate when ProfileRateEnv says so. Its imports are renamed
// so as not to collide with the package's own names.
const rateOverlay = `package %s

import (
	perfgateOS "os"
	perfgateRuntime "runtime"
	perfgateStrconv "strconv"
)

// Added by perfgate at build time: the CPU profiling rate of its
// profiling runs (` + ProfileRateEnv + `).
func init() {
	if hz, err := perfgateStrconv.Atoi(perfgateOS.Getenv("` + ProfileRateEnv + `")); err == nil && hz > 0 {
		perfgateRuntime.SetCPUProfileRate(hz)
	}
}
`

// writeRateOverlay writes the overlay that adds rateOverlay to the package
// named name in dir, and returns the overlay file's path.
func writeRateOverlay(binDir string, i int, dir, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("building the test binary in %s: go list gave no package name", dir)
	}
	src := filepath.Join(binDir, fmt.Sprintf("%02d-profile-rate.go", i))
	if err := os.WriteFile(src, []byte(fmt.Sprintf(rateOverlay, name)), 0o644); err != nil {
		return "", err
	}
	overlay, err := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(dir, "zz_perfgate_profile_rate_test.go"): src},
	})
	if err != nil {
		return "", err
	}
	path := filepath.Join(binDir, fmt.Sprintf("%02d-overlay.json", i))
	return path, os.WriteFile(path, overlay, 0o644)
}

// listBenchmarks asks the test binary of p which top-level benchmarks
// match the first level of the -bench regexp.
func listBenchmarks(ctx context.Context, s *Side, p *rundir.Package, run string) error {
	cmd := proc.Command(ctx, p.Binary, "-test.list", topLevel(run))
	cmd.Dir = filepath.Join(s.Tree, p.Dir)
	cmd.Env = s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := proc.Run(cmd); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("listing the benchmarks of %s (%s): %s", p.ImportPath, s.Name, reason(stderr.String()+stdout.String(), err))
	}
	p.Benchmarks = benchmarkList(stdout.Bytes())
	return nil
}

// benchmarkList reads the output of a test binary's -test.list: one name a
// line, tests, benchmarks, fuzz targets and examples alike. It returns the
// benchmarks, in order.
func benchmarkList(out []byte) []string {
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSuffix(l, "\r")
		if strings.HasPrefix(l, "Benchmark") && !strings.ContainsFunc(l, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			names = append(names, l)
		}
	}
	return names
}

// splitLevels splits a -bench regexp as go test does: at slashes outside
// brackets and parentheses, one part per level of sub-benchmark.
func splitLevels(run string) []string {
	var parts []string
	depth, start := 0, 0
	inClass := false
	for i := 0; i < len(run); i++ {
		switch c := run[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '/' && depth == 0:
			parts = append(parts, run[start:i])
			start = i + 1
		}
	}
	return append(parts, run[start:])
}

// topLevel returns the part of a -bench regexp for top-level benchmarks.
func topLevel(run string) string { return splitLevels(run)[0] }

// onlyTop returns the -bench regexp run restricted to the top-level
// benchmark top: its first level replaced by top's exact name.
func onlyTop(run, top string) string {
	levels := splitLevels(run)
	levels[0] = "^" + regexp.QuoteMeta(top) + "$"
	return strings.Join(levels, "/")
}

// exactRegexp returns a -test.bench regexp that matches the benchmark
// named name (without its -GOMAXPROCS suffix) and nothing else.
func exactRegexp(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// reason is the one line that says why a command failed: the first
// non-empty line of its output, or err's text.
func reason(out string, err error) string {
	if l := text.FirstLine(out, 500); l != "" {
		return l
	}
	if err == nil {
		err = errors.New("failed")
	}
	return err.Error()
}
