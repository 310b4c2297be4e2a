package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Event is what perfgate needs of the event that started the workflow,
// read from the event file (GITHUB_EVENT_PATH) with a typed struct.
type Event struct {
	// Name is GITHUB_EVENT_NAME: pull_request, pull_request_target, push,
	// merge_group, workflow_run, ...
	Name string
	// SHA is GITHUB_SHA, the commit the workflow runs on: for
	// pull_request, the merge commit of refs/pull/N/merge; for
	// pull_request_target, the base branch's tip.
	SHA string
	// Number is the pull request's number, 0 when there is none (a
	// workflow_run of a fork's pull request has none either: GitHub
	// leaves workflow_run.pull_requests empty then; see
	// Client.PullRequestForHead).
	Number int
	// BaseSHA and HeadSHA are pull_request.base.sha and .head.sha
	// (merge_group: base_sha and head_sha; workflow_run: head_sha, and
	// the base of its first pull request; push: HeadSHA is After).
	BaseSHA, HeadSHA string
	// BaseRef and HeadRef are branch names, without refs/heads/.
	BaseRef, HeadRef string
	// Before and After are, for push, the previous and the new commit of
	// the ref; Before is all zeros when the push created the branch.
	Before, After string
	// Fork is set when the pull request comes from another repository
	// (head.repo.full_name differs from base.repo.full_name, or the head
	// repository was deleted): its GITHUB_TOKEN is read-only. For
	// workflow_run, when the run's head repository is another one.
	Fork bool
	// Repo is the repository, owner/name.
	Repo string
	// HTMLURL is the repository's web address (repository.html_url), to
	// link commits.
	HTMLURL string
	// DefaultBranch is the repository's default branch
	// (repository.default_branch).
	DefaultBranch string
}

