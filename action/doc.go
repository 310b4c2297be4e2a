// Package action adapts perfgate to GitHub Actions, through
// github.com/sethvargo/go-githubactions. Run is the whole of `perfgate
// action`, and Comment of `perfgate comment`; a Run goes:
//
//  1. ReadEvent and ReadInputs: what triggered the workflow (the event
//     file at GITHUB_EVENT_PATH, read into a typed struct) and the
//     action's inputs.
//  2. BaseRevision: which commit the pull request or push is compared
//     with, given the checkout; pull_request_target is refused unless
//     the workflow opts in, since the gate runs the pull request's code.
//  3. The gate runs (gate.Run) inside Untrusted: the benchmarks and
//     services (the pull request's code) run with the runner's workflow
//     commands stopped, so their output cannot set outputs, add masks or
//     annotations, and with the environment SafeEnv leaves them, without
//     the tokens and the runner's command files.
//  4. WriteSummary adds the report to the job summary, cut to the
//     runner's limit; Annotate (with LocateBenchmark) marks the worst
//     regressed benchmarks on their source lines; SetOutputs sets the
//     step's outputs (verdict, regressions, report).
//  5. Client.UpsertComment creates or updates the pull request's one
//     perfgate comment; a fork's read-only token gives ErrForbidden, which
//     is a warning, not a failure.
//
// Text from the pull request (benchmark and function names, its output)
// only ever reaches the runner escaped as the command format requires or
// between stop-commands markers; it never reaches SetOutput or SetEnv,
// whose file-command delimiter is fixed and could be forged.
package action
