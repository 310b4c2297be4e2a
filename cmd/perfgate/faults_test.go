package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// faultyService is a service whose head side can be told, by env, to fail
// in the ways a real service fails.
const faultyService = `package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	if os.Getenv("EXIT_AT_START") == "1" {
		fmt.Fprintln(os.Stderr, "cannot open the database: no such file")
		os.Exit(1)
	}
	crashAfter, _ := strconv.Atoi(os.Getenv("CRASH_AFTER"))
	exitWhenIdle, _ := strconv.Atoi(os.Getenv("EXIT_WHEN_IDLE"))
	var served, last atomic.Int64
	if exitWhenIdle > 0 {
		// Once it has served exitWhenIdle requests, the service exits at
		// the first pause of 300ms: between two of its rounds, whatever
		// the warm-up's count or a round run again.
		go func() {
			for range time.Tick(10 * time.Millisecond) {
				if served.Load() >= int64(exitWhenIdle) && time.Since(time.Unix(0, last.Load())) > 300*time.Millisecond {
					fmt.Fprintln(os.Stderr, "exiting on purpose when idle after", served.Load(), "requests")
					os.Exit(4)
				}
			}
		}()
	}
	var l net.Listener
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
		if os.Getenv("CLOSE_AFTER_READY") == "1" {
			l.Close() // stops accepting: new connections are refused
		}
	})
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		defer last.Store(time.Now().UnixNano())
		if crashAfter > 0 && n > int64(crashAfter) {
			fmt.Fprintln(os.Stderr, "panic: crashing on purpose after", crashAfter, "requests")
			os.Exit(3)
		}
		if os.Getenv("FAIL") == "1" {
			http.Error(w, "broken on purpose", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "done")
	})
	if os.Getenv("PPROF") != "off" {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	var err error
	if l, err = net.Listen("tcp", *addr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	http.Serve(l, mux)
	if os.Getenv("CLOSE_AFTER_READY") == "1" {
		time.Sleep(time.Hour) // alive, but refusing connections
	}
}
`

// newServiceRepo makes a throwaway repository with the faulty service and
// a perfgate.yml of the given rounds whose head side gets headEnv.
func newServiceRepo(t *testing.T, headEnv string, rounds int) string {
	t.Helper()
	dir := t.TempDir()
	gitRun(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{
		"go.mod":      "module example.com/svc\n\ngo 1.26\n",
		"svc/main.go": faultyService,
		"perfgate.yml": `sides:
  base: {ref: HEAD}
  head: {env: {` + headEnv + `}}
services:
  - {name: svc, build: ./svc, args: ["-addr", "{addr}"], start_timeout: 10s}
load:
  - {name: work, target: svc, path: /work, rate: 50, duration: 1s, rounds: ` + strconv.Itoa(rounds) + `, warmup: 300ms, profile_time: 2s}
thresholds:
  default: 500%
`,
	})
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-qm", "base")
	return dir
}

// TestServiceFaults checks that each way a service fails gives exit 2, a
// one-line reason that says what happened, finished rounds kept, and no
// process left running.
func TestServiceFaults(t *testing.T) {
	for _, tt := range []struct {
		name   string
		env    string
		rounds int // 2 unless set
		edit   map[string]string
		wants  []string
	}{
		{
			name:  "does not build",
			edit:  map[string]string{"svc/main.go": "package main\n\nfunc main() { undefinedThing() }\n"},
			wants: []string{"head side", "building service svc", "undefined: undefinedThing"},
		},
		{
			name:  "does not start",
			env:   `EXIT_AT_START: "1"`,
			wants: []string{"head side", "service svc exited before it was ready", "cannot open the database"},
		},
		{
			name:  "crashes mid-round",
			env:   `CRASH_AFTER: "30"`,
			wants: []string{"service svc exited", "crashing on purpose"},
		},
		{
			// Past the warm-up's 15 requests, the head service exits
			// at its first pause: while the base side runs round 2
			// (order B H, H B, B H) at the latest.
			name:   "exits between rounds",
			env:    `EXIT_WHEN_IDLE: "20"`,
			rounds: 3,
			wants:  []string{"head side", "service svc exited", "exiting on purpose when idle"},
		},
		{
			name:  "refuses connections",
			env:   `CLOSE_AFTER_READY: "1"`,
			wants: []string{"work warm-up on head", "requests failed", "connection refused"},
		},
		{
			name:  "error rate above the limit",
			env:   `FAIL: "1"`,
			wants: []string{"work warm-up on head", "above the limit of 1.0%", "500"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := newServiceRepo(t, tt.env, max(2, tt.rounds))
			writeFiles(t, dir, tt.edit)
			out := filepath.Join(t.TempDir(), "run")
			code, _, stderr := perfgate(t, context.Background(), "-C", dir, "run", "--out", out)
			if code != exitError {
				t.Fatalf("exit %d, want %d", code, exitError)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			for _, w := range tt.wants {
				if !strings.Contains(last, w) {
					t.Errorf("reason %q lacks %q", last, w)
				}
			}
			if strings.Contains(stderr, "goroutine ") {
				t.Error("stderr holds a Go panic trace")
			}
			assertNoProcesses(t, out)
			if n := worktrees(t, dir); n != 1 {
				t.Errorf("%d worktrees left, want 1", n)
			}
			if _, err := os.Stat(filepath.Join(out, "run.json")); err != nil {
				t.Errorf("run.json not kept: %v", err)
			}
		})
	}
}

// TestMissingPprof checks that a service without pprof endpoints costs its
// profiles, with a note, and not the verdict.
func TestMissingPprof(t *testing.T) {
	dir := newServiceRepo(t, `PPROF: "off"`, 2)
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	out := filepath.Join(t.TempDir(), "run")
	code, _, _ := perfgate(t, context.Background(), "-C", dir, "run", "--profile-all", "--out", out, "--json", verdict)
	if code != exitPass && code != exitInconclusive {
		t.Fatalf("exit %d, want a pass", code)
	}
	v := mustVerdict(t, verdict)
	var noted bool
	for _, n := range v.Notes {
		noted = noted || strings.Contains(n, "no head profile profile of svc") && strings.Contains(n, "404")
	}
	if !noted {
		t.Errorf("notes %q do not say the head profile is missing (404)", v.Notes)
	}
	if _, err := os.Stat(filepath.Join(out, "profiles", "base", "svc", "work.00.profile.pprof")); err != nil {
		t.Errorf("the base side's profile, whose endpoint works, is missing: %v", err)
	}
}
