package analyze

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// ProfileSide is one side's profiles behind a result: the profiles of one
// benchmark, or of one service during a load scenario, and the work they
// cover.
type ProfileSide struct {
	Service string
	// Profiles are counted together, as profile.Merge would merge them
	// (over rounds, say). They must have the same sample types.
	Profiles []*profile.Profile
	// Work is the units of work the profiles cover together: benchmark
	// iterations, requests. It must be > 0 (at least 1e-9) and finite.
	Work float64
	// Kind, for time profiles, says what the time was spent doing:
	// "on-cpu", or an off-CPU kind ("network", "sync", "syscall",
	// "scheduling"). Sides are matched by Service and Kind.
	Kind string
}

// ProfileDiff is one service's profiles compared, as DiffProfiles builds
// them: the profiles a caller writes for go tool pprof, and the diff that
// Diff ranks. Its three profiles are new, and are for head's work.
type ProfileDiff struct {
	// Service is the service profiled, "" for a benchmark.
	Service string
	// Base is the base side's profiles merged and scaled to head's work,
	// or nil when the base side has no profiles of the service.
	Base *profile.Profile
	// Head is the head side's profiles merged.
	Head *profile.Profile
	// Diff is head minus base, the profile go tool pprof -diff_base
	// builds of Base and Head: Base's samples labelled pprof::base=true
	// and scaled by -1, merged with Head's. When Base is nil, Diff is
	// Head: all of it is growth.
	Diff *profile.Profile
	// Work is the units of work the head side's profiles cover, the work
	// the values of Base, Head and Diff are for.
	Work float64
	// BaseWork is the units of work the base side's profiles cover, before
	// Base was scaled to Work; 0 when Base is nil.
	BaseWork float64
	// Kind is what the time of a time profile was spent doing ("on-cpu",
	// "network", ...), copied from the sides; "" for other profiles.
	Kind string
}

// DiffProfiles compares the base side's profiles with the head side's,
// service by service, as `go tool pprof -diff_base` does
// (internal/driver.fetchProfiles): each side's profiles merged
// (profile.Merge), the base scaled to head's work (Profile.Scale by head's
// work / base's work), its samples labelled pprof::base=true
// (Profile.SetLabel) and scaled by -1, then merged with head, head first.
// Costs so compare per unit of work, never as raw totals: a fixed-window
// profile of a slower head shows unchanged functions as cheaper per
// second; per unit of work they are not.
//
// Sides are matched by Service, and several sides of one service on one
// side of the comparison count together: their profiles merged, their
// work summed. A service that only the head side has comes with a nil
// Base, all of it growth; one that only the base side has is left out,
// since nothing of it grew. The diffs are in the order of the services'
// first sides in head.
//
// sampleType (a name, or "" for head's default, as pprof picks it; see
// HotOptions.SampleType) becomes the DefaultSampleType of the three
// profiles of each diff, so that go tool pprof opens them on it and Diff
// ranks by it by default. The inputs are not modified.
func DiffProfiles(base, head []ProfileSide, sampleType string) ([]ProfileDiff, error) {
	if len(base) == 0 {
		return nil, fmt.Errorf("diffing profiles: no base profiles")
	}
	if len(head) == 0 {
		return nil, fmt.Errorf("diffing profiles: no head profiles")
	}
	var types []*profile.ValueType
	var typesOf string
	for s, sides := range [2][]ProfileSide{base, head} {
		for _, side := range sides {
			what := profileSideLabel([2]string{"base", "head"}[s], side.Service)
			ts, err := checkProfileSide(what, side)
			if err != nil {
				return nil, fmt.Errorf("diffing profiles: %w", err)
			}
			if types == nil {
				types, typesOf = ts, what
			} else if !sameSampleTypes(types, ts) {
				return nil, fmt.Errorf("diffing profiles: %s has %s; %s has %s", typesOf, formatSampleTypes(types), what, formatSampleTypes(ts))
			}
		}
	}
	// Head's profiles first: pprof's -diff_base takes head's
	// DefaultSampleType.
	var defaults []*profile.Profile
	for _, side := range slices.Concat(head, base) {
		defaults = append(defaults, side.Profiles...)
	}
	vi, err := hotSampleIndex(types, defaultSampleTypeOf(defaults), sampleType)
	if err != nil {
		return nil, fmt.Errorf("diffing profiles: %w", err)
	}

	type key struct{ service, kind string }
	var services []key
	sides := map[key]*[2]ProfileSide{} // by service and kind: base, head
	add := func(into *ProfileSide, side ProfileSide) {
		into.Profiles = slices.Concat(into.Profiles, side.Profiles)
		into.Work += side.Work
	}
	for _, side := range head {
		k := key{side.Service, side.Kind}
		sv := sides[k]
		if sv == nil {
			sv = new([2]ProfileSide)
			sides[k] = sv
			services = append(services, k)
		}
		add(&sv[headSide], side)
	}
	for _, side := range base {
		if sv := sides[key{side.Service, side.Kind}]; sv != nil { // else on the base side only: nothing of it grew
			add(&sv[baseSide], side)
		}
	}
	diffs := make([]ProfileDiff, len(services))
	for i, k := range services {
		sv := sides[k]
		d, err := diffService(k.service, sv[baseSide], sv[headSide], types[vi].Type)
		if err != nil {
			return nil, fmt.Errorf("diffing profiles: %w", err)
		}
		d.Kind = k.kind
		diffs[i] = d
	}
	return diffs, nil
}

