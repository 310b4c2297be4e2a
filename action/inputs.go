package action

import (
	"fmt"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Inputs are the action's inputs (action.yml), read from the INPUT_*
// environment variables. A composite action does not get those by itself:
// its step must pass each input, as INPUT_FAIL-ON-REGRESSION (hyphens
// kept, as the runner names them for other actions and go-githubactions
// reads them) or INPUT_FAIL_ON_REGRESSION (hyphens made underscores, as a
// shell can name them); the first wins.
type Inputs struct {
	// Config is the perfgate.yml to use ("config"); empty for the default.
	Config string
	// Base is an explicit base ref or commit ("base"); it wins over the
	// event's.
	Base string
	// Comment creates or updates the pull request comment ("comment",
	// default true).
	Comment bool
	// FailOnRegression fails the step on a regression
	// ("fail-on-regression", default true).
	FailOnRegression bool
	// AllowPullRequestTarget lets perfgate run on pull_request_target
	// ("allow-pull-request-target", default false), where the pull
	// request's code would run with a privileged token.
	AllowPullRequestTarget bool
	// Token is the GitHub token for the comment ("token"), else
	// GITHUB_TOKEN from the environment.
	Token string
	// Mode is what the step does ("mode"): ModeAll (the default), or one
	// half of a gate split over two jobs, ModeMeasure or ModePublish.
	Mode Mode
	// Run is the run directory ("run"): where ModeMeasure writes the run,
	// and where ModePublish reads it (the downloaded artifact). Default:
	// .perfgate/run for those modes, a new directory under
	// .perfgate/runs for ModeAll.
	Run string
	// Record says when the measured run is recorded in the history store
	// ("record"): RecordAuto (the default) on pushes to the default
	// branch, or always, or never.
	Record Record
	// Data is the history store's directory ("data"; default .perfgate),
	// relative to the checkout: keep it between runs (actions/cache).
	Data string
	// AcceptLabel is the pull request label that accepts its regressions
	// ("accept-label"; action.yml's default is DefaultAcceptLabel; empty:
	// no label does).
	AcceptLabel string
}

// Mode is what a perfgate action step does.
type Mode string

// The modes of a step.
const (
	// ModeAll measures and publishes in one step: the pull request's code
	// runs in the job that holds the token.
	ModeAll Mode = "all"
	// ModeMeasure runs the gate and leaves the run directory, verdict.json
	// included, for a later job to publish; it reports nothing to GitHub
	// and needs no token.
	ModeMeasure Mode = "measure"
	// ModePublish runs no code of the pull request: it reads a run
	// directory as untrusted data and writes the job summary, annotations,
	// outputs and comment from its verdict, and fails the step on a
	// regression.
	ModePublish Mode = "publish"
)

// Record is when a measured run is recorded in the history.
type Record string

// The values of the record input.
const (
	RecordAuto   Record = "auto" // on pushes to the repository's default branch
	RecordAlways Record = "true"
	RecordNever  Record = "false"
)

// DefaultAcceptLabel is the pull request label that accepts a regression.
const DefaultAcceptLabel = "perfgate: accept"

// ReadInputs reads the action's inputs. Booleans are "true" or "false",
// in any case, or empty for the default; anything else is an error that
// names the input.
func ReadInputs(a *githubactions.Action) (Inputs, error) {
	in := Inputs{
		Config:      input(a, "config"),
		Base:        input(a, "base"),
		Token:       input(a, "token"),
		Mode:        Mode(strings.ToLower(input(a, "mode"))),
		Run:         input(a, "run"),
		AcceptLabel: input(a, "accept-label"),
		Record:      Record(strings.ToLower(input(a, "record"))),
		Data:        input(a, "data"),
	}
	switch in.Record {
	case "":
		in.Record = RecordAuto
	case RecordAuto, RecordAlways, RecordNever:
	default:
		return Inputs{}, fmt.Errorf("input record: %q is none of auto, true, false", in.Record)
	}
	if in.Data == "" {
		in.Data = ".perfgate"
	}
	switch in.Mode {
	case "":
		in.Mode = ModeAll
	case ModeAll, ModeMeasure, ModePublish:
	default:
		return Inputs{}, fmt.Errorf("input mode: %q is none of all, measure, publish", in.Mode)
	}
	if in.Token == "" {
		in.Token = strings.TrimSpace(a.Getenv("GITHUB_TOKEN"))
	}
	for _, b := range []struct {
		name string
		def  bool
		v    *bool
	}{
		{"comment", true, &in.Comment},
		{"fail-on-regression", true, &in.FailOnRegression},
		{"allow-pull-request-target", false, &in.AllowPullRequestTarget},
	} {
		v, err := parseBool(input(a, b.name), b.def)
		if err != nil {
			return Inputs{}, fmt.Errorf("input %s: %w", b.name, err)
		}
		*b.v = v
	}
	if strings.HasPrefix(in.Base, "-") {
		return Inputs{}, fmt.Errorf("input base: %q is not a git ref", in.Base)
	}
	return in, nil
}

// input returns the input name, from INPUT_NAME with hyphens kept, else
// with hyphens made underscores.
func input(a *githubactions.Action, name string) string {
	v := a.GetInput(name)
	if v == "" && strings.Contains(name, "-") {
		v = a.GetInput(strings.ReplaceAll(name, "-", "_"))
	}
	return v
}

// parseBool reads "true" or "false" in any case, and "" as def. It is
// stricter than strconv.ParseBool: "1", "t" or "yes" in a workflow file
// are more likely mistakes than intent.
func parseBool(s string, def bool) (bool, error) {
	switch strings.ToLower(s) {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither true nor false", s)
}
