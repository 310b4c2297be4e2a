package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/internal/chromium"
	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/internal/promtest"
	"github.com/perfgate/perfgate/rundir"
	"github.com/perfgate/perfgate/store"
	"github.com/perfgate/perfgate/watch"
	"github.com/perfgate/perfgate/watch/grafana"
)

// lockedBuffer is a bytes.Buffer that a process or a server writes while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// shopDeploy is the shop running in staging: its three services on fixed
// addresses, so that Prometheus scrapes them across restarts.
type shopDeploy struct {
	bin                string
	inventory, pricing string
	cart, watch, logs  string
	stop               func()
}

// start runs the shop's three services as version, with env added,
// profiled into watch every second; it returns once they listen.
func (s *shopDeploy) start(t *testing.T, ctx context.Context, version string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	var cmds []*exec.Cmd
	for _, svc := range []struct {
		name, addr string
		args       []string
	}{
		{"inventory", s.inventory, nil},
		{"pricing", s.pricing, nil},
		{"cart", s.cart, []string{"-inventory", "http://" + s.inventory, "-pricing", "http://" + s.pricing}},
	} {
		cmd := proc.Command(ctx, filepath.Join(s.bin, svc.name), append([]string{"-addr", svc.addr}, svc.args...)...)
		cmd.Env = append(os.Environ(), append([]string{
			"SHOP_PROFILE_URL=http://" + s.watch, "SHOP_PROFILE_UPLOAD=1s", "SHOP_VERSION=" + version, "SHOP_ENV=staging",
		}, env...)...)
		logf, err := os.Create(filepath.Join(s.logs, fmt.Sprintf("%s-%s-%d.log", svc.name, version, time.Now().UnixNano())))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = logf
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if !strings.HasPrefix(line, "listening on ") {
			t.Fatalf("%s %s: %q, %v", svc.name, version, line, err)
		}
		go io.Copy(io.Discard, out)
		cmds = append(cmds, cmd)
	}
	s.stop = func() {
		cancel() // SIGTERM: each service's profiler flushes its last profiles
		for _, c := range cmds {
			c.Wait()
		}
	}
}

