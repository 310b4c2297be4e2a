package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadEvent(t *testing.T) {
	for _, tt := range []struct {
		name, fixture string
		want          Event
	}{
		{"pull_request", "pull_request_opened.json", Event{
			Number:  2,
			BaseSHA: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", HeadSHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
			BaseRef: "master", HeadRef: "changes",
		}},
		{"pull_request_target", "pull_request_target_synchronize.json", Event{
			Number:  2,
			BaseSHA: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", HeadSHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
			BaseRef: "master", HeadRef: "changes",
		}},
		{"pull_request", "pull_request_fork_opened.json", Event{
			Number:  2,
			BaseSHA: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", HeadSHA: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
			BaseRef: "master", HeadRef: "patch-1", Fork: true,
		}},
		{"push", "push.json", Event{
			HeadSHA: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", HeadRef: "master",
			Before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", After: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
		}},
		{"push", "push_new_branch.json", Event{
			HeadSHA: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", HeadRef: "new-feature",
			Before: zeroSHA, After: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
		}},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			r := newRunner(t, tt.name, tt.fixture)
			ev, err := ReadEvent(r.action())
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Name = tt.name
			want.SHA = r.env["GITHUB_SHA"]
			want.Repo = "Codertocat/Hello-World"
			want.HTMLURL = "https://github.com/Codertocat/Hello-World"
			want.DefaultBranch = "master"
			if *ev != want {
				t.Errorf("ReadEvent =\n%+v, want\n%+v", *ev, want)
			}
			if r.out.Len() != 0 {
				t.Errorf("ReadEvent printed %q", r.out.String())
			}
		})
	}
}

func TestReadEventErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		desc, name, path, want string
	}{
		{"no event path", "pull_request", "", "GITHUB_EVENT_PATH is not set"},
		{"no event name", "", filepath.Join("testdata", "push.json"), "GITHUB_EVENT_NAME is not set"},
		{"missing file", "pull_request", filepath.Join(dir, "nope.json"), "no such file"},
		{"not JSON", "pull_request", write("bad.json", "{\"number\": 2,"), "reading the workflow's event file"},
		{"no pull_request object", "pull_request", filepath.Join("testdata", "push.json"), "without a pull_request object"},
		{"wrong type", "pull_request", write("type.json", `{"pull_request": {"number": "2"}}`), "not a valid event payload"},
		{"bad sha", "pull_request", write("sha.json", `{"pull_request": {"number": 2, "head": {"sha": "--upload-pack=x"}, "base": {"sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}}}`), "not a commit hash"},
		{"no number", "pull_request", write("nonum.json", `{"pull_request": {"head": {"sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"}, "base": {"sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}}}`), "without a pull request number"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			r := newRunner(t, tt.name, "")
			if tt.path != "" {
				r.env["GITHUB_EVENT_PATH"] = tt.path
			}
			_, err := ReadEvent(r.action())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadEvent: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestReadEventDeletedFork(t *testing.T) {
	// A pull request whose head repository was deleted has "repo": null.
	p := filepath.Join(t.TempDir(), "event.json")
	data := `{"number": 7, "pull_request": {"number": 7,
		"head": {"ref": "x", "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "repo": null},
		"base": {"ref": "main", "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "repo": {"full_name": "o/r"}}},
		"repository": {"full_name": "o/r", "html_url": "https://github.com/o/r"}}`
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_EVENT_PATH"] = p
	ev, err := ReadEvent(r.action())
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Fork || ev.Number != 7 || ev.Repo != "o/r" {
		t.Errorf("ReadEvent = %+v, want a fork's pull request 7 of o/r", *ev)
	}
}

func TestReadEventWorkflowRun(t *testing.T) {
	// workflow_run of a fork's pull request: pull_requests is empty.
	p := filepath.Join(t.TempDir(), "event.json")
	data := `{"action": "completed", "workflow_run": {"id": 30433642, "name": "perfgate", "event": "pull_request",
		"head_branch": "patch-1", "head_sha": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "pull_requests": [],
		"head_repository": {"full_name": "octocat/Hello-World"}},
		"repository": {"full_name": "Codertocat/Hello-World", "html_url": "https://github.com/Codertocat/Hello-World"}}`
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, "workflow_run", "")
	r.env["GITHUB_EVENT_PATH"] = p
	ev, err := ReadEvent(r.action())
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Fork || ev.Number != 0 || ev.HeadSHA != "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c" || ev.HeadRef != "patch-1" {
		t.Errorf("ReadEvent = %+v, want a fork's run of head 0d1a26e6 without a number", *ev)
	}
}

func FuzzReadEvent(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed fixtures: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range []string{"pull_request", "pull_request_target", "push", "merge_group", "workflow_run"} {
			f.Add(data, name)
		}
	}
	f.Add([]byte(`{"workflow_run": {"head_sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "pull_requests": [{"number": 3, "base": {"sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}}]}}`), "workflow_run")
	f.Add([]byte(`{"merge_group": {"head_sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "base_sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "base_ref": "refs/heads/main"}}`), "merge_group")
	f.Add([]byte(`null`), "pull_request")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		// A new file each time: rewriting one in place makes ext4 flush
		// it to disk on every close, which stalls the fuzzer.
		fh, err := os.CreateTemp(dir, "event-*.json")
		if err != nil {
			t.Fatal(err)
		}
		p := fh.Name()
		defer os.Remove(p)
		_, err = fh.Write(data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": p}
		ev, err := ReadEvent(newAction(env))
		if err != nil {
			return
		}
		for _, s := range []string{ev.BaseSHA, ev.HeadSHA, ev.Before, ev.After} {
			if s != "" && !shaPattern.MatchString(s) {
				t.Errorf("ReadEvent accepted commit %q", s)
			}
		}
		if ev.Number < 0 {
			t.Errorf("ReadEvent accepted number %d", ev.Number)
		}
		if (ev.Name == "pull_request" || ev.Name == "pull_request_target") && (ev.Number == 0 || ev.BaseSHA == "" || ev.HeadSHA == "") {
			t.Errorf("ReadEvent accepted a pull request event without number or commits: %+v", *ev)
		}
	})
}
