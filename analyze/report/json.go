package report

import (
	"encoding/json"
	"io"

	"github.com/perfgate/perfgate/analyze"
)

// JSON writes v in the verdict schema of perfgate's --json output,
// indented for people who read it.
func JSON(w io.Writer, v *analyze.Verdict) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