// checkout offers cart's checkout 100 requests a second for d.
func (s *shopDeploy) checkout(t *testing.T, ctx context.Context, d time.Duration) {
	t.Helper()
	opts := load.DefaultOptions
	opts.Rate, opts.Duration, opts.MaxInFlight = 100, d, 64
	r, err := load.Run(ctx, load.Target{Method: http.MethodPost, URL: "http://" + s.cart + "/checkout", Body: []byte(`{"items":[1,2,3]}`)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors > 0 {
		t.Fatalf("checkout: %d errors of %d requests", r.Errors, r.Completed)
	}
}

// TestWatchDeploy is the staging demo, end to end: the shop, instrumented
// with profiler.Start, pushes its profiles to perfgate watch every second
// while a real Prometheus scrapes its request metrics and watch's own. v1
// runs, is restarted as v1, then v2 (sequential calls, no price cache) is
// deployed: watch's verdict on v2 is a regression of cart's checkout
// latency with its cause, posted to the webhook and shown on the page
// (checked in headless Chromium); watch check of the v1 redeploy passes;
// the Grafana dashboard's queries return the figures. Windows are seconds
// long, by configuration: the whole test takes about two minutes.
//
// Run it alone, as the README's demo: go test -run TestWatchDeploy -v ./cmd/perfgate
func TestWatchDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("two minutes of load")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	s := &shopDeploy{bin: filepath.Join(dir, "bin"), logs: filepath.Join(dir, "logs")}
	if err := os.MkdirAll(s.logs, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", s.bin+"/", "./testdata/shop/cmd/...")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the shop: %v\n%s", err, out)
	}
	for _, a := range []*string{&s.inventory, &s.pricing, &s.cart, &s.watch} {
		var err error
		if *a, err = service.FreeAddr(); err != nil {
			t.Fatal(err)
		}
	}
	prom := promtest.ForTest(t, ctx, time.Second,
		promtest.Target{Job: "shop", Addrs: []string{s.inventory, s.pricing, s.cart}},
		promtest.Target{Job: "perfgate-watch", Addrs: []string{s.watch}})

	var hook struct {
		sync.Mutex
		bodies []watch.WebhookBody
	}
	webhook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b watch.WebhookBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			t.Errorf("webhook: %v", err)
		}
		hook.Lock()
		hook.bodies = append(hook.bodies, b)
		hook.Unlock()
	}))
	defer webhook.Close()

	// Staging's windows are not interleaved as the gate's rounds are: the
	// figures follow the machine's other load between two windows, which
	// on this shared 2-core machine (other tests running) moves a
	// service's CPU time per request by half, its mean response time by a
	// tenth and its p99 (from histogram buckets, 400 requests an interval)
	// by 70%; and B/op, from heap profiles that sample an allocation per
	// 512 KiB (30 to 50 samples a window here), by a third; and with the
	// rest of CI's tests beside it, once cart's median by 38%. The
	// thresholds absorb that, as a staging's should its own drift; v2's
	// regression is four to seven times the latency.
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "perfgate.yml")
	writeFiles(t, dir, map[string]string{"perfgate.yml": fmt.Sprintf(`watch:
  listen: %s
  data: %s
  prometheus: %s
  metrics: {duration: shop_http_request_duration_seconds}
  warmup: 3s
  window: 24s
  step: 4s
  webhook: %s
thresholds: {sec/op: 50%%, p50-sec: 50%%, p90-sec: 50%%, p99-sec: 100%%, cpu-sec/op: 100%%, B/op: 100%%}
`, s.watch, data, prom.URL, webhook.URL)})

	// perfgate watch, in this process, until the test ends.
	watchCtx, stopWatch := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	var watchErr lockedBuffer
	watched := make(chan exitCode, 1)
	go func() {
		watched <- run(watchCtx, []string{"watch", "--config", cfg, "--record"}, pw, &watchErr)
		pw.Close()
	}()
	defer func() {
		stopWatch()
		if code := <-watched; code != exitPass {
			t.Errorf("perfgate watch: exit %d\n%s", code, watchErr.String())
		}
	}()
	lines := bufio.NewReader(pr)
	first, err := lines.ReadString('\n')
	if first != "listening on http://"+s.watch+"\n" {
		t.Fatalf("perfgate watch's first line %q (%v), want listening on http://%s\n%s", first, err, s.watch, watchErr.String())
	}
	go io.Copy(io.Discard, lines)

	// v1, then v1 again (a redeploy), then v2.
	const phase = 30 * time.Second
	s.start(t, ctx, "v1")
	a := time.Now()
	s.checkout(t, ctx, phase)
	s.stop()
	s.start(t, ctx, "v1")
	b := time.Now()
	s.checkout(t, ctx, phase)
	s.stop()
	s.start(t, ctx, "v2", "SHOP_CACHE=off", "SHOP_FANOUT=sequential")
	s.checkout(t, ctx, phase+4*time.Second)
	defer s.stop()

	d := waitDeploy(t, ctx, data, "v2", &watchErr)
	t.Logf("deploy %+v", d)
	if d.Previous != "v1" || !slices.Equal(d.Services, []string{"cart", "inventory", "pricing"}) {
		t.Errorf("deploy %s from %s of %v, want v1 to v2 of cart, inventory and pricing", d.Version, d.Previous, d.Services)
	}
	if d.Outcome != analyze.Regression {
		t.Fatalf("v2's verdict: %s %s, want regression\n%s", d.Outcome, d.Error, readFile(t, filepath.Join(data, watch.DeploysDir, d.ID, "report.txt")))
	}
	run := filepath.Join(data, watch.DeploysDir, d.ID)
	v := mustVerdict(t, filepath.Join(run, rundir.VerdictFile))
	checkout := analyze.LoadName{Scenario: "checkout", Service: "cart"}.String()
	if r := findResult(v, checkout, "sec/op"); r == nil || !r.Regression || float64(r.Delta) < 0.3 {
		t.Errorf("cart's checkout sec/op: %+v, want a regression of 30%% or more", r)
	}
	// The causes, as the gate names them: first cart's handler waiting on
	// its calls (off-CPU, from the goroutine profiles), through
	// Cart.checkout; and, on-CPU, pricing computing SHA-256 on every
	// request now that its cache is off.
	var e *analyze.Explanation
	for i := range v.Explanations {
		if v.Explanations[i].Benchmark == (analyze.LoadName{Scenario: "checkout"}).String() {
			e = &v.Explanations[i]
		}
	}
	if e == nil || len(e.Hot) == 0 {
		t.Fatalf("no explanation of checkout's latency with functions among %+v", v.Explanations)
	}
	if h := e.Hot[0]; h.Service != "cart" || h.Kind == "on-cpu" || !slices.ContainsFunc(h.Path, func(f string) bool { return strings.HasSuffix(f, ".(*Cart).checkout") }) {
		t.Errorf("first cause %s (%s, %s) by %q, want cart waiting off-CPU through Cart.checkout; all: %+v", h.Function, h.Service, h.Kind, h.Path, e.Hot)
	}
	if !slices.ContainsFunc(e.Hot, func(h analyze.Hot) bool {
		return h.Service == "pricing" && h.Kind == "on-cpu" && strings.Contains(h.Function, "sha256")
	}) {
		t.Errorf("pricing's SHA-256 is not among checkout's causes: %+v", e.Hot)
	}
	report := readFile(t, filepath.Join(run, "report.txt"))
	if !strings.Contains(report, checkout) {
		t.Errorf("report.txt does not name %s:\n%s", checkout, report)
	}

	// With --record, the deploy is in the history, its versions as its
	// commits.
	st, err := store.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	trends, err := st.Trends(ctx, store.HistoryQuery{})
	st.Close()
	if err != nil || !slices.ContainsFunc(trends, func(tr store.Trend) bool {
		return len(tr.Points) == 2 && tr.Points[0].Commit.Hash == "v1" && tr.Points[1].Commit.Hash == "v2"
	}) {
		t.Errorf("the history after the deploy: %d trends, %v; want one of v1 then v2", len(trends), err)
	}

	hook.Lock()
	if len(hook.bodies) != 1 || hook.bodies[0].Deploy.ID != d.ID || hook.bodies[0].Verdict.Verdict != analyze.Regression {
		t.Errorf("webhook got %+v, want the regression of %s once", hook.bodies, d.ID)
	}
	hook.Unlock()

	// The v1 redeploy: its windows given, as a deploy pipeline would.
	code, stdout, _ := perfgate(t, ctx, "watch", "check", "--config", cfg, "--out", filepath.Join(dir, "redeploy"),
		"--service", "cart", "--service", "inventory", "--service", "pricing",
		"--baseline", "version=v1,from="+a.Add(3*time.Second).Format(time.RFC3339Nano)+",until="+a.Add(27*time.Second).Format(time.RFC3339Nano),
		"--candidate", "version=v1,from="+b.Add(3*time.Second).Format(time.RFC3339Nano)+",until="+b.Add(27*time.Second).Format(time.RFC3339Nano))
	if code != exitPass || strings.Contains(stdout, "regressed:") {
		t.Errorf("watch check of the v1 redeploy: exit %d, want 0 and no regression", code)
	}
	// And the v2 deploy, its windows from watch's store: exit 1.
	if code, _, _ := perfgate(t, ctx, "watch", "check", "--config", cfg, "--out", filepath.Join(dir, "check-v2"),
		"--service", "cart", "--service", "inventory", "--service", "pricing", "--baseline", "version=v1", "--candidate", "version=v2"); code != exitRegression {
		t.Errorf("watch check of v2: exit %d, want %d", code, exitRegression)
	}

	// The page, in headless Chromium: the deploy, its verdict and the link
	// to its report, whose diff flame graph shows.
	bin := chromium.Find(t)
	dom, _ := chromium.Run(t, bin, filepath.Join(dir, "chromium-page"), "--dump-dom", "http://"+s.watch+"/")
	for _, want := range []string{
		`data-id="` + d.ID + `"`, `<span class="outcome regression">regression</span>`,
		`href="/deploys/` + d.ID + `/report.html"`, "<code>v1</code> → <code>v2</code>", "<td>pricing</td>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page's DOM has no %q:\n%s", want, dom)
		}
	}
	dom, _ = chromium.Run(t, bin, filepath.Join(dir, "chromium-report"), "--dump-dom", "http://"+s.watch+"/deploys/"+d.ID+"/report.html")
	for _, want := range []string{"REGRESSION", `<svg class="flame"`, `class="frame"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("the deploy's report has no %q", want)
		}
	}
	if m := regexp.MustCompile(`<body[^>]*>`).FindString(dom); !strings.Contains(m, `data-errors=""`) {
		t.Errorf("the report's scripts raised errors: %s", m)
	}

	// The Grafana dashboard: every panel has figures, the deploy's
	// annotation among them.
	qs, err := grafana.Queries(map[string]string{
		"metric": "shop_http_request_duration_seconds", "service": ".*",
		"__rate_interval": "10s", "__range": "10m", "datasource": "prometheus",
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // a scrape of watch after the verdict
	for _, q := range qs {
		n := promQuery(t, ctx, prom.URL, q.Expr)
		if n == 0 && !strings.Contains(q.Expr, `code=~"5..`) { // no request failed
			t.Errorf("%s: %s returned nothing", q.Where, q.Expr)
		}
	}
}

