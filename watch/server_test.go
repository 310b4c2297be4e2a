package watch

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/watch/prom"
)

func TestListen(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		addr string
		auth Auth
		err  string
	}{
		{addr: "127.0.0.1:0"},
		{addr: "localhost:0"},
		{addr: "0.0.0.0:0", err: "an address other than loopback requires a token or basic auth"},
		{addr: ":0", err: "requires a token"},
		{addr: "0.0.0.0:0", auth: Auth{Token: "t"}},
		{addr: "0.0.0.0:0", auth: Auth{User: "u", Password: "p"}},
		{addr: "127.0.0.1", err: "missing port"},
	} {
		ln, err := Listen(ctx, tt.addr, tt.auth)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Listen(%q, %+v) = %v, want an error with %q", tt.addr, tt.auth, err, tt.err)
			}
		} else if err != nil {
			t.Errorf("Listen(%q, %+v): %v", tt.addr, tt.auth, err)
		}
		if ln != nil {
			ln.Close()
		}
	}
}

// push stores the fixture kind as service's profile of version over
// [from, from+5s), through the server's handler.
func push(t *testing.T, h http.Handler, token, kind, service, version string, from time.Time) {
	t.Helper()
	f := loadFixture(t, kind)
	name := service + "{env=staging,version=" + version + "}"
	if version == "" {
		name = service + "{env=staging}"
	}
	r := f.request(t, map[string]string{
		"name":  name,
		"from":  strconv.FormatInt(from.UnixNano(), 10),
		"until": strconv.FormatInt(from.Add(5*time.Second).UnixNano(), 10),
	}, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("push: %d %s", w.Code, w.Body)
	}
}

