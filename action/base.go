package action

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/internal/text"
)

// BaseRevision decides the commit the head is compared with, for the
// event ev and the checkout in dir, and returns its full hash:
//
//   - an explicit in.Base wins over the event's;
//   - pull_request with actions/checkout's default checkout (HEAD is the
//     merge commit of refs/pull/N/merge, whose second parent is the pull
//     request's head): HEAD^1, the base branch as GitHub merged it, so
//     that fetch-depth: 2 is enough;
//   - pull_request with the head checked out: pull_request.base.sha;
//   - merge_group: merge_group.base_sha;
//   - push: the commit before the push (a push that created the branch
//     has none: set the base input).
//
// pull_request_target is refused unless in.AllowPullRequestTarget: the
// gate builds and runs the pull request's code, and on
// pull_request_target that code would run with the base repository's
// write token and secrets. A base commit missing from the clone gives an
// error that names the fetch-depth to set.
func BaseRevision(ctx context.Context, dir string, ev *Event, in Inputs) (string, error) {
	if ev == nil {
		return "", errors.New("no event to take the base commit from")
	}
	if ev.Name == "pull_request_target" && !in.AllowPullRequestTarget {
		return "", errors.New("refusing to run on pull_request_target: perfgate builds and runs the pull request's code, " +
			"which would run with the base repository's write token and secrets; use on: pull_request, " +
			"or set allow-pull-request-target: true if the workflow grants nothing worth stealing")
	}
	if in.Base != "" {
		return resolveInputBase(ctx, dir, in.Base)
	}
	switch ev.Name {
	case "pull_request", "pull_request_target":
		return pullRequestBase(ctx, dir, ev)
	case "merge_group":
		if ev.BaseSHA == "" {
			return "", errors.New("the merge_group event has no base_sha: set the base input")
		}
		return requireCommit(ctx, dir, ev.BaseSHA, "merge_group.base_sha", "fetch-depth: 0")
	case "push":
		switch ev.Before {
		case "":
			return "", errors.New("the push event has no before commit: set the base input")
		case zeroSHA:
			return "", errors.New("this push created the branch, so there is no previous commit to compare with: " +
				"set the base input (for example base: origin/main)")
		}
		return requireCommit(ctx, dir, ev.Before, "the commit before the push", "fetch-depth: 0")
	}
	return "", fmt.Errorf("a %s event names no base commit: set the base input", ev.Name)
}

// pullRequestBase is BaseRevision for pull_request and
// pull_request_target without an explicit base.
func pullRequestBase(ctx context.Context, dir string, ev *Event) (string, error) {
	if !shaPattern.MatchString(ev.BaseSHA) || !shaPattern.MatchString(ev.HeadSHA) {
		return "", fmt.Errorf("the %s event has no valid base and head commits", ev.Name)
	}
	head, err := proc.Git(ctx, dir, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return "", fmt.Errorf("reading the checkout's HEAD: %w", err)
	}
	// A shallow clone keeps the commit object of HEAD, parent lines
	// included, even when the parents themselves were not fetched: read
	// them from the object rather than with HEAD^2, which fails there.
	parents, err := commitParents(ctx, dir, head)
	if err != nil {
		return "", err
	}
	if len(parents) == 2 && parents[1] == ev.HeadSHA {
		return requireCommit(ctx, dir, parents[0], "the merge commit's first parent (the base branch)", "fetch-depth: 2")
	}
	if head == ev.BaseSHA {
		return "", fmt.Errorf("the checkout is the base commit %s itself, not the pull request "+
			"(pull_request_target checks out the base branch): check out the pull request's head or merge commit", text.ShortCommit(head))
	}
	return requireCommit(ctx, dir, ev.BaseSHA, "pull_request.base.sha", "fetch-depth: 0")
}

// resolveInputBase resolves the base input to a commit.
func resolveInputBase(ctx context.Context, dir, ref string) (string, error) {
	if strings.HasPrefix(ref, "-") {
		return "", fmt.Errorf("input base: %q is not a git ref", ref)
	}
	c, err := proc.Git(ctx, dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("input base: %q is not a commit of this clone: fetch it, "+
			"for example with actions/checkout's fetch-depth: 0", ref)
	}
	return c, nil
}

// requireCommit returns sha when the clone in dir has it, else an error
// that says which fetch-depth brings it.
func requireCommit(ctx context.Context, dir, sha, what, depth string) (string, error) {
	if !shaPattern.MatchString(sha) {
		return "", fmt.Errorf("%s %q is not a commit hash", what, sha)
	}
	if _, err := proc.Git(ctx, dir, "rev-parse", "--verify", "--quiet", sha+"^{commit}"); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("the base commit %s (%s) is not in the clone: set %s on actions/checkout", text.ShortCommit(sha), what, depth)
	}
	return sha, nil
}

// commitParents returns the parents that the commit object of c names,
// whether or not the clone has them.
func commitParents(ctx context.Context, dir, c string) ([]string, error) {
	obj, err := proc.Git(ctx, dir, "cat-file", "commit", c)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", text.ShortCommit(c), err)
	}
	var parents []string
	for _, l := range strings.Split(obj, "\n") {
		if l == "" { // end of the header
			break
		}
		if p, ok := strings.CutPrefix(l, "parent "); ok {
			parents = append(parents, p)
		}
	}
	return parents, nil
}
