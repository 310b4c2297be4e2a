package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// fakeGitHub is the issue comments API of one repository, o/r, as the
// REST API documents it: comments listed by ascending ID, per_page (at
// most 100) and page with a Link header, POST answering 201, PATCH 200.
type fakeGitHub struct {
	t      *testing.T
	srv    *httptest.Server
	token  string
	login  string // GET /user's answer; "" answers 403 as for a GITHUB_TOKEN
	author string // the login comments are created as
	deny   bool   // answer 403 to every write, as for a fork's token

	mu       sync.Mutex
	pulls    []fakePull
	comments []fakeComment
	nextID   int64
	requests []string // "METHOD path?query"
}

type fakePull struct {
	Number  int
	HeadSHA string
}

type fakeComment struct {
	ID    int64
	Issue int
	User  string
	Body  string
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{t: t, token: "ghs_test", author: GitHubActionsBot, nextID: 1000}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGitHub) client() *Client {
	c := NewClient(newAction(map[string]string{"GITHUB_API_URL": g.srv.URL + "/"}), g.token)
	c.HTTP = g.srv.Client()
	return c
}

func (g *fakeGitHub) add(issue int, user, body string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.nextID++
	g.comments = append(g.comments, fakeComment{ID: g.nextID, Issue: issue, User: user, Body: body})
	return g.nextID
}

func (g *fakeGitHub) comment(id int64) fakeComment {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.comments {
		if c.ID == id {
			return c
		}
	}
	return fakeComment{}
}

func (g *fakeGitHub) writes() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var w []string
	for _, r := range g.requests {
		if !strings.HasPrefix(r, "GET ") {
			w = append(w, r)
		}
	}
	return w
}

func (g *fakeGitHub) fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

func (g *fakeGitHub) commentJSON(c fakeComment) map[string]any {
	return map[string]any{
		"id":       c.ID,
		"html_url": fmt.Sprintf("https://github.com/o/r/pull/%d#issuecomment-%d", c.Issue, c.ID),
		"body":     c.Body,
		"user":     map[string]any{"login": c.User, "type": "Bot"},
	}
}

