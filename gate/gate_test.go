package gate

import (
	"fmt"
	"testing"
)

func TestLooks(t *testing.T) {
	for _, tt := range []struct {
		min, rounds int
		want        string
	}{
		{8, 20, "[8 12 16 20]"},
		{8, 10, "[8 10]"},
		{8, 8, "[8]"},
		{0, 10, "[10]"},
		{12, 5, "[5]"},
		{6, 19, "[6 10 14 18 19]"},
	} {
		if got := fmt.Sprint(Looks(tt.min, tt.rounds)); got != tt.want {
			t.Errorf("Looks(%d, %d) = %s, want %s", tt.min, tt.rounds, got, tt.want)
		}
	}
}
