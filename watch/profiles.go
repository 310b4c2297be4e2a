package watch

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/store"
	"github.com/perfgate/perfgate/watch/deploy"
	"github.com/perfgate/perfgate/watch/pyroscope"
)

// VersionLabel is the label of a profile's series that names the version
// of the service that sent it: profiler.Config's Version, pyroscope-go's
// Tags["version"].
const VersionLabel = "version"

// StoreProfiles is the deploy.Profiles of watch's own store.
type StoreProfiles struct {
	Store *store.Store
}

// storeTypes are the sample types that select each kind of profile.
var storeTypes = map[deploy.Kind]string{deploy.CPU: "cpu", deploy.Heap: "alloc_space"}

// Merge implements deploy.Profiles.
func (sp StoreProfiles) Merge(ctx context.Context, service, version string, kind deploy.Kind, from, until time.Time) (*profile.Profile, error) {
	ty, ok := storeTypes[kind]
	if !ok {
		return nil, fmt.Errorf("no profile kind %q", kind)
	}
	q := store.Query{Service: service, Type: ty, From: from, Until: until}
	if version != "" {
		q.Labels = map[string]string{VersionLabel: version}
	}
	p, err := sp.Store.Merge(ctx, q)
	if p == nil || err != nil {
		return nil, err
	}
	if analyzeEmpty(p) {
		return nil, nil
	}
	return p, nil
}

// Goroutines implements deploy.Profiles.
func (sp StoreProfiles) Goroutines(ctx context.Context, service, version string, from, until time.Time) (*profile.Profile, float64, error) {
	q := store.Query{Service: service, Type: "goroutine", From: from, Until: until, Sum: true}
	if version != "" {
		q.Labels = map[string]string{VersionLabel: version}
	}
	ps, err := sp.Store.Profiles(ctx, q)
	if err != nil || len(ps) == 0 {
		return nil, 0, err
	}
	series := map[string]bool{}
	for _, p := range ps {
		series[fmt.Sprint(p.Labels)] = true
	}
	p, err := sp.Store.Merge(ctx, q)
	if p == nil || err != nil {
		return nil, 0, err
	}
	return p, float64(len(ps)) / float64(len(series)), nil
}

// PyroscopeProfiles is the deploy.Profiles of a Grafana Pyroscope server:
// what watch reads when the profiles are kept there rather than in its
// store. A service is the series' service_name (pyroscope-go's
// ApplicationName), a version its version label.
type PyroscopeProfiles struct {
	Client *pyroscope.Client
	// Matchers are extra label matchers for every selector, without
	// braces: `env="staging"`.
	Matchers string
}

// pyroscopeTypes are the profile type IDs of each kind: Pyroscope answers
// SelectMergeProfile with one sample type, so the heap kind is its
// allocated bytes, the one a deploy verdict reads.
var pyroscopeTypes = map[deploy.Kind]string{
	deploy.CPU:  "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
	deploy.Heap: "memory:alloc_space:bytes:space:bytes",
}

// Merge implements deploy.Profiles.
func (pp PyroscopeProfiles) Merge(ctx context.Context, service, version string, kind deploy.Kind, from, until time.Time) (*profile.Profile, error) {
	ty, ok := pyroscopeTypes[kind]
	if !ok {
		return nil, fmt.Errorf("no profile kind %q", kind)
	}
	p, err := pp.Client.SelectMergeProfile(ctx, ty, pp.Selector(service, version), from, until)
	if err != nil {
		return nil, err
	}
	if analyzeEmpty(p) {
		return nil, nil
	}
	return p, nil
}

// Goroutines implements deploy.Profiles: Pyroscope merges a window's
// goroutine profiles without saying how many snapshots they were, so
// there is no off-CPU view from it.
func (pp PyroscopeProfiles) Goroutines(context.Context, string, string, time.Time, time.Time) (*profile.Profile, float64, error) {
	return nil, 0, nil
}

// Selector is the label selector of service's (and version's) series.
func (pp PyroscopeProfiles) Selector(service, version string) string {
	parts := []string{"service_name=" + strconv.Quote(service)}
	if version != "" {
		parts = append(parts, VersionLabel+"="+strconv.Quote(version))
	}
	if m := strings.TrimSpace(pp.Matchers); m != "" {
		parts = append(parts, m)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// analyzeEmpty reports whether p holds no sample: what a window without
// data gives (Pyroscope answers an empty profile, not an error).
func analyzeEmpty(p *profile.Profile) bool {
	return len(p.Sample) == 0 || len(p.SampleType) == 0
}
