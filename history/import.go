package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/store"
)

// Import configuration keys: the commit of each result, as a line
// "commit: HASH" before it, and what is known of the commit and the
// machine. benchseries's "experiment-" keys are read too.
const (
	keyCommit     = "commit"
	keyParent     = "parent"
	keyCommitTime = "commit-time"
	keyBranch     = "branch"
	keySubject    = "subject"
	keyCPU        = "cpu"
	keyCores      = "cores"
	keyGo         = "go"
	keyKernel     = "kernel"
	keyOS         = "goos"
	keyArch       = "goarch"
)

// Imported says what Import recorded of one file.
type Imported struct {
	File    string
	ID      int64
	Commits int
	Results int
}

// Import records benchmark files (go test -bench output, benchstat's
// input) whose configuration lines name each result's commit, one run per
// file. The files are all read before any is recorded, and recorded in
// order; a file that cannot be read, has a result without a commit, or
// was imported before is an error, and nothing is recorded. branch names
// the branch of files that do not say.
func Import(ctx context.Context, st *store.Store, files []string, branch string) ([]Imported, error) {
	var runs []*store.Run
	seen := map[string]string{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("history import: %w", err)
		}
		r, err := parseFile(file, data, branch)
		if err != nil {
			return nil, fmt.Errorf("history import: %w", err)
		}
		if prev, ok := seen[r.Source]; ok {
			return nil, fmt.Errorf("history import: %s and %s are the same file; nothing was imported", prev, file)
		}
		seen[r.Source] = file
		if id, ok, err := st.RunOf(ctx, r.Source); err != nil {
			return nil, fmt.Errorf("history import: %w", err)
		} else if ok {
			return nil, fmt.Errorf("history import: %s was imported before, as run %d; nothing was imported", file, id)
		}
		runs = append(runs, r)
	}
	if err := st.AddRuns(ctx, runs...); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return nil, fmt.Errorf("history import: %w (another import ran at the same time); nothing was imported", err)
		}
		return nil, fmt.Errorf("history import: %w; nothing was imported", err)
	}
	out := make([]Imported, len(runs))
	for i, r := range runs {
		out[i] = Imported{File: files[i], ID: r.ID, Commits: len(r.Commits), Results: len(r.Results)}
	}
	return out, nil
}

// parseFile reads one benchmark file into a run of kind import.
func parseFile(name string, data []byte, branch string) (*store.Run, error) {
	r := &store.Run{Kind: "import", Source: "file sha256:" + digest(data), Branch: branch}
	rd := benchfmt.NewReader(bytes.NewReader(data), name)
	g := newGrouper()
	commits := map[string]int{}
	machine, lastTime := "", ""
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			file, line := rec.Pos()
			get := func(key string) string {
				if v := rec.GetConfig(key); v != "" {
					return v
				}
				return rec.GetConfig("experiment-" + key)
			}
			hash := get(keyCommit)
			if hash == "" {
				return nil, fmt.Errorf("%s:%d: a result without a commit: want a line %q before it", file, line, "commit: HASH")
			}
			if i, ok := commits[hash]; !ok {
				c := store.Commit{Hash: hash, Parent: get(keyParent), Subject: get(keySubject)}
				// Configuration lines hold until changed: a commit's
				// parent, subject or time the same as the previous
				// commit's in the file was said of that one.
				if n := len(r.Commits); n > 0 {
					prev := r.Commits[n-1]
					if c.Parent == prev.Parent {
						c.Parent = ""
					}
					if c.Subject == prev.Subject {
						c.Subject = ""
					}
				}
				if t := get(keyCommitTime); t != "" && (len(r.Commits) == 0 || t != lastTime) {
					lastTime = t
					var err error
					if c.Time, err = parseTime(t); err != nil {
						return nil, fmt.Errorf("%s:%d: %s: %w", file, line, keyCommitTime, err)
					}
				}
				commits[hash] = len(r.Commits)
				r.Commits = append(r.Commits, c)
			} else if p := get(keyParent); p != "" && r.Commits[i].Parent == "" {
				r.Commits[i].Parent = p
			}
			if b := get(keyBranch); b != "" && r.Branch == "" {
				r.Branch = b
			}
			m := store.Machine{CPU: get(keyCPU), Go: get(keyGo), Kernel: get(keyKernel), OS: get(keyOS), Arch: get(keyArch)}
			if c := get(keyCores); c != "" {
				n, err := strconv.Atoi(c)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("%s:%d: cores: %q is not a number of cores", file, line, c)
				}
				m.Cores = n
			}
			switch {
			case machine == "":
				machine, r.Machine = m.Fingerprint(), m
			case machine != m.Fingerprint():
				return nil, fmt.Errorf("%s:%d: the file mixes machines (%s, then %s): import one file per machine", file, line, machine, m.Fingerprint())
			}
			for _, v := range rec.Values {
				if !finite(v.Value) {
					return nil, fmt.Errorf("%s:%d: measurement %v %s is not a finite number", file, line, v.Value, v.Unit)
				}
			}
			g.add(hash, "", "", rec)
			r.Head = hash
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(g.results) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", name)
	}
	r.Results = g.results
	return r, nil
}

// parseTime reads a commit time: RFC 3339, or Unix seconds.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", strings.TrimSpace(s))
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
