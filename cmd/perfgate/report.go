package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
)

func reportCmd(g *globals) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Render a run's verdict as text, Markdown, HTML or JSON",
		Long: `report renders the verdict of the run directory DIR (verdict.json, with the diff
flame graphs of its regressions) as text for a terminal, Markdown for a job summary
or a pull request comment, one self-contained HTML page, or JSON.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := g.path(args[0])
			v, err := readVerdict(filepath.Join(dir, "verdict.json"))
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			switch format {
			case "text":
				err = report.Text(&buf, v, false)
			case "markdown", "md":
				err = report.Markdown(&buf, v, report.MarkdownOptions{})
			case "html":
				var flames map[string][]byte
				if flames, err = readFlames(dir, v); err == nil {
					err = report.HTML(&buf, v, report.HTMLOptions{Title: "perfgate: " + filepath.Base(dir), Flames: flames})
				}
			case "json":
				err = report.JSON(&buf, v)
			default:
				return fmt.Errorf("--format %q: want text, markdown, html or json", format)
			}
			if err != nil {
				return fmt.Errorf("rendering %s: %w", format, err)
			}
			if output == "" || output == "-" {
				_, err = g.stdout.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(g.path(output), buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("writing the report: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, markdown, html or json")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}

// readVerdict reads a verdict.json.
func readVerdict(path string) (*analyze.Verdict, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the verdict: %w", err)
	}
	var v analyze.Verdict
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("reading the verdict %s: %w", path, err)
	}
	return &v, nil
}

// readFlames reads the folded stacks of the diffs behind each regressed
// result, keyed as report.HTMLOptions.Flames wants them. The stacks of
// several services go under a root frame named after the service.
func readFlames(dir string, v *analyze.Verdict) (map[string][]byte, error) {
	flames := make(map[string][]byte)
	for _, r := range v.Results {
		var folded []string
		for _, f := range r.Profiles {
			if strings.HasSuffix(f, ".folded") {
				folded = append(folded, f)
			}
		}
		var buf bytes.Buffer
		for _, f := range folded {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				return nil, fmt.Errorf("reading the flame graph of %s %s: %w", r.Benchmark, r.Unit, err)
			}
			if len(folded) == 1 {
				buf.Write(data)
				continue
			}
			service := strings.TrimSuffix(filepath.Base(f), ".folded")
			service = service[strings.LastIndexByte(service, '.')+1:]
			for _, line := range strings.SplitAfter(string(data), "\n") {
				if strings.TrimSpace(line) != "" {
					io.WriteString(&buf, service+";"+line)
				}
			}
		}
		if buf.Len() > 0 {
			flames[r.Benchmark+" "+r.Unit] = buf.Bytes()
		}
	}
	return flames, nil
}
