// Package analyze turns benchmark results into a verdict.
//
// It is pure: statistics and decisions over values, no files, processes or
// network. The steps of a comparison are those of benchstat (golang.org/x/perf),
// whose packages do the statistics:
//
//  1. Read each side's results in the Go benchmark format (ReadResults, with
//     benchfmt). A malformed line is an error: a gate does not skip data.
//  2. Group the values of both sides by table (file configuration and unit),
//     row (full benchmark name) and column (side), with benchproc, ignoring the
//     configuration keys that only tell the sides apart (commit, variant).
//  3. Summarize each cell and compare base with head with benchmath, under the
//     unit's assumption (Mann-Whitney U test unless the unit says
//     assume=exact), at alpha 0.05 and 95% confidence, as benchstat does.
//  4. Decide: a result regressed when the difference is significant and its
//     size, in the unit's worse direction, is beyond the unit's threshold.
//     Too few samples to ever reach significance is said, not called "no
//     change"; a result on one side only is reported, not an error.
//
// For a regressed result, Diff (hot.go) names the functions behind it from
// the profiles of both sides: flat cost per unit of work (per iteration, per
// request), attributed as go tool pprof attributes it, ranked by growth.
package analyze
