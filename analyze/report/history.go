package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/text"
)

// The history report (perfgate history report): the change points of a
// period, worst first, each with the commit, the size of the change and
// its interval, and the functions that grew when the neighbouring
// commits kept profiles; in HTML, a trend chart per benchmark with its
// change points marked, drawn with the gate's chart.

// changeLine is one change point in a line of text: its benchmark, unit,
// size and interval, commit and levels.
func changeLine(c analyze.Change) (name, change, levels string) {
	name = c.Benchmark + " " + c.Unit
	if c.Package != "" {
		name = c.Package + " " + name
	}
	if c.Variant != "" {
		name += " [" + c.Variant + "]"
	}
	change = signedPercent(float64(c.Delta)) + " [" + signedPercent(float64(c.Low)) + ", " + signedPercent(float64(c.High)) + "]"
	levels = formatValue(float64(c.Before), c.Unit) + " → " + formatValue(float64(c.After), c.Unit)
	return name, change, levels
}

// signedPercent is a change as a percentage with its sign and one
// decimal: "+8.1%", "-5.0%".
func signedPercent(f float64) string {
	if !finite(f) {
		return "?"
	}
	return fmt.Sprintf("%+.1f%%", 100*f)
}

func historyWord(h *analyze.History) string {
	if h.Regressions > 0 {
		return "REGRESSION"
	}
	return "NO REGRESSION"
}

func historyCounts(h *analyze.History) string {
	improvements := 0
	for _, c := range h.Changes {
		if c.Status == analyze.StatusImprovement {
			improvements++
		}
	}
	s := fmt.Sprintf("%s, %s over %s", plural(h.Regressions, "regression", "regressions"),
		plural(improvements, "improvement", "improvements"), plural(len(h.Trends), "trend", "trends"))
	if !h.Since.IsZero() {
		s += " since " + h.Since.UTC().Format("2006-01-02 15:04 MST")
	}
	if h.Branch != "" {
		s += " on " + h.Branch
	}
	return s
}

