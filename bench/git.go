package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/internal/text"
)

// RepoRoot returns the top directory of the git working tree holding dir.
func RepoRoot(ctx context.Context, dir string) (string, error) {
	root, err := proc.Git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("%s is not in a git repository: %w", dir, err)
	}
	return root, nil
}

// ResolveRef returns the commit ref names. A ref that cannot be found gets
// an error that says what to do, shallow clones included.
func ResolveRef(ctx context.Context, root, ref string) (string, error) {
	if strings.HasPrefix(ref, "-") {
		return "", fmt.Errorf("%q is not a git ref", ref)
	}
	commit, err := proc.Git(ctx, root, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err == nil {
		return commit, nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if shallow, _ := proc.Git(ctx, root, "rev-parse", "--is-shallow-repository"); shallow == "true" {
		return "", fmt.Errorf("unknown git ref %q in this shallow clone: fetch more history (actions/checkout with fetch-depth: 0, or git fetch --unshallow)", ref)
	}
	return "", fmt.Errorf("unknown git ref %q", ref)
}

// DefaultBase returns the merge-base of HEAD with the default branch: the
// remote's HEAD when it is known, else origin/main, origin/master, main or
// master, the first that exists.
func DefaultBase(ctx context.Context, root string) (ref, commit string, err error) {
	candidates := []string{"origin/main", "origin/master", "main", "master"}
	if b, err := proc.Git(ctx, root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"); err == nil && b != "" {
		candidates = append([]string{b}, candidates...)
	}
	for _, c := range candidates {
		if _, err := proc.Git(ctx, root, "rev-parse", "--verify", "--quiet", "--end-of-options", c+"^{commit}"); err != nil {
			if ctx.Err() != nil {
				return "", "", ctx.Err()
			}
			continue
		}
		mb, err := proc.Git(ctx, root, "merge-base", "HEAD", c)
		if err != nil {
			if ctx.Err() != nil {
				return "", "", ctx.Err()
			}
			return "", "", fmt.Errorf("finding the merge-base of HEAD and %s (a shallow clone? fetch more history): %w", c, err)
		}
		return "merge-base of HEAD and " + c, mb, nil
	}
	return "", "", errors.New("no default branch (origin/HEAD, main or master) to take the base from: pass --base REF")
}

// headState returns the commit of HEAD and whether the working tree has
// changes, tracked or not, that the commit does not hold.
func headState(ctx context.Context, root string) (commit string, dirty bool, err error) {
	commit, err = proc.Git(ctx, root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", false, ctx.Err()
		}
		commit = "" // a repository with no commit yet: the tree alone
	}
	status, err := proc.Git(ctx, root, "status", "--porcelain")
	if err != nil {
		return "", false, fmt.Errorf("reading the working tree's status: %w", err)
	}
	return commit, status != "", nil
}

// addWorktree checks commit out, detached, in a new temporary directory and
// returns it with the function that removes it again.
func addWorktree(ctx context.Context, root, commit, side string) (dir string, remove func() error, err error) {
	dir, err = os.MkdirTemp("", "perfgate-"+side+"-")
	if err != nil {
		return "", nil, fmt.Errorf("creating the %s worktree: %w", side, err)
	}
	remove = func() error {
		// Cleanup runs after a cancel too: it gets a context of its own.
		ctx := context.WithoutCancel(ctx)
		if _, err := proc.Git(ctx, root, "worktree", "remove", "--force", dir); err == nil {
			return nil
		}
		// The checkout never happened, or went wrong: remove the
		// directory and this worktree's registration, and nothing else
		// (git worktree prune would drop the user's own stale ones).
		err := os.RemoveAll(dir)
		if rerr := unregisterWorktree(ctx, root, dir); err == nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("removing the %s worktree %s: %w", side, dir, err)
		}
		return nil
	}
	if _, err := proc.Git(ctx, root, "worktree", "add", "--detach", "--force", dir, commit); err != nil {
		remove()
		return "", nil, fmt.Errorf("checking out %s for %s: %w", text.ShortCommit(commit), side, err)
	}
	return filepath.Clean(dir), remove, nil
}

// unregisterWorktree removes git's registration of the worktree at dir, if
// it has one: the directory under the repository's worktrees/ whose gitdir
// names dir.
func unregisterWorktree(ctx context.Context, root, dir string) error {
	common, err := proc.Git(ctx, root, "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return err
	}
	admins, err := filepath.Glob(filepath.Join(common, "worktrees", "*", "gitdir"))
	if err != nil {
		return err
	}
	names := []string{filepath.Join(dir, ".git")}
	if parent, err := filepath.EvalSymlinks(filepath.Dir(dir)); err == nil {
		names = append(names, filepath.Join(parent, filepath.Base(dir), ".git")) // as git may have written it
	}
	for _, f := range admins {
		data, err := os.ReadFile(f)
		if err == nil && slices.Contains(names, filepath.Clean(strings.TrimSpace(string(data)))) {
			return os.RemoveAll(filepath.Dir(f))
		}
	}
	return nil
}
