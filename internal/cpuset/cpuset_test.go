package cpuset

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		allowed, driver, services string
	}{
		{"0-1", "1", "0"},
		{"0-2", "2", "0-1"},
		{"0-3", "3", "0-2"},
		{"0-7", "6-7", "0-5"},
		{"0-15", "12-15", "0-11"},
		{"2,5,7", "7", "2,5"},
		{"1-2,8-9", "9", "1-2,8"},
	} {
		allowed, err := Parse(c.allowed)
		if err != nil {
			t.Fatal(err)
		}
		d, s, ok := Split(allowed)
		if !ok || d.String() != c.driver || s.String() != c.services {
			t.Errorf("Split(%s) = %s, %s, %v; want %s, %s, true", c.allowed, d, s, ok, c.driver, c.services)
		}
	}
	for _, list := range []string{"", "0", "3"} {
		allowed, _ := Parse(list)
		if d, s, ok := Split(allowed); ok {
			t.Errorf("Split(%q) = %s, %s, true; want nothing to split", list, d, s)
		}
	}
}

func TestParseString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"0", "0"},
		{"0-3", "0-3"},
		{"0,1,2,5", "0-2,5"},
		{" 3 , 1-2 ", "1-3"},
		{"4-4,0", "0,4"},
		{"1-2,2-3", "1-3"},
	} {
		s, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if s.String() != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.in, s, c.want)
		}
	}
	for _, bad := range []string{"a", "-1", "1-", "3-1", "0,,1", "1-2-3", "+1", "70000", "0-99999999"} {
		if s, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %s, want an error", bad, s)
		} else if !strings.Contains(err.Error(), "reading CPU list") {
			t.Errorf("Parse(%q): error %q does not say what was read", bad, err)
		}
	}
	if s := New(3, 1, 3, -1); s.String() != "1,3" || s.Len() != 2 || !s.Equal(New(1, 3)) {
		t.Errorf("New(3, 1, 3, -1) = %s (%d CPUs)", s, s.Len())
	}
}

// FuzzParse checks that what Parse accepts prints as a list that parses
// back to the same set.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "0-3", "0,2-3", " 1 , 5-7", "3-1", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		s, err := Parse(list)
		if err != nil {
			return
		}
		again, err := Parse(s.String())
		if err != nil || !again.Equal(s) {
			t.Fatalf("Parse(%q) = %s, which parses back as %s, %v", list, s, again, err)
		}
	})
}