// waitDeploy waits for watch's verdict on the deploy of version.
func waitDeploy(t *testing.T, ctx context.Context, data, version string, log *lockedBuffer) watch.Deploy {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		files, _ := filepath.Glob(filepath.Join(data, watch.DeploysDir, "*", watch.DeployFile))
		for _, f := range files {
			var d watch.Deploy
			if err := json.Unmarshal([]byte(readFile(t, f)), &d); err != nil {
				t.Fatal(err)
			}
			if d.Version == version {
				return d
			}
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("no verdict on the deploy of %s\nwatch's log:\n%s", version, log.String())
	return watch.Deploy{}
}

// promQuery runs an instant query and returns the number of series of its
// answer.
func promQuery(t *testing.T, ctx context.Context, base, expr string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(expr), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		Status string
		Error  string
		Data   struct{ Result []json.RawMessage }
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.Status != "success" {
		t.Fatalf("%s: %v %s", expr, err, ans.Error)
	}
	return len(ans.Data.Result)
}

// TestWatchFaults: bad input and unreachable parts end watch and watch
// check with exit 2 and a one-line reason.
func TestWatchFaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	windows := "--baseline=version=v1,from=-10m,until=-5m"
	cand := "--candidate=version=v2,from=-4m,until=-1m"
	prom := promtest.ForTest(t, ctx, time.Second)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"watch on a public address without credentials", []string{"watch", "--data", data, "--listen", "0.0.0.0:0"}, "requires a token or basic auth"},
		{"no service", []string{"watch", "check", "--data", data, windows, cand}, "give --service"},
		{"bad side", []string{"watch", "check", "--data", data, "--service", "cart", "--baseline", "v1", cand}, `--baseline: "v1": want KEY=VALUE`},
		{"unknown version", []string{"watch", "check", "--data", data, "--service", "cart", "--baseline", "version=v1", "--candidate", "version=v2"}, "no profile of cart with version=v2"},
		{"no prometheus", []string{"watch", "check", "--data", data, "--service", "cart", windows, cand}, "no Prometheus"},
		{"prometheus down", []string{"watch", "check", "--data", data, "--prometheus", "http://127.0.0.1:1", "--service", "cart", windows, cand}, "querying prometheus for cart"},
		{"a window without requests", []string{"watch", "check", "--data", data, "--prometheus", prom.URL, "--service", "cart", windows, cand}, "no route of cart answered requests in both windows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args[1] == "check" {
				args = append(args, "--out", filepath.Join(t.TempDir(), "run"))
			}
			code, _, stderr := perfgate(t, ctx, args...)
			if code != exitError || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q: want exit 2 and one line with %q", code, stderr, tt.want)
			}
		})
	}
}