// HistoryText writes h for a terminal: a summary line, then each change
// point worst first with its commit, size and interval, levels and the
// functions that grew, then the notes. Untrusted text is escaped as Text
// escapes it.
func HistoryText(w io.Writer, h *analyze.History) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: %s\n", historyWord(h), historyCounts(h))
	for i, c := range h.Changes {
		name, change, levels := changeLine(c)
		fmt.Fprintf(&b, "\n%d. %s %s %s\n", i+1, strings.ToUpper(string(statusWord(c.Status))), text.Terminal(name), change)
		fmt.Fprintf(&b, "   at %s", text.ShortCommit(c.Commit))
		if c.Subject != "" {
			fmt.Fprintf(&b, " %q", text.Terminal(c.Subject))
		}
		if !c.Time.IsZero() {
			fmt.Fprintf(&b, " (%s)", c.Time.UTC().Format("2006-01-02 15:04"))
		}
		fmt.Fprintf(&b, ", after %s\n", text.ShortCommit(c.Previous))
		fmt.Fprintf(&b, "   %s (medians of %d and %d commits), p=%s\n", text.Terminal(levels), c.BeforeCommits, c.AfterCommits, pFormat(float64(c.P)))
		if len(c.Hot) > 0 {
			tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "   \tfunction\tgrowth\tshare\n")
			for _, hot := range c.Hot {
				fmt.Fprintf(tw, "   \t%s\t%s\t%.0f%%\n", text.Terminal(hot.Function), text.Terminal(hotGrowth(hot)), 100*hot.Share)
			}
			tw.Flush()
		} else if c.Why != "" {
			fmt.Fprintf(&b, "   %s\n", text.Terminal(c.Why))
		}
		if c.Machine != "" && machineCount(h) > 1 {
			fmt.Fprintf(&b, "   on %s\n", text.Terminal(c.Machine))
		}
	}
	if len(h.Changes) == 0 {
		fmt.Fprintf(&b, "\nNo change point.\n")
	}
	if len(h.Notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range h.Notes {
			fmt.Fprintf(&b, "  - %s\n", text.Terminal(n))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func statusWord(s analyze.Status) string {
	if s == analyze.StatusChanged {
		return "changed"
	}
	return string(s)
}

func pFormat(p float64) string {
	if p < 0.0001 {
		return strconv.FormatFloat(p, 'e', 1, 64)
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// HistoryMarkdown writes h as GitHub Flavored Markdown, for an issue or a
// scheduled workflow's summary: a heading, a table of the change points
// worst first (with commit links when commitURL is set) and, folded under
// it, the functions that grew at each regression; then the notes.
// Untrusted text is escaped as Markdown escapes it.
func HistoryMarkdown(w io.Writer, h *analyze.History, commitURL func(string) string) error {
	var b strings.Builder
	b.WriteString("<!-- perfgate-history -->\n")
	icon := "✅"
	if h.Regressions > 0 {
		icon = "❌"
	}
	fmt.Fprintf(&b, "## %s perfgate history: %s\n\n%s\n\n", icon, strings.ToLower(historyWord(h)), mdText(historyCounts(h)))
	commit := func(c string) string {
		s := "`" + text.ShortCommit(c) + "`"
		if commitURL != nil && text.IsHex(c) {
			return "[" + s + "](" + mdURL(commitURL(c)) + ")"
		}
		return s
	}
	if len(h.Changes) > 0 {
		b.WriteString("| | Benchmark | Unit | Change | Commit | Before → after | Top function |\n|---|---|---|---:|---|---|---|\n")
		for _, c := range h.Changes {
			_, change, levels := changeLine(c)
			name := c.Benchmark
			if c.Variant != "" {
				name += " [" + c.Variant + "]"
			}
			top := ""
			if len(c.Hot) > 0 {
				top = "`" + strings.ReplaceAll(mdText(shortFuncName(c.Hot[0].Function)), "`", "") + "` " + mdText(hotGrowth(c.Hot[0]))
			}
			subject := ""
			if c.Subject != "" {
				subject = " " + mdText(capString(c.Subject, 60))
			}
			b.WriteString(mdRow(mdIcon(c.Status), mdText(name), mdText(c.Unit), "**"+mdText(change)+"**", commit(c.Commit)+subject, mdText(levels), top))
		}
		b.WriteString("\n")
		for i, c := range h.Changes {
			if len(c.Hot) == 0 {
				continue
			}
			fmt.Fprintf(&b, "<details><summary>%d. %s %s at %s: the functions that grew</summary>\n\n| Function | Growth | Share |\n|---|---:|---:|\n",
				i+1, htmlText(c.Benchmark), htmlText(c.Unit), htmlText(text.ShortCommit(c.Commit)))
			for _, hot := range c.Hot {
				b.WriteString(mdRow("`"+strings.ReplaceAll(mdText(hot.Function), "`", "")+"`", mdText(hotGrowth(hot)), fmt.Sprintf("%.0f%%", 100*hot.Share)))
			}
			b.WriteString("\n</details>\n\n")
		}
	} else {
		b.WriteString("No change point.\n\n")
	}
	for _, n := range h.Notes {
		fmt.Fprintf(&b, "- %s\n", mdText(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdIcon(s analyze.Status) string {
	switch s {
	case analyze.StatusRegression:
		return "❌"
	case analyze.StatusImprovement:
		return "✅"
	}
	return "↕️"
}

// HistoryJSON writes h as indented JSON.
func HistoryJSON(w io.Writer, h *analyze.History) error {
	data, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the history as JSON: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// machineCount is the number of machines h's trends ran on.
func machineCount(h *analyze.History) int {
	seen := map[string]bool{}
	for _, t := range h.Trends {
		seen[t.Machine] = true
	}
	return len(seen)
}

// chartMark is a vertical line of a chart at a change point, with its
// label.
type chartMark struct {
	X, Label, Title, Color string
}

// trendChart charts a trend: the median of every commit, in commit
// order, with its change points marked.
func trendChart(h *analyze.History, t analyze.Trend) *lineChart {
	n := len(t.Points)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range t.Points {
		if v := float64(p.Value); finite(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if n == 0 || lo > hi {
		return nil
	}
	c, x, y := seriesFrame(n, lo, hi, t.Unit, "median of each commit, oldest first", "commit")
	s := chartSeries{Name: "median per commit", Color: baseColor}
	var pts []string
	for i, p := range t.Points {
		v := float64(p.Value)
		if !finite(v) {
			continue
		}
		title := text.ShortCommit(p.Commit)
		if p.Subject != "" {
			title += " " + p.Subject
		}
		d := chartPoint{X: px(x(float64(i))), Y: px(y(v)), Title: title + ": " + formatValue(v, t.Unit) + " (" + plural(p.N, "sample", "samples") + ")"}
		s.Dots = append(s.Dots, d)
		pts = append(pts, d.X+","+d.Y)
	}
	s.Points = strings.Join(pts, " ")
	c.Series = []chartSeries{s}
	for _, k := range t.Changes {
		ch := h.Changes[k]
		i := -1
		for j, p := range t.Points {
			if p.Commit == ch.Commit {
				i = j
			}
		}
		if i < 1 {
			continue
		}
		color := "#1a7f37"
		if ch.Status == analyze.StatusRegression {
			color = "#cf222e"
		}
		c.Marks = append(c.Marks, chartMark{X: px(x(float64(i) - 0.5)), Label: signedPercent(float64(ch.Delta)), Color: color,
			Title: text.ShortCommit(ch.Commit) + ": " + signedPercent(float64(ch.Delta))})
	}
	legend(c.Series)
	return c
}

// historyPage is what the history template renders.
type historyPage struct {
	Title, Verdict, Icon, Word, Counts string
	Changes                            []historyChange
	Trends                             []historyTrend
	Notes                              []string
}

type historyChange struct {
	ID, Num, Status, Name, Unit, Change, Levels, Commit, Previous, Subject, When, P, Why string
	Hot                                                                                  []analyze.Hot
}

type historyTrend struct {
	ID, Name string
	Chart    *lineChart
	Changes  []string // anchors of its change points
}

// HistoryHTML writes h as a self-contained HTML page: the change points
// worst first, each with the functions that grew, and a trend chart of
// every trend with a change point (the gate's rounds chart, with the
// change points marked), then the other trends' charts folded.
func HistoryHTML(w io.Writer, h *analyze.History) error {
	page := historyPage{Title: "perfgate history: " + strings.ToLower(historyWord(h)), Counts: historyCounts(h), Notes: h.Notes, Word: historyWord(h)}
	page.Verdict, page.Icon = "pass", htmlIcon(analyze.Pass)
	if h.Regressions > 0 {
		page.Verdict, page.Icon = "regression", htmlIcon(analyze.Regression)
	}
	for i, c := range h.Changes {
		name, change, levels := changeLine(c)
		hc := historyChange{ID: "change-" + strconv.Itoa(i+1), Num: strconv.Itoa(i + 1), Status: string(c.Status), Name: name, Unit: c.Unit, Change: change, Levels: levels,
			Commit: text.ShortCommit(c.Commit), Previous: text.ShortCommit(c.Previous), Subject: c.Subject, P: pFormat(float64(c.P)), Hot: c.Hot, Why: c.Why}
		if !c.Time.IsZero() {
			hc.When = c.Time.UTC().Format("2006-01-02 15:04")
		}
		page.Changes = append(page.Changes, hc)
	}
	for i, t := range h.Trends {
		if len(t.Changes) == 0 {
			continue
		}
		ht := historyTrend{ID: "trend-" + strconv.Itoa(i+1), Name: t.Benchmark + " " + t.Unit, Chart: trendChart(h, t)}
		if t.Variant != "" {
			ht.Name += " [" + t.Variant + "]"
		}
		page.Trends = append(page.Trends, ht)
	}
	var buf bytes.Buffer
	if err := historyTemplate.ExecuteTemplate(&buf, "history", page); err != nil {
		return fmt.Errorf("writing the HTML history report: %w", err)
	}
	if _, err := io.WriteString(w, htmlVisible(buf.String())); err != nil {
		return fmt.Errorf("writing the HTML history report: %w", err)
	}
	return nil
}

var historyTemplate = template.Must(template.Must(htmlTemplate.Clone()).Funcs(template.FuncMap{
	"growth": hotGrowth,
	"pct":    func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
}).Parse(historySource))

const historySource = `{{define "history"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="perfgate">
<title>{{.Title}}</title>
{{template "style"}}
</head>
<body data-errors="">
<header class="banner {{.Verdict}}">
<div class="banner-inner">
<div class="verdict" id="verdict"><span class="icon">{{.Icon}}</span><span>{{.Word}}</span></div>
<div class="summary">{{.Counts}}</div>
</div>
</header>
<main>
{{if .Changes}}<h2>Change points, worst first</h2>
<table id="changes">
<thead><tr><th>#</th><th>Benchmark</th><th class="num">Change</th><th>Commit</th><th>Before → after</th><th class="num">p</th><th>Top function</th></tr></thead>
<tbody>
{{range $i, $c := .Changes}}<tr class="{{.Status}}"><td><a href="#{{.ID}}">{{.Num}}</a></td><td class="name">{{template "name" .Name}}</td><td class="num delta {{.Status}}">{{.Change}}</td><td><code>{{.Commit}}</code> {{.Subject}}{{with .When}}<span class="cfg">{{.}}</span>{{end}}</td><td class="num">{{.Levels}}</td><td class="num">{{.P}}</td><td>{{with .Hot}}{{with index . 0}}<code>{{.Function}}</code> {{growth .}}{{end}}{{end}}</td></tr>
{{end}}</tbody></table>
<div class="details">
{{range .Changes}}<section class="detail {{.Status}}{{if .Hot}} wide{{end}}" id="{{.ID}}">
<h3>{{template "name" .Name}}</h3>
<div class="figures"><b>{{.Change}}</b> at <code>{{.Commit}}</code> {{.Subject}}, after <code>{{.Previous}}</code>: {{.Levels}}, p={{.P}}</div>
{{if .Hot}}<table class="hot"><thead><tr><th>Function</th><th class="num">Growth</th><th class="num">Share</th></tr></thead><tbody>
{{range .Hot}}<tr><td class="fn"><code>{{.Function}}</code></td><td class="num">{{growth .}}</td><td class="num">{{pct .Share}}</td></tr>
{{end}}</tbody></table>{{else}}{{with .Why}}<p class="hint">{{.}}</p>{{end}}{{end}}
</section>
{{end}}</div>
{{else}}<p>No change point.</p>{{end}}
{{if .Trends}}<h2>Trends with a change point</h2>
<div class="details">
{{range .Trends}}<section class="detail" id="{{.ID}}"><h3>{{template "name" .Name}}</h3>{{with .Chart}}{{template "rounds" .}}{{end}}</section>
{{end}}</div>{{end}}
{{with .Notes}}<h2>Notes</h2><ul class="notes">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<footer>perfgate history report</footer>
</main>
</body>
</html>
{{end}}`
