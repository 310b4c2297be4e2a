package report

import (
	"bytes"
	"errors"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

// TestHotTables: perfgate hot's tables, of ordinary names and of names
// that would drive a terminal or the GitHub runner.
func TestHotTables(t *testing.T) {
	path := []string{"main.main", "main.op", "main.work2"}
	evil := []string{"::set-output name=x::y", "\x1b]0;pwned\a", "  ::add-mask::p", "f ##[error]e", "bidi\u202e\r", "\xff"}
	for _, tt := range []struct {
		name string
		diff bool
		hot  []analyze.Hot
		want string
	}{
		{"rank", false, []analyze.Hot{
			{Function: "main.work2", Head: 1.5e9, HeadCum: 1.5e9, Share: 0.75, Unit: "nanoseconds"},
			{Function: "runtime.mallocgc", Head: 5e8, HeadCum: 2e9, Share: 0.25, Unit: "nanoseconds"},
		}, "" +
			"     flat   flat%     cum  \n" +
			"   1.500s  75.00%  1.500s  main.work2\n" +
			"  500.0ms  25.00%  2.000s  runtime.mallocgc\n"},
		{"rank, hostile", false, []analyze.Hot{
			{Function: evil[0], Head: 1, HeadCum: 1, Share: 0.5, Unit: "\x1b[2J"},
			{Function: evil[1], Share: 0.5, Unit: "count"},
		}, "" +
			"           flat   flat%            cum  \n" +
			"  1.000 \\x1b[2J  50.00%  1.000 \\x1b[2J  \\x3a:set-output name=x::y\n" +
			"              0  50.00%              0  \\x1b]0;pwned\\a\n"},
		{"diff", true, []analyze.Hot{
			{Function: "main.work2", Base: 100, Head: 300, Share: 0.9, Unit: "ns/op", Path: path},
			{Function: "runtime.mallocgc", Base: 10, Head: 20, Share: 0.1, Unit: "ns/op"},
		}, "" +
			"growth       share  base        head        function\n" +
			"+200.0ns/op  90%    100.0ns/op  300.0ns/op  main.work2\n" +
			"+10.00ns/op  10%    10.00ns/op  20.00ns/op  runtime.mallocgc\n" +
			"\npath to main.work2:\n" +
			"  main.main\n" +
			"    main.op\n" +
			"      main.work2\n"},
		{"diff, none", true, nil, "no function grew\n"},
		{"diff, hostile", true, []analyze.Hot{
			{Function: evil[0], Base: 1, Head: 2, Share: 1, Unit: "ns/\a", Path: evil},
		}, "" +
			"growth       share  base        head        function\n" +
			"+1.000ns/\\a  100%   1.000ns/\\a  2.000ns/\\a  \\x3a:set-output name=x::y\n" +
			"\npath to \\x3a:set-output name=x::y:\n" +
			"  \\x3a:set-output name=x::y\n" +
			"    \\x1b]0;pwned\\a\n" +
			"        \\x3a:add-mask::p\n" +
			"        f ##\\x5berror]e\n" +
			"          bidi\\u202e\\r\n" +
			"            \\xff\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			write := HotRank
			if tt.diff {
				write = HotDiff
			}
			if err := write(&buf, tt.hot); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", buf.String(), tt.want)
			}
			checkTerminal(t, tt.name, buf.String())
			boom := errors.New("disk full")
			for n := 0; n < buf.Len(); n += max(1, buf.Len()/7) {
				if err := write(&failWriter{n: n, err: boom}, tt.hot); !errors.Is(err, boom) {
					t.Errorf("failing after %d of %d bytes: error %v, want %v", n, buf.Len(), err, boom)
				}
			}
		})
	}
}
