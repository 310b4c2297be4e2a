package main

import (
	"os"
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
