package promtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A real Prometheus scrapes a target and answers a query about it.
func TestStartScrapes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A target that serves one gauge.
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# TYPE promtest_answer gauge\npromtest_answer 42\n"))
	}))
	defer target.Close()
	s := ForTest(t, ctx, 200*time.Millisecond, Target{Job: "answer", Addrs: []string{strings.TrimPrefix(target.URL, "http://")}})
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(`promtest_answer{job="answer"}`))
		if err != nil {
			t.Fatal(err)
		}
		var ans struct {
			Status string
			Data   struct {
				Result []struct {
					Value []any
				}
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(ans.Data.Result) == 1 {
			if v := ans.Data.Result[0].Value[1]; v != "42" {
				t.Fatalf("promtest_answer = %v, want 42", v)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sample scraped after 20s: %+v", ans)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestConfig(t *testing.T) {
	got := Config(time.Second, Target{Job: "shop", Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}})
	for _, want := range []string{"scrape_interval: 1s", `job_name: "shop"`, `targets: ["127.0.0.1:1", "127.0.0.1:2"]`} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
}
