// Package bench measures the two sides of a change: go test benchmarks
// (Suite) and load scenarios against each side's services (LoadTest), in
// rounds that the gate drives. It writes only files, into the run
// directory (rundir): base.txt and head.txt in the Go benchmark format,
// with config keys "commit" and "variant" so that benchstat reads them and
// analyze compares them, each round's raw output, profiles and run.json.
//
// The steps of a run, as the gate calls them:
//
//  1. Open the sides: each side is a git ref checked out in a temporary
//     worktree, or the working tree as it is, with optional env and build
//     tags, and a results file.
//  2. Prepare each runner: Suite lists each side's packages with tests,
//     builds each one's test binary once (go test -c) and lists the
//     benchmarks; for load, BuildServices and StartServices build each
//     side's services and start them on loopback, and LoadTest.Prepare
//     warms each side up.
//  3. Round: one measured round of one side. A Suite round runs every
//     top-level benchmark in a process of its own with -test.count=1; a
//     LoadTest round sends the scenario's open-model load (bench/load) and
//     reads each service's CPU time and peak memory, and runs again when
//     the driver could not keep up. Each round's output is kept in rounds/
//     as it ends and its results appended to the side's file.
//  4. Profile: one more run per side, after the measured rounds, that
//     keeps profiles: a CPU and a memory profile per benchmark (for the
//     median iteration count of its rounds, so the work is known), or each
//     service's CPU profile during the load and heap and goroutine
//     snapshots after it. Profiling costs CPU; keeping it out of the
//     measured rounds keeps it out of the figures.
//  5. Close the sides, whatever happened: services stopped, worktrees and
//     binaries removed; finished rounds stay on disk and run.json says
//     what ran, where, with which Go, and how far it got.
//
// RunURL is the load of a service that is already running (perfgate
// load): the same driver and captures, without sides.
package bench
