package action

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/analyze"
)

// fileCommandDelimiter is the fixed delimiter go-githubactions writes
// around every value in GITHUB_OUTPUT and GITHUB_ENV: a value holding it
// on a line of its own would end the value early and set more.
const fileCommandDelimiter = "_GitHubActionsFileCommandDelimeter_"

// SetOutputs sets the step's outputs, only values perfgate controls:
// verdict (pass, regression, inconclusive or error), regressions (how many
// results regressed) and report (reportPath, a path perfgate chose; left
// unset when empty). Nothing from the pull request goes through
// SetOutput, whose delimiter is fixed. Outside a runner (GITHUB_OUTPUT
// unset) it does nothing; an output file that cannot be written gives a
// warning, since the exit code, not the outputs, carries the verdict.
func SetOutputs(a *githubactions.Action, v *analyze.Verdict, reportPath string) {
	if a.Getenv("GITHUB_OUTPUT") == "" {
		return
	}
	verdict, regressions := analyze.Error, 0
	if v != nil {
		switch v.Verdict {
		case analyze.Pass, analyze.Regression, analyze.Inconclusive, analyze.Error:
			verdict = v.Verdict
		}
		regressions = v.Count(analyze.StatusRegression)
	}
	defer func() {
		// go-githubactions panics when it cannot write the file.
		if r := recover(); r != nil {
			a.IssueCommand(&githubactions.Command{Name: "warning", Message: fmt.Sprintf("perfgate: setting the step's outputs: %v", r)})
		}
	}()
	a.SetOutput("verdict", string(verdict))
	a.SetOutput("regressions", strconv.Itoa(regressions))
	if reportPath == "" {
		return
	}
	if strings.ContainsAny(reportPath, "\r\n") || strings.Contains(reportPath, fileCommandDelimiter) {
		a.IssueCommand(&githubactions.Command{Name: "warning", Message: "perfgate: the report's path cannot be an output (it holds a line break): " + reportPath})
		return
	}
	a.SetOutput("report", reportPath)
}
