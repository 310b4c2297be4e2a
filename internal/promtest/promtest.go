// Package promtest runs a real Prometheus server (Debian's prometheus
// package, which .ci/run installs) for tests and demos: on a free loopback
// port, with a scrape configuration written for the targets it is given, a
// short scrape interval, and its data in a directory of the caller's. The
// server runs in a process group of its own (internal/proc) and ends with
// its context or Stop, so nothing outlives the test.
package promtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/internal/proc"
)

// Binary is the name of the Prometheus server's executable.
const Binary = "prometheus"

// ErrMissing is returned by Start when the prometheus executable is not on
// PATH.
var ErrMissing = errors.New("prometheus is not installed: apt-get install -y prometheus (.ci/run does)")

// Target is one scrape job: a name (the job label) and the host:port
// addresses it scrapes at /metrics.
type Target struct {
	Job   string
	Addrs []string
}

// Server is a running Prometheus server.
type Server struct {
	// URL is its HTTP API's root, http://127.0.0.1:PORT.
	URL  string
	cmd  *exec.Cmd
	done chan error
}

// Start starts Prometheus in dir (its configuration, data and log go
// there), scraping each target every interval, and returns once it has
// scraped each target once. ctx bounds the server's whole life.
func Start(ctx context.Context, dir string, interval time.Duration, targets ...Target) (*Server, error) {
	bin, err := exec.LookPath(Binary)
	if err != nil {
		return nil, ErrMissing
	}
	addr, err := service.FreeAddr()
	if err != nil {
		return nil, fmt.Errorf("starting prometheus: %w", err)
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(Config(interval, targets...)), 0o644); err != nil {
		return nil, fmt.Errorf("starting prometheus: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		return nil, fmt.Errorf("starting prometheus: %w", err)
	}
	defer logf.Close()
	cmd := proc.Command(ctx, bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--web.enable-lifecycle",
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting prometheus: %w", err)
	}
	s := &Server{URL: "http://" + addr, cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx, filepath.Join(dir, "prometheus.log")); err != nil {
		s.Stop()
		return nil, err
	}
	// Prometheus starts scraping some seconds after it is ready (its scrape
	// manager applies the configuration on a 5 s tick): wait for the
	// first scrape of every job, so that what the caller does next is seen.
	for _, t := range targets {
		if err := s.waitScraped(ctx, t.Job, len(t.Addrs)); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// waitScraped waits up to 30 seconds for n series up{job=job}.
func (s *Server) waitScraped(ctx context.Context, job string, n int) error {
	q := s.URL + "/api/v1/query?query=" + url.QueryEscape(fmt.Sprintf("up{job=%q}", job))
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, q, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var ans struct {
				Data struct{ Result []json.RawMessage }
			}
			err = json.NewDecoder(resp.Body).Decode(&ans)
			resp.Body.Close()
			if err == nil && len(ans.Data.Result) >= n {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus has not scraped job %s after 30s", job)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for prometheus to scrape %s: %w", job, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Config is the scrape configuration Start writes: every target scraped
// at /metrics every interval, with the job label its name.
func Config(interval time.Duration, targets ...Target) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\nscrape_configs:\n", interval, interval)
	for _, t := range targets {
		fmt.Fprintf(&b, "  - job_name: %q\n    scrape_interval: %s\n    scrape_timeout: %s\n    static_configs:\n      - targets: [", t.Job, interval, interval)
		for i, a := range t.Addrs {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", a)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// waitReady polls /-/ready for up to 30 seconds.
func (s *Server) waitReady(ctx context.Context, log string) error {
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/-/ready", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("prometheus exited before it was ready (%v): %s", err, tail(log))
		case <-ctx.Done():
			return fmt.Errorf("waiting for prometheus: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus not ready after 30s: %s", tail(log))
		}
	}
}

// Stop ends the server and waits for it.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
	}
}

// tail is the last line of the log file, for an error.
func tail(file string) string {
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return lines[len(lines)-1]
}

// TB is the part of testing.TB that ForTest uses.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
	TempDir() string
	Cleanup(func())
}

// ForTest starts a server for a test, stopped when the test ends. Where
// prometheus is not installed it skips the test, unless the environment
// sets PERFGATE_REQUIRE_TOOLS (.ci/run does), where it fails it: CI must
// not pass by skipping what it installed.
func ForTest(t TB, ctx context.Context, interval time.Duration, targets ...Target) *Server {
	t.Helper()
	s, err := Start(ctx, t.TempDir(), interval, targets...)
	if errors.Is(err, ErrMissing) && os.Getenv("PERFGATE_REQUIRE_TOOLS") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}