func (g *fakeGitHub) serve(w http.ResponseWriter, req *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, req.Method+" "+req.URL.RequestURI())
	for h, want := range map[string]string{
		"Authorization":        "Bearer " + g.token,
		"Accept":               "application/vnd.github+json",
		"X-Github-Api-Version": "2022-11-28",
	} {
		if got := req.Header.Get(h); got != want {
			g.t.Errorf("%s %s: header %s = %q, want %q", req.Method, req.URL, h, got, want)
		}
	}
	var body struct {
		Body *string `json:"body"`
	}
	if req.Method == http.MethodPost || req.Method == http.MethodPatch {
		if ct := req.Header.Get("Content-Type"); ct != "application/json" {
			g.t.Errorf("%s %s: Content-Type %q", req.Method, req.URL, ct)
		}
		data, _ := io.ReadAll(req.Body)
		var fields map[string]any
		if err := json.Unmarshal(data, &fields); err != nil || len(fields) != 1 {
			g.t.Errorf("%s %s: body %s, want a JSON object with body only", req.Method, req.URL, data)
		}
		if err := json.Unmarshal(data, &body); err != nil || body.Body == nil {
			g.t.Errorf("%s %s: body %s has no body", req.Method, req.URL, data)
			g.fail(w, http.StatusUnprocessableEntity, "Invalid request.")
			return
		}
		if utf8.RuneCountInString(*body.Body) > MaxCommentChars {
			g.fail(w, http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		if g.deny {
			g.fail(w, http.StatusForbidden, "Resource not accessible by integration")
			return
		}
	}
	p := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(p) == 5 && p[0] == "repositories" && p[1] == "186853002" {
		// The Link header's form of the same list: /repositories/ID/...
		p = append([]string{"repos", "o", "r"}, p[2:]...)
	}
	isRepo := len(p) == 6 && p[0] == "repos" && p[1] == "o" && p[2] == "r" && p[3] == "issues"
	switch {
	case req.Method == http.MethodGet && req.URL.Path == "/user":
		if g.login == "" {
			g.fail(w, http.StatusForbidden, "Resource not accessible by integration")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"login": g.login, "id": 1})
	case len(p) == 4 && p[0] == "repos" && p[1] == "o" && p[2] == "r" && p[3] == "pulls" && req.Method == http.MethodGet:
		if req.URL.Query().Get("state") != "open" {
			g.t.Errorf("pulls listed with state %q", req.URL.Query().Get("state"))
		}
		page, _ := strconv.Atoi(req.URL.Query().Get("page"))
		page = max(page, 1)
		const perPage = 2 // small pages, to follow the Link
		lo, hi := min((page-1)*perPage, len(g.pulls)), min(page*perPage, len(g.pulls))
		if hi < len(g.pulls) {
			w.Header().Set("Link", fmt.Sprintf(`<%s/repos/o/r/pulls?state=open&per_page=%d&page=%d>; rel="next"`, g.srv.URL, perPage, page+1))
		}
		out := []map[string]any{}
		for _, pr := range g.pulls[lo:hi] {
			out = append(out, map[string]any{"number": pr.Number, "head": map[string]any{"sha": pr.HeadSHA, "ref": "x"}})
		}
		json.NewEncoder(w).Encode(out)
	case isRepo && p[4] == "comments" && req.Method == http.MethodPatch:
		id, _ := strconv.ParseInt(p[5], 10, 64)
		for i := range g.comments {
			if g.comments[i].ID == id {
				if g.comments[i].User != g.author {
					g.fail(w, http.StatusForbidden, "Must have admin rights to Repository.")
					return
				}
				g.comments[i].Body = *body.Body
				json.NewEncoder(w).Encode(g.commentJSON(g.comments[i]))
				return
			}
		}
		g.fail(w, http.StatusNotFound, "Not Found")
	case isRepo && p[5] == "comments":
		issue, err := strconv.Atoi(p[4])
		if err != nil {
			http.NotFound(w, req)
			return
		}
		switch req.Method {
		case http.MethodGet:
			perPage, _ := strconv.Atoi(req.URL.Query().Get("per_page"))
			if perPage <= 0 {
				perPage = 30
			}
			perPage = min(perPage, 100)
			page, _ := strconv.Atoi(req.URL.Query().Get("page"))
			page = max(page, 1)
			var all []fakeComment
			for _, c := range g.comments {
				if c.Issue == issue {
					all = append(all, c)
				}
			}
			lo, hi := min((page-1)*perPage, len(all)), min(page*perPage, len(all))
			// GitHub's Link points at /repositories/ID/...: another path
			// on the same host.
			link := func(n int, rel string) string {
				return fmt.Sprintf(`<%s/repositories/186853002/issues/%d/comments?per_page=%d&page=%d>; rel="%s"`, g.srv.URL, issue, perPage, n, rel)
			}
			last := max((len(all)+perPage-1)/perPage, 1)
			var links []string
			if page > 1 {
				links = append(links, link(page-1, "prev"))
			}
			if page < last {
				links = append(links, link(page+1, "next"), link(last, "last"))
			}
			if page > 1 {
				links = append(links, link(1, "first"))
			}
			if len(links) > 0 {
				w.Header().Set("Link", strings.Join(links, ", "))
			}
			out := []map[string]any{}
			for _, c := range all[lo:hi] {
				out = append(out, g.commentJSON(c))
			}
			json.NewEncoder(w).Encode(out)
		case http.MethodPost:
			g.nextID++
			c := fakeComment{ID: g.nextID, Issue: issue, User: g.author, Body: *body.Body}
			g.comments = append(g.comments, c)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(g.commentJSON(c))
		default:
			g.fail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		}
	default:
		g.fail(w, http.StatusNotFound, "Not Found")
	}
}

const marker = "<!-- perfgate -->"

