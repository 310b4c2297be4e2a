package rundir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CopyFile copies the file rel of the run directory from to prefix/rel of
// the directory to, and returns its name there. A file that from does not
// have (a profile a failed profiling run lost) is not an error: the name
// returned is "". A file already at the destination is kept: two profiles
// may name one output.
func CopyFile(from, to Dir, rel, prefix string) (string, error) {
	src, err := from.Resolve(rel)
	if err != nil {
		return "", err
	}
	in, err := os.Open(src)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer in.Close()
	name := filepath.Join(prefix, rel)
	dst := to.Path(name)
	if _, err := os.Stat(dst); err == nil {
		return name, nil
	}
	if err := to.MkdirFor(name); err != nil {
		return "", err
	}
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return name, nil
}

// CopyProfile copies the files p names, from the run directory from into
// prefix/ of the directory to (with CopyFile), and returns p naming the
// copies, and how many files it copied: for history, which keeps a
// recorded run's profiles, and for merge, which joins shards.
func CopyProfile(from, to Dir, prefix string, p Profile) (Profile, int, error) {
	n := 0
	copyOne := func(rel string) (string, error) {
		if rel == "" {
			return "", nil
		}
		name, err := CopyFile(from, to, rel, prefix)
		if err != nil {
			return "", fmt.Errorf("copying %s of %s: %w", rel, from.Root(), err)
		}
		if name != "" {
			n++
		}
		return name, nil
	}
	var err error
	for _, f := range []*string{&p.CPU, &p.Mem, &p.Goroutine, &p.Block, &p.Mutex, &p.Trace, &p.Output} {
		if *f, err = copyOne(*f); err != nil {
			return p, n, err
		}
	}
	if len(p.OffCPU) > 0 {
		off := make(map[string]string, len(p.OffCPU))
		for kind, f := range p.OffCPU {
			name, err := copyOne(f)
			if err != nil {
				return p, n, err
			}
			if name != "" {
				off[kind] = name
			}
		}
		p.OffCPU = off
	}
	return p, n, nil
}
