package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/perfgate/perfgate/store"
)

// fakeGitHub stands in for the REST API: it keeps the issue comments of
// pull request 2 of Codertocat/Hello-World and records what it was asked.
type fakeGitHub struct {
	mu       sync.Mutex
	comments []map[string]any
	requests []string
	forbid   bool // answer 403 to writes, as for a fork's token
	events   []map[string]any
	head     string // the head commit of pull request 2, for GET /pulls
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer secret-token" {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && r.URL.Path == "/user":
		http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
	case r.Method == "GET" && r.URL.Path == "/repos/Codertocat/Hello-World/issues/2/comments":
		json.NewEncoder(w).Encode(f.comments)
	case r.Method == "GET" && r.URL.Path == "/repos/Codertocat/Hello-World/issues/2/events":
		json.NewEncoder(w).Encode(f.events)
	case r.Method == "GET" && r.URL.Path == "/repos/Codertocat/Hello-World/pulls":
		json.NewEncoder(w).Encode([]map[string]any{{"number": 2, "head": map[string]any{"sha": f.head}}})
	case f.forbid:
		http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
	case r.Method == "POST" && r.URL.Path == "/repos/Codertocat/Hello-World/issues/2/comments":
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		c := map[string]any{"id": 100 + len(f.comments), "body": in.Body, "user": map[string]any{"login": "github-actions[bot]"},
			"html_url": "https://github.com/Codertocat/Hello-World/pull/2#issuecomment-100"}
		f.comments = append(f.comments, c)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(c)
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/repos/Codertocat/Hello-World/issues/comments/"):
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		for _, c := range f.comments {
			if "/repos/Codertocat/Hello-World/issues/comments/"+jsonNumber(c["id"]) == r.URL.Path {
				c["body"] = in.Body
				json.NewEncoder(w).Encode(c)
				return
			}
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// prCheckout makes a repository as actions/checkout leaves it for a
// pull_request event: HEAD is the merge of the pull request's head (which
// makes BenchmarkProcess slower) into its base. The base holds the
// configuration, and a benchmark that tries to reach the token and to issue
// workflow commands: neither may work. It returns the directory and the
// base, head and merge commits.
func prCheckout(t *testing.T) (dir, base, head, merge string) {
	return prCheckoutWith(t, nil)
}

// prCheckoutWith is prCheckout with more changes in the pull request: the
// files of change (path: content).
func prCheckoutWith(t *testing.T, change map[string]string) (dir, base, head, merge string) {
	dir = hotRepo(t, slowerProcess)
	slower := gitRun(t, dir, "rev-parse", "HEAD")
	gitRun(t, dir, "checkout", "-q", "-b", "base", "HEAD~1")
	writeFiles(t, dir, map[string]string{"leak_test.go": `package hot

import (
	"fmt"
	"os"
	"testing"
)

func BenchmarkLeak(b *testing.B) {
	if os.Getenv("INPUT_TOKEN") != "" || os.Getenv("GITHUB_TOKEN") != "" {
		panic("the token leaked into the benchmark")
	}
	fmt.Println("::set-output name=verdict::pass")
	fmt.Println("::error file=evil.go,line=1::forged")
	for b.Loop() {
	}
}
`, "perfgate.yml": actionConfig})
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-qm", "perfgate")
	base = gitRun(t, dir, "rev-parse", "HEAD")
	gitRun(t, dir, "checkout", "-q", "-b", "pr")
	gitRun(t, dir, "cherry-pick", slower)
	if change != nil {
		writeFiles(t, dir, change)
		gitRun(t, dir, "add", "-A")
		gitRun(t, dir, "commit", "-qm", "more of the pull request")
	}
	head = gitRun(t, dir, "rev-parse", "HEAD")
	gitRun(t, dir, "checkout", "-q", "-b", "merge", base)
	gitRun(t, dir, "merge", "-q", "--no-ff", "-m", "Merge "+head+" into "+base, head)
	merge = gitRun(t, dir, "rev-parse", "HEAD")
	return dir, base, head, merge
}

// actionConfig is the base's perfgate.yml in prCheckout.
const actionConfig = "bench: {rounds: 6, benchtime: 20ms, profile: true}\nthresholds: {sec/op: 50%}\n"

// actionEnv sets the environment of a GitHub Actions step for a
// pull_request event on dir, with the REST API at api.
func actionEnv(t *testing.T, dir, base, head, merge, api, eventName string) (summary, output string) {
	t.Helper()
	data, err := os.ReadFile("../../action/testdata/pull_request_opened.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	pr := ev["pull_request"].(map[string]any)
	pr["base"].(map[string]any)["sha"] = base
	pr["head"].(map[string]any)["sha"] = head
	tmp := t.TempDir()
	eventPath := filepath.Join(tmp, "event.json")
	data, _ = json.Marshal(ev)
	writeFiles(t, tmp, map[string]string{"event.json": string(data), "summary.md": "", "output": ""})
	summary, output = filepath.Join(tmp, "summary.md"), filepath.Join(tmp, "output")
	for k, v := range map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_EVENT_NAME":   eventName,
		"GITHUB_EVENT_PATH":   eventPath,
		"GITHUB_SHA":          merge,
		"GITHUB_REPOSITORY":   "Codertocat/Hello-World",
		"GITHUB_API_URL":      api,
		"GITHUB_STEP_SUMMARY": summary,
		"GITHUB_OUTPUT":       output,
		"GITHUB_TOKEN":        "secret-token",
		"INPUT_CONFIG":        "perfgate.yml",
		"INPUT_TOKEN":         "secret-token",
		"INPUT_COMMENT":       "true",
		"INPUT_ACCEPT-LABEL":  "perfgate: accept",
	} {
		t.Setenv(k, v)
	}
	return summary, output
}

// TestAction runs perfgate action in a simulated runner, twice: the first
// run creates the pull request comment, the second updates it in place.
func TestAction(t *testing.T) {
	dir, base, head, merge := prCheckout(t)
	gh := &fakeGitHub{}
	api := httptest.NewServer(gh)
	defer api.Close()
	for run := 1; run <= 2; run++ {
		summary, output := actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
		code, stdout, stderr := perfgate(t, context.Background(), "-C", dir, "action")
		if code != exitRegression {
			t.Fatalf("run %d: exit %d, want %d (regression)\nstderr: %s", run, code, exitRegression, stderr)
		}
		// Outputs: only perfgate's own values.
		out, _ := os.ReadFile(output)
		for _, want := range []string{"verdict<<", "\nregression\n", "regressions<<", "report<<", filepath.Join(dir, ".perfgate", "report.md")} {
			if !strings.Contains(string(out), want) {
				t.Errorf("run %d: GITHUB_OUTPUT lacks %q:\n%s", run, want, out)
			}
		}
		if strings.Contains(string(out), "pass") {
			t.Errorf("run %d: the benchmark's forged output reached GITHUB_OUTPUT:\n%s", run, out)
		}
		sum, _ := os.ReadFile(summary)
		if !strings.HasPrefix(string(sum), "<!-- perfgate-report -->") || !strings.Contains(string(sum), "BenchmarkProcess") ||
			!strings.Contains(string(sum), "checksum") {
			t.Errorf("run %d: the job summary is not the report:\n%.600s", run, sum)
		}
		if !strings.Contains(string(sum), "https://github.com/Codertocat/Hello-World/commit/"+base) {
			t.Errorf("run %d: the summary does not link the base commit", run)
		}
		// The token is masked, the pull request's output is fenced, and
		// the regression is annotated on its source line.
		if !strings.Contains(stdout, "::add-mask::secret-token") {
			t.Errorf("run %d: the token is not masked", run)
		}
		stop := strings.Index(stdout, "::stop-commands::")
		forged := strings.Index(stdout, "::error file=evil.go")
		if stop < 0 || forged >= 0 && forged < stop {
			t.Errorf("run %d: the benchmark's output is not inside stop-commands", run)
		}
		if !strings.Contains(stdout, "::error file=hot_test.go,line=") || !strings.Contains(stdout, "BenchmarkProcess") {
			t.Errorf("run %d: no error annotation on BenchmarkProcess's source line:\n%s", run, stdout)
		}
		if _, err := os.Stat(filepath.Join(dir, ".perfgate", "report.md")); err != nil {
			t.Errorf("run %d: no .perfgate/report.md: %v", run, err)
		}
		if _, err := os.Stat(filepath.Join(dir, ".perfgate", store.FileName)); err == nil {
			t.Errorf("run %d: a pull request's run was recorded in the history", run)
		}
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	var writes []string
	for _, r := range gh.requests {
		if !strings.HasPrefix(r, "GET") {
			writes = append(writes, r)
		}
	}
	if len(writes) != 2 || !strings.HasPrefix(writes[0], "POST /repos/Codertocat/Hello-World/issues/2/comments") ||
		writes[1] != "PATCH /repos/Codertocat/Hello-World/issues/comments/100" {
		t.Errorf("comment requests %q, want one POST then one PATCH of the same comment", writes)
	}
	if len(gh.comments) != 1 || !strings.Contains(gh.comments[0]["body"].(string), "BenchmarkProcess") {
		t.Errorf("comments %v, want one report", gh.comments)
	}
}

// TestActionFork: a fork's token cannot comment; the job gets the summary
// and a warning, and its outcome is the verdict's, not a failure to comment.
func TestActionFork(t *testing.T) {
	dir, base, head, merge := prCheckout(t)
	api := httptest.NewServer(&fakeGitHub{forbid: true})
	defer api.Close()
	summary, _ := actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
	code, stdout, _ := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitRegression {
		t.Fatalf("exit %d, want %d", code, exitRegression)
	}
	if !strings.Contains(stdout, "::warning::perfgate cannot comment") {
		t.Errorf("no warning about the comment:\n%s", stdout)
	}
	if sum, _ := os.ReadFile(summary); !bytes.Contains(sum, []byte("BenchmarkProcess")) {
		t.Error("no job summary")
	}

	// The second, privileged workflow publishes the run: it reads the
	// verdict as data and renders the comment itself.
	runs, _ := filepath.Glob(filepath.Join(dir, ".perfgate", "runs", "*", "verdict.json"))
	if len(runs) != 1 {
		t.Fatalf("%d runs with a verdict, want 1", len(runs))
	}
	gh := &fakeGitHub{head: head}
	api2 := httptest.NewServer(gh)
	defer api2.Close()
	workflowRun(t, dir, head, api2.URL)
	t.Setenv("INPUT_MODE", "publish")
	t.Setenv("INPUT_RUN", filepath.Dir(runs[0]))
	code, stdout, stderr := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitRegression {
		t.Fatalf("publish: exit %d, want %d: %s", code, exitRegression, stderr)
	}
	if len(gh.comments) != 1 || !strings.Contains(gh.comments[0]["body"].(string), "BenchmarkProcess") {
		t.Errorf("publish posted %v", gh.comments)
	}
	if strings.Contains(stdout, "::stop-commands::") {
		t.Error("publish ran the gate: it must run no code of the pull request")
	}
}

// workflowRun sets the environment of a workflow_run event for the run of
// the pull request whose head is head, as a fork's gives it: no pull
// request number.
func workflowRun(t *testing.T, dir, head, api string) {
	t.Helper()
	tmp := t.TempDir()
	ev := `{"action": "completed", "workflow_run": {"id": 1, "event": "pull_request", "head_sha": "` + head + `",
	  "head_branch": "pr", "pull_requests": [], "head_repository": {"full_name": "fork/Hello-World"}},
	  "repository": {"full_name": "Codertocat/Hello-World", "html_url": "https://github.com/Codertocat/Hello-World"}}`
	writeFiles(t, tmp, map[string]string{"event.json": ev})
	t.Setenv("GITHUB_EVENT_NAME", "workflow_run")
	t.Setenv("GITHUB_EVENT_PATH", filepath.Join(tmp, "event.json"))
	t.Setenv("GITHUB_API_URL", api)
	t.Setenv("GITHUB_TOKEN", "secret-token")
}

// TestActionPullRequestTarget: the gate runs the pull request's code, so a
// pull_request_target event is refused without the opt-in.
func TestActionPullRequestTarget(t *testing.T) {
	dir, base, head, merge := prCheckout(t)
	api := httptest.NewServer(&fakeGitHub{})
	defer api.Close()
	actionEnv(t, dir, base, head, merge, api.URL, "pull_request_target")
	code, stdout, stderr := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitError || !strings.Contains(stderr, "pull_request_target") {
		t.Errorf("exit %d, stderr %q; want 2 refusing pull_request_target", code, stderr)
	}
	// Stopped before the gate, it still tells GitHub's interface why.
	checkStopReported(t, stdout, "pull_request_target")
}

// checkStopReported checks that a step that stopped before the gate wrote
// why in the job summary, the verdict output and an error annotation.
func checkStopReported(t *testing.T, stdout, why string) {
	t.Helper()
	if !strings.Contains(stdout, "::error::perfgate: ") || !strings.Contains(stdout, why) {
		t.Errorf("no error annotation saying %q:\n%s", why, stdout)
	}
	sum, _ := os.ReadFile(os.Getenv("GITHUB_STEP_SUMMARY"))
	if text := strings.ReplaceAll(string(sum), `\`, ""); !strings.Contains(text, "perfgate: error") || !strings.Contains(text, why) {
		t.Errorf("the job summary does not say the step failed (%q):\n%s", why, sum)
	}
	if out, _ := os.ReadFile(os.Getenv("GITHUB_OUTPUT")); !strings.Contains(string(out), "\nerror\n") {
		t.Errorf("verdict output is not error:\n%s", out)
	}
}

// TestActionBaseMissing: the base commit is not in the clone: the step
// says so where the user looks.
func TestActionBaseMissing(t *testing.T) {
	dir, _, head, merge := prCheckout(t)
	api := httptest.NewServer(&fakeGitHub{})
	defer api.Close()
	actionEnv(t, dir, "0123456789abcdef0123456789abcdef01234567", head, merge, api.URL, "pull_request")
	t.Setenv("INPUT_BASE", "0123456789abcdef0123456789abcdef01234567")
	code, stdout, _ := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	checkStopReported(t, stdout, "fetch")
}

// TestActionBaseConfig: a pull request that rewrites perfgate.yml to pass
// (its head compared with itself, thresholds out of reach, one round) is
// still gated by the base's configuration, and the report says so.
func TestActionBaseConfig(t *testing.T) {
	cheat := "sides:\n  head: {ref: HEAD~1}\nbench: {rounds: 1, benchtime: 10ms}\nthresholds: {sec/op: 10000%}\n"
	dir, base, head, merge := prCheckoutWith(t, map[string]string{"perfgate.yml": cheat})
	api := httptest.NewServer(&fakeGitHub{})
	defer api.Close()
	summary, _ := actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
	code, _, _ := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitRegression {
		t.Fatalf("exit %d, want %d: the head's perfgate.yml must not decide", code, exitRegression)
	}
	sum, _ := os.ReadFile(summary)
	if !strings.Contains(string(sum), "the head changes perfgate.yml: the gate used the base") {
		t.Errorf("the report does not say the base's configuration was used:\n%.2000s", sum)
	}
}

// TestActionAcceptLabel: a label that someone with the right to add it
// put on the pull request accepts its regression, and the report says who.
func TestActionAcceptLabel(t *testing.T) {
	dir, base, head, merge := prCheckout(t)
	gh := &fakeGitHub{events: []map[string]any{
		{"event": "labeled", "actor": map[string]any{"login": "someone"}, "label": map[string]any{"name": "perfgate: accept"}},
		{"event": "unlabeled", "actor": map[string]any{"login": "someone"}, "label": map[string]any{"name": "perfgate: accept"}},
		{"event": "labeled", "actor": map[string]any{"login": "octocat"}, "label": map[string]any{"name": "perfgate: accept"}},
		{"event": "labeled", "actor": map[string]any{"login": "mallory"}, "label": map[string]any{"name": "bug"}},
	}}
	api := httptest.NewServer(gh)
	defer api.Close()
	summary, _ := actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
	code, stdout, _ := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitPass {
		t.Fatalf("exit %d, want 0: the regression is accepted", code)
	}
	if !strings.Contains(stdout, "::notice::perfgate: 1 regressions accepted by octocat") {
		t.Errorf("no notice of who accepted it:\n%s", stdout)
	}
	if sum, _ := os.ReadFile(summary); !strings.Contains(string(sum), "accepted by octocat") {
		t.Error("the report does not say the regression was accepted, and by whom")
	}
	// Taken off again, it accepts nothing.
	gh.mu.Lock()
	gh.events = append(gh.events, map[string]any{"event": "unlabeled", "actor": map[string]any{"login": "octocat"}, "label": map[string]any{"name": "perfgate: accept"}})
	gh.mu.Unlock()
	actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
	if code, _, _ := perfgate(t, context.Background(), "-C", dir, "action"); code != exitRegression {
		t.Errorf("exit %d after the label was removed, want %d", code, exitRegression)
	}
}

// TestActionMeasureThenPublish: the gate split over two jobs. The
// measuring job runs the pull request's code with no token at all and
// leaves the run directory; the publishing job runs none of it, reads the
// run as data, reports and fails the check.
func TestActionMeasureThenPublish(t *testing.T) {
	dir, base, head, merge := prCheckout(t)
	gh := &fakeGitHub{}
	api := httptest.NewServer(gh)
	defer api.Close()
	summary, _ := actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
	for _, k := range []string{"GITHUB_TOKEN", "INPUT_TOKEN"} {
		os.Unsetenv(k)
	}
	run := filepath.Join(t.TempDir(), "run")
	t.Setenv("INPUT_MODE", "measure")
	t.Setenv("INPUT_RUN", run)
	code, stdout, _ := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitPass {
		t.Fatalf("measure: exit %d, want 0 (publishing decides)", code)
	}
	if sum, _ := os.ReadFile(summary); len(sum) > 0 {
		t.Errorf("measure wrote a job summary:\n%.300s", sum)
	}
	if strings.Contains(stdout, "::error file=") || len(gh.requests) > 0 {
		t.Errorf("measure reported to GitHub: %q", gh.requests)
	}
	if _, err := os.Stat(filepath.Join(run, "verdict.json")); err != nil {
		t.Fatalf("no verdict.json in the run: %v", err)
	}

	actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
	t.Setenv("INPUT_MODE", "publish")
	t.Setenv("INPUT_RUN", run)
	code, stdout, _ = perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitRegression {
		t.Fatalf("publish: exit %d, want %d", code, exitRegression)
	}
	if strings.Contains(stdout, "::stop-commands::") {
		t.Error("publish ran the gate")
	}
	if !strings.Contains(stdout, "::error file=hot_test.go,line=") {
		t.Errorf("publish did not annotate the regressed benchmark:\n%s", stdout)
	}
	if len(gh.comments) != 1 || !strings.Contains(gh.comments[0]["body"].(string), "BenchmarkProcess") {
		t.Errorf("comments %v, want one report", gh.comments)
	}
}

// TestActionNoFail: with fail-on-regression off (as action.yml passes it,
// INPUT_FAIL_ON_REGRESSION), a regression is reported, not a failure.
func TestActionNoFail(t *testing.T) {
	dir, base, head, merge := prCheckout(t)
	api := httptest.NewServer(&fakeGitHub{})
	defer api.Close()
	_, output := actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
	t.Setenv("INPUT_FAIL_ON_REGRESSION", "false")
	code, stdout, _ := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitPass {
		t.Fatalf("exit %d, want 0", code)
	}
	if !strings.Contains(stdout, "::notice::perfgate found 1 regressions; fail-on-regression is off") {
		t.Errorf("no notice of the regression:\n%s", stdout)
	}
	if out, _ := os.ReadFile(output); !strings.Contains(string(out), "\nregression\n") {
		t.Errorf("verdict output is not regression:\n%s", out)
	}
}

// TestActionRecordsPush: on a push to the default branch the Action
// records the run in the history store of its data input, by default
// (TestAction checks that a pull request's is not).
func TestActionRecordsPush(t *testing.T) {
	dir, base, head, merge := prCheckout(t)
	gh := &fakeGitHub{}
	api := httptest.NewServer(gh)
	defer api.Close()

	actionEnv(t, dir, base, head, merge, api.URL, "pull_request")
	t.Setenv("INPUT_COMMENT", "false")

	// The push of the pull request's head to master, the default branch.
	gitRun(t, dir, "checkout", "-q", head)
	data, err := os.ReadFile("../../action/testdata/push.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	ev["before"], ev["after"] = base, head
	data, _ = json.Marshal(ev)
	eventPath := filepath.Join(t.TempDir(), "push.json")
	writeFiles(t, filepath.Dir(eventPath), map[string]string{"push.json": string(data)})
	t.Setenv("GITHUB_EVENT_NAME", "push")
	t.Setenv("GITHUB_EVENT_PATH", eventPath)
	t.Setenv("GITHUB_SHA", head)
	code, stdout, stderr := perfgate(t, context.Background(), "-C", dir, "action")
	if code != exitRegression {
		t.Fatalf("push: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "perfgate: recorded run 1") {
		t.Errorf("the push's run was not said to be recorded:\n%s", stdout)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, ".perfgate"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	trends, err := st.Trends(context.Background(), store.HistoryQuery{Branch: "master"})
	if err != nil || len(trends) == 0 {
		t.Fatalf("trends on master: %d, %v", len(trends), err)
	}
	for _, tr := range trends {
		if len(tr.Points) != 2 || tr.Points[0].Commit.Hash != base || tr.Points[1].Commit.Hash != head {
			t.Errorf("%s %s: points %+v, want the base then the pushed commit", tr.Benchmark, tr.Unit, tr.Points)
		}
	}
}
