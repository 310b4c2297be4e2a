package shopsvc

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProfilingFlags(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want Profiling
	}{
		{name: "default: off, no version", want: Profiling{Env: "dev"}},
		{name: "env", env: map[string]string{"SHOP_PROFILE_URL": "http://127.0.0.1:4040", "SHOP_PROFILE_UPLOAD": "2s", "SHOP_VERSION": "v2", "SHOP_ENV": "staging"},
			want: Profiling{URL: "http://127.0.0.1:4040", Upload: 2 * time.Second, Version: "v2", Env: "staging"}},
		{name: "flags win", env: map[string]string{"SHOP_VERSION": "v2", "SHOP_ENV": "staging"}, args: []string{"-version", "v3", "-env", "prod", "-profile-url", "http://[::1]:4040"},
			want: Profiling{URL: "http://[::1]:4040", Version: "v3", Env: "prod"}},
		{name: "empty env is unset", env: map[string]string{"SHOP_PROFILE_URL": "", "SHOP_VERSION": "", "SHOP_ENV": ""}, want: Profiling{Env: "dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := NewFlags("svc", io.Discard)
			p := fs.ProfilingFlags()
			if err := fs.ParseEnv(tt.args, func(k string) string { return tt.env[k] }); err != nil {
				t.Fatalf("ParseEnv: %v", err)
			}
			if *p != tt.want {
				t.Errorf("got %+v, want %+v", *p, tt.want)
			}
			c := p.Config("pricing", io.Discard)
			if c.ServerAddress != tt.want.URL || c.Service != "pricing" || c.Version != tt.want.Version || c.Environment != tt.want.Env || c.UploadRate != tt.want.Upload {
				t.Errorf("Config: %+v from %+v", c, *p)
			}
			if c.PprofAddr != "" || c.Logger == nil {
				t.Errorf("Config: PprofAddr %q, Logger %v: want no pprof port and a logger", c.PprofAddr, c.Logger)
			}
		})
	}
}

func TestProfilingUsageNamesEnv(t *testing.T) {
	var stderr bytes.Buffer
	fs := NewFlags("svc", &stderr)
	fs.ProfilingFlags()
	if err := fs.ParseEnv([]string{"-h"}, func(string) string { return "" }); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("ParseEnv(-h) = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"(env SHOP_PROFILE_URL)", "(env SHOP_VERSION)", "(env SHOP_ENV)"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("usage lacks %s:\n%s", want, stderr.String())
		}
	}
}

// The request metrics carry the version when there is one, and only then.
func TestMetricsVersion(t *testing.T) {
	for _, version := range []string{"", "v2"} {
		h, err := HandlerWithVersion("svc", version, NewRegistry(),
			Route{Pattern: "/hello", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})})
		if err != nil {
			t.Fatalf("HandlerWithVersion: %v", err)
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/hello", nil))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		text := w.Body.String()
		label := ""
		if version != "" {
			label = `,version="v2"`
		}
		for _, want := range []string{
			`shop_http_request_duration_seconds_bucket{code="200",route="/hello",service="svc"` + label + `,le="+Inf"} 1`,
			`shop_http_requests_total{code="200",route="/hello",service="svc"` + label + `} 1`,
			`shop_http_errors_total{route="/hello",service="svc"` + label + `} 0`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("version %q: /metrics lacks %s", version, want)
			}
		}
		for line := range strings.Lines(text) {
			if strings.HasPrefix(line, "shop_") && strings.Contains(line, "version=") != (version != "") {
				t.Errorf("version %q: %s", version, strings.TrimSpace(line))
			}
		}
	}
}
