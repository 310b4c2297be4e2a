// Package bench measures go test benchmarks on two sides of a change.
//
// The steps of Run:
//
//  1. Resolve each side: a git ref checked out in a temporary worktree, or
//     the working tree as it is, with optional env and build tags.
//  2. List each side's packages with tests and build each one's test binary
//     once (go test -c).
//  3. Run the measured rounds, interleaved so that machine drift hits both
//     sides alike: rounds alternate which side goes first (base, head; head,
//     base; ...), which also cancels a drift that is linear in time. Each
//     round runs every package's binary once with -test.count=1; its output
//     is kept in rounds/ and appended to base.txt or head.txt.
//  4. When profiling is on, run one more round per side, after the measured
//     ones, that keeps a CPU and a memory profile of each benchmark in
//     profiles/<side>/. Profiling costs about a tenth of the CPU on a small
//     machine; keeping it out of the measured rounds keeps it out of the
//     figures.
//  5. Remove the worktrees, whatever happened; finished rounds stay on disk
//     and run.json says what ran, where, with which Go.
//
// Files are the only output: base.txt and head.txt are in the Go benchmark
// format, with config keys "commit" and "variant", so benchstat reads them
// and analyze compares them.
package bench
