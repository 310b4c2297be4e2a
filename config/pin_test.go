package config

import (
	"strings"
	"testing"
)

func TestPinCPUs(t *testing.T) {
	const load = "services: [{name: a, build: ./a}]\nload: [{name: x, target: a}]\n"
	for _, tt := range []struct {
		yaml string
		want bool
	}{
		{"", false},
		{load, false},
		{"pin_cpus: true\n" + load, true},
		{load + "pin_cpus: false\n", false},
		// Accepted without load scenarios too: there is then nothing
		// to pin, as on a machine with 1 CPU.
		{"pin_cpus: true\n", true},
	} {
		c, err := Parse([]byte(tt.yaml), "p.yml")
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.yaml, err)
		}
		if c.PinCPUs != tt.want {
			t.Errorf("Parse(%q).PinCPUs = %v, want %v", tt.yaml, c.PinCPUs, tt.want)
		}
	}
	if Defaults().PinCPUs {
		t.Error("pinning is on by default")
	}
	for _, bad := range []string{"pin_cpus: 2\n", "pin_cpus: [0, 1]\n", "pin_cpu: true\n", "load: [{name: x, target: a, pin_cpus: true}]\n"} {
		if c, err := Parse([]byte(bad), "p.yml"); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", bad, c)
		} else if !strings.HasPrefix(err.Error(), "p.yml: ") {
			t.Errorf("Parse(%q): error %q does not name the file", bad, err)
		}
	}
}
