package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/text"
)

func TestTermText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"BenchmarkHandle/path=root-8", "BenchmarkHandle/path=root-8"},
		{"example.com/server.(*Router).match", "example.com/server.(*Router).match"},
		{"µs ± 3% → é…", "µs ± 3% → é…"},
		{"a\x1b[31mb", `a\x1b[31mb`},
		{"\x1b]0;title\a", `\x1b]0;title\a`},
		{"a\rb\nc\td\x00", `a\rb\nc\td\x00`},
		{"\x7f", `\x7f`},
		{"\u009b31m", `\u009b31m`},
		{"x\u202ey\u2066z\u200f", `x\u202ey\u2066z\u200f`},
		{"\u00a0\u2028", `\u00a0\u2028`},
		{"\xff\xfe", `\xff\xfe`},
		{"\uFFFD", "\uFFFD"},
		{`C:\dir`, `C:\dir`},
		{"::set-output name=x::y", `\x3a:set-output name=x::y`},
		{"  ::x", `  \x3a:x`},
		{":", `\x3a`},
		{": x", `\x3a x`},
		{"a::b", "a::b"},
		{"\t::x", `\t::x`},
		{"x ##[add-mask]y", `x ##\x5badd-mask]y`},
		{"##[##[", `##\x5b##\x5b`},
		{"#[ ## [", "#[ ## ["},
	} {
		if got := text.Terminal(tt.in); got != tt.want {
			t.Errorf("text.Terminal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestTextEscape: the text report prints every untrusted string escaped,
// in color too, so that neither a terminal nor the GitHub runner acts on
// it, and shows what was escaped.
func TestTextEscape(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Text(&buf, hostileVerdict(), color); err != nil {
			t.Fatal(err)
		}
		out := ownEscapes.ReplaceAllString(buf.String(), "")
		checkTerminal(t, "text", out)
		for _, want := range []string{
			"base main\\x1b[8m ::stop-commands::x, head ##\\x5badd-mask]head",
			"error: build failed:\\n::error::pwned\\a\n",
			"  regressed: \\x3a:set-output name=a::b sec/op\\x1b[2J [\\x3a=x pkg=p\\n::warning::q] ",
			"      \\x1b]0;pwned\\a in svc\\u202e  +1.000ns/\\x1b[31m  100%  (1.000ns/\\x1b[31m → 2.000ns/\\x1b[31m)\n",
			"      path: main.main →   \\x3a:add-mask::p → \\xff\\x9b\n",
			"\nsec/op\\x1b[2J ",
			"\n\\x3a: x\npkg: p\\n::warning::q\n",
			"\n\\x3a:set-output name=a::b ",
			"\n  \\x3a:endgroup:: ",
			"\n¹ \\x3a:notice::w\\r\n",
			"\n\\x3a:k: ##\\x5bv]\n",
			"\n\\x3a:x ",
			"\nBenchmark\\u009b31m\\u2066x ",
			"note: \\x3a:group::n\nnote: a\\n##\\x5berror]b\nnote: \\t::x\n",
			// An explanation's every field.
			"\n  scenario ::s\\x1b[1m: p99-sec\\a +200.00%, \\x3a:u regressed\n",
			"\n      10 base and 20 head samples of delay\\x1b[2J, over 5 and 5 requests\n",
			"\n        \\x3a:svc   ##\\x5bkind]   1.000ns/\\x1b[31m   2.000ns/\\x1b[31m   +1.000ns/\\x1b[31m (+100%)\n",
			"  1/2                  \\r::k  \\x1b[8m  \\x3a:fn\\u202e\n",
			"\n      path: main.main →   \\x3a:add-mask::q → \\x9b\n",
			"\n      note: \\x3a:error::note\\n##\\x5bx]\n",
			"\n  ##\\x5bgroup]B: \\x3a:B/op +200.00% regressed\n      0 base and 0 head samples of ::alloc\n",
			"\n      note: \\x1b[2Jwiped\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("color %v: the text has no %q:\n%s", color, want, out)
			}
		}
	}
	// The outcome begins the first line.
	for _, o := range []analyze.Outcome{"::error::x", "##[error]x", "pass\x1b[2J"} {
		var buf bytes.Buffer
		if err := Text(&buf, &analyze.Verdict{Verdict: o}, false); err != nil {
			t.Fatal(err)
		}
		checkTerminal(t, string(o), buf.String())
	}
}

// TestMarkdownControls: Markdown drops control characters (ESC, BEL, C1),
// bidi controls and bytes that are not UTF-8 from untrusted text, and
// escapes a hot function's unit as the rest.
func TestMarkdownControls(t *testing.T) {
	v := hostileVerdict()
	v.Results[0].Hot[0].Unit = "ns/op|</details><b>x</b>"
	var buf bytes.Buffer
	if err := Markdown(&buf, v, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	checkTerminal(t, "Markdown", out)
	checkMarkdownTables(t, out)
	if strings.Contains(out, "<b>") || strings.Count(out, "</details>") != strings.Count(out, "<details>") {
		t.Errorf("a unit is not escaped:\n%s", out)
	}
	if !strings.Contains(out, "<code>\\]0;pwned</code> | svc | +1.000ns/op\\|&lt;/details&gt;&lt;b&gt;x&lt;/b&gt; |") {
		t.Errorf("the hot function is not as expected:\n%s", out)
	}
	// An explanation's every field.
	for _, want := range []string{
		"<details><summary>scenario ::s[1m: p99-sec +200.00%, ::u regressed</summary>\n",
		"\n10 base and 20 head samples of delay\\[2J, over 5 and 5 requests.\n",
		"\n| ::svc | \\#\\#\\[kind\\] | 1.000ns/\\[31m | 2.000ns/\\[31m | +1.000ns/\\[31m (+100%) |\n",
		"\n| <code>::fn</code> |  ::k | \\[8m | +1.000ns | 100% | 1.000ns → 2.000ns | 1/2 |\n",
		"\n- ::error::note \\#\\#\\[x\\]\n",
		"<details><summary>##&#91;group]B: ::B/op +200.00% regressed</summary>\n",
		"\n- \\[2Jwiped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the Markdown has no %q:\n%s", want, out)
		}
	}
}

