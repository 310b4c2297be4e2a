package action

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Untrusted runs f, which prints output of the pull request's code (the
// benchmarks), with the runner's workflow commands stopped: it writes
// "::stop-commands::TOKEN" to w before f and "::TOKEN::" after it, on a
// line of its own even when f left a line unfinished, with TOKEN fresh
// from crypto/rand on every call and nowhere else, so the code cannot
// print it to resume commands early. Until f returns, the runner takes no
// command, perfgate's own included.
//
// The runner reads a step's stdout and stderr on two threads and orders
// their lines only roughly, so w must be the stream f's untrusted output
// goes to, and the other stream must carry none: a line of stderr can be
// processed after the resume marker of stdout. The resume marker is
// written even when f panics. Untrusted returns f's error; when the stop
// marker cannot be written, f does not run.
func Untrusted(w io.Writer, f func() error) (err error) {
	token, err := stopToken()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "::stop-commands::"+token+"\n"); err != nil {
		return fmt.Errorf("stopping workflow commands: %w", err)
	}
	defer func() {
		// The leading newline ends any line f left unfinished: the runner
		// only takes a command at the start of a line.
		if _, werr := io.WriteString(w, "\n::"+token+"::\n"); werr != nil {
			err = errors.Join(err, fmt.Errorf("resuming workflow commands: %w", werr))
		}
	}()
	return f()
}

// stopToken returns a fresh token of 128 random bits. The runner refuses
// a token that names a command; "perfgate-" and hex never do.
func stopToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("making a stop-commands token: %w", err)
	}
	return "perfgate-" + hex.EncodeToString(b[:]), nil
}

// untrustedVars are environment variables the pull request's code must
// not inherit: tokens, and the runner's files through which a step sets
// outputs, environment and PATH for the steps after it.
var untrustedVars = []string{
	"GITHUB_TOKEN", "GH_TOKEN", "GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY",
	"ACTIONS_RUNTIME_TOKEN", "ACTIONS_RUNTIME_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
	"ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL",
}

// SafeEnv returns the part of environ (os.Environ's form) that the pull
// request's code may inherit: all but the action's inputs (INPUT_*, the
// token among them), GitHub tokens and the runner's command files
// (GITHUB_OUTPUT, GITHUB_ENV, ...), which would let it set outputs or the
// environment of later steps with commands stopped or not. It does not
// make the code harmless: a checkout's persisted credentials and the
// parent's /proc entries are within its reach, which is why workflows
// that run it get read-only permissions.
func SafeEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		ku := strings.ToUpper(k)
		if strings.HasPrefix(ku, "INPUT_") || containsFold(untrustedVars, k) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
