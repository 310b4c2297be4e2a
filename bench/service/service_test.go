package service

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain makes the test binary a service when SERVICE_TEST_MODE says so,
// so that the tests start real processes without building anything.
func TestMain(m *testing.M) {
	switch os.Getenv("SERVICE_TEST_MODE") {
	case "serve":
		serve()
		return
	case "exit":
		fmt.Fprintln(os.Stderr, "config file missing")
		os.Exit(1)
	case "busy", "busy-once":
		// Each start appends a line to SERVICE_TEST_STARTS; the port is
		// taken at every start (busy) or at the first (busy-once).
		f, err := os.OpenFile(os.Getenv("SERVICE_TEST_STARTS"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			panic(err)
		}
		fi, _ := f.Stat()
		fmt.Fprintln(f, "start")
		f.Close()
		if os.Getenv("SERVICE_TEST_MODE") == "busy" || fi.Size() == 0 {
			fmt.Fprintln(os.Stderr, "listen tcp 127.0.0.1:1: bind: address already in use")
			os.Exit(2)
		}
		serve()
		return
	}
	os.Exit(m.Run())
}

// serve listens on the address after -addr and answers /healthz, /args
// with its arguments and /env with $PEER and $SELF.
func serve() {
	var addr string
	for i, a := range os.Args {
		if a == "-addr" && i+1 < len(os.Args) {
			addr = os.Args[i+1]
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("serving")
	http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/args":
			io.WriteString(w, strings.Join(os.Args[1:], " "))
		case "/env":
			io.WriteString(w, os.Getenv("PEER")+" "+os.Getenv("SELF"))
		case "/healthz":
			io.WriteString(w, "ok")
		default:
			http.NotFound(w, r)
		}
	}))
}

func TestStartStop(t *testing.T) {
	spec := Spec{Name: "svc", Args: []string{"-addr", "{addr}", "-peer", "http://{db}/x"}, Env: map[string]string{"SELF": "{addr}"}, StartTimeout: 10 * time.Second}
	log := filepath.Join(t.TempDir(), "svc.log")
	p, err := Start(context.Background(), spec, os.Args[0], append(os.Environ(), "SERVICE_TEST_MODE=serve", "PEER=http://{db}"),
		map[string]string{"db": "127.0.0.1:5432"}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	resp, err := http.Get("http://" + p.Addr + "/args")
	if err != nil {
		t.Fatal(err)
	}
	args, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "-addr " + p.Addr + " -peer http://127.0.0.1:5432/x"; string(args) != want {
		t.Errorf("args %q, want %q", args, want)
	}
	resp, err = http.Get("http://" + p.Addr + "/env")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "http://127.0.0.1:5432 " + p.Addr; string(env) != want {
		t.Errorf("env %q, want %q: placeholders filled", env, want)
	}
	if err := p.ResetPeak(); err != nil {
		t.Error(err)
	}
	u, err := p.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.CPUSeconds <= 0 || u.PeakRSS == 0 {
		t.Errorf("usage %+v, want some CPU time and memory", u)
	}
	if got := p.LogTail(1); got != "serving" {
		t.Errorf("LogTail = %q, want serving", got)
	}
	if err := p.CheckAlive(); err != nil {
		t.Errorf("CheckAlive of a running service: %v", err)
	}
	pid := p.cmd.Process.Pid
	p.Stop()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("process %d still running after Stop", pid)
	}
	if err := p.CheckAlive(); err == nil {
		t.Error("CheckAlive of a stopped service gave no error")
	}
}

func TestStartFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode string
		spec Spec
		want []string
	}{
		{"exits", "exit", Spec{Name: "svc", StartTimeout: 10 * time.Second}, []string{"exited before it was ready", "config file missing"}},
		{"never ready", "serve", Spec{Name: "svc", Args: []string{"-addr", "{addr}"}, Ready: "/nope", StartTimeout: 500 * time.Millisecond},
			[]string{"not ready after 500ms", "404"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := append(os.Environ(), "SERVICE_TEST_MODE="+tt.mode)
			_, err := Start(context.Background(), tt.spec, os.Args[0], env, nil, filepath.Join(t.TempDir(), "log"))
			if err == nil {
				t.Fatal("Start succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPprofURL(t *testing.T) {
	for pprof, want := range map[string]string{
		"":             "http://127.0.0.1:1/debug/pprof",
		"off":          "",
		"/internal/pp": "http://127.0.0.1:1/internal/pp",
		"x/pprof":      "http://127.0.0.1:1/x/pprof",
	} {
		if got := (Spec{Pprof: pprof}).PprofURL("127.0.0.1:1"); got != want {
			t.Errorf("PprofURL with %q = %q, want %q", pprof, got, want)
		}
	}
}

// TestStartPortTaken checks that a service whose port was taken between
// its pick and its bind starts again on another, twice at most.
func TestStartPortTaken(t *testing.T) {
	for _, tt := range []struct {
		mode   string
		starts int
		err    string
	}{
		{"busy-once", 2, ""},
		{"busy", 3, "address already in use"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			starts := filepath.Join(t.TempDir(), "starts")
			env := append(os.Environ(), "SERVICE_TEST_MODE="+tt.mode, "SERVICE_TEST_STARTS="+starts)
			spec := Spec{Name: "svc", Args: []string{"-addr", "{addr}"}, StartTimeout: 10 * time.Second}
			p, err := Start(context.Background(), spec, os.Args[0], env, nil, filepath.Join(t.TempDir(), "log"))
			if p != nil {
				defer p.Stop()
			}
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			data, _ := os.ReadFile(starts)
			if n := strings.Count(string(data), "start"); n != tt.starts {
				t.Errorf("%d starts, want %d", n, tt.starts)
			}
		})
	}
}