// eventPayload is the part of the webhook payloads perfgate reads. Only
// these fields are decoded: the rest of a payload (whose types differ
// between events, such as repository.created_at) is ignored.
type eventPayload struct {
	Number      int          `json:"number"`
	Ref         string       `json:"ref"`
	Before      string       `json:"before"`
	After       string       `json:"after"`
	PullRequest *pullRequest `json:"pull_request"`
	MergeGroup  *struct {
		HeadSHA string `json:"head_sha"`
		HeadRef string `json:"head_ref"`
		BaseSHA string `json:"base_sha"`
		BaseRef string `json:"base_ref"`
	} `json:"merge_group"`
	WorkflowRun *struct {
		HeadSHA        string        `json:"head_sha"`
		HeadBranch     string        `json:"head_branch"`
		PullRequests   []pullRequest `json:"pull_requests"`
		HeadRepository *struct {
			FullName string `json:"full_name"`
		} `json:"head_repository"`
	} `json:"workflow_run"`
	Repository *struct {
		FullName      string `json:"full_name"`
		HTMLURL       string `json:"html_url"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

type pullRequest struct {
	Number int            `json:"number"`
	Head   pullRequestRef `json:"head"`
	Base   pullRequestRef `json:"base"`
}

type pullRequestRef struct {
	Ref  string `json:"ref"`
	SHA  string `json:"sha"`
	Repo *struct {
		FullName string `json:"full_name"`
	} `json:"repo"`
}

// shaPattern matches a full commit hash, SHA-1 or SHA-256.
var shaPattern = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// zeroSHA is what GitHub sends as push.before when the push created the
// branch.
const zeroSHA = "0000000000000000000000000000000000000000"

// ReadEvent reads the workflow's event: its name and commit from the
// action's context (GITHUB_EVENT_NAME, GITHUB_SHA) and the rest from the
// event file at GITHUB_EVENT_PATH. A missing or malformed event file, or
// a pull request event without its pull_request object, is an error that
// says so.
func ReadEvent(a *githubactions.Action) (*Event, error) {
	gc, err := a.Context()
	if gc == nil {
		// Only a failure to read or decode the event file loses the
		// whole context; other errors (a malformed GITHUB_RUN_ID) are of
		// fields perfgate does not use.
		return nil, fmt.Errorf("reading the workflow's event file %s: %w", a.Getenv("GITHUB_EVENT_PATH"), err)
	}
	if gc.EventName == "" {
		return nil, errors.New("GITHUB_EVENT_NAME is not set: not running in GitHub Actions?")
	}
	if gc.EventPath == "" {
		return nil, errors.New("GITHUB_EVENT_PATH is not set: not running in GitHub Actions?")
	}
	data, err := os.ReadFile(gc.EventPath)
	if err != nil {
		return nil, fmt.Errorf("reading the workflow's event file: %w", err)
	}
	ev, err := parseEvent(gc.EventName, data)
	if err != nil {
		return nil, fmt.Errorf("reading the workflow's event file %s: %w", gc.EventPath, err)
	}
	ev.SHA = gc.SHA
	if ev.SHA != "" && !shaPattern.MatchString(ev.SHA) {
		return nil, fmt.Errorf("GITHUB_SHA %q is not a commit hash", ev.SHA)
	}
	if ev.Repo == "" {
		ev.Repo = gc.Repository
	}
	if ev.HTMLURL == "" && ev.Repo != "" {
		ev.HTMLURL = strings.TrimSuffix(gc.ServerURL, "/") + "/" + ev.Repo
	}
	return ev, nil
}

// parseEvent decodes the event file of an event named name.
func parseEvent(name string, data []byte) (*Event, error) {
	var p eventPayload
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("not a valid event payload: %w", err)
	}
	ev := &Event{Name: name}
	if p.Repository != nil {
		ev.Repo = p.Repository.FullName
		ev.HTMLURL = p.Repository.HTMLURL
		ev.DefaultBranch = p.Repository.DefaultBranch
	}
	switch name {
	case "pull_request", "pull_request_target":
		pr := p.PullRequest
		if pr == nil {
			return nil, fmt.Errorf("a %s event without a pull_request object", name)
		}
		ev.Number = pr.Number
		if ev.Number == 0 {
			ev.Number = p.Number
		}
		if ev.Number <= 0 {
			return nil, fmt.Errorf("a %s event without a pull request number", name)
		}
		ev.BaseSHA, ev.HeadSHA = pr.Base.SHA, pr.Head.SHA
		ev.BaseRef, ev.HeadRef = pr.Base.Ref, pr.Head.Ref
		if ev.BaseSHA == "" || ev.HeadSHA == "" {
			return nil, fmt.Errorf("a %s event without pull_request.base.sha or .head.sha", name)
		}
		// A deleted head repository (null) is a fork's: its code is no
		// more trusted than a live fork's.
		ev.Fork = pr.Head.Repo == nil || pr.Base.Repo == nil ||
			!strings.EqualFold(pr.Head.Repo.FullName, pr.Base.Repo.FullName)
	case "push":
		ev.Before, ev.After = p.Before, p.After
		ev.HeadRef = strings.TrimPrefix(p.Ref, "refs/heads/")
		ev.HeadSHA = p.After
	case "merge_group":
		if mg := p.MergeGroup; mg != nil {
			ev.BaseSHA, ev.HeadSHA = mg.BaseSHA, mg.HeadSHA
			ev.BaseRef = strings.TrimPrefix(mg.BaseRef, "refs/heads/")
			ev.HeadRef = strings.TrimPrefix(mg.HeadRef, "refs/heads/")
		}
	case "workflow_run":
		if wr := p.WorkflowRun; wr != nil {
			ev.HeadSHA, ev.HeadRef = wr.HeadSHA, wr.HeadBranch
			ev.Fork = wr.HeadRepository != nil && p.Repository != nil &&
				!strings.EqualFold(wr.HeadRepository.FullName, p.Repository.FullName)
			if len(wr.PullRequests) > 0 {
				pr := wr.PullRequests[0]
				ev.Number = pr.Number
				ev.BaseSHA, ev.BaseRef = pr.Base.SHA, pr.Base.Ref
			}
		}
	}
	for _, s := range []struct{ field, sha string }{
		{"base sha", ev.BaseSHA}, {"head sha", ev.HeadSHA},
		{"before", ev.Before}, {"after", ev.After},
	} {
		if s.sha != "" && !shaPattern.MatchString(s.sha) {
			return nil, fmt.Errorf("the %s %q is not a commit hash", s.field, s.sha)
		}
	}
	if ev.Number < 0 {
		return nil, fmt.Errorf("pull request number %d", ev.Number)
	}
	return ev, nil
}
