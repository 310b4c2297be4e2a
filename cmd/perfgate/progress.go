package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/perfgate/perfgate/gate"
)

// progress shows how a run advances: one line rewritten in place on a
// terminal, plain lines otherwise (CI logs).
type progress struct {
	w    io.Writer
	tty  bool
	last string
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) update(e gate.Progress) {
	var s string
	switch e.Phase {
	case "build":
		s = fmt.Sprintf("building %s", e.Side)
	case "start":
		s = fmt.Sprintf("starting the %s services", e.Side)
	case "warmup":
		s = fmt.Sprintf("%s: warming up %s", e.Scenario, e.Side)
	case "round":
		s = fmt.Sprintf("round %d/%d %s", e.Round, e.Rounds, e.Side)
	case "profile":
		s = fmt.Sprintf("profiling %s", e.Side)
	}
	if e.Scenario != "" && e.Phase != "warmup" {
		s = e.Scenario + ": " + s
	}
	if e.Total > 0 {
		s += fmt.Sprintf(" · step %d/%d", e.Done+1, e.Total)
	}
	if e.Left > 0 {
		s += fmt.Sprintf(" · %s elapsed, about %s left", e.Elapsed.Round(time.Second), e.Left.Round(time.Second))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[Kperfgate: %s", s)
		p.last = s
		return
	}
	fmt.Fprintf(p.w, "perfgate: %s\n", s)
}

func (p *progress) finish() {
	if p.tty && p.last != "" {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
