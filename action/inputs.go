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
}

// ReadInputs reads the action's inputs. Booleans are "true" or "false",
// in any case, or empty for the default; anything else is an error that
// names the input.
func ReadInputs(a *githubactions.Action) (Inputs, error) {
	in := Inputs{
		Config: input(a, "config"),
		Base:   input(a, "base"),
		Token:  input(a, "token"),
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
