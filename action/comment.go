package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/analyze/report"
)

// Comment posts, or updates in place, the pull request comment from a
// report that perfgate action saved in a run without the right to comment
// (a fork's pull request), and returns the comment's address. It runs in
// a second, privileged workflow (on: workflow_run) and treats the file as
// data (ReadReport). The pull request is pr when it is not 0, else the
// event's, else the open one whose head is the workflow run's head commit.
// The token is GITHUB_TOKEN.
func Comment(ctx context.Context, a *githubactions.Action, reportPath string, pr int) (string, error) {
	ev, err := ReadEvent(a)
	if err != nil {
		return "", err
	}
	body, err := ReadReport(reportPath)
	if err != nil {
		return "", err
	}
	token := a.Getenv("GITHUB_TOKEN")
	if token == "" {
		return "", errors.New("no GITHUB_TOKEN in the environment to comment with")
	}
	a.AddMask(token)
	client := NewClient(a, token)
	if pr == 0 {
		pr = ev.Number
	}
	if pr == 0 {
		if ev.HeadSHA == "" {
			return "", fmt.Errorf("the %s event names no pull request and no head commit: pass --pr", ev.Name)
		}
		if pr, err = client.PullRequestForHead(ctx, ev.Repo, ev.HeadSHA); err != nil {
			return "", err
		}
	}
	url, err := client.UpsertComment(ctx, ev.Repo, pr, report.DefaultMarker, body)
	if err != nil {
		return "", fmt.Errorf("commenting on pull request %d: %w", pr, err)
	}
	return url, nil
}

// ReadReport reads a saved report as data, since it came from a pull
// request's run: it must begin with perfgate's marker, is cut to a
// comment's size (CommentMaxBytes, invalid UTF-8 dropped), and its
// @mentions are neutralised (a zero-width joiner after the @).
func ReadReport(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the report: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, CommentMaxBytes))
	if err != nil {
		return "", fmt.Errorf("reading the report: %w", err)
	}
	body, err := parseReport(data)
	if err != nil {
		return "", fmt.Errorf("%s %w", path, err)
	}
	return body, nil
}

// parseReport is ReadReport's reading of the file's bytes.
func parseReport(data []byte) (string, error) {
	s := string(bytes.ToValidUTF8(data, nil))
	if !strings.HasPrefix(s, report.DefaultMarker) {
		return "", fmt.Errorf("is not a perfgate report (its first line is not %s)", report.DefaultMarker)
	}
	return strings.ReplaceAll(s, "@", "@\u200d"), nil
}
