// Package analyze turns benchmark results into a verdict, and profiles
// into the functions behind it.
//
// It is pure: statistics and decisions over values, no files, processes or
// network. A comparison goes as benchstat's does (golang.org/x/perf, whose
// packages do the statistics), with a second way of deciding for perfgate's
// own runs:
//
//  1. Read each side's results in the Go benchmark format (ReadResults, with
//     benchfmt). A malformed line is an error: a gate does not skip data.
//  2. Group the values of both sides by table (file configuration and unit),
//     row (full benchmark name) and column (side), with benchproc, ignoring the
//     configuration keys that only tell the sides of perfgate's runs apart
//     (commit, variant) and those Options.Ignore names, as benchstat's
//     -ignore. Results whose configurations differ otherwise are never
//     pooled; files that share no configuration are an error that says which
//     keys tell them apart (NoSharedConfigError).
//  3. Summarize each cell with benchmath under the unit's assumption.
//  4. Test and decide. With DefaultOptions, as benchstat does (perfgate
//     compare): a Mann-Whitney U test per result at alpha 0.05, and a result
//     regressed when the difference is significant and its size, in the
//     unit's worse direction, is beyond the unit's threshold. With
//     PairedOptions, as the gate decides on its own interleaved rounds
//     (paired.go): a Wilcoxon signed-rank test of each round's change (the U
//     test below 8 rounds), Holm's correction over each unit's results at
//     PairedAlpha (0.02), split over the looks at the rounds (sequential.go:
//     Looks), the change estimated by Hodges-Lehmann; a result that more
//     rounds could still change is Open, and one whose data rule out neither
//     side of its threshold is inconclusive. Too few samples to ever reach
//     significance is said, not called "no change"; a result on one side
//     only is reported, not an error.
//
// For a regressed result, the hot functions come from the profiles of both
// sides: DiffProfiles builds their difference as go tool pprof -diff_base
// does (per unit of work, per service), and Diff ranks the functions of that
// same difference by growth of flat cost per unit of work; Rank lists one
// profile's functions as go tool pprof -top does, and Folded writes a
// profile's stacks for flame graphs.
package analyze
