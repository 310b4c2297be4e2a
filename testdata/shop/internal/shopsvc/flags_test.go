package shopsvc

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestFlagsEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    time.Duration
		wantErr string
	}{
		{name: "default", want: time.Millisecond},
		{name: "env", env: map[string]string{"SHOP_LATENCY": "20ms"}, want: 20 * time.Millisecond},
		{name: "flag wins over env", env: map[string]string{"SHOP_LATENCY": "20ms"}, args: []string{"-latency", "5ms"}, want: 5 * time.Millisecond},
		{name: "empty env is unset", env: map[string]string{"SHOP_LATENCY": ""}, want: time.Millisecond},
		{name: "bad env", env: map[string]string{"SHOP_LATENCY": "soon"}, wantErr: `environment SHOP_LATENCY="soon" for -latency`},
		{name: "bad flag", args: []string{"-latency", "soon"}, wantErr: "invalid value"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			fs := NewFlags("svc", &stderr)
			d := fs.Duration("latency", time.Millisecond, "latency")
			fs.Env("latency", "SHOP_LATENCY")
			err := fs.ParseEnv(tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseEnv: got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEnv: %v", err)
			}
			if *d != tt.want {
				t.Errorf("latency = %v, want %v", *d, tt.want)
			}
		})
	}
}

func TestFlagsUsageNamesEnv(t *testing.T) {
	var stderr bytes.Buffer
	fs := NewFlags("svc", &stderr)
	fs.Int("work", 1, "rounds")
	fs.Env("work", "SHOP_PRICING_WORK")
	if err := fs.ParseEnv([]string{"-h"}, func(string) string { return "" }); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("ParseEnv(-h) = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(stderr.String(), "rounds (env SHOP_PRICING_WORK)") {
		t.Errorf("usage does not name the variable:\n%s", stderr.String())
	}
}

func TestOnOff(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{in: "on", want: true},
		{in: "off", want: false},
		{in: "true", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		v := OnOff(!tt.want)
		err := v.Set(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Set(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && bool(v) != tt.want {
			t.Errorf("Set(%q) = %v, want %v", tt.in, bool(v), tt.want)
		}
		if err == nil && v.String() != tt.in {
			t.Errorf("String() after Set(%q) = %q", tt.in, v.String())
		}
	}
}

func TestExit(t *testing.T) {
	tests := []struct {
		err        error
		want       int
		wantStderr string
	}{
		{err: nil, want: 0},
		{err: flag.ErrHelp, want: 0},
		{err: errors.New("boom"), want: 2, wantStderr: "svc: boom\n"},
		{err: errors.Join(errors.New("serving: boom"), errors.New("stopping profiling: bang")), want: 2, wantStderr: "svc: serving: boom; stopping profiling: bang\n"},
		{err: CheckLoopback("0.0.0.0:1"), want: 2, wantStderr: "svc: listen address \"0.0.0.0:1\": not a loopback address"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if got := Exit("svc", tt.err, &stderr); got != tt.want {
			t.Errorf("Exit(%v) = %d, want %d", tt.err, got, tt.want)
		}
		if !strings.HasPrefix(stderr.String(), tt.wantStderr) || (tt.wantStderr == "") != (stderr.Len() == 0) {
			t.Errorf("Exit(%v) wrote %q, want %q", tt.err, stderr.String(), tt.wantStderr)
		}
	}
}
