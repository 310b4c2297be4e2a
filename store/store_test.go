package store

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// t0 is the time the tests' profiles begin.
var t0 = time.Date(2026, 11, 25, 18, 0, 0, 123456789, time.UTC)

// pprofData is a gzipped pprof with sample types types ("cpu/nanoseconds")
// and one sample per function of values, each function its own stack.
func pprofData(t testing.TB, types []string, values map[string][]int64) []byte {
	t.Helper()
	p := &profile.Profile{TimeNanos: t0.UnixNano()}
	for _, ty := range types {
		name, unit, _ := strings.Cut(ty, "/")
		p.SampleType = append(p.SampleType, &profile.ValueType{Type: name, Unit: unit})
	}
	p.PeriodType = p.SampleType[len(p.SampleType)-1]
	i := uint64(0)
	for fn, v := range values {
		i++
		f := &profile.Function{ID: i, Name: fn, SystemName: fn}
		loc := &profile.Location{ID: i, Line: []profile.Line{{Function: f}}}
		p.Function = append(p.Function, f)
		p.Location = append(p.Location, loc)
		p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{loc}, Value: v})
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cpuProfile is a CPU profile of service with labels over [from,
// from+10s), with cpu nanoseconds in main.work.
func cpuProfile(t testing.TB, service string, labels map[string]string, from time.Time, cpu int64) Profile {
	data := pprofData(t, []string{"samples/count", "cpu/nanoseconds"}, map[string][]int64{"main.work": {cpu / 1e7, cpu}})
	return Profile{
		Series: Series{Service: service, Labels: labels},
		From:   from, Until: from.Add(10 * time.Second), Received: from.Add(10*time.Second + time.Millisecond),
		Data: data,
		Types: []SampleType{
			{Name: "samples", Unit: "count", Aggregation: Sum, Total: cpu / 1e7},
			{Name: "cpu", Unit: "nanoseconds", Aggregation: Sum, Total: cpu},
		},
	}
}

// heapProfile is a heap profile with alloc_space alloc and inuse_space
// inuse.
func heapProfile(t testing.TB, service string, labels map[string]string, from time.Time, alloc, inuse int64) Profile {
	data := pprofData(t, []string{"alloc_space/bytes", "inuse_space/bytes"}, map[string][]int64{"main.alloc": {alloc, inuse}})
	return Profile{
		Series: Series{Service: service, Labels: labels},
		From:   from, Until: from.Add(10 * time.Second),
		Data: data,
		Types: []SampleType{
			{Name: "alloc_space", Unit: "bytes", Aggregation: Sum, Total: alloc},
			{Name: "inuse_space", Unit: "bytes", Aggregation: Average, Total: inuse},
		},
	}
}

func open(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func add(t testing.TB, s *Store, ps ...Profile) {
	t.Helper()
	for _, p := range ps {
		if err := s.AddProfile(context.Background(), p, 0); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenCreatesAndReopenKeeps(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a b?#%20", "data")
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := cpuProfile(t, "cart", map[string]string{"version": "v1", "env": "staging"}, t0, 2e9)
	if err := s.AddProfile(ctx, want, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	got, err := s.Profiles(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("after reopening: %d profiles, want 1", len(got))
	}
	g := got[0]
	if g.ID == 0 || g.Service != want.Service || fmt.Sprint(g.Labels) != fmt.Sprint(want.Labels) ||
		!g.From.Equal(want.From) || !g.Until.Equal(want.Until) || !g.Received.Equal(want.Received) ||
		!bytes.Equal(g.Data, want.Data) || fmt.Sprint(g.Types) != fmt.Sprint(want.Types) {
		t.Errorf("after reopening:\n got %+v\nwant %+v", g, want)
	}
	var mode string
	if err := s.r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func setSchemaVersion(t *testing.T, dir, version string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE meta SET value = ? WHERE key = 'schema_version'`, version); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchema(t *testing.T) {
	dir := t.TempDir()
	open(t, dir).Close()
	newer := strconv.Itoa(SchemaVersion() + 1)
	setSchemaVersion(t, dir, newer)

	_, err := Open(context.Background(), dir)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open: %v, want ErrNewerSchema", err)
	}
	want := fmt.Sprintf("store: perfgate.db has schema version %s, this perfgate knows up to %d: upgrade perfgate", newer, SchemaVersion())
	if err.Error() != want {
		t.Errorf("Open: %q\nwant %q", err, want)
	}
	// The file is left as it was.
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(`SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v); err != nil || v != newer {
		t.Errorf("schema_version after a refused Open: %q, %v; want %s", v, err, newer)
	}
}

func TestBadSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	open(t, dir).Close()
	setSchemaVersion(t, dir, "two")
	_, err := Open(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), `bad schema_version "two"`) {
		t.Errorf("Open: %v, want a bad schema_version error", err)
	}
}

func TestNotDatabase(t *testing.T) {
	for name, content := range map[string][]byte{
		"text":      []byte(strings.Repeat("this is not a database\n", 100)),
		"truncated": []byte("SQLite format 3\x00" + strings.Repeat("\xff", 200)),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), content, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(context.Background(), dir)
			if !errors.Is(err, ErrNotDatabase) {
				t.Fatalf("Open: %v, want ErrNotDatabase", err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, filepath.Join(dir, FileName)) {
				t.Errorf("Open: %q, want one line naming the file", msg)
			}
		})
	}
}

func TestAddProfileRefuses(t *testing.T) {
	s := open(t, t.TempDir())
	good := cpuProfile(t, "cart", nil, t0, 1e9)
	for name, change := range map[string]func(p *Profile){
		"no service":      func(p *Profile) { p.Service = "" },
		"no from":         func(p *Profile) { p.From = time.Time{} },
		"until < from":    func(p *Profile) { p.Until = p.From.Add(-time.Second) },
		"no data":         func(p *Profile) { p.Data = nil },
		"no types":        func(p *Profile) { p.Types = nil },
		"type twice":      func(p *Profile) { p.Types = []SampleType{p.Types[1], p.Types[1]} },
		"bad aggregation": func(p *Profile) { p.Types = []SampleType{{Name: "cpu", Aggregation: "max"}} },
		"unnamed label":   func(p *Profile) { p.Labels = map[string]string{"": "x"} },
	} {
		p := good
		change(&p)
		if err := s.AddProfile(context.Background(), p, 0); err == nil {
			t.Errorf("%s: AddProfile accepted %+v", name, p)
		}
	}
	ps, err := s.Profiles(context.Background(), Query{})
	if err != nil || len(ps) != 0 {
		t.Errorf("after refusals: %d profiles, %v; want none", len(ps), err)
	}
}

func TestProfilesQuery(t *testing.T) {
	s := open(t, t.TempDir())
	v1 := map[string]string{"version": "v1", "env": "staging"}
	v2 := map[string]string{"version": "v2", "env": "staging"}
	add(t, s,
		cpuProfile(t, "cart", v1, t0, 1e9),                      // mid t0+5s
		heapProfile(t, "cart", v1, t0, 100, 10),                 // mid t0+5s
		cpuProfile(t, "cart", v1, t0.Add(10*time.Second), 2e9),  // mid t0+15s
		cpuProfile(t, "cart", v2, t0.Add(20*time.Second), 3e9),  // mid t0+25s
		cpuProfile(t, "pricing", v1, t0, 4e9),                   // mid t0+5s
		cpuProfile(t, "cart", nil, t0.Add(30*time.Second), 5e9), // mid t0+35s
	)
	cpu := func(p Profile) string {
		if ty, ok := p.Type("cpu"); ok {
			return fmt.Sprint(p.Service, ":", ty.Total/1e9)
		}
		ty, _ := p.Type("alloc_space")
		return fmt.Sprint(p.Service, ":heap", ty.Total)
	}
	for _, tc := range []struct {
		name string
		q    Query
		want string
	}{
		{"all", Query{}, "[cart:1 cart:heap100 pricing:4 cart:2 cart:3 cart:5]"},
		{"service", Query{Service: "cart"}, "[cart:1 cart:heap100 cart:2 cart:3 cart:5]"},
		{"type", Query{Service: "cart", Type: "cpu"}, "[cart:1 cart:2 cart:3 cart:5]"},
		{"type of heap", Query{Type: "inuse_space"}, "[cart:heap100]"},
		{"unknown type", Query{Type: "wall"}, "[]"},
		{"label", Query{Service: "cart", Type: "cpu", Labels: map[string]string{"version": "v1"}}, "[cart:1 cart:2]"},
		{"all labels", Query{Type: "cpu", Labels: map[string]string{"version": "v1", "env": "staging"}}, "[cart:1 pricing:4 cart:2]"},
		{"labels match all", Query{Type: "cpu", Labels: map[string]string{"version": "v1", "env": "prod"}}, "[]"},
		{"window by midpoint", Query{Type: "cpu", From: t0.Add(5 * time.Second), Until: t0.Add(25 * time.Second)}, "[cart:1 pricing:4 cart:2]"},
		{"window from only", Query{Type: "cpu", From: t0.Add(5*time.Second + 1)}, "[cart:2 cart:3 cart:5]"},
		{"window until only", Query{Type: "cpu", Until: t0.Add(5*time.Second + 1)}, "[cart:1 pricing:4]"},
		{"no such service", Query{Service: "inventory"}, "[]"},
	} {
		ps, err := s.Profiles(context.Background(), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(ps))
		for i, p := range ps {
			got[i] = cpu(p)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, got, tc.want)
		}
	}
}

