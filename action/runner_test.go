package action

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/sethvargo/go-githubactions"
)

// runner is a simulated GitHub Actions runner for one step: the
// environment it gives the step (through WithGetenv, never the process's),
// its files, and the step's captured output.
type runner struct {
	env map[string]string
	out bytes.Buffer
}

// newRunner returns a runner of event name whose event file is the
// fixture testdata/fixture ("" for none).
func newRunner(t *testing.T, name, fixture string) *runner {
	t.Helper()
	dir := t.TempDir()
	r := &runner{env: map[string]string{
		"CI":                  "true",
		"GITHUB_ACTIONS":      "true",
		"GITHUB_EVENT_NAME":   name,
		"GITHUB_SHA":          "2d8d3b8e4c1f0f7a9e6b5c4d3e2f1a0b9c8d7e6f",
		"GITHUB_REPOSITORY":   "Codertocat/Hello-World",
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_API_URL":      "https://api.github.com",
		"GITHUB_WORKSPACE":    dir,
		"GITHUB_RUN_ID":       "1658821493",
		"GITHUB_OUTPUT":       filepath.Join(dir, "set_output_1"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "step_summary_1"),
	}}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		if err := os.WriteFile(r.env[f], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if fixture != "" {
		r.env["GITHUB_EVENT_PATH"] = filepath.Join("testdata", fixture)
	}
	return r
}

// action returns the go-githubactions Action of the step.
func (r *runner) action() *githubactions.Action {
	return githubactions.New(
		githubactions.WithGetenv(func(k string) string { return r.env[k] }),
		githubactions.WithWriter(&r.out),
	)
}

// newAction returns an Action that sees env only and prints nowhere.
func newAction(env map[string]string) *githubactions.Action {
	return githubactions.New(
		githubactions.WithGetenv(func(k string) string { return env[k] }),
		githubactions.WithWriter(io.Discard),
	)
}

// command is a workflow command as the runner understood it.
type command struct {
	Name  string
	Props map[string]string
	Data  string
}

// registeredCommands are the runner's command extensions
// (actions/runner src/Runner.Worker/ActionCommandManager.cs).
var registeredCommands = []string{
	"stop-commands", "set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher",
	"remove-matcher", "debug", "warning", "error", "notice", "group", "endgroup", "echo",
}

// runnerCommands returns the workflow commands the runner would process
// in a step's output, following ActionCommandManager.TryProcessCommand
// and ActionCommand.TryParseV2/TryParse of actions/runner: lines end at
// \n, \r or \r\n (StreamReader.ReadLine); a "::name props::data" command
// starts its line after leading white space, a legacy "##[name props]data"
// one anywhere; command names are case-insensitive; after
// "::stop-commands::TOKEN" only "::TOKEN::" is processed, and it resumes.
func runnerCommands(log string) []command {
	var (
		cmds    []command
		stopped bool
		token   string
	)
	log = strings.ReplaceAll(log, "\r\n", "\n")
	for _, line := range strings.FieldsFunc(log, func(r rune) bool { return r == '\n' || r == '\r' }) {
		registered := registeredCommands
		if stopped {
			registered = append([]string{token}, registered...)
		}
		c, ok := parseV2(line, registered)
		if !ok {
			c, ok = parseV1(line, registered)
		}
		if !ok {
			continue
		}
		switch {
		case stopped:
			if token != "" && strings.EqualFold(c.Name, token) {
				stopped, token = false, ""
			}
		case strings.EqualFold(c.Name, "stop-commands"):
			stopped, token = true, c.Data
		default:
			cmds = append(cmds, c)
		}
	}
	return cmds
}

func isRegistered(name string, registered []string) bool {
	for _, r := range registered {
		if strings.EqualFold(r, name) {
			return true
		}
	}
	return false
}

func parseV2(line string, registered []string) (command, bool) {
	line = strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(line, "::") {
		return command{}, false
	}
	end := strings.Index(line[2:], "::")
	if end < 0 {
		return command{}, false
	}
	info := line[2 : 2+end]
	name, props, hasProps := strings.Cut(info, " ")
	if !isRegistered(name, registered) {
		return command{}, false
	}
	c := command{Name: name, Props: map[string]string{}}
	if hasProps {
		for _, p := range strings.Split(strings.TrimSpace(props), ",") {
			k, v, ok := strings.Cut(p, "=")
			if ok && k != "" && v != "" {
				c.Props[k] = unescape(v, "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C", "%", "%25")
			}
		}
	}
	c.Data = unescape(line[2+end+2:], "\r", "%0D", "\n", "%0A", "%", "%25")
	return c, true
}

func parseV1(line string, registered []string) (command, bool) {
	i := strings.Index(line, "##[")
	if i < 0 {
		return command{}, false
	}
	rb := strings.IndexByte(line[i:], ']')
	if rb < 0 {
		return command{}, false
	}
	info := line[i+3 : i+rb]
	name, props, hasProps := strings.Cut(info, " ")
	if !isRegistered(name, registered) {
		return command{}, false
	}
	pairs := []string{";", "%3B", "\r", "%0D", "\n", "%0A", "]", "%5D", "%", "%25"}
	c := command{Name: name, Props: map[string]string{}}
	if hasProps {
		for _, p := range strings.Split(props, ";") {
			k, v, ok := strings.Cut(p, "=")
			if ok && k != "" && v != "" {
				c.Props[k] = unescape(v, pairs...)
			}
		}
	}
	c.Data = unescape(line[i+rb+1:], pairs...)
	return c, true
}

// unescape replaces each escape by its token, in the runner's order;
// pairs are token, escape, token, escape, ...
func unescape(s string, pairs ...string) string {
	for i := 0; i < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, pairs[i+1], pairs[i])
	}
	return s
}

// readOutputs parses a GITHUB_OUTPUT file as the runner does: name=value
// lines and name<<DELIMITER blocks.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if name, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(name, "=") {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("output %s: no closing delimiter %s", name, delim)
			}
			if _, dup := out[name]; dup {
				t.Errorf("output %s set twice", name)
			}
			out[name] = strings.Join(v, "\n")
			continue
		}
		name, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("bad output line %q", l)
		}
		out[name] = v
	}
	return out
}

// TestRunnerCommands checks the simulated runner against what the
// runner's own sources say it does.
func TestRunnerCommands(t *testing.T) {
	log := "plain\n  ::error file=a%3Ab%2Cc.go,line=3::x%25y%0Az\r::warning::w\n" +
		"text ##[notice]legacy\n::unknown::u\n" +
		"::stop-commands::tok\n::error::hidden\n##[error]hidden\n::TOK::\n::debug::after\n"
	got := runnerCommands(log)
	want := []command{
		{"error", map[string]string{"file": "a:b,c.go", "line": "3"}, "x%y\nz"},
		{"warning", map[string]string{}, "w"},
		{"notice", map[string]string{}, "legacy"},
		{"debug", map[string]string{}, "after"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d commands %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Data != want[i].Data || !equalMaps(got[i].Props, want[i].Props) {
			t.Errorf("command %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

var tokenLine = regexp.MustCompile(`^::stop-commands::(perfgate-[0-9a-f]{32})$`)
