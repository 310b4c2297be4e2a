package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeCommands keeps the README's two commands true: the first runs
// the example that TestExample runs, the second is what .ci/run runs.
func TestReadmeCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Two commands")
	if !ok {
		t.Fatal("README has no \"## Two commands\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var commands []string
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "    ") {
			commands = append(commands, strings.TrimSpace(l))
		}
	}
	if len(commands) != 2 {
		t.Fatalf("README gives %d commands in its first section, want 2: %q", len(commands), commands)
	}
	if want := "go run ./cmd/perfgate run --config testdata/shop/perfgate.yml"; commands[0] != want {
		t.Errorf("first command %q, want %q (the job TestShopRegression runs)", commands[0], want)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	var ciLines []string
	for _, l := range strings.Split(string(ci), "\n") {
		ciLines = append(ciLines, strings.TrimSpace(l))
	}
	found := false
	for _, l := range ciLines {
		found = found || l == commands[1]
	}
	if !found {
		t.Errorf(".ci/run does not run the README's test command %q", commands[1])
	}
}

// TestReadmeLayout keeps the README's code map true: every package of the
// module has its line, and every directory the map names exists.
func TestReadmeLayout(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal("README has no \"## Layout\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	mapped := map[string]bool{}
	for _, l := range strings.Split(section, "\n") {
		if f := strings.Fields(l); strings.HasPrefix(l, "    ") && len(f) > 0 && strings.HasSuffix(f[0], "/") {
			dir := strings.TrimSuffix(f[0], "/")
			mapped[dir] = true
			if fi, err := os.Stat(filepath.Join("../..", dir)); err != nil || !fi.IsDir() {
				t.Errorf("the code map names %s/, which is not a directory", dir)
			}
		}
	}
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "github.com/perfgate/perfgate/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	for _, d := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			t.Fatal(err)
		}
		if !mapped[filepath.ToSlash(rel)] {
			t.Errorf("package %s has no line in the README's code map", rel)
		}
	}
}
