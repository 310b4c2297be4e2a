package watch

import (
	"bytes"
	"html/template"
	"net/http"
	"time"

	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/store"
)

// pageData is what the page shows.
type pageData struct {
	Now      time.Time
	Services []pageService
	Deploys  []Deploy
}

// pageService is a service and its versions, oldest first.
type pageService struct {
	Name     string
	Versions []store.Span
}

// page serves the overview: the deploys, newest first, with their
// verdicts and reports, and the services with their versions.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	spans, err := s.o.Store.Spans(r.Context(), VersionLabel)
	if err != nil {
		http.Error(w, text.OneLine(err.Error()), http.StatusInternalServerError)
		return
	}
	deploys, err := s.Deploys()
	if err != nil {
		http.Error(w, text.OneLine(err.Error()), http.StatusInternalServerError)
		return
	}
	data := pageData{Now: s.o.Now().UTC(), Deploys: deploys}
	for _, sp := range spans {
		if n := len(data.Services); n == 0 || data.Services[n-1].Name != sp.Service {
			data.Services = append(data.Services, pageService{Name: sp.Service})
		}
		last := &data.Services[len(data.Services)-1]
		last.Versions = append(last.Versions, sp)
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		http.Error(w, text.OneLine(err.Error()), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"clock": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"short": func(t time.Time) string { return t.UTC().Format("15:04:05") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<title>perfgate watch</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1b1f24; }
h1 { font-size: 1.4em; margin-bottom: .2em; } h2 { font-size: 1.1em; margin-top: 1.8em; }
.sub { color: #57606a; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #d0d7de; vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; }
.outcome { font-weight: 600; padding: .1em .5em; border-radius: .8em; white-space: nowrap; }
.regression { background: #ffebe9; color: #cf222e; } .pass { background: #dafbe1; color: #1a7f37; }
.inconclusive { background: #fff8c5; color: #9a6700; } .error { background: #ffebe9; color: #82071e; }
.waiting { background: #ddf4ff; color: #0969da; }
code { font-size: 90%; } .err { color: #82071e; }
</style>
</head>
<body>
<h1>perfgate watch</h1>
<p class="sub">{{clock .Now}} · <a href="/metrics">metrics</a></p>

<h2>Deploys</h2>
{{if .Deploys}}
<table id="deploys">
<tr><th>Deployed</th><th>Services</th><th>Change</th><th>Verdict</th><th>Windows</th><th>Reports</th></tr>
{{range .Deploys}}
<tr class="deploy" data-id="{{.ID}}">
<td>{{clock .At}}</td>
<td>{{range $i, $s := .Services}}{{if $i}}, {{end}}{{$s}}{{end}}</td>
<td><code>{{.Previous}}</code> → <code>{{.Version}}</code></td>
<td>{{if .Outcome}}<span class="outcome {{.Outcome}}">{{.Outcome}}</span>{{else}}<span class="outcome waiting">waiting until {{short .Head.Until}}</span>{{end}}
{{if .Error}}<div class="err">{{.Error}}</div>{{end}}{{if .Webhook}}<div class="err">{{.Webhook}}</div>{{end}}</td>
<td>base {{short .Base.From}}–{{short .Base.Until}}<br>head {{short .Head.From}}–{{short .Head.Until}}</td>
<td>{{if .Outcome}}{{if ne (print .Outcome) "error"}}<a class="report" href="/deploys/{{.ID}}/report.html">report and flame graphs</a> · <a href="/deploys/{{.ID}}/report.md">Markdown</a> · {{end}}<a href="/deploys/{{.ID}}/verdict.json">verdict.json</a>{{end}}</td>
</tr>
{{end}}
</table>
{{else}}
<p>No deploy yet: a deploy is a service's profiles showing a new <code>version</code> label.</p>
{{end}}

<h2>Services</h2>
{{if .Services}}
<table id="services">
<tr><th>Service</th><th>Version</th><th>First profile</th><th>Last profile</th><th>Profiles</th></tr>
{{range .Services}}{{$name := .Name}}
{{range .Versions}}
<tr class="service"><td>{{$name}}</td><td>{{if .Value}}<code>{{.Value}}</code>{{else}}<em>no version label: deploys are not detected; judge windows with perfgate watch check</em>{{end}}</td>
<td>{{clock .First}}</td><td>{{clock .Last}}</td><td>{{.Profiles}}</td></tr>
{{end}}
{{end}}
</table>
{{else}}
<p>No profile yet: point a service's <code>profiler.Start</code> (or pyroscope-go's <code>ServerAddress</code>) here.</p>
{{end}}
</body>
</html>
`))
