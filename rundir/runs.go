package rundir

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Parent is the directory, in the directory perfgate runs in, that holds
// the run directories New makes (in runs/).
const Parent = ".perfgate"

// DefaultKeep is how many of the run directories New made Prune keeps.
const DefaultKeep = 20

// New makes a run directory under parent/runs, named by the UTC time
// ("20060102-150405", with "-2", "-3"... for runs begun in the same
// second), and a .gitignore in parent so that runs never show as changes
// of the repository (nor make the next run's working tree "dirty"). It
// then prunes the runs there beyond the newest keep (Prune).
func New(parent string, keep int) (Dir, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Dir{}, fmt.Errorf("creating %s: %w", parent, err)
	}
	ignore := filepath.Join(parent, ".gitignore")
	if _, err := os.Stat(ignore); os.IsNotExist(err) {
		if err := os.WriteFile(ignore, []byte("# perfgate's run directories\n*\n"), 0o644); err != nil {
			return Dir{}, fmt.Errorf("creating %s: %w", ignore, err)
		}
	}
	runs := filepath.Join(parent, "runs")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		return Dir{}, fmt.Errorf("creating %s: %w", runs, err)
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	for i := 1; ; i++ {
		name := stamp
		if i > 1 {
			name = fmt.Sprintf("%s-%d", stamp, i)
		}
		// Mkdir claims the name: two runs in one second get two.
		out := filepath.Join(runs, name)
		if err := os.Mkdir(out, 0o755); err == nil {
			if _, err := Prune(parent, keep); err != nil {
				return Dir{}, err
			}
			return Open(out)
		} else if !os.IsExist(err) {
			return Dir{}, fmt.Errorf("creating %s: %w", out, err)
		}
	}
}

// runName matches the names New gives.
var runName = regexp.MustCompile(`^\d{8}-\d{6}(-\d+)?$`)

// Prune removes the oldest run directories New made under parent/runs
// beyond the newest keep, and returns the paths it removed. Directories
// of other names are left alone; keep < 1 keeps all.
func Prune(parent string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, nil
	}
	runs := filepath.Join(parent, "runs")
	entries, err := os.ReadDir(runs)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the runs: %w", err)
	}
	type run struct {
		name  string
		stamp string
		n     int
	}
	var all []run
	for _, e := range entries {
		if !e.IsDir() || !runName.MatchString(e.Name()) {
			continue
		}
		r := run{name: e.Name(), stamp: e.Name()[:15], n: 1}
		fmt.Sscanf(e.Name()[15:], "-%d", &r.n)
		all = append(all, r)
	}
	// Oldest first: by time, then by the number of runs in one second.
	slices.SortFunc(all, func(a, b run) int {
		return cmp.Or(strings.Compare(a.stamp, b.stamp), cmp.Compare(a.n, b.n))
	})
	var removed []string
	for _, r := range all[:max(len(all)-keep, 0)] {
		p := filepath.Join(runs, r.name)
		if err := os.RemoveAll(p); err != nil {
			return removed, fmt.Errorf("removing the old run %s: %w", p, err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}

// ActionReport is where perfgate action saves its Markdown report in the
// checkout at dir, for a later workflow to post: beside the runs, in
// Parent.
func ActionReport(dir string) string {
	return filepath.Join(dir, Parent, "report.md")
}
