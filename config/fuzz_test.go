package config

import (
	"math"
	"os"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, and that what it accepts is a
// configuration perfgate can run: it validates, its rounds are in range and
// its thresholds are finite and not negative. The seeds, and the corpus in
// testdata/fuzz/FuzzParse, run in every go test.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(examplePath)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(example),
		fullFileWith("100x"),
		fullFileWith("250ms"),
		"",
		"bench: {rounds: 3}\n",
		// Broken ones.
		"services: {db: postgres}\n",
		"bench: {roundz: 3}\n",
		"bench: {rounds: 5000}\n",
		"bench: {rounds: 2.5}\n",
		"bench: {benchtime: 1.5x}\n",
		"bench: {run: \"(\"}\n",
		"bench: {timeout: 0}\n",
		"bench: {packages: []}\n",
		"bench:\n  packages: [./a, ./b\n",
		"bench:\n\trounds: 3\n",
		"thresholds: {sec/op: -5%}\n",
		"thresholds: {sec/op: 1e400%}\n",
		"thresholds: [5%]\n",
		"thresholds:\n  benchmarks:\n    \"(\": {sec/op: 5%}\n",
		"thresholds:\n  benchmarks:\n    Top: 5%\n",
		"thresholds:\n  benchmarks: 5%\n",
		"thresholds: &t {sec/op: 5%, benchmarks: {x: *t}}\n",
		"thresholds: {? [a, b] : 5%}\n",
		"sides: {head: {env: {\"A=B\": x}, tags: [\"a,b\"]}}\n",
		"sides: {base: {ref: -x}}\n",
		"a: &a [*a]\n",
		"bench: {rounds: 3}\n---\nservices: 1\n",
		"%YAML 1.1\n---\nbench: !!map {rounds: !!int 3}\n",
		"\xff\xfe",
		"# head\nbench: # line\n  # foot\n  rounds: 3 # x\n# tail\n\n# more\n",
		"sides:\n  base:\n    # c\n    - a\n  # d\n#e\n",
		// Inputs that made earlier yaml.v3 versions panic.
		"#\n-\n{",
		"#\n-\n-\n0",
		"0: [:!00 \xef",
		"a:\n.\n-\n",
		"{{},<<}",
		"<<: [[a]]\n",
		"40y::\r\r\r\r\r\r\r\r<<:\r\r\r\r\r\r\r-  - #\r?\r#\r\r#-\r -\r?\r#\r\r#--",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yml")
		if err != nil {
			if c != nil {
				t.Errorf("Parse returned a config beside the error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.yml: ") {
				t.Errorf("error %q does not start with the file name", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Parse accepted a config that does not validate: %v", err)
		}
		if r := c.Bench.Rounds; r < 1 || r > 1000 {
			t.Errorf("Parse accepted rounds %d", r)
		}
		check := func(what string, v float64) {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Errorf("Parse accepted threshold %s = %v", what, v)
			}
		}
		check("default", c.Thresholds.Default)
		for u, v := range c.Thresholds.Units {
			check(u, v)
		}
		for _, b := range c.Thresholds.Benchmarks {
			if b.Pattern == nil {
				t.Errorf("Parse accepted a benchmark override without a pattern")
				continue
			}
			for u, v := range b.Units {
				check(b.Pattern.String()+" "+u, v)
			}
		}
	})
}
