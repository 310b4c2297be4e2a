package config

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Watch configures perfgate watch, the staging receiver: where it
// listens and keeps its store, where the services' request metrics are,
// and how a deploy's windows are cut. Its figures are judged with the
// file's thresholds, as the gate's are.
type Watch struct {
	// Listen is the address watch listens on; a port of 0 picks a free
	// one. Anything but a loopback address requires Token or BasicAuth.
	Listen string `yaml:"listen" json:"listen"`
	// Data is the directory of the store (perfgate.db) and of the deploy
	// verdicts.
	Data string `yaml:"data" json:"data"`
	// Token, when set, is the bearer token pushes and the page require;
	// BasicAuth ("user:password") the basic credentials. Either may come
	// from the environment instead: PERFGATE_WATCH_TOKEN,
	// PERFGATE_WATCH_BASIC_AUTH.
	Token     string `yaml:"token" json:"-"`
	BasicAuth string `yaml:"basic_auth" json:"-"`
	// Prometheus is the root of the Prometheus API that scrapes the
	// services' request metrics (http://host:9090); without it a deploy
	// verdict has no response-time figures.
	Prometheus string `yaml:"prometheus" json:"prometheus,omitempty"`
	// Pyroscope, when set, is a Grafana Pyroscope server whose profiles
	// watch check reads instead of the store's.
	Pyroscope string `yaml:"pyroscope" json:"pyroscope,omitempty"`
	// Metrics names the services' request-duration histogram and labels.
	Metrics WatchMetrics `yaml:"metrics" json:"metrics"`
	// Warmup is how long after a version's first sign (its first profile,
	// or its first request in the metrics) its figures are left out.
	Warmup time.Duration `yaml:"warmup" json:"warmup_ns"`
	// Window is the length of each side's window: the new version's,
	// after Warmup, and the previous version's, up to the deploy.
	Window time.Duration `yaml:"window" json:"window_ns"`
	// Step is the length of the intervals the windows are cut into: each
	// is one sample of each figure. It must span at least two scrapes.
	Step time.Duration `yaml:"step" json:"step_ns"`
	// Retention bounds the profiles the store keeps; recorded runs are
	// never removed.
	Retention Retention `yaml:"retention" json:"retention"`
	// Webhook, when set, receives each deploy verdict as JSON (POST).
	Webhook string `yaml:"webhook" json:"webhook,omitempty"`
	// Record records each judged deploy in the history (the versions as
	// its commits), for perfgate history report.
	Record bool `yaml:"record" json:"record,omitempty"`
}

// WatchMetrics names the request-duration histogram (a classic
// Prometheus histogram: _bucket, _sum, _count) and its labels.
type WatchMetrics struct {
	Duration string `yaml:"duration" json:"duration"`
	// ServiceLabel's values are the services' names, the same as their
	// profiles' application names.
	ServiceLabel string `yaml:"service_label" json:"service_label"`
	RouteLabel   string `yaml:"route_label" json:"route_label"`
	VersionLabel string `yaml:"version_label" json:"version_label"`
	// Matchers are extra PromQL label matchers for every query, without
	// braces: `env="staging"`.
	Matchers string `yaml:"matchers" json:"matchers,omitempty"`
}

// Retention bounds the store's profiles: older than MaxAge, or beyond
// MaxBytes in all (oldest first), they are removed.
type Retention struct {
	MaxAge   time.Duration `yaml:"max_age" json:"max_age_ns"`
	MaxBytes int64         `yaml:"max_bytes" json:"max_bytes"`
}

// DefaultWatch is what the watch section's missing keys take.
var DefaultWatch = Watch{
	Listen: "127.0.0.1:4040",
	Data:   ".perfgate",
	Metrics: WatchMetrics{
		Duration:     "http_request_duration_seconds",
		ServiceLabel: "service",
		RouteLabel:   "route",
		VersionLabel: "version",
	},
	Warmup:    time.Minute,
	Window:    5 * time.Minute,
	Step:      30 * time.Second,
	Retention: Retention{MaxAge: 7 * 24 * time.Hour, MaxBytes: 1 << 30},
}

// withDefaults fills the zero fields of w from DefaultWatch.
func (w Watch) withDefaults() Watch {
	d := DefaultWatch
	orDefault(&w.Listen, d.Listen)
	orDefault(&w.Data, d.Data)
	orDefault(&w.Metrics.Duration, d.Metrics.Duration)
	orDefault(&w.Metrics.ServiceLabel, d.Metrics.ServiceLabel)
	orDefault(&w.Metrics.RouteLabel, d.Metrics.RouteLabel)
	orDefault(&w.Metrics.VersionLabel, d.Metrics.VersionLabel)
	orDefault(&w.Warmup, d.Warmup)
	orDefault(&w.Window, d.Window)
	orDefault(&w.Step, d.Step)
	orDefault(&w.Retention.MaxAge, d.Retention.MaxAge)
	orDefault(&w.Retention.MaxBytes, d.Retention.MaxBytes)
	return w
}

var (
	promLabel  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	promMetric = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

// validate checks the watch section, with its defaults filled in.
func (w Watch) validate() error {
	switch {
	case w.Warmup < 0:
		return fmt.Errorf("watch.warmup: negative")
	case w.Step <= 0:
		return fmt.Errorf("watch.step: want a positive duration")
	case w.Window < 2*w.Step:
		return fmt.Errorf("watch.window: %v holds fewer than two steps of %v", w.Window, w.Step)
	case w.Retention.MaxAge < 0 || w.Retention.MaxBytes < 0:
		return fmt.Errorf("watch.retention: negative")
	case !promMetric.MatchString(w.Metrics.Duration):
		return fmt.Errorf("watch.metrics.duration: %q is not a Prometheus metric name", w.Metrics.Duration)
	}
	for k, v := range map[string]string{"service_label": w.Metrics.ServiceLabel, "route_label": w.Metrics.RouteLabel, "version_label": w.Metrics.VersionLabel} {
		if !promLabel.MatchString(v) {
			return fmt.Errorf("watch.metrics.%s: %q is not a Prometheus label name", k, v)
		}
	}
	for k, v := range map[string]string{"prometheus": w.Prometheus, "pyroscope": w.Pyroscope, "webhook": w.Webhook} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("watch.%s: %q is not an http(s) URL", k, v)
		}
	}
	return nil
}
