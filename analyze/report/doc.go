// Package report renders a verdict for people and machines. Each format is
// one file with one exported function, and each has a golden file made from
// the same inputs (testdata/compare.*.golden, and testdata/explained.*.golden
// for a verdict with explanations; refreshed with go test -update):
//
//   - Text (text.go): for a terminal, optionally in color: one summary
//     line, the regressions worst first, each explanation once after the
//     last regression it explains (a regression without one, as from an
//     older verdict, with its own hot functions), then benchstat-like
//     tables of all results, then the notes.
//   - Markdown (markdown.go): for a GitHub job summary or pull request
//     comment, with a marker line to find the comment again, untrusted
//     names escaped, and a size limit it never exceeds.
//   - HTML (html.go): one self-contained page, no network needed: charts
//     of every round (chart.go), latency percentiles of load scenarios, and
//     diff flame graphs (flame.go), all inline SVG.
//   - JSON (json.go): the verdict schema of perfgate's --json output.
//
// hot.go holds the tables of perfgate hot (HotRank, HotDiff).
//
// A verdict is untrusted: the code under test named its benchmarks,
// functions and services, and a verdict.json may come from a pull
// request's run. Every format renders any verdict that decodes, sides
// missing or not; and text from it reaches a terminal or a CI log only
// escaped (termText in format.go, for Text and the hot tables; mdText for
// Markdown; html/template and htmlVisible for HTML), so that it can
// neither drive the terminal nor issue a workflow command.
//
// The package is pure: it writes to the io.Writer it is given and reads
// no file, starts no process and opens no connection.
package report
