package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/internal/proc"
)

// baseConfig returns the configuration the gate runs with in the Action:
// the file at path (relative to dir; config.File when empty) as the base
// commit has it, or the defaults when the base has none. A pull request
// must not choose its own gate: its perfgate.yml could point the head side
// at the base commit, raise its thresholds or cut its rounds. When the
// head's file differs from the base's, the notes say so, for the report.
func baseConfig(ctx context.Context, dir, base, path string) (*config.Config, []string, error) {
	if path == "" {
		path = config.File
	}
	root, err := proc.Git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, nil, fmt.Errorf("reading the base's configuration: %w", err)
	}
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, path)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, nil, fmt.Errorf("config %s: not a file of the repository, which the base commit could hold", path)
	}
	rel = filepath.ToSlash(rel)
	name := fmt.Sprintf("%s of the base commit %s", rel, base[:min(len(base), 12)])

	head, headErr := os.ReadFile(abs)
	if headErr != nil && !errors.Is(headErr, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("reading the head's %s: %w", rel, headErr)
	}
	listed, err := proc.Git(ctx, root, "ls-tree", "--name-only", base, "--", rel)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the base's configuration: %w", err)
	}
	if listed == "" {
		if headErr != nil {
			if path != config.File {
				return nil, nil, fmt.Errorf("config %s: neither the base nor the head has it", path)
			}
			return config.Defaults(), nil, nil
		}
		return config.Defaults(), []string{fmt.Sprintf("the head adds %s: the gate ran with the defaults, as the base has no configuration; the head's takes effect after merge", rel)}, nil
	}
	data, err := proc.Git(ctx, root, "cat-file", "blob", base+":"+rel)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	cfg, err := config.Parse([]byte(data), name)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	switch {
	case headErr != nil:
		notes = append(notes, fmt.Sprintf("the head deletes %s: the gate used the base's configuration; the change takes effect after merge", rel))
	case strings.TrimSpace(string(head)) != data:
		notes = append(notes, fmt.Sprintf("the head changes %s: the gate used the base's configuration; the head's changes take effect after merge", rel))
	}
	return cfg, notes, nil
}
