package analyze

import (
	"fmt"
	"testing"
)

func TestLooks(t *testing.T) {
	for _, tt := range []struct {
		min, rounds int
		want        string
	}{
		{10, 60, "[10 15 23 35 60]"},
		{8, 20, "[8 12 20]"},
		{8, 10, "[8 10]"},
		{8, 12, "[8 12]"},
		{8, 8, "[8]"},
		{0, 10, "[10]"},
		{12, 5, "[5]"},
		{2, 19, "[2 3 5 8 12 19]"},
		{2, 20, "[2 3 5 8 12 20]"},
	} {
		if got := fmt.Sprint(Looks(tt.min, tt.rounds)); got != tt.want {
			t.Errorf("Looks(%d, %d) = %s, want %s", tt.min, tt.rounds, got, tt.want)
		}
	}
}
