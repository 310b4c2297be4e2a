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
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/watch/deploy"
	"github.com/perfgate/perfgate/watch/pyroscope"
)

// TestPyroscopeProfiles reads a deploy's profiles from a Grafana Pyroscope
// server, answered from its recorded answer: the request is the one the
// server was asked, with the version's matcher, and the profile holds the
// window's 19.94 s of CPU.
func TestPyroscopeProfiles(t *testing.T) {
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("pyroscope", "testdata", "query-"+name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var asked struct {
		ProfileTypeID, LabelSelector string
		Start, End                   int64
	}
	answer := "select-merge-profile"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/querier.v1.QuerierService/SelectMergeProfile" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &asked); err != nil {
			t.Errorf("request %s: %v", body, err)
		}
		status, _ := strconv.Atoi(strings.TrimSpace(string(fixture(answer + ".status"))))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(fixture(answer + ".response.json"))
	}))
	defer srv.Close()
	pp := PyroscopeProfiles{Client: &pyroscope.Client{BaseURL: srv.URL}, Matchers: `env="staging"`}
	from, until := time.UnixMilli(1795631160000), time.UnixMilli(1795631220000)
	p, err := pp.Merge(context.Background(), "pyrotest.app", "v1", deploy.CPU, from, until)
	if err != nil {
		t.Fatal(err)
	}
	if asked.ProfileTypeID != "process_cpu:cpu:nanoseconds:cpu:nanoseconds" || asked.LabelSelector != `{service_name="pyrotest.app",version="v1",env="staging"}` ||
		asked.Start != from.UnixMilli() || asked.End != until.UnixMilli() {
		t.Errorf("asked %+v", asked)
	}
	if got := analyze.Total(p, "cpu"); got != 19.94e9 {
		t.Errorf("CPU %v ns, want 19.94e9", got)
	}
	if _, err := pp.Merge(context.Background(), "pyrotest.app", "v1", deploy.Heap, from, until); err != nil || asked.ProfileTypeID != "memory:alloc_space:bytes:space:bytes" {
		t.Errorf("heap: asked %s, %v", asked.ProfileTypeID, err)
	}
	answer = "malformed-selector"
	_, err = pp.Merge(context.Background(), "pyrotest.app", "v1", deploy.CPU, from, until)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "invalid_argument") {
		t.Errorf("a 400: %v, want a one-line error with its code", err)
	}
}

// TestStoreProfiles reads a deploy's profiles from the store: by version,
// window and kind, nil where there are none.
func TestStoreProfiles(t *testing.T) {
	ctx := context.Background()
	h, st := newReceiver(t, Auth{}, Limits{})
	for i := range 2 {
		push(t, h, "", "cpu", "cart", "v1", d0.Add(time.Duration(i)*5*time.Second))
		push(t, h, "", "heap", "cart", "v1", d0.Add(time.Duration(i)*5*time.Second))
	}
	push(t, h, "", "cpu", "cart", "v2", d0.Add(10*time.Second))
	sp := StoreProfiles{st}
	for _, tt := range []struct {
		version string
		kind    deploy.Kind
		from    time.Duration
		until   time.Duration
		typ     string
		want    float64
	}{
		{"v1", deploy.CPU, 0, 10 * time.Second, "cpu", 2 * 4980000000},
		{"v1", deploy.CPU, 0, 5 * time.Second, "cpu", 4980000000},
		{"", deploy.CPU, 0, time.Minute, "cpu", 3 * 4980000000},
		{"v1", deploy.Heap, 0, time.Minute, "alloc_space", 2 * 10914269},
		{"v2", deploy.Heap, 0, time.Minute, "", 0},
		{"v1", deploy.CPU, time.Minute, 2 * time.Minute, "", 0},
	} {
		p, err := sp.Merge(ctx, "cart", tt.version, tt.kind, d0.Add(tt.from), d0.Add(tt.until))
		if err != nil {
			t.Fatal(err)
		}
		if tt.typ == "" {
			if p != nil {
				t.Errorf("%+v: a profile, want none", tt)
			}
			continue
		}
		if p == nil {
			t.Errorf("%+v: no profile", tt)
			continue
		}
		if got := analyze.Total(p, tt.typ); got != tt.want {
			t.Errorf("%+v: %s %v, want %v", tt, tt.typ, got, tt.want)
		}
	}
}