// diffService builds the diff of one service whose sides were checked,
// base possibly with no profiles. Its three profiles open on sampleType.
func diffService(service string, base, head ProfileSide, sampleType string) (ProfileDiff, error) {
	of := ""
	if service != "" {
		of = fmt.Sprintf(" of service %q", service)
	}
	h, err := profile.Merge(head.Profiles)
	if err != nil {
		return ProfileDiff{}, fmt.Errorf("merging head profiles%s: %w", of, err)
	}
	h.DefaultSampleType = sampleType
	d := ProfileDiff{Service: service, Head: h, Diff: h, Work: head.Work}
	if len(base.Profiles) == 0 {
		return d, nil
	}
	b, err := profile.Merge(base.Profiles)
	if err != nil {
		return ProfileDiff{}, fmt.Errorf("merging base profiles%s: %w", of, err)
	}
	b.Scale(head.Work / base.Work)
	b.DefaultSampleType = sampleType
	diff, err := profile.Merge([]*profile.Profile{h, diffBase(b)})
	if err != nil {
		return ProfileDiff{}, fmt.Errorf("merging head profiles%s with base: %w", of, err)
	}
	diff.DefaultSampleType = sampleType
	d.Base, d.Diff, d.BaseWork = b, diff, base.Work
	return d, nil
}

// diffBase returns b's samples as a diff's base, as pprof's fetchProfiles
// makes them: labelled pprof::base=true (Profile.SetLabel) and scaled by -1
// (Profile.Scale). They are copies, so that b stays as it is, in a profile
// with b's header that shares b's locations, functions and mappings, which
// profile.Merge only reads: Profile.Copy, an encoding and a decoding of all
// of b, would cost about as much as the merge itself.
func diffBase(b *profile.Profile) *profile.Profile {
	nb := shallow(b, make([]*profile.Sample, len(b.Sample)))
	for i, s := range b.Sample {
		c := *s
		c.Value = slices.Clone(s.Value)
		if s.Label != nil {
			c.Label = make(map[string][]string, len(s.Label)+1)
			for k, v := range s.Label {
				c.Label[k] = v
			}
		}
		nb.Sample[i] = &c
	}
	nb.SetLabel("pprof::base", []string{"true"})
	nb.Scale(-1)
	return nb
}

