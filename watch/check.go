package watch

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/perfgate/perfgate/store"
	"github.com/perfgate/perfgate/watch/deploy"
)

// Selector is one side of perfgate watch check, as its flag gives it:
// "version=v2", "version=v1,from=2026-11-28T18:00:00Z,until=-5m". Times are
// RFC 3339, or a duration relative to now ("-15m"), or "now"; a zero time
// is left to ResolveSides.
type Selector struct {
	Version     string
	From, Until time.Time
}

// ParseSelector parses a side's flag value, with times relative to now.
func ParseSelector(s string, now time.Time) (Selector, error) {
	var sel Selector
	if strings.TrimSpace(s) == "" {
		return sel, errors.New("empty: want version=V[,from=T][,until=T]")
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || value == "" {
			return sel, fmt.Errorf("%q: want KEY=VALUE, the keys version, from and until", part)
		}
		if seen[key] {
			return sel, fmt.Errorf("%q: %s given twice", s, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "version":
			sel.Version = value
		case "from":
			sel.From, err = parseFlagTime(value, now)
		case "until":
			sel.Until, err = parseFlagTime(value, now)
		default:
			return sel, fmt.Errorf("%q: unknown key %q, want version, from or until", part, key)
		}
		if err != nil {
			return sel, fmt.Errorf("%s=%q: %w", key, value, err)
		}
	}
	if !sel.From.IsZero() && !sel.Until.IsZero() && !sel.Until.After(sel.From) {
		return sel, fmt.Errorf("%q: until is not after from", s)
	}
	return sel, nil
}

// parseFlagTime parses an RFC 3339 time, "now", or a duration from now.
func parseFlagTime(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, errors.New("want an RFC 3339 time (2026-11-28T18:00:00Z), now, or a duration from now (-15m)")
	}
	return now.Add(d), nil
}

// ResolveSides completes the windows of a check of services: a side
// without times takes them from the store's spans of its version, as a
// deploy would (FindDeploys): the candidate's first window after the
// warm-up, the baseline's last window before the candidate began. A side
// with one time takes the other a window away. The error is one line and
// says which time to give.
func ResolveSides(services []string, baseline, candidate Selector, spans []store.Span, w Windows, now time.Time) (deploy.Side, deploy.Side, error) {
	// span is when the services ran version: the latest of their first
	// profiles (when the last of them had switched to it), and the
	// earliest of their last ones (when the first of them had stopped).
	span := func(version string) (first, last time.Time, ok bool) {
		for _, svc := range services {
			found := false
			for _, sp := range spans {
				if sp.Service != svc || sp.Value != version {
					continue
				}
				found = true
				if !ok || sp.First.After(first) {
					first = sp.First
				}
				if !ok || sp.Last.Before(last) {
					last = sp.Last
				}
				ok = true
			}
			if !found {
				return time.Time{}, time.Time{}, false
			}
		}
		return first, last, ok
	}
	fill := func(sel *Selector) {
		switch {
		case sel.From.IsZero() && !sel.Until.IsZero():
			sel.From = sel.Until.Add(-w.Window)
		case !sel.From.IsZero() && sel.Until.IsZero():
			sel.Until = sel.From.Add(w.Window)
		}
	}
	fill(&candidate)
	fill(&baseline)
	if candidate.From.IsZero() {
		if candidate.Version == "" {
			return deploy.Side{}, deploy.Side{}, errors.New("candidate: give a version or a window (from=, until=)")
		}
		if baseline.Version == candidate.Version {
			return deploy.Side{}, deploy.Side{}, fmt.Errorf("baseline and candidate are both version=%s: give the windows (from=, until=)", candidate.Version)
		}
		first, _, ok := span(candidate.Version)
		if !ok {
			return deploy.Side{}, deploy.Side{}, fmt.Errorf("candidate: no profile of %s with version=%s in the store: give its window (from=, until=)", strings.Join(services, ", "), candidate.Version)
		}
		candidate.From = first.Add(w.Warmup)
		candidate.Until = candidate.From.Add(w.Window)
	}
	if baseline.From.IsZero() {
		if baseline.Version == "" {
			return deploy.Side{}, deploy.Side{}, errors.New("baseline: give a version or a window (from=, until=)")
		}
		_, last, ok := span(baseline.Version)
		if !ok {
			return deploy.Side{}, deploy.Side{}, fmt.Errorf("baseline: no profile of %s with version=%s in the store: give its window (from=, until=)", strings.Join(services, ", "), baseline.Version)
		}
		if first, _, ok := span(candidate.Version); ok && candidate.Version != baseline.Version && first.Before(last) {
			last = first
		}
		baseline.Until = last
		baseline.From = last.Add(-w.Window)
	}
	if candidate.Until.After(now) {
		return deploy.Side{}, deploy.Side{}, &EarlyError{Until: candidate.Until, Now: now}
	}
	return deploy.Side{Version: baseline.Version, From: baseline.From, Until: baseline.Until},
		deploy.Side{Version: candidate.Version, From: candidate.From, Until: candidate.Until}, nil
}

// EarlyError is the error of ResolveSides when the candidate's window has
// not ended yet.
type EarlyError struct {
	// Until is when the window ends.
	Until, Now time.Time
}

func (e *EarlyError) Error() string {
	return fmt.Sprintf("candidate's window ends at %s, %v from now: wait (--wait), or give an earlier until=", e.Until.UTC().Format(time.RFC3339), e.Until.Sub(e.Now).Round(time.Second))
}
