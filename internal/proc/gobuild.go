package proc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Go runs the go command with args in dir and env, appending the command
// line and its output to log. A failure's error is the line of go's output
// that says what went wrong: the first compiler error, else the first line
// that is not a "# package" header.
func Go(ctx context.Context, dir string, env []string, log io.Writer, args ...string) error {
	cmd := Command(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(log, &out)
	cmd.Stderr = cmd.Stdout
	fmt.Fprintf(log, "$ go %s\n", strings.Join(args, " "))
	if err := Run(cmd); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s", goError(out.String(), err))
	}
	return nil
}

var compilerLine = regexp.MustCompile(`^\S+\.go:\d+(:\d+)?: `)

// goError picks the line of go's output that says what went wrong.
func goError(out string, err error) string {
	var first string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if compilerLine.MatchString(l) {
			return l
		}
		if first == "" {
			first = l
		}
	}
	if first != "" {
		return first
	}
	return err.Error()
}
