package action

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchmarkOutput is what a pull request's benchmark can print.
const benchmarkOutput = "goos: linux\nBenchmarkX-8   1000   1234 ns/op\n" +
	"::set-output name=x::y\n::error::boom\n  ::add-mask::hidden\n##[error]legacy\n" +
	"ok ##[set-env name=LD_PRELOAD;]/tmp/x.so\n\r::warning::after a carriage return\n" +
	"::stop-commands::mine\n::mine::\n::error::after a forged resume\n" +
	"::warning::no line end"

func TestUntrusted(t *testing.T) {
	var log bytes.Buffer
	fmt.Fprintln(&log, "::notice::before")
	err := Untrusted(&log, func() error {
		_, err := io.WriteString(&log, benchmarkOutput)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(&log, "::notice::after")

	cmds := runnerCommands(log.String())
	if len(cmds) != 2 || cmds[0].Data != "before" || cmds[1].Data != "after" {
		t.Errorf("the runner processes %+v, want only the notices before and after", cmds)
	}
	lines := strings.Split(log.String(), "\n")
	m := tokenLine.FindStringSubmatch(lines[1])
	if m == nil {
		t.Fatalf("line 2 is %q, want ::stop-commands::TOKEN", lines[1])
	}
	token := m[1]
	if !strings.Contains(log.String(), "no line end\n::"+token+"::\n::notice::after") {
		t.Errorf("the resume marker is not on a line of its own after the output:\n%s", log.String())
	}
	if strings.Count(log.String(), token) != 2 {
		t.Errorf("the token appears other than in the two markers:\n%s", log.String())
	}
}

func TestUntrustedTokens(t *testing.T) {
	// Each call's token is fresh: output that knows an earlier one (it is
	// in the log) cannot resume commands.
	var log bytes.Buffer
	seen := map[string]bool{}
	var previous string
	for range 20 {
		start := log.Len()
		err := Untrusted(&log, func() error {
			if previous != "" {
				fmt.Fprintf(&log, "::%s::\n::error::resumed with the previous token\n", previous)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(log.String()[start:], "\n")
		m := tokenLine.FindStringSubmatch(first)
		if m == nil {
			t.Fatalf("no stop-commands line: %q", first)
		}
		if seen[m[1]] {
			t.Fatalf("token %s used twice", m[1])
		}
		seen[m[1]] = true
		previous = m[1]
	}
	if cmds := runnerCommands(log.String()); len(cmds) != 0 {
		t.Errorf("the runner processes %+v, want nothing", cmds)
	}
}

func TestUntrustedErrors(t *testing.T) {
	var log bytes.Buffer
	boom := errors.New("boom")
	if err := Untrusted(&log, func() error { return boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v, want f's", err)
	}
	if !strings.HasSuffix(log.String(), "::\n") {
		t.Errorf("no resume marker after a failure:\n%s", log.String())
	}

	log.Reset()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic of f was swallowed")
			}
		}()
		Untrusted(&log, func() error { panic("benchmark panicked") })
	}()
	if cmds := runnerCommands(log.String() + "::notice::after\n"); len(cmds) != 1 {
		t.Errorf("commands stay stopped after a panic: %q", log.String())
	}

	ran := false
	err := Untrusted(failingWriter{}, func() error { ran = true; return nil })
	if err == nil || ran {
		t.Errorf("with no stop marker written: err %v, f ran %v; want an error and f not run", err, ran)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestSafeEnv(t *testing.T) {
	env := []string{
		"PATH=/usr/bin", "HOME=/home/runner", "GOFLAGS=-mod=mod", "GITHUB_SHA=abc", "GITHUB_WORKSPACE=/w",
		"INPUT_TOKEN=ghp_secret", "INPUT_FAIL-ON-REGRESSION=true", "GITHUB_TOKEN=ghs_secret", "GH_TOKEN=x",
		"GITHUB_OUTPUT=/o", "GITHUB_ENV=/e", "GITHUB_PATH=/p", "GITHUB_STATE=/s", "GITHUB_STEP_SUMMARY=/m",
		"ACTIONS_RUNTIME_TOKEN=t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=t", "ACTIONS_ID_TOKEN_REQUEST_URL=u",
	}
	got := SafeEnv(env)
	want := []string{"PATH=/usr/bin", "HOME=/home/runner", "GOFLAGS=-mod=mod", "GITHUB_SHA=abc", "GITHUB_WORKSPACE=/w"}
	if !equalStrings(got, want) {
		t.Errorf("SafeEnv = %q, want %q", got, want)
	}
}
