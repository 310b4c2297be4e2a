package main

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestActionYML checks action.yml: a composite action whose every input
// reaches perfgate through env (a composite action gets no INPUT_*
// variables by itself), with no expression inside a run script, and whose
// outputs are the gate step's.
func TestActionYML(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Inputs  map[string]struct{ Default string }
		Outputs map[string]struct{ Value string }
		Runs    struct {
			Using string
			Steps []struct {
				ID, Run, Shell, Uses string
				Env                  map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", a.Runs.Using)
	}
	env := map[string]string{}
	for _, s := range a.Runs.Steps {
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q has an expression inside its run script", s.ID)
		}
		if s.Uses != "" {
			if i := strings.Index(s.Uses, "@"); i < 0 || len(s.Uses)-i-1 != 40 {
				t.Errorf("nested action %q is not pinned by a commit SHA", s.Uses)
			}
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %q has no shell", s.ID)
		}
		for k, v := range s.Env {
			env[k] = v
		}
	}
	for name := range a.Inputs {
		key := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if got, want := env[key], "${{ inputs."+name+" }}"; got != want {
			t.Errorf("input %s reaches perfgate as %s=%q, want %q", name, key, got, want)
		}
	}
	for _, name := range []string{"verdict", "regressions", "report"} {
		if got, want := a.Outputs[name].Value, "${{ steps.gate.outputs."+name+" }}"; got != want {
			t.Errorf("output %s = %q, want %q", name, got, want)
		}
	}
	if a.Inputs["allow-pull-request-target"].Default != "false" || a.Inputs["token"].Default != "${{ github.token }}" {
		t.Error("defaults of allow-pull-request-target or token changed")
	}
}
