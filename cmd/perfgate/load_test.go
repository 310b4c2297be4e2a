package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
)

func TestLoadCommand(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) })
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	out := filepath.Join(t.TempDir(), "run")
	code, stdout, _ := perfgate(t, context.Background(), "load", "--target", srv.URL+"/work", "--rate", "100",
		"--duration", "1s", "--rounds", "2", "--pprof", srv.URL+"/debug/pprof", "--out", out)
	if code != exitPass {
		t.Fatalf("exit %d, want 0", code)
	}
	if strings.Count(stdout, "requests at") != 2 {
		t.Errorf("stdout has not one summary line per round:\n%s", stdout)
	}
	f, err := os.Open(filepath.Join(out, "load.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := analyze.ReadResults(f, "load.txt", "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 2 || res.Results[0].Iters != 100 {
		t.Fatalf("load.txt: %d results, first with %d requests; want 2 of 100", len(res.Results), res.Results[0].Iters)
	}
	if v, ok := res.Results[0].Value("req/s"); !ok || v < 50 {
		t.Errorf("req/s = %v, %v; want about 100", v, ok)
	}
	if analyze.DirectionOf(res.Units, "req/s") != analyze.HigherBetter {
		t.Error("load.txt does not say req/s is better higher")
	}
	for _, kind := range []string{"profile", "heap", "goroutine"} {
		if st, err := os.Stat(filepath.Join(out, "profiles", "00."+kind+".pprof")); err != nil || st.Size() == 0 {
			t.Errorf("no %s profile: %v", kind, err)
		}
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"not loopback", []string{"--target", "http://10.1.2.3:80/", "--duration", "1s"}, "loopback"},
		{"errors", []string{"--target", srv.URL + "/fail", "--rate", "50", "--duration", "500ms"}, "requests failed"},
		{"no target", nil, "--target"},
		{"bad header", []string{"--target", srv.URL, "--header", "nocolon"}, "NAME:VALUE"},
		// Every request fails: a limit that is not a fraction must not let
		// that pass.
		{"error rate NaN", []string{"--target", srv.URL + "/fail", "--duration", "200ms", "--max-error-rate", "NaN"}, "max error rate"},
		{"error rate 5", []string{"--target", srv.URL + "/fail", "--duration", "200ms", "--max-error-rate", "5"}, "max error rate"},
		{"pprof off loopback", []string{"--target", srv.URL + "/work", "--duration", "200ms", "--pprof", "http://10.1.2.3/debug/pprof"}, "not a loopback address"},
		{"rate 1e9", []string{"--target", srv.URL + "/work", "--rate", "1e9", "--duration", "1s"}, "at most 100000"},
		{"name with a line break", []string{"--target", srv.URL + "/work", "--duration", "200ms", "--name", "x\nBenchmarkForged 1 1 ns/op"}, "name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"load", "--out", filepath.Join(t.TempDir(), "run")}, tt.args...)
			code, _, stderr := perfgate(t, context.Background(), args...)
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 saying %q", code, stderr, tt.want)
			}
		})
	}
}

// TestLoadInterrupt interrupts a run in its load rounds: exit 2, the
// finished rounds on disk, no service left running, no worktree left.
func TestLoadInterrupt(t *testing.T) {
	dir := newServiceRepo(t, "", 2)
	writeFiles(t, dir, map[string]string{"perfgate.yml": strings.Replace(
		mustRead(t, filepath.Join(dir, "perfgate.yml")), "rounds: 2", "rounds: 100", 1)})
	out := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	var code exitCode
	var stderr string
	go func() {
		defer close(done)
		code, _, stderr = perfgate(t, ctx, "-C", dir, "run", "--out", out)
	}()
	for deadline := time.Now().Add(2 * time.Minute); ; {
		var info struct{ Load []json.RawMessage }
		if data, err := os.ReadFile(filepath.Join(out, "run.json")); err == nil && json.Unmarshal(data, &info) == nil && len(info.Load) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no load round finished")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if code != exitError || !strings.Contains(stderr, "interrupted") && !strings.Contains(stderr, "context canceled") {
		t.Fatalf("exit %d, stderr %q; want 2, interrupted", code, stderr)
	}
	if !strings.Contains(stderr, "finished rounds kept in") {
		t.Errorf("stderr does not say where the finished rounds are: %q", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "rounds", "base-work-01.txt")); err != nil {
		t.Errorf("finished round not kept: %v", err)
	}
	assertNoProcesses(t, out)
	if n := worktrees(t, dir); n != 1 {
		t.Errorf("%d worktrees left, want 1", n)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