// TestWatchKilled kills perfgate watch with SIGKILL while services push
// to it: every push it answered 200 is in its store after, and a watch
// started again on the same data serves it.
func TestWatchKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "perfgate")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building perfgate: %v\n%s", err, out)
	}
	fixture := func(suffix string) []byte {
		b, err := os.ReadFile(filepath.Join("../../watch/testdata/pyroscope", "ingest-cpu."+suffix))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	line, _, _ := strings.Cut(string(fixture("request.txt")), "\n")
	target := strings.Fields(line)[1]
	body, contentType := fixture("body.bin"), string(fixture("content-type.txt"))
	data := filepath.Join(dir, "data")
	start := func() (*exec.Cmd, string) {
		cmd := exec.CommandContext(ctx, bin, "watch", "--listen", "127.0.0.1:0", "--data", data)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		first, err := bufio.NewReader(out).ReadString('\n')
		addr, ok := strings.CutPrefix(strings.TrimSpace(first), "listening on ")
		if !ok {
			t.Fatalf("first line %q (%v)\n%s", first, err, stderr.String())
		}
		return cmd, addr
	}
	cmd, addr := start()
	var acked sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 4 {
		acked.Add(1)
		go func() {
			defer acked.Done()
			for {
				resp, err := http.Post(addr+target, contentType, bytes.NewReader(body))
				if err != nil {
					return // killed
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	acked.Wait()
	if ok == 0 {
		t.Fatal("no push was answered 200 before the kill")
	}

	st, err := store.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := st.Profiles(ctx, store.Query{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d pushes acknowledged before SIGKILL, %d profiles in the store after", ok, len(ps))
	if len(ps) < ok {
		t.Errorf("%d profiles in the store, %d pushes acknowledged: some were lost", len(ps), ok)
	}

	cmd, addr = start()
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	resp, err := http.Get(addr + "/")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the page after restart: %v %v", err, resp)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "<td>pyrotest.app</td>") {
		t.Errorf("the page after restart does not list pyrotest.app:\n%s", page)
	}
}