// TestHTMLControls: the page has no control character but line breaks
// and tabs, and no bidi control: what the verdict had is shown escaped, as
// in the text report. Nor has it a line that is a workflow command, should
// it be printed to a CI log: a colon or a bracket that would make one is a
// character reference.
func TestHTMLControls(t *testing.T) {
	var buf bytes.Buffer
	if err := HTML(&buf, hostileVerdict(), HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	checkTerminal(t, "HTML", out)
	for _, want := range []string{`<code>\x1b]0;pwned\a</code>`, `<td>svc\u202e</td>`, `Benchmark\u009b31m\u2066x`, `<code>\xff\x9b</code>`,
		"build failed:\n&#58;:error::pwned\\a</div>", "head <span class=\"mono\">##&#91;add-mask]head</span>",
		// An explanation's every field.
		"<h3>scenario ::s\\x1b[1m<wbr></h3>", "<b>p99-sec\\a &#43;200.00%, ::u regressed</b>", "samples of delay\\x1b[2J, over 5",
		"<td>::svc</td><td>##&#91;kind]</td>", "<code>::fn\\u202e</code></td><td>\\r::k</td><td>\\x1b[8m</td>", "<code>\\x9b</code>",
		"<li>::error::note\n##&#91;x]</li>", "<code>::prof\\x1b</code>", "<h3>##&#91;group]B<wbr></h3>", "<li>\\x1b[2Jwiped</li>"} {
		if !strings.Contains(out, want) {
			t.Errorf("the page has no %q", want)
		}
	}
}
