package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/rundir"
)

// shopConfig returns the shop's perfgate.yml made shorter for a test, with
// its sides' env replaced by base and head, and extra appended.
func shopConfig(t *testing.T, base, head, extra string) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/shop/perfgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(data)
	for old, new := range map[string]string{
		"rate: 200":     "rate: 50",
		"rounds: 14":    "rounds: 5",
		"min_rounds: 6": "min_rounds: 0",
		"warmup: 1s":    "warmup: 500ms\n    profile_time: 3s",
		`base: {ref: HEAD, env: {SHOP_FANOUT: concurrent, SHOP_CACHE: "on"}}`: "base: {ref: HEAD, env: {" + base + "}}",
		`head: {env: {SHOP_FANOUT: sequential, SHOP_CACHE: "off"}}`:           "head: {env: {" + head + "}}",
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("testdata/shop/perfgate.yml no longer holds %q", old)
		}
		cfg = strings.Replace(cfg, old, new, 1)
	}
	path := filepath.Join(t.TempDir(), "perfgate.yml")
	if err := os.WriteFile(path, []byte(cfg+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestShopRegression runs the shop with the cache and concurrent fan-out
// as base, and with sequential calls and no cache as head: perfgate must
// exit 1 naming cart's checkout latency, with profiles of every service.
func TestShopRegression(t *testing.T) {
	cfg := shopConfig(t, `SHOP_FANOUT: concurrent, SHOP_CACHE: "on"`, `SHOP_FANOUT: sequential, SHOP_CACHE: "off"`, "")
	out := filepath.Join(t.TempDir(), "run")
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	code, stdout, _ := perfgate(t, context.Background(), "-C", "../..", "run", "--config", cfg, "--out", out, "--json", verdict)
	if code != exitRegression {
		t.Fatalf("exit %d, want %d", code, exitRegression)
	}
	if !strings.Contains(stdout, "regressed: BenchmarkLoad/scenario=checkout/service=cart sec/op") {
		t.Error("the summary does not name cart's checkout latency")
	}
	v := mustVerdict(t, verdict)
	for _, unit := range []string{"sec/op", "p50-sec"} {
		r := findResult(v, "BenchmarkLoad/scenario=checkout/service=cart", unit)
		if r == nil || !r.Regression || float64(r.Delta) < 0.5 {
			t.Errorf("cart checkout %s = %+v, want a regression of more than half", unit, r)
		}
	}
	// The four figures: response time above, throughput, resource use,
	// concurrency.
	for _, want := range []struct{ service, unit string }{
		{"cart", "req/s"}, {"cart", "errors/op"}, {"cart", "peak-inflight"}, {"cart", "p99-sec"},
		{"cart", "cpu-sec/op"}, {"inventory", "cpu-sec/op"}, {"pricing", "peak-rss-B"},
	} {
		if findResult(v, "BenchmarkLoad/scenario=checkout/service="+want.service, want.unit) == nil {
			t.Errorf("no %s result for %s", want.unit, want.service)
		}
	}
	checkShopExplained(t, v, stdout, out)
	info := readInfo(t, out)
	var order []string // of the rounds that count (a round the driver could not keep up with runs again)
	for _, r := range info.Load {
		if r.DriverBound == "" {
			order = append(order, r.Side)
		}
	}
	if got, want := strings.Join(order, ","), "base,head,head,base,base,head,head,base,base,head"; got != want {
		t.Errorf("round order %s, want %s", got, want)
	}
	for _, side := range []string{"base", "head"} {
		for _, svc := range []string{"cart", "inventory", "pricing"} {
			for _, f := range []string{"checkout.00.profile.pprof", "checkout.00.trace.out", "checkout.01.profile.pprof",
				"checkout.01.heap.pprof", "checkout.01.goroutine.pprof"} {
				f := filepath.Join(out, "profiles", side, svc, f)
				if st, err := os.Stat(f); err != nil || st.Size() == 0 {
					t.Errorf("profile %s missing or empty (%v)", f, err)
				}
			}
		}
		for _, svc := range []string{"cart", "inventory", "pricing"} {
			if _, err := os.Stat(filepath.Join(out, "logs", side+"-"+svc+".log")); err != nil {
				t.Errorf("no log of %s %s: %v", side, svc, err)
			}
		}
	}
	assertNoProcesses(t, out)
}

// TestShopAgainstItself runs the same shop on both sides: nothing may
// regress. The thresholds are wide because a short run on a loaded 2-core
// machine is noisy, and this test is about the gate not inventing
// differences from identical code.
func TestShopAgainstItself(t *testing.T) {
	same := `SHOP_FANOUT: concurrent, SHOP_CACHE: "on"`
	cfg := shopConfig(t, same, same, "  default: 50%\n  max-sec: 300%\n")
	cfgData, _ := os.ReadFile(cfg)
	// The thresholds block is last in the file: make every listed unit
	// generous too.
	wide := strings.NewReplacer("sec/op: 5%", "sec/op: 50%", "p50-sec: 10%", "p50-sec: 50%", "p90-sec: 10%", "p90-sec: 50%",
		"p99-sec: 10%", "p99-sec: 100%", "req/s: 5%", "req/s: 50%").Replace(string(cfgData))
	wide += "  cpu-sec/op: 50%\n  peak-rss-B: 50%\n"
	if err := os.WriteFile(cfg, []byte(wide), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	code, _, _ := perfgate(t, context.Background(), "-C", "../..", "run", "--config", cfg, "--out", out, "--json", verdict)
	if code != exitPass {
		t.Fatalf("exit %d, want %d", code, exitPass)
	}
	if v := mustVerdict(t, verdict); v.Verdict != analyze.Pass {
		t.Errorf("verdict %s, want pass", v.Verdict)
	}
	assertNoProcesses(t, out)
}

func readInfo(t *testing.T, out string) *rundir.Info {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var info rundir.Info
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	return &info
}

// assertNoProcesses fails if a binary of the run directory is still
// running.
func assertNoProcesses(t *testing.T, out string) {
	t.Helper()
	if pids, _ := exec.Command("pgrep", "-af", filepath.Join(out, "bin")).Output(); len(bytes.TrimSpace(pids)) > 0 {
		t.Errorf("processes left running: %s", pids)
	}
}

// TestShopMetrics checks the Prometheus exposition of a real shop service:
// after three stock checks, inventory counts three requests.
func TestShopMetrics(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "inventory")
	if out, err := exec.Command("go", "build", "-o", bin, "../../testdata/shop/cmd/inventory").CombinedOutput(); err != nil {
		t.Fatalf("building inventory: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-latency", "0s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make([]byte, 100)
	n, err := stdout.Read(line)
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSpace(strings.TrimPrefix(string(line[:n]), "listening on "))
	for i := 1; i <= 3; i++ {
		resp, err := http.Get(fmt.Sprintf("%s/stock?item=%d", base, i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	const want = `
# HELP shop_http_requests_total HTTP requests answered, by service, route and status code.
# TYPE shop_http_requests_total counter
shop_http_requests_total{code="200",route="/stock",service="inventory"} 3
`
	if err := testutil.ScrapeAndCompare(base+"/metrics", strings.NewReader(want), "shop_http_requests_total"); err != nil {
		t.Error(err)
	}
}

// checkShopExplained checks the explanation of the shop's regression: cart's
// checkout latency is explained, first, by cart's handler waiting on its
// downstream calls (a call path through Cart.checkout), with the time per
// request split on-CPU and off-CPU, in JSON, text, Markdown and HTML.
func checkShopExplained(t *testing.T, v *analyze.Verdict, stdout, out string) {
	t.Helper()
	var e *analyze.Explanation
	for i := range v.Explanations {
		if v.Explanations[i].Benchmark == (analyze.LoadName{Scenario: "checkout"}).String() {
			e = &v.Explanations[i]
		}
	}
	if e == nil || !slices.Contains(e.Units, "sec/op") || !slices.Contains(e.Units, "p50-sec") {
		t.Fatalf("no explanation of checkout's latency among %+v", v.Explanations)
	}
	if len(e.Hot) == 0 {
		t.Fatalf("checkout's explanation lists no function: %+v", e)
	}
	h := e.Hot[0]
	if h.Service != "cart" || h.Kind == "on-cpu" || h.Kind == "" || !slices.ContainsFunc(h.Path, func(f string) bool { return strings.HasSuffix(f, ".(*Cart).checkout") }) {
		t.Errorf("first cause %s (%s, %s) by %q, want cart waiting off-CPU through Cart.checkout; all: %+v", h.Function, h.Service, h.Kind, h.Path, e.Hot)
	}
	kinds := map[string]bool{}
	for _, s := range e.Split {
		if s.Service == "cart" {
			kinds[s.Kind] = true
		}
	}
	if !kinds["on-cpu"] || !(kinds["sync"] || kinds["network"]) {
		t.Errorf("cart's split %v, want on-CPU and off-CPU time", kinds)
	}
	reports := map[string]string{"text": stdout}
	for _, format := range []string{"markdown", "html"} {
		var b bytes.Buffer
		if code := run(context.Background(), []string{"report", out, "--format", format}, &b, io.Discard); code != exitPass && code != exitRegression {
			t.Fatalf("perfgate report --format %s: exit %d", format, code)
		}
		reports[format] = b.String()
	}
	for format, r := range reports {
		r = strings.ReplaceAll(r, `\*`, "*") // Markdown's escape
		if !strings.Contains(r, "(*Cart).checkout") || !strings.Contains(r, h.Function) || !strings.Contains(r, "on-cpu") {
			t.Errorf("the %s report lacks the first cause, its path through Cart.checkout or the on-CPU split", format)
		}
	}
}