// TestServer runs a Server without Prometheus: its pushes, its deploy
// (recorded with the reason it could not be judged, once, posted to the
// webhook), its page, its metrics and its credentials.
func TestServer(t *testing.T) {
	ctx := context.Background()
	_, st := newReceiver(t, Auth{}, Limits{})
	var hooks struct {
		sync.Mutex
		bodies []WebhookBody
	}
	webhook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b WebhookBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			t.Errorf("webhook: %v", err)
		}
		hooks.Lock()
		hooks.bodies = append(hooks.bodies, b)
		hooks.Unlock()
	}))
	defer webhook.Close()
	now := d0
	dir := t.TempDir()
	srv, err := NewServer(Options{
		Store: st, Dir: dir, Auth: Auth{Token: "secret"},
		Windows: Windows{Warmup: time.Second, Window: 10 * time.Second}, Step: 5 * time.Second,
		Thresholds: analyze.DefaultThresholds, Webhook: webhook.URL,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	h := srv.Handler()
	for i := range 4 {
		push(t, h, "secret", "cpu", "cart", "v1", d0.Add(time.Duration(i)*5*time.Second))
		push(t, h, "secret", "heap", "cart", "v1", d0.Add(time.Duration(i)*5*time.Second))
	}
	for i := range 4 {
		push(t, h, "secret", "cpu", "cart", "v2", d0.Add(20*time.Second+time.Duration(i)*5*time.Second))
		push(t, h, "secret", "cpu", "pricing", "", d0.Add(time.Duration(i)*10*time.Second))
	}

	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz", ""); code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz: %d %q, want 200 without credentials", code, body)
	}
	for _, path := range []string{"/", "/metrics", "/deploys/"} {
		if code, _ := get(path, ""); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", path, code)
		}
		if code, _ := get(path, "wrong"); code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d, want 401", path, code)
		}
	}

	// Head window 18:00:21 to 18:00:31: not over at 18:00:25.
	now = d0.Add(25 * time.Second)
	if err := srv.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if _, page := get("/", "secret"); !strings.Contains(page, "waiting until 18:00:31") || !strings.Contains(page, "<td>cart</td><td><code>v2</code>") ||
		!strings.Contains(page, "<td>pricing</td><td><em>no version label") {
		t.Errorf("the page does not show the deploy waiting, v2, or pricing without a version:\n%s", page)
	}
	now = d0.Add(40 * time.Second)
	for range 2 { // the second round finds it judged
		if err := srv.Round(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deploys, err := srv.Deploys()
	if err != nil {
		t.Fatal(err)
	}
	if len(deploys) != 1 || deploys[0].Outcome != analyze.Error || !strings.Contains(deploys[0].Error, "no Prometheus configured") {
		t.Fatalf("deploys %+v, want one, recorded with the reason it was not judged", deploys)
	}
	d := deploys[0]
	if _, err := os.Stat(filepath.Join(dir, DeploysDir, d.ID, "verdict.json")); err != nil {
		t.Errorf("no verdict.json: %v", err)
	}
	hooks.Lock()
	if len(hooks.bodies) != 1 || hooks.bodies[0].Deploy.ID != d.ID || hooks.bodies[0].Verdict.Verdict != analyze.Error {
		t.Errorf("webhook bodies %+v, want the deploy's once", hooks.bodies)
	}
	hooks.Unlock()
	_, page := get("/", "secret")
	for _, want := range []string{`data-id="` + d.ID + `"`, `<span class="outcome error">error</span>`, "no Prometheus configured", `href="/deploys/` + d.ID + `/verdict.json"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q:\n%s", want, page)
		}
	}
	if code, body := get("/deploys/"+d.ID+"/verdict.json", "secret"); code != http.StatusOK || !strings.Contains(body, `"verdict": "error"`) {
		t.Errorf("GET verdict.json: %d %s", code, body)
	}
	_, metrics := get("/metrics", "secret")
	for _, want := range []string{
		`perfgate_watch_ingest_requests_total{code="200"} 16`,
		`perfgate_watch_profiles_total{type="cpu"} 12`,
		`perfgate_watch_profiles_total{type="heap"} 4`,
		`perfgate_watch_series 3`,
		`perfgate_watch_deploy_verdicts_total{outcome="error"} 1`,
		`perfgate_watch_deploy_verdict_timestamp_seconds{outcome="error",previous="v1",service="cart",version="v2"} ` + strconv.FormatFloat(float64(d.At.Unix()), 'g', -1, 64),
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
}

// TestServerRetries: a deploy whose Prometheus is down is tried again at
// each round while its head window's length has not passed since it
// ended, shown waiting with the reason, then recorded with its error.
func TestServerRetries(t *testing.T) {
	ctx := context.Background()
	_, st := newReceiver(t, Auth{}, Limits{})
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	metrics, err := prom.New(down.URL, prom.DefaultMetrics)
	if err != nil {
		t.Fatal(err)
	}
	now := d0
	srv, err := NewServer(Options{
		Store: st, Dir: t.TempDir(), Metrics: metrics,
		Windows: Windows{Warmup: time.Second, Window: 10 * time.Second}, Step: 5 * time.Second,
		Thresholds: analyze.DefaultThresholds, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	for i := range 4 {
		push(t, h, "", "cpu", "cart", "v1", d0.Add(time.Duration(i)*5*time.Second))
		push(t, h, "", "cpu", "cart", "v2", d0.Add(20*time.Second+time.Duration(i)*5*time.Second))
	}
	now = d0.Add(35 * time.Second) // the head window ended at 18:00:31
	if err := srv.Round(ctx); err != nil {
		t.Fatal(err)
	}
	deploys, _ := srv.Deploys()
	if len(deploys) != 1 || deploys[0].Outcome != "" || !strings.Contains(deploys[0].Error, "will try again") || !strings.Contains(deploys[0].Error, "querying prometheus") {
		t.Fatalf("deploys %+v, want one waiting, to be tried again", deploys)
	}
	now = d0.Add(42 * time.Second) // a window after its end: given up
	if err := srv.Round(ctx); err != nil {
		t.Fatal(err)
	}
	deploys, _ = srv.Deploys()
	if len(deploys) != 1 || deploys[0].Outcome != analyze.Error || !strings.Contains(deploys[0].Error, "querying prometheus") || strings.Contains(deploys[0].Error, "\n") {
		t.Fatalf("deploys %+v, want one recorded with Prometheus's error in one line", deploys)
	}
}
