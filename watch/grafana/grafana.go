// Package grafana holds perfgate watch's Grafana dashboard (dashboard.json,
// provisionable with provisioning.yml): the services' request rate,
// response times and errors by version, from their request-duration
// histogram, watch's own figures, and its deploy verdicts as annotations.
// Grafana cannot run here; Queries gives every PromQL expression of the
// dashboard with its variables set, so that tests run them against a real
// Prometheus.
package grafana

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Dashboard is dashboard.json.
//
//go:embed dashboard.json
var Dashboard []byte

// Query is one PromQL expression of the dashboard.
type Query struct {
	// Where names it: a panel's title and target, or an annotation's
	// name.
	Where string
	Expr  string
}

// dashboard is the part of the dashboard's JSON that holds queries.
type dashboard struct {
	Templating struct {
		List []struct{ Name string }
	}
	Annotations struct {
		List []struct {
			Name string
			Expr string
		}
	}
	Panels []struct {
		Title   string
		Type    string
		Targets []struct {
			RefID string
			Expr  string
		}
	}
}

// grafanaVar is a variable reference: $name, ${name} or [[name]].
var grafanaVar = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]`)

// Queries returns every expression of the dashboard, with each Grafana
// variable ($name or ${name}) replaced by its value in vars. A variable
// that vars does not set is an error: the expression could not run as
// Grafana runs it.
func Queries(vars map[string]string) ([]Query, error) {
	var d dashboard
	if err := json.Unmarshal(Dashboard, &d); err != nil {
		return nil, fmt.Errorf("reading the dashboard: %w", err)
	}
	var out []Query
	add := func(where, expr string) error {
		var missing []string
		e := grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
			name := strings.Trim(m, "${}[]")
			v, ok := vars[name]
			if !ok {
				missing = append(missing, name)
			}
			return v
		})
		if len(missing) > 0 {
			return fmt.Errorf("%s: variables %s not set", where, strings.Join(missing, ", "))
		}
		out = append(out, Query{Where: where, Expr: e})
		return nil
	}
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			if err := add(fmt.Sprintf("panel %q target %s", p.Title, t.RefID), t.Expr); err != nil {
				return nil, err
			}
		}
	}
	for _, a := range d.Annotations.List {
		if err := add(fmt.Sprintf("annotation %q", a.Name), a.Expr); err != nil {
			return nil, err
		}
	}
	return out, nil
}
