package action

import (
	"os"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

func TestSetOutputs(t *testing.T) {
	r := newRunner(t, "pull_request", "pull_request_opened.json")
	v := &analyze.Verdict{Verdict: analyze.Regression, Results: []analyze.Result{
		regression(evilName, 1, 0.05),
		regression("BenchmarkB-8", 1, 0.05),
		{Benchmark: "BenchmarkC-8", Unit: "sec/op", Status: analyze.StatusUnchanged},
	}}
	SetOutputs(r.action(), v, ".perfgate/runs/20260101-120000/report.md")
	got := readOutputs(t, r.env["GITHUB_OUTPUT"])
	want := map[string]string{"verdict": "regression", "regressions": "2", "report": ".perfgate/runs/20260101-120000/report.md"}
	if !equalMaps(got, want) {
		t.Errorf("outputs %q, want %q", got, want)
	}
	if r.out.Len() != 0 {
		t.Errorf("SetOutputs printed %q", r.out.String())
	}
	data, _ := os.ReadFile(r.env["GITHUB_OUTPUT"])
	if strings.Contains(string(data), "Evil") {
		t.Errorf("a benchmark name reached GITHUB_OUTPUT:\n%s", data)
	}
}

func TestSetOutputsOnlyPerfgatesValues(t *testing.T) {
	r := newRunner(t, "pull_request", "pull_request_opened.json")
	// A verdict read from a file could hold anything; a report path with
	// a line break could carry the delimiter.
	SetOutputs(r.action(), &analyze.Verdict{Verdict: "pass\n" + fileCommandDelimiter + "\nx=y"}, "r.md\n"+fileCommandDelimiter+"\ninjected=1")
	got := readOutputs(t, r.env["GITHUB_OUTPUT"])
	if want := map[string]string{"verdict": "error", "regressions": "0"}; !equalMaps(got, want) {
		t.Errorf("outputs %q, want %q", got, want)
	}
	if cmds := runnerCommands(r.out.String()); len(cmds) != 1 || cmds[0].Name != "warning" {
		t.Errorf("commands %+v, want one warning about the report path", cmds)
	}

	r = newRunner(t, "pull_request", "pull_request_opened.json")
	SetOutputs(r.action(), nil, "")
	if got := readOutputs(t, r.env["GITHUB_OUTPUT"]); !equalMaps(got, map[string]string{"verdict": "error", "regressions": "0"}) {
		t.Errorf("outputs of no verdict %q", got)
	}
}

func TestSetOutputsOutsideRunner(t *testing.T) {
	r := newRunner(t, "pull_request", "pull_request_opened.json")
	delete(r.env, "GITHUB_OUTPUT")
	SetOutputs(r.action(), &analyze.Verdict{Verdict: analyze.Pass}, "r.md") // must not panic
	r.env["GITHUB_OUTPUT"] = t.TempDir()                                    // a directory: cannot be written
	SetOutputs(r.action(), &analyze.Verdict{Verdict: analyze.Pass}, "r.md")
	if cmds := runnerCommands(r.out.String()); len(cmds) != 1 || cmds[0].Name != "warning" {
		t.Errorf("commands %+v, want one warning", cmds)
	}
}
