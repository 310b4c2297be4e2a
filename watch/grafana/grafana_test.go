package grafana

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/promtest"
)

// vars are the values Grafana would give the dashboard's variables, with a
// rate interval fit for a test's short scrape interval.
var vars = map[string]string{
	"metric":          "shop_http_request_duration_seconds",
	"service":         ".*",
	"__rate_interval": "1m",
	"__range":         "1h",
	"datasource":      "prometheus",
}

// Every panel shows something, every query is found, and every variable
// is one the dashboard defines or one of Grafana's.
func TestDashboardShape(t *testing.T) {
	var d struct {
		Templating struct{ List []struct{ Name string } }
		Panels     []struct {
			Title   string
			Type    string
			Targets []json.RawMessage
		}
	}
	if err := json.Unmarshal(Dashboard, &d); err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, v := range d.Templating.List {
		defined[v.Name] = true
	}
	for name := range vars {
		if !defined[name] && !strings.HasPrefix(name, "__") {
			t.Errorf("variable %s is not defined by the dashboard", name)
		}
	}
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
	qs, err := Queries(vars)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 10 {
		t.Errorf("%d queries, want the 10 panels' and the annotation's", len(qs))
	}
	if _, err := Queries(map[string]string{}); err == nil {
		t.Error("Queries with no variables set: no error")
	}
}

// Every query parses and runs on a real Prometheus. That they return the
// services' and watch's figures is checked where those run (cmd/perfgate's
// watch demo test).
func TestDashboardQueriesRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := promtest.ForTest(t, ctx, time.Second)
	qs, err := Queries(vars)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		resp, err := http.Get(srv.URL + "/api/v1/query?query=" + url.QueryEscape(q.Expr))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s: %s", q.Where, q.Expr, body)
		}
	}
}
