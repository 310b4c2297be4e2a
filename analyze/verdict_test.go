package analyze

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
)

func TestFloatJSON(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{1.5, "1.5"},
		{-0.25, "-0.25"},
		{1e-9, "1e-9"}, // as encoding/json writes a float64
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{math.Inf(-1), "null"},
	} {
		b, err := json.Marshal(Float(tt.f))
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(Float(%v)) = %s, %v; want %s", tt.f, b, err, tt.want)
			continue
		}
		var back Float
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("Unmarshal(%s): %v", b, err)
			continue
		}
		finite := !math.IsNaN(tt.f) && !math.IsInf(tt.f, 0)
		if finite && float64(back) != tt.f || !finite && !math.IsNaN(float64(back)) {
			t.Errorf("Float(%v) came back as %v", tt.f, float64(back))
		}
	}
	var f Float
	if err := json.Unmarshal([]byte(`"1"`), &f); err == nil {
		t.Errorf("a JSON string decoded as Float %v", float64(f))
	}
}

func TestConfigJSON(t *testing.T) {
	c := Config{{"pkg", "example.com/p"}, {"goos", "linux"}, {`we"ird`, "a\tb"}, {"cpu", ""}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"pkg":"example.com/p","goos":"linux","we\"ird":"a\tb","cpu":""}`
	if string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, c) {
		t.Errorf("came back as %v, want %v", back, c)
	}
	if b, err := json.Marshal(Config(nil)); err != nil || string(b) != "{}" {
		t.Errorf("Marshal(nil) = %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"a": 1}`), &back); err == nil {
		t.Error("a number decoded as a configuration value")
	}
	if got := c.Get("goos"); got != "linux" {
		t.Errorf("Get(goos) = %q", got)
	}
	if got := c.Get("goarch"); got != "" {
		t.Errorf("Get(goarch) = %q", got)
	}
}

func TestVerdictCount(t *testing.T) {
	v := &Verdict{Results: []Result{{Status: StatusRegression}, {Status: StatusUnchanged}, {Status: StatusRegression}}}
	for s, want := range map[Status]int{StatusRegression: 2, StatusUnchanged: 1, StatusHeadOnly: 0} {
		if got := v.Count(s); got != want {
			t.Errorf("Count(%s) = %d, want %d", s, got, want)
		}
	}
}

func TestLoadName(t *testing.T) {
	for _, tt := range []struct {
		name string
		want LoadName
		ok   bool
	}{
		{"BenchmarkLoad/scenario=checkout/service=cart", LoadName{"checkout", "cart"}, true},
		{"BenchmarkLoad/scenario=work", LoadName{"work", ""}, true},
		{"BenchmarkLoad/scenario=", LoadName{}, false},
		{"BenchmarkLoad/scenario=a/b/service=c", LoadName{}, false},
		{"BenchmarkTop/words=10-2", LoadName{}, false},
	} {
		got, ok := ParseLoadName(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseLoadName(%q) = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.name {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), tt.name)
		}
	}
	if got := string((LoadName{"x", "y"}).BenchName()); got != "Load/scenario=x/service=y" {
		t.Errorf("BenchName = %q", got)
	}
}
