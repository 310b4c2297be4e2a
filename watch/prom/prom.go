// Package prom reads what Prometheus knows of a service's requests over a
// window of time: per interval, per route, how many requests it answered
// and their mean, p50, p90 and p99 response time, from the request-duration
// histogram the service exposes (a classic Prometheus histogram: _bucket,
// _sum and _count). Deploy verdicts take these intervals as their samples,
// as the gate takes its rounds.
//
// Each figure is one range query evaluated every Step, over the Step before
// each point, so that the intervals do not overlap:
//
//	requests  sum by (route) (increase(D_count{sel}[step]))
//	mean      sum by (route) (rate(D_sum{sel}[step])) / sum by (route) (rate(D_count{sel}[step]))
//	pNN       histogram_quantile(0.NN, sum by (route, le) (rate(D_bucket{sel}[step])))
//
// where sel selects the service, its version (when the metrics carry one)
// and the configured extra matchers. Step must span at least two scrapes,
// or rate has nothing to work with.
package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Metrics names the request-duration histogram and its labels.
type Metrics struct {
	// Duration is the histogram's name, without _bucket.
	Duration string
	// ServiceLabel, RouteLabel and VersionLabel are the names of the
	// labels that carry the service, the route and the version.
	ServiceLabel, RouteLabel, VersionLabel string
	// Matchers are extra label matchers every query carries, as PromQL
	// writes them inside braces: `env="staging"`.
	Matchers string
}

// DefaultMetrics are the names the shop's services use, and client_golang's
// usual ones.
var DefaultMetrics = Metrics{
	Duration:     "http_request_duration_seconds",
	ServiceLabel: "service",
	RouteLabel:   "route",
	VersionLabel: "version",
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// Check says what is wrong with m, in one line.
func (m Metrics) Check() error {
	if !metricName.MatchString(m.Duration) {
		return fmt.Errorf("metric name %q is not a Prometheus metric name", m.Duration)
	}
	for _, l := range []string{m.ServiceLabel, m.RouteLabel, m.VersionLabel} {
		if !labelName.MatchString(l) {
			return fmt.Errorf("label name %q is not a Prometheus label name", l)
		}
	}
	if strings.ContainsAny(m.Matchers, "{}") {
		return fmt.Errorf("matchers %q: write them without braces", m.Matchers)
	}
	return nil
}

// Client queries one Prometheus server.
type Client struct {
	api     v1.API
	metrics Metrics
}

// New returns a client of the Prometheus server at url (its API's root,
// http://host:9090).
func New(url string, m Metrics) (*Client, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", url, err)
	}
	return &Client{api: v1.NewAPI(c), metrics: m}, nil
}

// Interval is one route's requests over one Step: how many, and their
// response times in seconds (NaN when there were none).
type Interval struct {
	End                 time.Time
	Requests            float64
	Mean, P50, P90, P99 float64
}

// Window selects the requests of a service, of one version unless Version
// is empty, from From to Until.
type Window struct {
	Service, Version string
	From, Until      time.Time
	// Step is the length of each interval.
	Step time.Duration
}

// ErrNoData is returned (wrapped) when a window holds no request of the
// service.
var ErrNoData = errors.New("no requests")