func TestSeriesAndLabelValues(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	add(t, s,
		cpuProfile(t, "cart", map[string]string{"version": "v2"}, t0, 1e9),
		cpuProfile(t, "cart", map[string]string{"version": "v1"}, t0, 1e9),
		cpuProfile(t, "cart", map[string]string{"version": "v1"}, t0.Add(time.Minute), 1e9),
		cpuProfile(t, "pricing", map[string]string{"version": "v9", "zone": "a"}, t0, 1e9),
		cpuProfile(t, "pricing", nil, t0, 1e9),
	)
	series, err := s.Series(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(series), "[{cart map[version:v1]} {cart map[version:v2]} {pricing map[version:v9 zone:a]} {pricing map[]}]"; got != want {
		t.Errorf("Series:\n got %s\nwant %s", got, want)
	}
	for _, tc := range []struct{ service, label, want string }{
		{"cart", "version", "[v1 v2]"},
		{"pricing", "version", "[v9]"},
		{"", "version", "[v1 v2 v9]"},
		{"cart", "zone", "[]"},
	} {
		got, err := s.LabelValues(ctx, tc.service, tc.label)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("LabelValues(%q, %q) = %v, want %s", tc.service, tc.label, got, tc.want)
		}
	}
}

func TestMaxSeries(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	v := func(version string) map[string]string { return map[string]string{"version": version} }
	if err := s.AddProfile(ctx, cpuProfile(t, "cart", v("v1"), t0, 1e9), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProfile(ctx, cpuProfile(t, "cart", v("v2"), t0, 1e9), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProfile(ctx, cpuProfile(t, "cart", v("v3"), t0, 1e9), 2); !errors.Is(err, ErrTooManySeries) {
		t.Errorf("a third series with a maximum of 2: %v, want ErrTooManySeries", err)
	}
	if err := s.AddProfile(ctx, cpuProfile(t, "cart", v("v1"), t0.Add(time.Minute), 1e9), 2); err != nil {
		t.Errorf("a known series at the maximum: %v", err)
	}
	if ps, _ := s.Profiles(ctx, Query{}); len(ps) != 3 {
		t.Errorf("%d profiles, want 3", len(ps))
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	// Five profiles of two series, 10 s each, one a minute: the oldest
	// ended at t0+10s, the newest at t0+4m10s.
	// All of the same size.
	data := pprofData(t, []string{"samples/count", "cpu/nanoseconds"}, map[string][]int64{"main.work": {1, 1e7}})
	size := int64(len(data))
	fill := func(t *testing.T) (*Store, []Profile) {
		s := open(t, t.TempDir())
		var ps []Profile
		for i := range 5 {
			labels := map[string]string{"version": "v1"}
			if i >= 3 {
				labels["version"] = "v2"
			}
			p := cpuProfile(t, "cart", labels, t0.Add(time.Duration(i)*time.Minute), int64(i+1)*1e9)
			p.Data = data
			ps = append(ps, p)
			add(t, s, p)
		}
		return s, ps
	}
	now := t0.Add(5 * time.Minute)
	for _, tc := range []struct {
		name     string
		r        Retention
		keep     string // the cpu seconds of the profiles kept
		versions string
	}{
		{"none", Retention{}, "[1 2 3 4 5]", "[v1 v2]"},
		{"by age", Retention{MaxAge: 3 * time.Minute}, "[3 4 5]", "[v1 v2]"},
		{"by age, a series emptied", Retention{MaxAge: 80 * time.Second}, "[5]", "[v2]"},
		{"by age, nothing old", Retention{MaxAge: time.Hour}, "[1 2 3 4 5]", "[v1 v2]"},
		{"by size", Retention{MaxBytes: 2*size + size/2}, "[4 5]", "[v2]"},
		{"by size, exactly", Retention{MaxBytes: 3 * size}, "[3 4 5]", "[v1 v2]"},
		{"by size, all fit", Retention{MaxBytes: 100 * size}, "[1 2 3 4 5]", "[v1 v2]"},
		{"by age and size", Retention{MaxAge: 3 * time.Minute, MaxBytes: size}, "[5]", "[v2]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ps := fill(t)
			removed, err := s.Prune(ctx, tc.r, now)
			if err != nil {
				t.Fatal(err)
			}
			left, err := s.Profiles(ctx, Query{})
			if err != nil {
				t.Fatal(err)
			}
			var keep []int64
			for _, p := range left {
				ty, _ := p.Type("cpu")
				keep = append(keep, ty.Total/1e9)
			}
			if fmt.Sprint(keep) != tc.keep || removed != len(ps)-len(left) {
				t.Errorf("kept %v (removed %d), want %s", keep, removed, tc.keep)
			}
			versions, err := s.LabelValues(ctx, "cart", "version")
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(versions) != tc.versions {
				t.Errorf("versions left %v, want %s", versions, tc.versions)
			}
			n, err := s.ProfileBytes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(left))*size || tc.r.MaxBytes > 0 && n > tc.r.MaxBytes {
				t.Errorf("ProfileBytes = %d for %d profiles of %d bytes, limit %d", n, len(left), size, tc.r.MaxBytes)
			}
			// No orphans in the tables that cascade.
			for table, q := range map[string]string{
				"profile_data":          `SELECT count(*) FROM profile_data WHERE profile_id NOT IN (SELECT id FROM profiles)`,
				"profile_types":         `SELECT count(*) FROM profile_types WHERE profile_id NOT IN (SELECT id FROM profiles)`,
				"profile_series_labels": `SELECT count(*) FROM profile_series_labels WHERE series_id NOT IN (SELECT id FROM profile_series)`,
			} {
				var orphans int
				if err := s.r.QueryRowContext(ctx, q).Scan(&orphans); err != nil || orphans != 0 {
					t.Errorf("%s: %d rows of removed profiles or series, %v", table, orphans, err)
				}
			}
		})
	}
}

func TestConcurrentAdd(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	const writers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+2*20)
	for w := range writers {
		wg.Go(func() {
			labels := map[string]string{"instance": strconv.Itoa(w % 3)}
			for i := range each {
				errs <- s.AddProfile(ctx, cpuProfile(t, "cart", labels, t0.Add(time.Duration(i)*time.Second), 1e9), 0)
			}
		})
	}
	// Readers at the same time.
	for range 2 {
		wg.Go(func() {
			for range 20 {
				_, err := s.Profiles(ctx, Query{Service: "cart", Type: "cpu"})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ps, err := s.Profiles(ctx, Query{Service: "cart"})
	if err != nil {
		t.Fatal(err)
	}
	series, err := s.Series(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != writers*each || len(series) != 3 {
		t.Errorf("%d profiles in %d series, want %d in 3", len(ps), len(series), writers*each)
	}
}

// TestTwoStoresOneFile writes through two Stores of one file at once, as
// two perfgate processes would: the file's lock and busy_timeout make
// each wait for the other instead of failing with "database is locked".
func TestTwoStoresOneFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Opened at once, on a new file: the schema is made once.
	stores := make([]*Store, 2)
	var opening sync.WaitGroup
	for i := range stores {
		opening.Go(func() {
			s, err := Open(ctx, dir)
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		})
	}
	opening.Wait()
	if t.Failed() {
		t.FailNow()
	}
	const each = 30
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*each)
	for i, s := range stores {
		wg.Go(func() {
			for j := range each {
				errs <- s.AddProfile(ctx, cpuProfile(t, "cart", map[string]string{"writer": strconv.Itoa(i)}, t0.Add(time.Duration(j)*time.Second), 1e9), 0)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ps, err := stores[1].Profiles(ctx, Query{})
	if err != nil || len(ps) != len(stores)*each {
		t.Errorf("%d profiles (%v), want %d", len(ps), err, len(stores)*each)
	}
}

func TestMerge(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	v1 := map[string]string{"version": "v1", "instance": "a"}
	v1b := map[string]string{"version": "v1", "instance": "b"}
	add(t, s,
		cpuProfile(t, "cart", v1, t0, 1e9),
		cpuProfile(t, "cart", v1, t0.Add(10*time.Second), 2e9),
		cpuProfile(t, "cart", v1b, t0, 4e9),
		cpuProfile(t, "cart", map[string]string{"version": "v2"}, t0, 8e9),
		// instance a: two windows in use 100 and 300, average 200;
		// instance b: 1000. In all, 1200 in use, 16 allocated.
		heapProfile(t, "cart", v1, t0, 1, 100),
		heapProfile(t, "cart", v1, t0.Add(10*time.Second), 5, 300),
		heapProfile(t, "cart", v1b, t0, 10, 1000),
	)
	total := func(p *profile.Profile, typ string) int64 {
		i := sampleIndex(p, typ)
		var n int64
		for _, s := range p.Sample {
			n += s.Value[i]
		}
		return n
	}
	for _, tc := range []struct {
		name string
		q    Query
		typ  string
		want int64
	}{
		{"cpu of v1", Query{Service: "cart", Type: "cpu", Labels: map[string]string{"version": "v1"}}, "cpu", 7e9},
		{"cpu of v1 in a window", Query{Service: "cart", Type: "cpu", Labels: map[string]string{"version": "v1"}, Until: t0.Add(10 * time.Second)}, "cpu", 5e9},
		{"cpu of v2", Query{Service: "cart", Type: "cpu", Labels: map[string]string{"version": "v2"}}, "cpu", 8e9},
		{"alloc of v1 sums", Query{Service: "cart", Type: "alloc_space", Labels: map[string]string{"version": "v1"}}, "alloc_space", 16},
		{"inuse of v1 averages per series", Query{Service: "cart", Type: "alloc_space", Labels: map[string]string{"version": "v1"}}, "inuse_space", 1200},
		{"inuse of v1 summed, with Sum", Query{Service: "cart", Type: "alloc_space", Labels: map[string]string{"version": "v1"}, Sum: true}, "inuse_space", 1400},
	} {
		p, err := s.Merge(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if p == nil {
			t.Fatalf("%s: no profile", tc.name)
		}
		if got := total(p, tc.typ); got != tc.want {
			t.Errorf("%s: %s total %d, want %d", tc.name, tc.typ, got, tc.want)
		}
	}
	p, err := s.Merge(ctx, Query{Service: "cart", Type: "cpu", Labels: map[string]string{"version": "v3"}})
	if p != nil || err != nil {
		t.Errorf("Merge of nothing: %v, %v; want nil, nil", p, err)
	}
	if _, err := s.Merge(ctx, Query{Service: "cart"}); err == nil {
		t.Errorf("Merge of CPU and heap profiles: no error")
	}
}

func sampleIndex(p *profile.Profile, typ string) int {
	for i, st := range p.SampleType {
		if st.Type == typ {
			return i
		}
	}
	return -1
}

// TestKillKeepsCommitted kills, with SIGKILL, a process that adds
// profiles, and checks that every profile whose AddProfile returned is in
// the store.
func TestKillKeepsCommitted(t *testing.T) {
	if dir := os.Getenv("STORE_TEST_KILL_DIR"); dir != "" {
		s, err := Open(context.Background(), dir)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		for i := 0; ; i++ {
			p := cpuProfile(t, "cart", nil, t0.Add(time.Duration(i)*time.Second), 1e9)
			if err := s.AddProfile(context.Background(), p, 0); err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
			fmt.Println("committed", i+1)
		}
	}
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillKeepsCommitted$")
	cmd.Env = append(os.Environ(), "STORE_TEST_KILL_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() && committed < 20 {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			committed, _ = strconv.Atoi(n)
		} else if strings.HasPrefix(line, "error:") {
			t.Fatal(line)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if committed < 20 {
		t.Fatalf("the child committed %d profiles before it ended, want 20", committed)
	}
	s := open(t, dir)
	ps, err := s.Profiles(context.Background(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < committed {
		t.Errorf("after SIGKILL: %d profiles, want at least the %d committed", len(ps), committed)
	}
}

func TestSpans(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	add(t, s,
		cpuProfile(t, "cart", map[string]string{"version": "v1"}, t0, 1e9),
		cpuProfile(t, "cart", map[string]string{"version": "v1", "zone": "b"}, t0.Add(20*time.Second), 1e9),
		heapProfile(t, "cart", map[string]string{"version": "v1"}, t0.Add(30*time.Second), 1, 1),
		cpuProfile(t, "cart", map[string]string{"version": "v2"}, t0.Add(time.Minute), 1e9),
		cpuProfile(t, "pricing", nil, t0.Add(5*time.Second), 1e9),
	)
	spans, err := s.Spans(ctx, "version")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sp := range spans {
		got = append(got, fmt.Sprintf("%s %q %v %v %d", sp.Service, sp.Value, sp.First.Sub(t0), sp.Last.Sub(t0), sp.Profiles))
	}
	want := []string{
		`cart "v1" 0s 40s 3`,
		`cart "v2" 1m0s 1m10s 1`,
		`pricing "" 5s 15s 1`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Spans:\n got %q\nwant %q", got, want)
	}
}
