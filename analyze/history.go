package analyze

import "time"

// History is the regression report of a period of recorded runs: the
// change points of every trend, worst first, and the trends they were
// found in. Its JSON form is perfgate history report's --json output.
type History struct {
	Schema int `json:"schema"`
	// Generated is when the report was made; Since, when set, is the
	// start of the period its changes fall in (the trends are searched
	// over their whole history, so that a change early in the period is
	// measured against the level before it).
	Generated time.Time `json:"generated"`
	Since     time.Time `json:"since,omitzero"`
	Branch    string    `json:"branch,omitempty"`
	// Regressions counts the changes of the period that made a result
	// worse.
	Regressions int `json:"regressions"`
	// Changes are the change points of the period: regressions first,
	// the largest first, then improvements and changes of units without
	// a better direction.
	Changes []Change `json:"changes"`
	// Trends are the trends searched, each with its points.
	Trends []Trend  `json:"trends"`
	Notes  []string `json:"notes,omitempty"`
}

// Series names a trend: one benchmark's unit, on one machine, of one
// build configuration. Trend and Change carry it, and their JSON forms
// hold its fields as their own.
type Series struct {
	Machine   string `json:"machine"`
	Package   string `json:"package,omitempty"`
	Benchmark string `json:"benchmark"`
	Unit      string `json:"unit"`
	// Variant is a side's build configuration beyond its commit (build
	// tags, environment), when not the plain build.
	Variant string `json:"variant,omitempty"`
}

// Trend is one benchmark's unit, on one machine, commit by commit.
type Trend struct {
	Series
	Points []TrendPoint `json:"points"`
	// Changes are the indexes in History.Changes of this trend's change
	// points in the period.
	Changes []int `json:"changes,omitempty"`
}

// TrendPoint is one commit of a trend: the median of its samples.
type TrendPoint struct {
	Commit  string    `json:"commit"`
	Time    time.Time `json:"time,omitzero"`
	Subject string    `json:"subject,omitempty"`
	Value   Float     `json:"value"`
	N       int       `json:"n"`
}

// Change is a change point: the commit from which a trend's level moved.
type Change struct {
	Series
	// Commit is the first commit at the new level; Previous the last
	// before it.
	Commit   string    `json:"commit"`
	Previous string    `json:"previous"`
	Time     time.Time `json:"time,omitzero"`
	Subject  string    `json:"subject,omitempty"`
	// Before and After are the medians of the levels on either side, each
	// as far as the neighbouring change points, over Commits commits.
	Before Float `json:"before"`
	After  Float `json:"after"`
	// BeforeCommits and AfterCommits count the commits of each level.
	BeforeCommits int `json:"before_commits"`
	AfterCommits  int `json:"after_commits"`
	// Delta is the relative change, After/Before-1 (Hodges-Lehmann), and
	// Low and High its confidence interval.
	Delta Float `json:"delta"`
	Low   Float `json:"low"`
	High  Float `json:"high"`
	// P is the p-value of the test that accepted the change point.
	P Float `json:"p"`
	// Status is StatusRegression, StatusImprovement or StatusChanged.
	Status Status `json:"status"`
	// Hot are the functions that grew between the neighbouring commits'
	// profiles, when both kept them; Profiles the diff's files, relative
	// to the report's directory.
	Hot      []Hot    `json:"hot,omitempty"`
	Profiles []string `json:"profiles,omitempty"`
	// Why says why there are no hot functions, when there are none for a
	// regression.
	Why string `json:"why,omitempty"`
}

// HistorySchemaVersion is the version of History's JSON form.
const HistorySchemaVersion = 1
