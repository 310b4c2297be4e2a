// Package report renders a verdict for people and machines. Each format is
// one file with one exported function, and each has a golden file made from
// the same input (testdata/compare.*.golden, refreshed with go test
// -update):
//
//   - Text (text.go): for a terminal, optionally in color: one summary
//     line, the regressions worst first with their hot functions, then
//     benchstat-like tables of all results, then the notes.
//   - Markdown (markdown.go): for a GitHub job summary or pull request
//     comment, with a marker line to find the comment again, untrusted
//     names escaped, and a size limit it never exceeds.
//   - HTML (html.go): one self-contained page, no network needed: charts
//     of every round (chart.go), latency percentiles of load scenarios, and
//     diff flame graphs (flame.go), all inline SVG.
//   - JSON (json.go): the verdict schema of perfgate's --json output.
//
// The package is pure: it writes to the io.Writer it is given and reads
// no file, starts no process and opens no connection.
package report
