package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/internal/text"
)

// ErrForbidden is the error of a request GitHub answered with 403: the
// token may not do this. A pull request from a fork gets a read-only
// GITHUB_TOKEN, so the caller warns rather than fails.
var ErrForbidden = errors.New("forbidden (a pull request from a fork gets a read-only token; " +
	"a workflow needs permissions: pull-requests: write to comment)")

// GitHubActionsBot is the login that comments made with a GITHUB_TOKEN
// carry. GET /user does not answer for that token, so it stands for the
// token's identity.
const GitHubActionsBot = "github-actions[bot]"

// MaxCommentChars is the longest comment body GitHub accepts; longer ones
// get 422 "body is too long (maximum is 65536 characters)".
const MaxCommentChars = 65536

// Client talks to the GitHub REST API.
type Client struct {
	// API is the REST API's root: GITHUB_API_URL, https://api.github.com
	// on github.com, https://HOST/api/v3 on GitHub Enterprise Server.
	API string
	// Token authenticates every request (Authorization: Bearer).
	Token string
	// HTTP sends the requests.
	HTTP *http.Client
	// Login, when set, is the identity whose comments UpsertComment
	// looks among, instead of asking GET /user: a GitHub App's
	// installation token comments as "APP-SLUG[bot]", which neither GET
	// /user nor the GITHUB_TOKEN fallback tells.
	Login string
}

