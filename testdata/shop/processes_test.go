// Package shop_test runs the shop as it runs under perfgate: three real
// processes on loopback.
package shop_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one running service.
type proc struct {
	name   string
	cmd    *exec.Cmd
	url    string        // from its listening line
	done   chan struct{} // closed once Wait returned
	err    error         // Wait's result, once done is closed
	stderr *syncBuffer
}

// syncBuffer is a bytes.Buffer safe to write from exec's copying goroutine
// while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// lineWriter sends the first line written to it, and discards the rest.
type lineWriter struct {
	buf  []byte
	sent bool
	line chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	if !w.sent {
		w.buf = append(w.buf, p...)
		if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
			w.line <- string(w.buf[:i])
			w.sent = true
		}
	}
	return len(p), nil
}

var listening = regexp.MustCompile(`^listening on (http://127\.0\.0\.1:[1-9][0-9]*)$`)

// buildShop builds the three services into a temporary directory.
func buildShop(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), gobin, "build", "-o", dir+string(filepath.Separator),
		"./cmd/inventory", "./cmd/pricing", "./cmd/cart")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// start runs the service binary dir/name with args and waits for its
// listening line. The process is killed at the end of the test if it is
// still running.
func start(t *testing.T, dir, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{}), stderr: &syncBuffer{}}
	lines := &lineWriter{line: make(chan string, 1)}
	p.cmd = exec.Command(filepath.Join(dir, name), args...)
	p.cmd.Stdout, p.cmd.Stderr = lines, p.stderr
	p.cmd.Env = append(os.Environ(), "SHOP_LATENCY=2ms")
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case line := <-lines.line:
		m := listening.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s printed %q, want %v", name, line, listening)
		}
		p.url = m[1]
	case <-p.done:
		t.Fatalf("%s exited before listening: %v\n%s", name, p.err, p.stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not print its listening line within 10s\n%s", name, p.stderr)
	}
	return p
}

// stop sends SIGTERM to p and checks that it exits 0 within a few seconds.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM to %s: %v", p.name, err)
		return
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s after SIGTERM: %v, want exit 0\n%s", p.name, p.err, p.stderr)
		}
	case <-time.After(7 * time.Second):
		t.Errorf("%s still running 7s after SIGTERM", p.name)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decoding GET %s: %v", url, err)
	}
}

// TestProcesses builds the three services once and runs them as processes.
func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the services")
	}
	dir := buildShop(t)
	t.Run("checkout then SIGTERM", func(t *testing.T) { testCheckoutThenTerm(t, dir) })
	t.Run("SIGINT", func(t *testing.T) { testInterrupt(t, dir) })
	t.Run("non-loopback refused", func(t *testing.T) { testNonLoopback(t, dir) })
}

// testCheckoutThenTerm starts the shop, checks out over HTTP and stops every
// service with SIGTERM.
func testCheckoutThenTerm(t *testing.T, dir string) {
	inventory := start(t, dir, "inventory", "-addr", "127.0.0.1:0")
	pricing := start(t, dir, "pricing", "-addr", "127.0.0.1:0", "-work", "100")
	cart := start(t, dir, "cart", "-addr", "127.0.0.1:0",
		"-inventory", inventory.url, "-pricing", pricing.url, "-fanout", "sequential")

	resp, err := http.Post(cart.url+"/checkout", "application/json", strings.NewReader(`{"items":[1,2,3]}`))
	if err != nil {
		t.Fatalf("checkout: %v", err)
	}
	var order struct {
		Order      string `json:"order"`
		TotalCents int64  `json:"total_cents"`
		Items      []struct {
			Item  int   `json:"item"`
			Cents int64 `json:"cents"`
		} `json:"items"`
	}
	err = json.NewDecoder(resp.Body).Decode(&order)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("checkout: %s, decoding: %v", resp.Status, err)
	}
	var sum int64
	for _, item := range []int{1, 2, 3} {
		var price struct{ Cents int64 }
		getJSON(t, fmt.Sprintf("%s/price?item=%d", pricing.url, item), &price)
		sum += price.Cents
	}
	if order.Order == "" || len(order.Items) != 3 || order.TotalCents != sum {
		t.Errorf("order %+v, want 3 items totalling %d cents", order, sum)
	}
	for _, p := range []*proc{cart, inventory, pricing} {
		resp, err := http.Get(p.url + "/healthz")
		if err != nil {
			t.Fatalf("%s /healthz: %v", p.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s /healthz: %s", p.name, resp.Status)
		}
	}
	for _, p := range []*proc{cart, inventory, pricing} {
		p.stop(t)
	}
}

// testNonLoopback checks the exit code of a service asked to listen off
// loopback.
func testNonLoopback(t *testing.T, dir string) {
	cmd := exec.CommandContext(t.Context(), filepath.Join(dir, "inventory"), "-addr", "0.0.0.0:0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("inventory -addr 0.0.0.0:0: %v, want exit status 2", err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "not a loopback address") {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// testInterrupt checks that SIGINT stops a service with exit 0 too.
func testInterrupt(t *testing.T, dir string) {
	p := start(t, dir, "pricing")
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("pricing after SIGINT: %v, want exit 0", p.err)
		}
	case <-time.After(7 * time.Second):
		t.Errorf("pricing still running 7s after SIGINT")
	}
}
