package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/rundir"
)

// TestJSON: --json FILE writes each command's machine-readable result, and
// the file parses: the verdict of compare, report and action, the ranked
// functions of hot (with their sampled events), the rounds of load, the
// figures and verdicts of selftest; and a command that fails writes the
// error verdict. (bench and run write their verdict as compare does:
// TestHotCPU and the end-to-end tests read it.)
func TestJSON(t *testing.T) {
	abs, err := filepath.Abs(profiles)
	if err != nil {
		t.Fatal(err)
	}
	data, err := filepath.Abs("../../analyze/testdata")
	if err != nil {
		t.Fatal(err)
	}
	// A run directory holding a verdict, for report and action.
	run := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := perfgate(t, context.Background(), "compare", data+"/server-base.txt", data+"/server-head.txt",
		"--json", filepath.Join(run, rundir.VerdictFile)); code == exitError {
		t.Fatalf("compare: exit %d", code)
	}
	runVerdict, err := rundir.ReadVerdict(filepath.Join(run, rundir.VerdictFile))
	if err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// sameVerdict checks a verdict file is the run's verdict.
	sameVerdict := func(t *testing.T, path string) {
		v, err := rundir.ReadVerdict(path)
		if err != nil {
			t.Fatal(err)
		}
		if v.Verdict != runVerdict.Verdict || len(v.Results) != len(runVerdict.Results) || len(v.Results) == 0 {
			t.Errorf("verdict %s with %d results, want the run's: %s with %d", v.Verdict, len(v.Results), runVerdict.Verdict, len(runVerdict.Results))
		}
	}
	// hotFunctions checks a hot result lists functions with their events.
	hotFunctions := func(base bool) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			var res hotResult
			if err := json.Unmarshal([]byte(mustRead(t, path)), &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Functions) == 0 || res.Functions[0].HeadSamples <= 0 || res.SampleType == "" || (res.Base != "") != base {
				t.Fatalf("hot result %+v: want functions with their samples", res)
			}
			if base && res.Functions[0].Function != "main.work2" {
				t.Errorf("first grown function %q, want main.work2", res.Functions[0].Function)
			}
		}
	}

	for _, tt := range []struct {
		name  string
		setup func(t *testing.T) // the environment of the command
		args  []string
		code  exitCode
		check func(t *testing.T, path string)
	}{
		{"compare", nil, []string{"compare", data + "/server-base.txt", data + "/server-head.txt"}, exitOf(runVerdict.Verdict, false), sameVerdict},
		{"report", nil, []string{"report", run, "--format", "markdown"}, exitPass, sameVerdict},
		{"hot", nil, []string{"hot", abs + "/cpu-head.pb.gz"}, exitPass, hotFunctions(false)},
		{"hot allocations", nil, []string{"hot", abs + "/allocs-head.pb.gz", "--unit", "alloc_objects", "--work", "3000"}, exitPass, hotFunctions(false)},
		{"hot --base", nil, []string{"hot", abs + "/cpu-head.pb.gz", "--base", abs + "/cpu-base.pb.gz"}, exitPass, hotFunctions(true)},
		{"load", nil, []string{"load", "--target", srv.URL + "/work", "--rate", "50", "--duration", "300ms", "--rounds", "2",
			"--out", filepath.Join(t.TempDir(), "load")}, exitPass,
			func(t *testing.T, path string) {
				var res loadResult
				if err := json.Unmarshal([]byte(mustRead(t, path)), &res); err != nil {
					t.Fatal(err)
				}
				if len(res.Rounds) != 2 || res.Rounds[0].Completed == 0 || res.Rounds[1].Round != 2 || res.Results == "" {
					t.Fatalf("load result %+v: want 2 rounds", res)
				}
				if v, ok := res.Rounds[0].Values["req/s"]; !ok || v <= 0 {
					t.Errorf("round 1: req/s %v, %v", v, ok)
				}
			}},
		{"action publish", func(t *testing.T) {
			api := httptest.NewServer(&fakeGitHub{})
			t.Cleanup(api.Close)
			actionEnv(t, t.TempDir(), strings.Repeat("1", 40), strings.Repeat("2", 40), strings.Repeat("3", 40), api.URL, "pull_request")
			t.Setenv("INPUT_MODE", "publish")
			t.Setenv("INPUT_RUN", run)
			t.Setenv("INPUT_COMMENT", "false")
		}, []string{"action"}, exitOf(runVerdict.Verdict, false), sameVerdict},
		{"selftest", func(t *testing.T) {
			if testing.Short() {
				t.Skip("runs the gate and the plain workflow")
			}
		}, []string{"selftest", "--trials", "1", "--slowdowns", "0%", "--benchtime", "10ms", "--plain-benchtime", "10ms",
			"--count", "2", "--rounds", "2", "--min-rounds", "0"}, exitPass,
			func(t *testing.T, path string) {
				var res selftestResult
				if err := json.Unmarshal([]byte(mustRead(t, path)), &res); err != nil {
					t.Fatal(err)
				}
				if len(res.Cells) != 2 || len(res.Verdicts) != 2 || res.Cells[0].Trials != 1 || res.Threshold != 0.03 {
					t.Fatalf("selftest result %+v: want a cell and a verdict per method", res)
				}
				for _, v := range res.Verdicts {
					if v.Outcome == "" || v.Seconds <= 0 {
						t.Errorf("verdict %+v", v)
					}
				}
			}},
		{"error", nil, []string{"hot", filepath.Join(t.TempDir(), "nope.pb.gz")}, exitError,
			func(t *testing.T, path string) {
				v, err := rundir.ReadVerdict(path)
				if err != nil {
					t.Fatal(err)
				}
				if v.Verdict != analyze.Error || !strings.Contains(v.Error, "nope.pb.gz") {
					t.Errorf("verdict %s (%q), want the error", v.Verdict, v.Error)
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			out := filepath.Join(t.TempDir(), "out.json")
			code, _, _ := perfgate(t, context.Background(), append(tt.args, "--json", out)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
			tt.check(t, out)
		})
	}
}