// NewClient returns a client of the API at GITHUB_API_URL that
// authenticates with token.
func NewClient(a *githubactions.Action, token string) *Client {
	api := strings.TrimSpace(a.Getenv("GITHUB_API_URL"))
	if api == "" {
		api = "https://api.github.com"
	}
	return &Client{API: strings.TrimSuffix(api, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// comment is the part of an issue comment perfgate reads.
type comment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
	User    *struct {
		Login string `json:"login"`
	} `json:"user"`
}

// UpsertComment creates, or updates in place, the one comment on pull
// request number of repo (owner/name) that holds marker, and returns the
// comment's web address. It looks only among the comments that the
// token's own identity wrote (GET /user, or GitHubActionsBot for a
// GITHUB_TOKEN, which GET /user refuses), so a comment of someone else
// that quotes the marker is never edited. It pages through all comments.
// A body that does not hold marker gets it appended; one longer than
// GitHub takes is cut, marker kept. A 403 is ErrForbidden.
func (c *Client) UpsertComment(ctx context.Context, repo string, number int, marker, body string) (string, error) {
	owner, name, ok := splitRepo(repo)
	if !ok {
		return "", fmt.Errorf("commenting: %q is not a repository (owner/name)", repo)
	}
	if number <= 0 {
		return "", fmt.Errorf("commenting: no pull request number (%d)", number)
	}
	if strings.TrimSpace(marker) == "" {
		return "", errors.New("commenting: an empty marker would match every comment")
	}
	body = fitBody(body, marker)
	login, err := c.login(ctx)
	if err != nil {
		return "", fmt.Errorf("commenting: finding the token's identity: %w", err)
	}
	issue := "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/issues/"
	existing, err := c.findComment(ctx, issue+strconv.Itoa(number)+"/comments?per_page=100", login, marker)
	if err != nil {
		return "", fmt.Errorf("commenting: listing the comments of #%d: %w", number, err)
	}
	var out comment
	req := struct {
		Body string `json:"body"`
	}{body}
	if existing != nil {
		_, err = c.do(ctx, http.MethodPatch, c.API+issue+"comments/"+strconv.FormatInt(existing.ID, 10), req, &out)
		if err != nil {
			return "", fmt.Errorf("commenting: updating comment %d: %w", existing.ID, err)
		}
	} else {
		_, err = c.do(ctx, http.MethodPost, c.API+issue+strconv.Itoa(number)+"/comments", req, &out)
		if err != nil {
			return "", fmt.Errorf("commenting: creating the comment on #%d: %w", number, err)
		}
	}
	return out.HTMLURL, nil
}

// PullRequestForHead returns the number of the open pull request of repo
// whose head is the commit headSHA. A workflow_run started by a fork's
// pull request has an empty workflow_run.pull_requests, so the comment
// job finds the number from workflow_run.head_sha, which GitHub wrote,
// rather than trusting a number the pull request's own run saved. It
// pages through the open pull requests; none is an error.
func (c *Client) PullRequestForHead(ctx context.Context, repo, headSHA string) (int, error) {
	owner, name, ok := splitRepo(repo)
	if !ok {
		return 0, fmt.Errorf("finding the pull request: %q is not a repository (owner/name)", repo)
	}
	if !shaPattern.MatchString(headSHA) {
		return 0, fmt.Errorf("finding the pull request: %q is not a commit hash", headSHA)
	}
	type pull struct {
		Number int `json:"number"`
		Head   struct {
			SHA string `json:"sha"`
		} `json:"head"`
	}
	number := 0
	err := eachPage(ctx, c, "/repos/"+url.PathEscape(owner)+"/"+url.PathEscape(name)+"/pulls?state=open&per_page=100", func(prs []pull) bool {
		for _, pr := range prs {
			if pr.Head.SHA == headSHA && pr.Number > 0 {
				number = pr.Number
				return true
			}
		}
		return false
	})
	switch {
	case err != nil:
		return 0, fmt.Errorf("finding the pull request of %s: %w", text.ShortCommit(headSHA), err)
	case number > 0:
		return number, nil
	}
	return 0, fmt.Errorf("no open pull request of %s has head %s", repo, text.ShortCommit(headSHA))
}

// login returns the login the token's comments carry.
func (c *Client) login(ctx context.Context) (string, error) {
	if c.Login != "" {
		return c.Login, nil
	}
	var u struct {
		Login string `json:"login"`
	}
	if _, err := c.do(ctx, http.MethodGet, c.API+"/user", nil, &u); err != nil {
		if errors.Is(err, ErrForbidden) {
			// "Resource not accessible by integration": a GITHUB_TOKEN.
			return GitHubActionsBot, nil
		}
		return "", err
	}
	if u.Login == "" {
		return "", errors.New("GET /user gave no login")
	}
	return u.Login, nil
}

// maxPages bounds the pages read, against a server whose next links never
// end (100 items a page: 100,000 items).
const maxPages = 1000

// findComment pages through the comments at path and returns the first
// one by login that holds marker, or nil.
func (c *Client) findComment(ctx context.Context, path, login, marker string) (*comment, error) {
	var found *comment
	err := eachPage(ctx, c, path, func(cs []comment) bool {
		for i := range cs {
			if cs[i].User != nil && strings.EqualFold(cs[i].User.Login, login) && strings.Contains(cs[i].Body, marker) {
				found = &cs[i]
				return true
			}
		}
		return false
	})
	return found, err
}

// LabeledBy returns who added label to issue or pull request number of
// repo, when it has the label now ("" when it has not): the actor of the
// last "labeled" event of that label not undone by an "unlabeled" one. The
// events are GitHub's record, not the pull request's.
func (c *Client) LabeledBy(ctx context.Context, repo string, number int, label string) (string, error) {
	owner, name, ok := splitRepo(repo)
	if !ok {
		return "", fmt.Errorf("reading labels: %q is not a repository (owner/name)", repo)
	}
	type event struct {
		Event string `json:"event"`
		Actor *struct {
			Login string `json:"login"`
		} `json:"actor"`
		Label *struct {
			Name string `json:"name"`
		} `json:"label"`
	}
	by := ""
	path := "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/issues/" + strconv.Itoa(number) + "/events?per_page=100"
	err := eachPage(ctx, c, path, func(es []event) bool {
		for _, e := range es {
			if e.Label == nil || e.Label.Name != label {
				continue
			}
			switch e.Event {
			case "labeled":
				by = "someone"
				if e.Actor != nil && e.Actor.Login != "" {
					by = e.Actor.Login
				}
			case "unlabeled":
				by = ""
			}
		}
		return false
	})
	if err != nil {
		return "", fmt.Errorf("reading the labels of #%d: %w", number, err)
	}
	return by, nil
}

// eachPage GETs path from the API and the pages its Link headers chain to
// (at most maxPages, and only on the API's own origin), decoding each
// into a []T for visit until visit says it is done.
func eachPage[T any](ctx context.Context, c *Client, path string, visit func([]T) (done bool)) error {
	next := c.API + path
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return fmt.Errorf("more than %d pages", maxPages)
		}
		var items []T
		h, err := c.do(ctx, http.MethodGet, next, nil, &items)
		if err != nil {
			return err
		}
		if visit(items) {
			return nil
		}
		next = nextLink(h.Get("Link"))
		if next != "" {
			if err := c.sameOrigin(next); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameOrigin refuses a URL that the token must not be sent to: one off
// the API's scheme and host.
func (c *Client) sameOrigin(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("next page link %q: %w", raw, err)
	}
	api, err := url.Parse(c.API)
	if err != nil {
		return fmt.Errorf("API address %q: %w", c.API, err)
	}
	if u.Scheme != api.Scheme || u.Host != api.Host {
		return fmt.Errorf("next page link %s is not on %s://%s: not following it with the token", raw, api.Scheme, api.Host)
	}
	return nil
}

// nextLink returns the target of the rel="next" link of a Link header
// (RFC 8288) as GitHub writes it, <url>; rel="next", <url>; rel="last",
// or "" when there is none.
func nextLink(header string) string {
	for {
		i := strings.IndexByte(header, '<')
		if i < 0 {
			return ""
		}
		j := strings.IndexByte(header[i:], '>')
		if j < 0 {
			return ""
		}
		target, rest := header[i+1:i+j], header[i+j+1:]
		params := rest
		if k := strings.IndexByte(rest, '<'); k >= 0 {
			params, header = rest[:k], rest[k:]
		} else {
			header = ""
		}
		for _, p := range strings.Split(params, ";") {
			p = strings.Trim(strings.TrimSpace(p), ", ")
			if v, ok := strings.CutPrefix(strings.ToLower(p), "rel="); ok {
				for _, rel := range strings.Fields(strings.Trim(v, `"`)) {
					if rel == "next" {
						return target
					}
				}
			}
		}
	}
}

// apiError is a response of the API outside 2xx.
type apiError struct {
	Method, URL string
	Status      int
	Message     string
}

func (e *apiError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, msg)
	if e.Status == http.StatusForbidden {
		s += ": " + ErrForbidden.Error()
	}
	return s
}

// Unwrap makes a 403 ErrForbidden.
func (e *apiError) Unwrap() error {
	if e.Status == http.StatusForbidden {
		return ErrForbidden
	}
	return nil
}

// maxResponse bounds the body of a response read.
const maxResponse = 32 << 20

// do sends a request with the API's headers and, for a 2xx response,
// decodes its JSON body into out. It returns the response's headers.
func (c *Client) do(ctx context.Context, method, u string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "perfgate")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the response: %w", method, pathOf(u), err)
	}
	if resp.StatusCode/100 != 2 {
		var m struct {
			Message string `json:"message"`
		}
		json.Unmarshal(data, &m) // a body that is not JSON leaves no message: the status says enough
		return nil, &apiError{Method: method, URL: pathOf(u), Status: resp.StatusCode, Message: text.FirstLine(m.Message, 200)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s %s: reading the response: %w", method, pathOf(u), err)
		}
	}
	return resp.Header, nil
}

// pathOf returns the path and query of u, for error messages.
func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.RequestURI()
}

// repoPart is what GitHub allows in an owner or repository name.
var repoPart = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// splitRepo splits owner/name.
func splitRepo(repo string) (owner, name string, ok bool) {
	owner, name, ok = strings.Cut(repo, "/")
	valid := func(s string) bool { return repoPart.MatchString(s) && s != "." && s != ".." }
	return owner, name, ok && valid(owner) && valid(name)
}

// truncatedNote ends a body that was cut to fit a comment.
const truncatedNote = "\n\n… (cut: a comment holds at most 65536 characters; the job summary has the whole report)\n"

// fitBody returns body holding marker and no longer than a comment may
// be, counted in characters as GitHub counts them.
func fitBody(body, marker string) string {
	if !strings.Contains(body, marker) {
		body += "\n" + marker + "\n"
	}
	if utf8.RuneCountInString(body) <= MaxCommentChars {
		return body
	}
	tail := truncatedNote + marker + "\n"
	keep := MaxCommentChars - utf8.RuneCountInString(tail)
	r := []rune(body)
	return string(r[:max(keep, 0)]) + tail
}
