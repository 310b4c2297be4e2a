// Package rundir owns perfgate's run directory: where each file of a run
// lives, and the two files that describe it, run.json (Info: what ran,
// where, how far it got) and verdict.json (the analyze.Verdict). Every
// command that writes or reads a run goes through it; no other package
// spells a file name of the layout.
//
// A run directory holds:
//
//	base.txt, head.txt          every measured line of each side, in the Go benchmark format
//	rounds/                     the raw output of each round, kept as soon as the round ends
//	profiles/                   per benchmark or per service under load, each side's profiles
//	logs/                       each service's output
//	diffs/                      per regressed result, the profiles behind its hot functions
//	build-SIDE.log, bin/        compiler output; test and service binaries (removed at the end unless kept)
//	run.json, verdict.json      what ran; the verdict
//	report.html                 the HTML report
//
// and, for perfgate load against a running service, load.txt and
// profiles/NN.KIND.pprof.
//
// Run directories made by New live under .perfgate/runs, named by the UTC
// time they began, with a .gitignore so that they never show as changes of
// the repository; Prune keeps the newest of them.
package rundir