func TestUpsertCommentCreatesThenUpdates(t *testing.T) {
	ctx := context.Background()
	g := newFakeGitHub(t)
	// Someone quoting the marker, and comments on another pull request.
	quoted := g.add(1, "Codertocat", "as the bot says: "+marker)
	g.add(2, GitHubActionsBot, marker+" of #2")
	c := g.client()

	u, err := c.UpsertComment(ctx, "o/r", 1, marker, marker+"\nfirst")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /repos/o/r/issues/1/comments"}
	if got := g.writes(); !equalStrings(got, want) {
		t.Fatalf("first upsert wrote %q, want %q", got, want)
	}
	id := g.nextID
	if len(g.requests) == 0 || g.requests[0] != "GET /user" {
		t.Errorf("requests %q, want GET /user first (answered 403, as for a GITHUB_TOKEN)", g.requests)
	}
	if wantURL := fmt.Sprintf("https://github.com/o/r/pull/1#issuecomment-%d", id); u != wantURL {
		t.Errorf("URL = %q, want %q", u, wantURL)
	}

	u2, err := c.UpsertComment(ctx, "o/r", 1, marker, marker+"\nsecond")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, fmt.Sprintf("PATCH /repos/o/r/issues/comments/%d", id))
	if got := g.writes(); !equalStrings(got, want) {
		t.Fatalf("second upsert wrote %q, want %q", got, want)
	}
	if u2 != u {
		t.Errorf("second URL %q, want the first %q", u2, u)
	}
	if got := g.comment(id).Body; got != marker+"\nsecond" {
		t.Errorf("comment body %q, want the second", got)
	}
	if got := g.comment(quoted).Body; got != "as the bot says: "+marker {
		t.Errorf("someone else's comment was edited: %q", got)
	}
	for _, r := range g.requests {
		if r == "GET /user" {
			continue
		}
		if strings.HasPrefix(r, "GET ") && !strings.Contains(r, "per_page=100") {
			t.Errorf("request %q does not ask for 100 comments a page", r)
		}
	}
}

func TestUpsertCommentPaginates(t *testing.T) {
	ctx := context.Background()
	g := newFakeGitHub(t)
	g.login = "perfgate-bot" // a personal access token: GET /user answers
	g.author = "perfgate-bot"
	for i := range 250 {
		g.add(1, "someone", fmt.Sprintf("comment %d", i))
	}
	g.add(1, GitHubActionsBot, marker+" by another identity")
	ours := g.add(1, "perfgate-bot", "old report\n"+marker)
	u, err := g.client().UpsertComment(ctx, "o/r", 1, marker, "new report\n"+marker)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{fmt.Sprintf("PATCH /repos/o/r/issues/comments/%d", ours)}; !equalStrings(g.writes(), want) {
		t.Errorf("writes %q, want %q", g.writes(), want)
	}
	if !strings.HasSuffix(u, fmt.Sprint(ours)) {
		t.Errorf("URL %q is not comment %d's", u, ours)
	}
	var gets int
	for _, r := range g.requests {
		if strings.Contains(r, "/comments") && strings.HasPrefix(r, "GET ") {
			gets++
		}
	}
	if gets != 3 {
		t.Errorf("%d pages read, want 3 (252 comments, 100 a page): %q", gets, g.requests)
	}
}

func TestUpsertCommentLogin(t *testing.T) {
	g := newFakeGitHub(t)
	g.author = "perfgate-app[bot]"
	ours := g.add(1, "perfgate-app[bot]", marker)
	g.add(1, GitHubActionsBot, marker)
	c := g.client()
	c.Login = "perfgate-app[bot]"
	if _, err := c.UpsertComment(context.Background(), "o/r", 1, marker, marker+" new"); err != nil {
		t.Fatal(err)
	}
	if want := []string{fmt.Sprintf("PATCH /repos/o/r/issues/comments/%d", ours)}; !equalStrings(g.writes(), want) {
		t.Errorf("writes %q, want %q", g.writes(), want)
	}
	for _, r := range g.requests {
		if r == "GET /user" {
			t.Error("asked GET /user with Login set")
		}
	}
}

func TestUpsertCommentForbidden(t *testing.T) {
	g := newFakeGitHub(t)
	g.deny = true
	_, err := g.client().UpsertComment(context.Background(), "o/r", 1, marker, "report")
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
	if !strings.Contains(err.Error(), "Resource not accessible by integration") {
		t.Errorf("err = %v, want GitHub's message in it", err)
	}
}

