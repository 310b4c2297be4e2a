package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/profiler"
)

const profiles = "../../analyze/testdata/profiles/"

// TestHotCommand checks perfgate hot: one profile ranks as go tool pprof
// -top does; two name the function that grew and write the diff.
func TestHotCommand(t *testing.T) {
	abs, err := filepath.Abs(profiles)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := perfgate(t, context.Background(), "hot", abs+"/cpu-head.pb.gz", "--top", "3")
	if code != exitPass {
		t.Fatalf("exit %d", code)
	}
	pprof, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=3", "-nodefraction=0", abs+"/cpu-head.pb.gz").CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof: %v\n%s", err, pprof)
	}
	var want []string // the function names of pprof's lines, in order
	for _, l := range strings.Split(string(pprof), "\n") {
		if f := strings.Fields(l); len(f) == 6 && strings.HasSuffix(f[1], "%") {
			want = append(want, f[5])
		}
	}
	var got []string
	for _, l := range strings.Split(stdout, "\n")[1:] {
		if f := strings.Fields(l); len(f) > 0 {
			got = append(got, f[len(f)-1])
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("perfgate hot ranks %q, go tool pprof -top %q", got, want)
	}

	work := func(name string) string {
		data, err := os.ReadFile(filepath.Join(abs, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(data))
	}
	out := t.TempDir()
	code, stdout, _ = perfgate(t, context.Background(), "hot", abs+"/cpu-head.pb.gz", "--base", abs+"/cpu-base.pb.gz",
		"--work", work("cpu-head.ops"), "--base-work", work("cpu-base.ops"),
		"--diff", filepath.Join(out, "diff.pb.gz"), "--folded", filepath.Join(out, "diff.folded"))
	if code != exitPass {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(stdout, "\n")
	if len(lines) < 2 || !strings.HasSuffix(strings.TrimSpace(lines[1]), "main.work2") {
		t.Errorf("first grown function is not main.work2:\n%s", stdout)
	}
	if !strings.Contains(stdout, "path to main.work2") {
		t.Error("no call path to the first function")
	}
	if _, err := profiler.Load(filepath.Join(out, "diff.pb.gz")); err != nil {
		t.Errorf("the diff profile: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(out, "diff.folded")); err != nil || !strings.Contains(string(data), "main.work2 ") {
		t.Errorf("the folded stacks lack main.work2 (%v)", err)
	}
}

func TestHotCommandBadInput(t *testing.T) {
	abs, err := filepath.Abs(profiles)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"text.txt": "BenchmarkX 10 5 ns/op\n", "empty.pb.gz": ""})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{filepath.Join(dir, "nope.pb.gz")}, "no such file"},
		{"text", []string{filepath.Join(dir, "text.txt")}, "not a pprof profile"},
		{"empty", []string{filepath.Join(dir, "empty.pb.gz")}, "empty"},
		{"different sample types", []string{abs + "/cpu-head.pb.gz", "--base", abs + "/allocs-base.pb.gz"}, "base has"},
		{"unknown unit", []string{abs + "/cpu-head.pb.gz", "--unit", "inuse_space"}, "inuse_space"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := perfgate(t, context.Background(), append([]string{"hot"}, tt.args...)...)
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 saying %q", code, stderr, tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
		})
	}
}
