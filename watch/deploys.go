package watch

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/store"
	"github.com/perfgate/perfgate/watch/deploy"
)

// Deploy is a change of version of one or more services, as watch saw it
// in their profiles' version label: the services that switched from
// Previous to Version together (their new version's first profiles within
// a warm-up of each other), and the windows that judge it.
type Deploy struct {
	// ID names the deploy's directory: its time and new version.
	ID       string   `json:"id"`
	Services []string `json:"services"`
	Previous string   `json:"previous"`
	Version  string   `json:"version"`
	// At is when the new version's first profile began.
	At time.Time `json:"at"`
	// Base is the previous version's window, up to the deploy; Head the
	// new version's, after the warm-up.
	Base deploy.Side `json:"base"`
	Head deploy.Side `json:"head"`
	// Outcome is the verdict's, empty while the head window is still
	// to come.
	Outcome analyze.Outcome `json:"outcome,omitempty"`
	// Decided is when the verdict was made.
	Decided time.Time `json:"decided,omitzero"`
	// Error is why there is no verdict, when Outcome is error.
	Error string `json:"error,omitempty"`
	// Webhook is the failure to post the verdict to the webhook, if any.
	Webhook string `json:"webhook_error,omitempty"`
}

// Windows are the lengths a deploy's windows are cut to.
type Windows struct {
	// Warmup is left out after the new version's first profile.
	Warmup time.Duration
	// Window is the length of each side's window.
	Window time.Duration
}

// FindDeploys returns the deploys that spans (the store's spans of the
// version label) show, oldest first. For each service, each version after
// its first is a deploy from the version seen before it: the previous
// version's last window before the new one's first profile (or before its
// own last profile, when it had stopped earlier) against the new
// version's first window after the warm-up. Services whose versions
// changed the same way within a warm-up (or a minute, when the warm-up is
// shorter) of each other are one deploy, whose windows hold for all of
// them. Series without a version label have no deploys: a version that
// reappears (a rollback) is no new deploy either, as its span is one.
func FindDeploys(spans []store.Span, w Windows) []Deploy {
	type change struct {
		service        string
		previous, next store.Span
	}
	byService := map[string][]store.Span{}
	for _, sp := range spans {
		if sp.Value != "" {
			byService[sp.Service] = append(byService[sp.Service], sp)
		}
	}
	var changes []change
	for svc, list := range byService {
		slices.SortStableFunc(list, func(a, b store.Span) int { return a.First.Compare(b.First) })
		for i := 1; i < len(list); i++ {
			changes = append(changes, change{svc, list[i-1], list[i]})
		}
	}
	slices.SortFunc(changes, func(a, b change) int {
		if c := a.next.First.Compare(b.next.First); c != 0 {
			return c
		}
		return strings.Compare(a.service, b.service)
	})
	together := max(w.Warmup, time.Minute)
	var deploys []Deploy
	var groups [][]change
	for _, c := range changes {
		joined := false
		for gi, g := range groups {
			first := g[0]
			if first.previous.Value == c.previous.Value && first.next.Value == c.next.Value &&
				c.next.First.Sub(first.next.First) <= together {
				groups[gi] = append(groups[gi], c)
				joined = true
				break
			}
		}
		if !joined {
			groups = append(groups, []change{c})
		}
	}
	for _, g := range groups {
		d := Deploy{Previous: g[0].previous.Value, Version: g[0].next.Value, At: g[0].next.First}
		baseUntil, headStart := d.At, d.At
		for _, c := range g {
			d.Services = append(d.Services, c.service)
			if c.previous.Last.Before(baseUntil) {
				baseUntil = c.previous.Last
			}
			if c.next.First.After(headStart) {
				headStart = c.next.First
			}
		}
		slices.Sort(d.Services)
		d.Base = deploy.Side{Version: d.Previous, From: baseUntil.Add(-w.Window), Until: baseUntil}
		d.Head = deploy.Side{Version: d.Version, From: headStart.Add(w.Warmup), Until: headStart.Add(w.Warmup + w.Window)}
		d.ID = deployID(d)
		deploys = append(deploys, d)
	}
	slices.SortFunc(deploys, func(a, b Deploy) int { return a.At.Compare(b.At) })
	return deploys
}

// unsafeID are the characters a deploy's ID does not keep.
var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._+-]+`)

// deployID names d's directory: its time, new version and services, in
// characters safe in a path and a URL.
func deployID(d Deploy) string {
	id := fmt.Sprintf("%s-%s-%s", d.At.UTC().Format("20060102T150405Z"), d.Version, strings.Join(d.Services, "+"))
	id = unsafeID.ReplaceAllString(id, "_")
	if len(id) > 120 {
		id = id[:120]
	}
	return id
}

// Ready reports whether d's head window is over at now, and its figures
// in: each service's new version has profiles past the window's end (so
// the last upload of the window arrived), or the window ended a whole
// window ago.
func (d Deploy) Ready(spans []store.Span, now time.Time) bool {
	if now.Before(d.Head.Until) {
		return false
	}
	if !now.Before(d.Head.Until.Add(d.Head.Until.Sub(d.Head.From))) {
		return true
	}
	for _, svc := range d.Services {
		covered := false
		for _, sp := range spans {
			if sp.Service == svc && sp.Value == d.Version && !sp.Last.Before(d.Head.Until) {
				covered = true
			}
		}
		if !covered {
			return false
		}
	}
	return true
}
