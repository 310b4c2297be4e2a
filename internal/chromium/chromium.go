// Package chromium runs headless Chromium (Debian's chromium package, which
// .ci/run installs) for the tests of perfgate's HTML pages: the reports and
// watch's page are opened as a person would open them, their DOM dumped
// after their scripts ran, and screenshots taken. Chromium runs in a
// process group of its own (internal/proc), killed when it is done.
package chromium

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"time"

	"github.com/perfgate/perfgate/internal/proc"
)

// TB is the part of testing.TB the package uses.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// Find returns the path of the Chromium executable. Where there is none
// it skips the test, unless the environment sets PERFGATE_REQUIRE_TOOLS
// (.ci/run does), where it fails it: CI must not pass by skipping what it
// installed.
func Find(t TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PERFGATE_REQUIRE_TOOLS") != "" {
		t.Fatal("chromium not installed, and PERFGATE_REQUIRE_TOOLS is set: apt-get install -y chromium")
	}
	t.Skip("chromium not installed: apt-get install -y chromium")
	return ""
}

// Run runs headless Chromium with args after the common flags, with its
// profile in profileDir, and returns its stdout and stderr; it fails the
// test if Chromium fails or takes over a minute.
func Run(t TB, bin, profileDir string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := proc.Command(ctx, bin, append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profileDir, "--enable-logging=stderr", "--v=0",
	}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "HOME="+profileDir)
	cmd.WaitDelay = 5 * time.Second
	err := proc.Run(cmd)
	if ctx.Err() != nil {
		t.Fatalf("chromium %v: timed out after 60s\n%s", args, errb.String())
	}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.String(), errb.String()
}
