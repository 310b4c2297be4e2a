package proc

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// Git runs git with args in dir and returns its trimmed standard output.
// Its error carries the first line of git's own message, or the context's
// error when that ended it.
func Git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := Command(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := Run(cmd); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}