// shallow returns a profile with p's header and samples, sharing p's
// locations, functions and mappings.
func shallow(p *profile.Profile, samples []*profile.Sample) *profile.Profile {
	return &profile.Profile{
		SampleType:        p.SampleType,
		DefaultSampleType: p.DefaultSampleType,
		Sample:            samples,
		Mapping:           p.Mapping,
		Location:          p.Location,
		Function:          p.Function,
		Comments:          p.Comments,
		DocURL:            p.DocURL,
		DropFrames:        p.DropFrames,
		KeepFrames:        p.KeepFrames,
		TimeNanos:         p.TimeNanos,
		DurationNanos:     p.DurationNanos,
		PeriodType:        p.PeriodType,
		Period:            p.Period,
	}
}

// minWork is the least work a side may cover.
const minWork = 1e-9

// checkProfileSide checks one side's profiles and returns their sample types.
func checkProfileSide(what string, side ProfileSide) ([]*profile.ValueType, error) {
	if len(side.Profiles) == 0 {
		return nil, fmt.Errorf("%s: no profiles", what)
	}
	if !(side.Work > 0) || math.IsInf(side.Work, 1) {
		return nil, fmt.Errorf("%s: work %v is not a positive number of operations", what, side.Work)
	}
	if side.Work < minWork {
		// Values per unit of work could overflow to infinity, which
		// JSON cannot carry.
		return nil, fmt.Errorf("%s: work %v is too small, under %v operations", what, side.Work, minWork)
	}
	var types []*profile.ValueType
	for i, p := range side.Profiles {
		if p == nil {
			return nil, fmt.Errorf("%s: profile %d of %d is nil", what, i+1, len(side.Profiles))
		}
		if err := p.CheckValid(); err != nil {
			return nil, fmt.Errorf("%s: profile %d of %d is invalid: %w", what, i+1, len(side.Profiles), err)
		}
		if len(p.SampleType) == 0 {
			return nil, fmt.Errorf("%s: profile %d of %d has no sample types", what, i+1, len(side.Profiles))
		}
		if i == 0 {
			types = p.SampleType
		} else if !sameSampleTypes(types, p.SampleType) {
			return nil, fmt.Errorf("%s: profile 1 has %s; profile %d has %s", what, formatSampleTypes(types), i+1, formatSampleTypes(p.SampleType))
		}
	}
	return types, nil
}

func profileSideLabel(side, service string) string {
	if service == "" {
		return side
	}
	return fmt.Sprintf("%s of service %q", side, service)
}

func sameSampleTypes(a, b []*profile.ValueType) bool {
	return slices.EqualFunc(a, b, func(x, y *profile.ValueType) bool {
		return x.Type == y.Type && x.Unit == y.Unit
	})
}

func formatSampleTypes(types []*profile.ValueType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = t.Type + "/" + t.Unit
	}
	return strings.Join(s, ", ")
}

// defaultSampleTypeOf is the default sample type of profiles merged in this
// order: the first that names one (profile.Merge's rule).
func defaultSampleTypeOf(profiles []*profile.Profile) string {
	for _, p := range profiles {
		if p != nil && p.DefaultSampleType != "" {
			return p.DefaultSampleType
		}
	}
	return ""
}

// hotSampleIndex picks the sample type name among types as pprof's
// -sample_index does (Profile.SampleIndexByName).
func hotSampleIndex(types []*profile.ValueType, defaultType, name string) (int, error) {
	if len(types) == 0 {
		return 0, fmt.Errorf("profile has no sample types")
	}
	p := &profile.Profile{SampleType: types, DefaultSampleType: defaultType}
	i, err := p.SampleIndexByName(name)
	if err != nil {
		names := make([]string, len(types))
		for i, t := range types {
			names[i] = t.Type
		}
		return 0, fmt.Errorf("no sample type %q in the profiles, which have %s", name, strings.Join(names, ", "))
	}
	return i, nil
}
