package watch

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/store"
)

func TestParseSelector(t *testing.T) {
	now := d0
	tests := []struct {
		in, want, err string
	}{
		{in: "version=v2", want: "v2 - -"},
		{in: "version=v1,from=2026-11-28T17:00:00Z,until=2026-11-28T17:05:00Z", want: "v1 17:00:00 17:05:00"},
		{in: " version=v1 , from=-15m , until=now", want: "v1 17:45:00 18:00:00"},
		{in: "from=-10m", want: " 17:50:00 -"},
		{in: "", err: "empty"},
		{in: "v2", err: "want KEY=VALUE"},
		{in: "version=", err: "want KEY=VALUE"},
		{in: "version=a,version=b", err: "version given twice"},
		{in: "commit=abc", err: `unknown key "commit"`},
		{in: "from=yesterday", err: "want an RFC 3339 time"},
		{in: "from=-5m,until=-10m", err: "until is not after from"},
	}
	clock := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("15:04:05")
	}
	for _, tt := range tests {
		sel, err := ParseSelector(tt.in, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseSelector(%q) = %v, want an error with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSelector(%q): %v", tt.in, err)
			continue
		}
		if got := fmt.Sprintf("%s %s %s", sel.Version, clock(sel.From), clock(sel.Until)); got != tt.want {
			t.Errorf("ParseSelector(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseSelector checks that ParseSelector never panics, errs in one
// line, and that what it accepts has a window in order.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"version=v2", "version=v1,from=2026-11-28T17:00:00Z,until=-5m", "from=now", "a=b=c", ",,", "until=1h,from=-1h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s, d0)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseSelector(%q): %q: not one line", s, err)
			}
			return
		}
		if !sel.From.IsZero() && !sel.Until.IsZero() && !sel.Until.After(sel.From) {
			t.Errorf("ParseSelector(%q) = %+v: until not after from", s, sel)
		}
	})
}

func TestResolveSides(t *testing.T) {
	m := time.Minute
	w := Windows{Warmup: time.Minute, Window: 5 * time.Minute}
	spans := []store.Span{
		span("cart", "v1", 0, 20*m), span("cart", "v2", 20*m, 40*m),
		span("pricing", "v1", 0, 20*m), span("pricing", "v2", 21*m, 40*m),
	}
	at := func(d time.Duration) time.Time { return d0.Add(d) }
	tests := []struct {
		name                string
		services            []string
		baseline, candidate Selector
		now                 time.Duration
		want, err           string
	}{
		{name: "versions, from the store", services: []string{"cart", "pricing"}, baseline: Selector{Version: "v1"}, candidate: Selector{Version: "v2"}, now: 60 * m,
			want: "v1 18:15:00-18:20:00, v2 18:22:00-18:27:00"},
		{name: "one side's window given", services: []string{"cart"}, baseline: Selector{Version: "v1", Until: at(10 * m)}, candidate: Selector{Version: "v2"}, now: 60 * m,
			want: "v1 18:05:00-18:10:00, v2 18:21:00-18:26:00"},
		{name: "a redeploy, windows given", services: []string{"cart"}, baseline: Selector{Version: "v1", From: at(0), Until: at(5 * m)}, candidate: Selector{Version: "v1", From: at(10 * m)}, now: 60 * m,
			want: "v1 18:00:00-18:05:00, v1 18:10:00-18:15:00"},
		{name: "a redeploy without windows", services: []string{"cart"}, baseline: Selector{Version: "v1"}, candidate: Selector{Version: "v1"}, now: 60 * m,
			err: "both version=v1: give the windows"},
		{name: "unknown version", services: []string{"cart"}, baseline: Selector{Version: "v1"}, candidate: Selector{Version: "v9"}, now: 60 * m,
			err: "no profile of cart with version=v9"},
		{name: "other service", services: []string{"inventory"}, baseline: Selector{Version: "v1"}, candidate: Selector{Version: "v2"}, now: 60 * m,
			err: "no profile of inventory with version=v2"},
		{name: "window not over", services: []string{"cart"}, baseline: Selector{Version: "v1"}, candidate: Selector{Version: "v2"}, now: 22 * m,
			err: "candidate's window ends at 2026-11-28T18:26:00Z, 4m0s from now"},
	}
	for _, tt := range tests {
		base, head, err := ResolveSides(tt.services, tt.baseline, tt.candidate, spans, w, at(tt.now))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got := fmt.Sprintf("%s %s-%s, %s %s-%s", base.Version, base.From.Format("15:04:05"), base.Until.Format("15:04:05"),
			head.Version, head.From.Format("15:04:05"), head.Until.Format("15:04:05"))
		if got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	_, _, err := ResolveSides([]string{"cart"}, Selector{Version: "v1"}, Selector{Version: "v2"}, spans, w, at(22*m))
	var early *EarlyError
	if !errors.As(err, &early) || !early.Until.Equal(at(26*m)) {
		t.Errorf("a window not over: %v, want an EarlyError until 18:26", err)
	}
}
