package main

import (
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkloads runs the tests of the example workloads under testdata/,
// which `go test ./...` does not reach (the go command skips testdata
// directories in patterns).
func TestWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on testdata/; -short")
	}
	dirs := map[string]bool{}
	err := filepath.WalkDir("../../testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, "_test.go") {
			dirs["./"+filepath.ToSlash(filepath.Dir(path))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 2 {
		t.Fatalf("found tests in %d directories of testdata/, want the example and the shop", len(dirs))
	}
	args := []string{"test", "-race", "-count=1"}
	for d := range dirs {
		args = append(args, d)
	}
	cmd := exec.Command("go", args...)
	out, err := cmd.CombinedOutput()
	t.Logf("go %v:\n%s", args, out)
	if err != nil {
		t.Fatalf("the workloads' tests failed: %v", err)
	}
}