func TestUpsertCommentErrors(t *testing.T) {
	ctx := context.Background()
	g := newFakeGitHub(t)
	c := g.client()
	for _, tt := range []struct {
		repo   string
		number int
		marker string
		want   string
	}{
		{"o", 1, marker, "not a repository"},
		{"o/r/x", 1, marker, "not a repository"},
		{"../r", 1, marker, "not a repository"},
		{"o/r", 0, marker, "no pull request number"},
		{"o/r", 1, " ", "empty marker"},
		{"o/missing", 1, marker, "404"},
	} {
		_, err := c.UpsertComment(ctx, tt.repo, tt.number, tt.marker, "x")
		if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrForbidden) {
			t.Errorf("UpsertComment(%q, %d, %q): %v, want an error with %q", tt.repo, tt.number, tt.marker, err, tt.want)
		}
	}
}

func TestUpsertCommentRefusesForeignNextLink(t *testing.T) {
	var foreign bool
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign = true
		fmt.Fprint(w, "[]")
	}))
	defer evil.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/user" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Link", `<`+evil.URL+`/steal?page=2>; rel="next"`)
		fmt.Fprint(w, "[]")
	}))
	defer api.Close()
	c := &Client{API: api.URL, Token: "ghs_secret", HTTP: api.Client()}
	_, err := c.UpsertComment(context.Background(), "o/r", 1, marker, "x")
	if err == nil || !strings.Contains(err.Error(), "not following it") {
		t.Errorf("err = %v, want a refused next link", err)
	}
	if foreign {
		t.Error("the token was sent to another host")
	}
}

func TestPullRequestForHead(t *testing.T) {
	ctx := context.Background()
	g := newFakeGitHub(t)
	for i := range 5 {
		g.pulls = append(g.pulls, fakePull{Number: 10 + i, HeadSHA: fmt.Sprintf("%040x", i)})
	}
	c := g.client()
	n, err := c.PullRequestForHead(ctx, "o/r", fmt.Sprintf("%040x", 4))
	if err != nil || n != 14 {
		t.Errorf("PullRequestForHead = %d, %v; want 14 (on the third page)", n, err)
	}
	if _, err := c.PullRequestForHead(ctx, "o/r", fmt.Sprintf("%040x", 9)); err == nil || !strings.Contains(err.Error(), "no open pull request") {
		t.Errorf("a head of no pull request: %v", err)
	}
	if _, err := c.PullRequestForHead(ctx, "o/r", "main"); err == nil {
		t.Error("a ref accepted as a commit hash")
	}
}

func TestFitBody(t *testing.T) {
	if got := fitBody("report", marker); !strings.Contains(got, marker) {
		t.Errorf("fitBody dropped the marker: %q", got)
	}
	long := marker + "\n" + strings.Repeat("é", 2*MaxCommentChars)
	got := fitBody(long, marker)
	if n := utf8.RuneCountInString(got); n != MaxCommentChars {
		t.Errorf("cut body has %d characters, want %d", n, MaxCommentChars)
	}
	if !strings.HasSuffix(got, marker+"\n") || !utf8.ValidString(got) {
		t.Errorf("cut body does not end with the marker, or is not UTF-8")
	}
}

func TestNextLink(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{``, ``},
		{`<https://api.github.com/repositories/1/issues/1/comments?page=2>; rel="next", <https://api.github.com/repositories/1/issues/1/comments?page=5>; rel="last"`,
			`https://api.github.com/repositories/1/issues/1/comments?page=2`},
		{`<https://x/?page=1>; rel="prev", <https://x/?page=3>; rel="next"`, `https://x/?page=3`},
		{`<https://x/?page=1>; rel="first", <https://x/?page=4>; rel="last"`, ``},
		{`<https://x/?page=9>;rel=next`, `https://x/?page=9`},
		{`<https://x/?page=9>; rel="next"; title="a, b"`, `https://x/?page=9`},
		{`<broken`, ``},
	} {
		if got := nextLink(tt.header); got != tt.want {
			t.Errorf("nextLink(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
