package action

import (
	"strings"
	"testing"
)

func TestReadInputs(t *testing.T) {
	r := newRunner(t, "pull_request", "pull_request_opened.json")
	in, err := ReadInputs(r.action())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Inputs{Comment: true, FailOnRegression: true, Mode: ModeAll, Record: RecordAuto, Data: ".perfgate"}); in != want {
		t.Errorf("defaults = %+v, want %+v", in, want)
	}

	// The runner passes inputs as INPUT_<NAME>, name upper-cased, hyphens
	// kept, and go-githubactions trims the value.
	r.env["INPUT_CONFIG"] = " perfgate.yml "
	r.env["INPUT_BASE"] = "origin/main"
	r.env["INPUT_COMMENT"] = "FALSE"
	r.env["INPUT_FAIL-ON-REGRESSION"] = "False"
	r.env["INPUT_ALLOW-PULL-REQUEST-TARGET"] = "TRUE"
	r.env["INPUT_TOKEN"] = "ghs_input"
	r.env["GITHUB_TOKEN"] = "ghs_env"
	r.env["INPUT_MODE"] = "Publish"
	r.env["INPUT_RUN"] = "artifact/run"
	r.env["INPUT_ACCEPT-LABEL"] = "perf ok"
	r.env["INPUT_RECORD"] = "True"
	r.env["INPUT_DATA"] = "history"
	in, err = ReadInputs(r.action())
	if err != nil {
		t.Fatal(err)
	}
	want := Inputs{Config: "perfgate.yml", Base: "origin/main", AllowPullRequestTarget: true, Token: "ghs_input",
		Mode: ModePublish, Run: "artifact/run", AcceptLabel: "perf ok", Record: RecordAlways, Data: "history"}
	if in != want {
		t.Errorf("ReadInputs = %+v, want %+v", in, want)
	}

	// A composite action's step may name them with underscores (a shell
	// cannot name a variable with a hyphen); the runner's form wins.
	delete(r.env, "INPUT_FAIL-ON-REGRESSION")
	delete(r.env, "INPUT_ALLOW-PULL-REQUEST-TARGET")
	r.env["INPUT_FAIL_ON_REGRESSION"] = "false"
	r.env["INPUT_ALLOW_PULL_REQUEST_TARGET"] = "true"
	r.env["INPUT_COMMENT"] = ""
	if in, err := ReadInputs(r.action()); err != nil || in.FailOnRegression || !in.AllowPullRequestTarget || !in.Comment {
		t.Errorf("underscore names: %+v, %v; want fail-on-regression false, allow-pull-request-target true", in, err)
	}
	r.env["INPUT_FAIL-ON-REGRESSION"] = "true"
	if in, err := ReadInputs(r.action()); err != nil || !in.FailOnRegression {
		t.Errorf("both names: %+v, %v; want the hyphen name's true", in, err)
	}

	delete(r.env, "INPUT_TOKEN")
	if in, err := ReadInputs(r.action()); err != nil || in.Token != "ghs_env" {
		t.Errorf("without the token input: token %q, %v; want GITHUB_TOKEN's", in.Token, err)
	}
}

func TestReadInputsErrors(t *testing.T) {
	for _, tt := range []struct{ env, value, want string }{
		{"INPUT_COMMENT", "yes", "input comment"},
		{"INPUT_FAIL-ON-REGRESSION", "1", "input fail-on-regression"},
		{"INPUT_ALLOW-PULL-REQUEST-TARGET", "on", "input allow-pull-request-target"},
		{"INPUT_BASE", "--upload-pack=evil", "input base"},
		{"INPUT_MODE", "both", "input mode"},
		{"INPUT_RECORD", "nightly", "input record"},
	} {
		r := newRunner(t, "pull_request", "pull_request_opened.json")
		r.env[tt.env] = tt.value
		_, err := ReadInputs(r.action())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: %v, want an error naming %q", tt.env, tt.value, err, tt.want)
		}
	}
}

// TestRecording: by default, a run is recorded on pushes to the default
// branch only.
func TestRecording(t *testing.T) {
	push := &Event{Name: "push", HeadRef: "main", DefaultBranch: "main"}
	for _, tt := range []struct {
		record Record
		ev     *Event
		want   bool
	}{
		{RecordAuto, push, true},
		{RecordAuto, &Event{Name: "push", HeadRef: "feature", DefaultBranch: "main"}, false},
		{RecordAuto, &Event{Name: "pull_request", HeadRef: "main", DefaultBranch: "main"}, false},
		{RecordAuto, &Event{Name: "push", HeadRef: "main"}, false},
		{RecordNever, push, false},
		{RecordAlways, &Event{Name: "pull_request"}, true},
	} {
		if got := Recording(Inputs{Record: tt.record}, tt.ev); got != tt.want {
			t.Errorf("Recording(%s, %+v) = %v, want %v", tt.record, tt.ev, got, tt.want)
		}
	}
}