// Intervals returns, per route, the window's intervals that had requests.
func (c *Client) Intervals(ctx context.Context, w Window) (map[string][]Interval, error) {
	if w.Step <= 0 || !w.Until.After(w.From.Add(w.Step-time.Nanosecond)) {
		return nil, fmt.Errorf("window %s to %s with step %v: no whole step", w.From.Format(time.RFC3339), w.Until.Format(time.RFC3339), w.Step)
	}
	sel := c.selector(w.Service, w.Version)
	rng := "[" + model.Duration(w.Step).String() + "]"
	d, route := c.metrics.Duration, c.metrics.RouteLabel
	queries := []struct {
		expr string
		set  func(*Interval, float64)
	}{
		{fmt.Sprintf("sum by (%s) (increase(%s_count%s%s))", route, d, sel, rng), func(i *Interval, v float64) { i.Requests = v }},
		{fmt.Sprintf("sum by (%[1]s) (rate(%[2]s_sum%[3]s%[4]s)) / sum by (%[1]s) (rate(%[2]s_count%[3]s%[4]s))", route, d, sel, rng), func(i *Interval, v float64) { i.Mean = v }},
		{quantile(0.5, route, d, sel, rng), func(i *Interval, v float64) { i.P50 = v }},
		{quantile(0.9, route, d, sel, rng), func(i *Interval, v float64) { i.P90 = v }},
		{quantile(0.99, route, d, sel, rng), func(i *Interval, v float64) { i.P99 = v }},
	}
	byRoute := map[string]map[int64]*Interval{}
	r := v1.Range{Start: w.From.Add(w.Step), End: w.Until, Step: w.Step}
	for _, q := range queries {
		val, _, _, err := c.api.QueryRange(ctx, q.expr, r)
		if err != nil {
			return nil, fmt.Errorf("querying prometheus for %s's %s: %w", w.Service, q.expr, err)
		}
		m, ok := val.(model.Matrix)
		if !ok {
			return nil, fmt.Errorf("querying prometheus for %s: a %s where a matrix was expected", w.Service, val.Type())
		}
		for _, s := range m {
			rt := string(s.Metric[model.LabelName(route)])
			if byRoute[rt] == nil {
				byRoute[rt] = map[int64]*Interval{}
			}
			for _, p := range s.Values {
				i := byRoute[rt][int64(p.Timestamp)]
				if i == nil {
					i = &Interval{End: p.Timestamp.Time(), Mean: math.NaN(), P50: math.NaN(), P90: math.NaN(), P99: math.NaN()}
					byRoute[rt][int64(p.Timestamp)] = i
				}
				q.set(i, float64(p.Value))
			}
		}
	}
	out := map[string][]Interval{}
	for rt, points := range byRoute {
		var list []Interval
		for _, i := range points {
			if i.Requests > 0 && !math.IsNaN(i.Mean) {
				list = append(list, *i)
			}
		}
		if len(list) == 0 {
			continue
		}
		sort.Slice(list, func(a, b int) bool { return list[a].End.Before(list[b].End) })
		out[rt] = list
	}
	if len(out) == 0 {
		v := ""
		if w.Version != "" {
			v = " " + w.Version
		}
		return nil, fmt.Errorf("%s%s from %s to %s: %w in %s", w.Service, v, w.From.Format(time.RFC3339), w.Until.Format(time.RFC3339), ErrNoData, d)
	}
	return out, nil
}

func quantile(q float64, route, d, sel, rng string) string {
	return fmt.Sprintf("histogram_quantile(%g, sum by (%s, le) (rate(%s_bucket%s%s)))", q, route, d, sel, rng)
}

// selector is the label selector of a service's (and version's) series.
func (c *Client) selector(service, version string) string {
	parts := []string{c.metrics.ServiceLabel + "=" + strconv.Quote(service)}
	if version != "" {
		parts = append(parts, c.metrics.VersionLabel+"="+strconv.Quote(version))
	}
	if m := strings.TrimSpace(c.metrics.Matchers); m != "" {
		parts = append(parts, m)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Versions returns the versions of service whose requests Prometheus saw
// between from and until: none when the metrics carry no version.
func (c *Client) Versions(ctx context.Context, service string, from, until time.Time) ([]string, error) {
	vals, _, _, err := c.api.LabelValues(ctx, c.metrics.VersionLabel,
		[]string{c.metrics.Duration + "_count" + c.selector(service, "")}, from, until)
	if err != nil {
		return nil, fmt.Errorf("asking prometheus for %s's versions: %w", service, err)
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, string(v))
	}
	return out, nil
}
