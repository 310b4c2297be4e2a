package action

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo is a throwaway repository shaped like a pull request's: base
// commit A on main, the pull request's commit B on feature (from A), main
// moved on to C, and M, the merge commit GitHub makes for
// refs/pull/N/merge (first parent C, the base branch; second parent B,
// the head), on branch pr-merge.
type gitRepo struct {
	dir        string
	a, b, c, m string
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=perfgate", "GIT_AUTHOR_EMAIL=perfgate@example.com",
		"GIT_COMMITTER_NAME=perfgate", "GIT_COMMITTER_EMAIL=perfgate@example.com",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	r := &gitRepo{dir: t.TempDir()}
	commit := func(file, msg string) string {
		if err := os.WriteFile(filepath.Join(r.dir, file), []byte(msg+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, r.dir, "add", file)
		run(t, r.dir, "commit", "-q", "-m", msg)
		return run(t, r.dir, "rev-parse", "HEAD")
	}
	run(t, r.dir, "init", "-q", "-b", "main")
	r.a = commit("a.txt", "A")
	run(t, r.dir, "checkout", "-q", "-b", "feature")
	r.b = commit("b.txt", "B")
	run(t, r.dir, "checkout", "-q", "main")
	r.c = commit("c.txt", "C")
	// What actions/checkout checks out for pull_request: the merge ref.
	run(t, r.dir, "checkout", "-q", "-b", "pr-merge")
	run(t, r.dir, "merge", "-q", "--no-ff", "-m", "Merge "+r.b+" into "+r.c, "feature")
	r.m = run(t, r.dir, "rev-parse", "HEAD")
	return r
}

// clone makes a shallow clone of branch at depth, as actions/checkout's
// fetch-depth does.
func (r *gitRepo) clone(t *testing.T, branch, depth string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	run(t, r.dir, "clone", "-q", "--depth", depth, "--branch", branch, "file://"+r.dir, dir)
	return dir
}

func (r *gitRepo) event(name string) *Event {
	return &Event{Name: name, Number: 1, BaseSHA: r.a, HeadSHA: r.b, BaseRef: "main", HeadRef: "feature", Repo: "o/r"}
}

func TestBaseRevision(t *testing.T) {
	ctx := context.Background()
	r := newGitRepo(t)
	push := &Event{Name: "push", Before: r.a, After: r.c, HeadSHA: r.c}

	for _, tt := range []struct {
		desc  string
		dir   string
		ev    *Event
		in    Inputs
		want  string
		fails string
	}{
		{desc: "merge checkout: HEAD^1", dir: r.dir, ev: r.event("pull_request"), want: r.c},
		{desc: "merge checkout, fetch-depth 2 is enough", dir: r.clone(t, "pr-merge", "2"), ev: r.event("pull_request"), want: r.c},
		{desc: "merge checkout, fetch-depth 1", dir: r.clone(t, "pr-merge", "1"), ev: r.event("pull_request"), fails: "fetch-depth: 2"},
		{desc: "head checkout: base.sha", dir: r.clone(t, "feature", "5"), ev: r.event("pull_request"), want: r.a},
		{desc: "head checkout, fetch-depth 1", dir: r.clone(t, "feature", "1"), ev: r.event("pull_request"), fails: "fetch-depth: 0"},
		{desc: "explicit base wins", dir: r.dir, ev: r.event("pull_request"), in: Inputs{Base: "main~1"}, want: r.a},
		{desc: "explicit base missing", dir: r.clone(t, "pr-merge", "1"), ev: r.event("pull_request"), in: Inputs{Base: "main~1"}, fails: "fetch-depth: 0"},
		{desc: "explicit base not a ref", dir: r.dir, ev: r.event("pull_request"), in: Inputs{Base: "-c"}, fails: "not a git ref"},
		{desc: "push: before", dir: r.dir, ev: push, want: r.a},
		{desc: "push, fetch-depth 1", dir: r.clone(t, "main", "1"), ev: push, fails: "fetch-depth: 0"},
		{desc: "push of a new branch", dir: r.dir, ev: &Event{Name: "push", Before: zeroSHA, After: r.c}, fails: "set the base input"},
		{desc: "push of a new branch, explicit base", dir: r.dir, ev: &Event{Name: "push", Before: zeroSHA, After: r.c}, in: Inputs{Base: r.a}, want: r.a},
		{desc: "pull_request_target refused", dir: r.dir, ev: r.event("pull_request_target"), fails: "refusing to run on pull_request_target"},
		{desc: "pull_request_target refused with a base too", dir: r.dir, ev: r.event("pull_request_target"), in: Inputs{Base: "main"}, fails: "refusing to run on pull_request_target"},
		{desc: "pull_request_target allowed", dir: r.dir, ev: r.event("pull_request_target"), in: Inputs{AllowPullRequestTarget: true}, want: r.c},
		{desc: "pull_request_target on the base checkout", dir: r.clone(t, "main", "1"),
			ev: &Event{Name: "pull_request_target", Number: 1, BaseSHA: r.c, HeadSHA: r.b}, in: Inputs{AllowPullRequestTarget: true}, fails: "is the base commit"},
		{desc: "merge_group", dir: r.dir, ev: &Event{Name: "merge_group", BaseSHA: r.a, HeadSHA: r.m}, want: r.a},
		{desc: "other events need a base", dir: r.dir, ev: &Event{Name: "workflow_dispatch"}, fails: "set the base input"},
		{desc: "other events, explicit base", dir: r.dir, ev: &Event{Name: "schedule"}, in: Inputs{Base: "main"}, want: r.c},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := BaseRevision(ctx, tt.dir, tt.ev, tt.in)
			if tt.fails != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fails) {
					t.Fatalf("BaseRevision = %q, %v; want an error with %q", got, err, tt.fails)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("BaseRevision = %s, want %s", got, tt.want)
			}
		})
	}
}
