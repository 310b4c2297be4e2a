package action

import (
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"
)

// MaxSummaryBytes is how much of a step's summary perfgate writes. The
// runner uploads at most 1 MiB per step and drops a bigger summary whole
// (with an error annotation), and one just under 1 MiB silently
// (actions/runner#4337): the margin keeps clear of both.
const MaxSummaryBytes = 1<<20 - 32<<10

// summaryCut ends a summary that was cut to fit.
const summaryCut = "\n\n… (cut: a step summary holds at most 1 MiB; the report file has it all)\n"

// WriteSummary appends markdown to the step's summary (GITHUB_STEP_SUMMARY),
// cut at a line end so that the step's whole summary stays within
// MaxSummaryBytes. Outside a runner it does nothing.
func WriteSummary(a *githubactions.Action, markdown string) (err error) {
	path := a.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	used := int64(0)
	if fi, err := os.Stat(path); err == nil {
		used = fi.Size()
	}
	room := MaxSummaryBytes - int(used) - 1 // AddStepSummary adds a line end
	if len(markdown) > room {
		markdown = cutAtLine(markdown, room-len(summaryCut))
		if markdown == "" && room < len(summaryCut) {
			return fmt.Errorf("writing the step summary: it already holds %d bytes", used)
		}
		markdown += summaryCut
	}
	defer func() {
		// go-githubactions panics when it cannot write the file.
		if r := recover(); r != nil {
			err = fmt.Errorf("writing the step summary: %v", r)
		}
	}()
	a.AddStepSummary(markdown)
	return nil
}

// cutAtLine returns the longest prefix of s of at most n bytes that ends
// at a line end, or, with no line end, at a character's end.
func cutAtLine(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
