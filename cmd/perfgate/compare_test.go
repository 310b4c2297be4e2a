package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		// 4 samples against 3: no U test can reach p < 0.05.
		"few-old.txt": "BenchmarkF-2 10 100 ns/op\nBenchmarkF-2 10 101 ns/op\nBenchmarkF-2 10 102 ns/op\nBenchmarkF-2 10 103 ns/op\n",
		"few-new.txt": "BenchmarkF-2 10 200 ns/op\nBenchmarkF-2 10 201 ns/op\nBenchmarkF-2 10 202 ns/op\n",
		"slow.txt":    strings.Repeat("BenchmarkF-2 10 300 ns/op\nBenchmarkF-2 10 301 ns/op\n", 3),
		"fast.txt":    strings.Repeat("BenchmarkF-2 10 100 ns/op\nBenchmarkF-2 10 101 ns/op\n", 3),
		"bad.txt":     "goos: linux\nBenchmarkF-2 10 100 ns/op\nBenchmarkF-2 10 100\n",
		"empty.txt":   "PASS\n",
	})
	bs, err := filepath.Abs("../../analyze/testdata")
	if err != nil {
		t.Fatal(err)
	}
	bs += "/"
	// cpu: MachineA and MachineB against MachineC, in dir so that the
	// error names them as the command line does.
	for _, name := range []string{"machines-old.txt", "machines-new.txt"} {
		data, err := os.ReadFile(bs + name)
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, dir, map[string]string{name: string(data)})
	}
	for _, tt := range []struct {
		name     string
		args     []string
		code     exitCode
		stdout   []string // substrings of stdout
		stderr   []string // substrings of stderr
		wantJSON analyze.Outcome
	}{
		{name: "benchstat's example", args: []string{bs + "old.txt", bs + "new.txt"}, code: exitPass,
			stdout: []string{"-17.20% (p=0.000 n=10)", "~ (p=0.446 n=10)", "-8.94%", "PASS"}, wantJSON: analyze.Pass},
		{name: "regression", args: []string{"fast.txt", "slow.txt"}, code: exitRegression,
			stdout: []string{"REGRESSION", "regressed: BenchmarkF-2 sec/op"}, wantJSON: analyze.Regression},
		{name: "raised threshold", args: []string{"fast.txt", "slow.txt", "--threshold", "ns/op=300%"}, code: exitPass,
			stdout: []string{"within 300%"}, wantJSON: analyze.Pass},
		{name: "improvement", args: []string{"slow.txt", "fast.txt"}, code: exitPass, stdout: []string{"improvement"}},
		{name: "inconclusive", args: []string{"few-old.txt", "few-new.txt"}, code: exitPass,
			stdout: []string{"too few samples", "INCONCLUSIVE"}, stderr: []string{"--strict"}, wantJSON: analyze.Inconclusive},
		{name: "inconclusive strict", args: []string{"few-old.txt", "few-new.txt", "--strict"}, code: exitInconclusive},
		{name: "missing file", args: []string{"fast.txt", "nope.txt"}, code: exitError, stderr: []string{"nope.txt", "no such file"}, wantJSON: analyze.Error},
		{name: "malformed file", args: []string{"bad.txt", "fast.txt"}, code: exitError, stderr: []string{"bad.txt:3: missing units"}},
		{name: "no results", args: []string{"empty.txt", "fast.txt"}, code: exitError, stderr: []string{"no benchmark results"}},
		{name: "bad threshold", args: []string{"fast.txt", "slow.txt", "--threshold", "sec/op"}, code: exitError, stderr: []string{"UNIT=PCT"}},
		{name: "bad percentage", args: []string{"fast.txt", "slow.txt", "--threshold", "sec/op=lots"}, code: exitError, stderr: []string{`"lots"`}},
		{name: "one file", args: []string{"fast.txt"}, code: exitError, stderr: []string{"accepts 2 arg"}},
		{name: "no shared configuration", args: []string{"machines-old.txt", "machines-new.txt"}, code: exitError,
			stderr: []string{"perfgate: comparing machines-old.txt and machines-new.txt: the files share no configuration: " +
				"cpu is MachineA, MachineB in machines-old.txt and MachineC in machines-new.txt (pass --ignore cpu to compare across it)\n"},
			wantJSON: analyze.Error},
		{name: "ignore", args: []string{"machines-old.txt", "machines-new.txt", "--ignore", "cpu"}, code: exitPass,
			stdout: []string{"-38.69% (p=0.000 n=12+10)", "improvement"}, wantJSON: analyze.Pass},
		{name: "ignore, repeated", args: []string{"machines-old.txt", "machines-new.txt", "--ignore", "note", "--ignore", "goos, cpu"}, code: exitPass,
			stdout: []string{"n=12+10"}},
		{name: "ignore an empty key", args: []string{"fast.txt", "slow.txt", "--ignore", "cpu,"}, code: exitError, stderr: []string{`--ignore "cpu,"`, "KEY[,KEY]"}},
		{name: "ignore .fullname", args: []string{"fast.txt", "slow.txt", "--ignore", ".fullname"}, code: exitError, stderr: []string{`".fullname"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			jsonFile := filepath.Join(t.TempDir(), "v.json")
			args := append([]string{"-C", dir, "compare", "--json", jsonFile}, tt.args...)
			code, stdout, stderr := perfgate(t, context.Background(), args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q", s)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q", s)
				}
			}
			if code == exitError && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if tt.wantJSON != "" {
				if v := mustVerdict(t, jsonFile); v.Verdict != tt.wantJSON {
					t.Errorf("JSON verdict %q, want %q", v.Verdict, tt.wantJSON)
				}
			}
		})
	}
}

// TestCompareReadsConfig checks that perfgate.yml in the directory sets the
// thresholds of compare too, so that all commands decide alike.
func TestCompareReadsConfig(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"perfgate.yml": "thresholds:\n  sec/op: 500%\n",
		"slow.txt":     strings.Repeat("BenchmarkF-2 10 300 ns/op\nBenchmarkF-2 10 301 ns/op\n", 3),
		"fast.txt":     strings.Repeat("BenchmarkF-2 10 100 ns/op\nBenchmarkF-2 10 101 ns/op\n", 3),
	})
	if code, _, _ := perfgate(t, context.Background(), "-C", dir, "compare", "fast.txt", "slow.txt"); code != exitPass {
		t.Errorf("exit %d with a 500%% threshold from perfgate.yml, want 0", code)
	}
	if err := os.WriteFile(filepath.Join(dir, "perfgate.yml"), []byte("thresholds: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := perfgate(t, context.Background(), "-C", dir, "compare", "fast.txt", "slow.txt"); code != exitError || !strings.Contains(stderr, "perfgate.yml") {
		t.Errorf("exit %d, stderr %q with a broken perfgate.yml, want 2 naming the file", code, stderr)
	}
}
