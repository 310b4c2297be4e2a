package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/rundir"
)

func reportCmd(g *globals) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Render a run's verdict as text, Markdown, HTML or JSON",
		Long: `report renders the verdict of the run directory DIR (verdict.json, with the diff
flame graphs of its regressions) as text for a terminal, Markdown for a job summary
or a pull request comment, one self-contained HTML page, or JSON. With --json FILE, it
also writes the verdict it renders to FILE, in the verdict schema.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := rundir.Open(g.path(args[0]))
			if err != nil {
				return err
			}
			v, err := run.ReadVerdict()
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
				if flames, err = run.ReadFlames(v); err == nil {
					err = report.HTML(&buf, v, report.HTMLOptions{Title: "perfgate: " + filepath.Base(run.Root()), Flames: flames})
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
				if _, err := g.stdout.Write(buf.Bytes()); err != nil {
					return fmt.Errorf("writing the report: %w", err)
				}
			} else if err := os.WriteFile(g.path(output), buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("writing the report: %w", err)
			}
			// --json: the verdict rendered, as the run wrote it.
			return g.writeVerdictJSON(v)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, markdown, html or json")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}
