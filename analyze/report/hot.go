package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/text"
)

// The tables of perfgate hot: the functions of one profile, and those that
// grew from a base profile. Function names, call paths and units come
// from the profiles, which the code under test wrote: they are escaped as
// the text report escapes them (termText).

// HotRank writes the functions of one profile as analyze.Rank ranks them,
// in the columns of go tool pprof -top: flat cost, its share of the total,
// cumulative cost, function.
func HotRank(w io.Writer, hot []analyze.Hot) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flat\tflat%\tcum\t\t")
	for _, h := range hot {
		fmt.Fprintf(tw, "%s\t%.2f%%\t%s\t\t%s\n", text.Terminal(Cost(h.Head, h.Unit)), 100*h.Share, text.Terminal(Cost(h.HeadCum, h.Unit)), text.Terminal(h.Function))
	}
	return tw.Flush()
}

// HotDiff writes the functions that grew as analyze.Diff ranks them:
// growth, share of the growth, base and head cost, function; then the
// call path of the first, outermost frame first, each frame a line
// indented by its depth. With no function, it says that none grew.
func HotDiff(w io.Writer, hot []analyze.Hot) error {
	ew := &errWriter{w: w}
	if len(hot) == 0 {
		fmt.Fprintln(ew, "no function grew")
		return ew.err
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "growth\tshare\tbase\thead\tfunction")
	for _, h := range hot {
		fmt.Fprintf(tw, "%s\t%.0f%%\t%s\t%s\t%s\n", text.Terminal(hotGrowth(h)), 100*h.Share,
			text.Terminal(Cost(h.Base, h.Unit)), text.Terminal(Cost(h.Head, h.Unit)), text.Terminal(h.Function))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(hot[0].Path) > 0 {
		fmt.Fprintf(ew, "\npath to %s:\n", text.Terminal(hot[0].Function))
		for i, f := range hot[0].Path {
			fmt.Fprintf(ew, "%*s%s\n", 2+2*min(i, 20), "", text.Terminal(f))
		}
	}
	return ew.err
}
