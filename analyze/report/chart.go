package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"

	"github.com/perfgate/perfgate/analyze"
)

// The SVG charts of the HTML report, laid out here and drawn by its
// template: a dot and line chart of every round's value of a result, base
// against head, and grouped bars of a load scenario's latency
// percentiles. Coordinates are formatted with fixed decimals so that the
// output is the same on every machine.

// Colors of the two sides, in every chart and legend.
const (
	baseColor = "#2563eb"
	headColor = "#ea580c"
)

// chartTick is a grid line of a chart and its label.
type chartTick struct {
	Pos   string // y of a horizontal line (x of a vertical one)
	Label string
}

// chartPoint is a dot of a chart, with its hover text.
type chartPoint struct {
	X, Y  string
	Title string
}

// chartSeries is one side's line of a rounds chart.
type chartSeries struct {
	Name   string
	Color  string
	Points string // polyline points, "x,y x,y"
	Dots   []chartPoint
	Center string // y of the side's center, "" if none
	// LegendX places the side's entry in the legend.
	LegendX string
}

// legend places the entries of a legend left to right from the plot's
// left edge, each as wide as its name (about 6 units a character).
func legend(series []chartSeries) {
	x := float64(chartLeft)
	for i := range series {
		series[i].LegendX = px(x)
		x += 17 + 6*float64(len([]rune(series[i].Name))) + 20
	}
}

// lineChart is a rounds chart: every round's value of one result, base
// and head.
type lineChart struct {
	Width, Height  int
	Left, Right    string // the plot area
	Top, Bottom    string
	Title          string
	YLabel, XLabel string
	YTicks, XTicks []chartTick
	Series         []chartSeries
	// Marks are vertical lines at change points (history's trends).
	Marks []chartMark
}

// Chart geometry, in SVG user units.
const (
	chartWidth   = 560
	chartHeight  = 240
	chartLeft    = 72
	chartRight   = 16
	chartTop     = 50
	chartBottom  = 40
	chartMaxTick = 6
)

// roundsChart charts every round's value of r, base and head, or returns
// nil when neither side has values.
func roundsChart(r analyze.Result, baseName, headName string) *lineChart {
	sides := []struct {
		name  string
		color string
		s     *analyze.Summary
	}{{baseName, baseColor, r.Base}, {headName, headColor, r.Head}}
	n := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, side := range sides {
		if side.s == nil {
			continue
		}
		n = max(n, len(side.s.Values))
		for _, v := range side.s.Values {
			if finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if n == 0 || lo > hi {
		return nil
	}
	c, xf, y := seriesFrame(n, lo, hi, r.Unit, "every round, in the order measured", "round")
	x := func(i int) float64 { return xf(float64(i)) }
	for _, side := range sides {
		if side.s == nil || len(side.s.Values) == 0 {
			continue
		}
		s := chartSeries{Name: side.name, Color: side.color}
		var pts []string
		for i, v := range side.s.Values {
			if !finite(v) {
				continue
			}
			p := chartPoint{X: px(x(i)), Y: px(y(v)),
				Title: side.name + ", round " + strconv.Itoa(i+1) + ": " + formatValue(v, r.Unit)}
			s.Dots = append(s.Dots, p)
			pts = append(pts, p.X+","+p.Y)
		}
		s.Points = strings.Join(pts, " ")
		if finite(side.s.Center) {
			s.Center = px(y(side.s.Center))
		}
		c.Series = append(c.Series, s)
	}
	legend(c.Series)
	return c
}

// seriesFrame lays out a line chart of n points, numbered 1 to n along x,
// whose values lie in [lo, hi] of unit: its grid, ticks and labels, and the
// x of point i (from 0, fractions between points) and the y of a value.
func seriesFrame(n int, lo, hi float64, unit, title, xLabel string) (c *lineChart, x, y func(float64) float64) {
	ax := niceAxis(lo, hi, unit, false)
	c = &lineChart{
		Width: chartWidth, Height: chartHeight,
		Left: px(chartLeft), Right: px(chartWidth - chartRight),
		Top: px(chartTop), Bottom: px(chartHeight - chartBottom),
		Title: title, YLabel: unit, XLabel: xLabel,
	}
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	x = func(i float64) float64 {
		if n == 1 {
			return chartLeft + plotW/2
		}
		return chartLeft + 8 + i*(plotW-16)/float64(n-1)
	}
	y = func(v float64) float64 {
		return chartTop + plotH - (v-ax.lo)/(ax.hi-ax.lo)*plotH
	}
	for i, t := range ax.ticks {
		c.YTicks = append(c.YTicks, chartTick{px(y(t)), ax.labels[i]})
	}
	step := max(1, (n+9)/10)
	for i := 0; i < n; i += step {
		c.XTicks = append(c.XTicks, chartTick{px(x(float64(i))), strconv.Itoa(i + 1)})
	}
	return c, x, y
}

// barChart is grouped bars: a load scenario's latency percentiles, base
// and head side by side.
type barChart struct {
	Width, Height int
	Left, Right   string
	Top, Bottom   string
	Title         string
	YLabel        string
	YTicks        []chartTick
	Groups        []barGroup
	Legend        []chartSeries // Name and Color only
}

type barGroup struct {
	Label  string
	X      string // the label's center
	Status string // the result's status, for the label's class
	Bars   []bar
}

type bar struct {
	X, Y, W, H string
	Color      string
	Title      string
	Label      string // the value, above the bar
	LabelX     string
	LabelY     string
	// ErrX, ErrY1, ErrY2 draw the confidence interval; ErrX is "" when
	// there is none.
	ErrX, ErrY1, ErrY2 string
}

// latencyUnits are the units a latency chart shows, in order.
var latencyUnits = []struct{ unit, label string }{
	{"p50-sec", "p50"}, {"p90-sec", "p90"}, {"p99-sec", "p99"}, {"max-sec", "max"},
}

// latencyChart charts the latency percentiles of one service of a load
// scenario, from its results (any units; the latency ones are picked), or
// returns nil when it has none.
func latencyChart(title string, results []analyze.Result, baseName, headName string) *barChart {
	type group struct {
		label string
		r     analyze.Result
	}
	var groups []group
	hi := 0.0
	for _, u := range latencyUnits {
		for _, r := range results {
			if r.Unit != u.unit {
				continue
			}
			groups = append(groups, group{u.label, r})
			for _, s := range []*analyze.Summary{r.Base, r.Head} {
				if s != nil {
					for _, v := range []float64{s.Center, float64(s.Hi)} {
						if finite(v) {
							hi = math.Max(hi, v)
						}
					}
				}
			}
			break
		}
	}
	if len(groups) == 0 {
		return nil
	}
	ax := niceAxis(0, hi, "sec", true)
	c := &barChart{
		Width: chartWidth, Height: chartHeight,
		Left: px(chartLeft), Right: px(chartWidth - chartRight),
		Top: px(chartTop), Bottom: px(chartHeight - chartBottom),
		Title: title, YLabel: "latency",
		Legend: []chartSeries{{Name: baseName, Color: baseColor}, {Name: headName, Color: headColor}},
	}
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	y := func(v float64) float64 {
		return chartTop + plotH - (v-ax.lo)/(ax.hi-ax.lo)*plotH
	}
	for i, t := range ax.ticks {
		c.YTicks = append(c.YTicks, chartTick{px(y(t)), ax.labels[i]})
	}
	slot := plotW / float64(len(groups))
	barW := math.Min(48, slot*0.36)
	for i, g := range groups {
		mid := chartLeft + slot*(float64(i)+0.5)
		bg := barGroup{Label: g.label, X: px(mid), Status: string(g.r.Status)}
		for j, side := range []struct {
			name, color string
			s           *analyze.Summary
		}{{baseName, baseColor, g.r.Base}, {headName, headColor, g.r.Head}} {
			if side.s == nil || !finite(side.s.Center) {
				continue
			}
			x0 := mid - barW - 2 + float64(j)*(barW+4)
			top := y(math.Max(side.s.Center, 0))
			b := bar{
				X: px(x0), Y: px(top), W: px(barW), H: px(chartTop + plotH - top),
				Color:  side.color,
				Title:  side.name + " " + g.label + ": " + formatValue(side.s.Center, "sec") + " " + interval(side.s),
				Label:  formatValue(side.s.Center, "sec"),
				LabelX: px(x0 + barW/2), LabelY: px(top - 4),
			}
			if lo, hi := float64(side.s.Lo), float64(side.s.Hi); finite(lo) && finite(hi) && hi > lo {
				b.ErrX, b.ErrY1, b.ErrY2 = px(x0+barW/2), px(y(lo)), px(y(hi))
			}
			bg.Bars = append(bg.Bars, b)
		}
		c.Groups = append(c.Groups, bg)
	}
	legend(c.Legend)
	return c
}

// axis is a chart's value axis: its range, rounded out to its ticks, and
// the ticks' labels.
type axis struct {
	lo, hi float64
	ticks  []float64
	labels []string
}

// niceAxis returns an axis over [lo, hi] with at most about chartMaxTick
// ticks at round values (1, 2 or 5 times a power of ten of the unit's
// prefix, scaled by benchunit as benchstat scales), starting at zero when
// zero is set.
func niceAxis(lo, hi float64, unit string, zero bool) axis {
	if zero {
		lo = math.Min(lo, 0)
		hi = math.Max(hi, 0)
	}
	if hi <= lo {
		d := math.Abs(hi) * 0.1
		if d == 0 {
			d = 1
		}
		// Within the float64s: an infinite end would make every tick
		// infinite.
		if !zero || lo < 0 {
			lo = math.Max(lo-d, -math.MaxFloat64)
		}
		hi = math.Min(hi+d, math.MaxFloat64)
	}
	cls := benchunit.ClassOf(unit)
	sc := benchunit.CommonScale([]float64{math.Max(math.Abs(lo), math.Abs(hi))}, cls)
	slo, shi := lo/sc.Factor, hi/sc.Factor
	step := niceStep((shi - slo) / chartMaxTick)
	k0, k1 := math.Floor(slo/step+1e-9), math.Ceil(shi/step-1e-9)
	if !(k1-k0 <= 4*chartMaxTick) {
		// Not a few round steps, as a finite range scaled by benchunit
		// always is; a guard, since looping over them would not end: the
		// ends are the ticks.
		return axis{lo: lo, hi: hi, ticks: []float64{lo, hi}, labels: []string{formatValue(lo, unit), formatValue(hi, unit)}}
	}
	prec := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ax axis
	// Counted, not k++: k+1 is k when the range is narrow for its
	// magnitude (beyond 2^53 steps from zero).
	for i := 0; i <= int(k1-k0); i++ {
		v := (k0 + float64(i)) * step
		ax.ticks = append(ax.ticks, v*sc.Factor)
		s := strconv.FormatFloat(v, 'f', prec, 64)
		if strings.Trim(s, "-0.") == "" {
			s = "0"
		} else {
			s += sc.Prefix
		}
		ax.labels = append(ax.labels, s+quantity(unit))
	}
	ax.lo, ax.hi = k0*step*sc.Factor, k1*step*sc.Factor
	return ax
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// formatValue is a value of unit, scaled for people: "1.101µs", "14.0MiB".
func formatValue(v float64, unit string) string {
	return benchunit.Scale(v, benchunit.ClassOf(unit)) + quantity(unit)
}

// curveChart charts a capacity scenario's latency curves: the objective's
// percentile of latency against the offered rate, every step of every
// search of each side as dots, with the objective as a dashed line. Latencies
// above three times the objective are drawn at the top (their dots say
// the real value). It returns nil when there is no curve.
func curveChart(curves []analyze.Curve, scenario, baseName, headName string) *lineChart {
	var mine []analyze.Curve
	lo, hi := math.Inf(1), math.Inf(-1)
	objective, pct := 0.0, 0.0
	for _, c := range curves {
		if c.Scenario != scenario || len(c.Points) == 0 {
			continue
		}
		mine = append(mine, c)
		objective, pct = c.Objective, c.Percentile
		for _, p := range c.Points {
			lo, hi = math.Min(lo, p.Rate), math.Max(hi, p.Rate)
		}
	}
	if len(mine) == 0 || !(objective > 0) {
		return nil
	}
	pname := "p" + strconv.FormatFloat(pct, 'g', -1, 64)
	ax := niceAxis(lo, hi, "req/s", true)
	ay := niceAxis(0, 3*objective, "sec", true)
	c := &lineChart{
		Width: chartWidth, Height: chartHeight,
		Left: px(chartLeft), Right: px(chartWidth - chartRight),
		Top: px(chartTop), Bottom: px(chartHeight - chartBottom),
		Title:  pname + " latency against the offered rate, every step of the searches",
		YLabel: pname + " latency", XLabel: "offered req/s",
	}
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	x := func(v float64) float64 { return chartLeft + (v-ax.lo)/(ax.hi-ax.lo)*plotW }
	y := func(v float64) float64 {
		return chartTop + plotH - (math.Min(v, ay.hi)-ay.lo)/(ay.hi-ay.lo)*plotH
	}
	for i, t := range ay.ticks {
		c.YTicks = append(c.YTicks, chartTick{px(y(t)), ay.labels[i]})
	}
	for i, t := range ax.ticks {
		c.XTicks = append(c.XTicks, chartTick{px(x(t)), ax.labels[i]})
	}
	for _, cv := range mine {
		name, color := baseName, baseColor
		if cv.Side == "head" {
			name, color = headName, headColor
		}
		pts := slices.Clone(cv.Points)
		slices.SortStableFunc(pts, func(a, b analyze.CurvePoint) int { return cmp.Compare(a.Rate, b.Rate) })
		s := chartSeries{Name: name, Color: color} // dots only: the steps of all rounds, noise included
		for _, p := range pts {
			met := "met"
			if !p.Met {
				met = "missed"
			}
			d := chartPoint{X: px(x(p.Rate)), Y: px(y(p.Latency)),
				Title: name + " at " + strconv.FormatFloat(p.Rate, 'f', 0, 64) + " req/s: " + pname + " " + formatValue(p.Latency, "sec") + ", objective " + met}
			s.Dots = append(s.Dots, d)
		}
		c.Series = append(c.Series, s)
	}
	c.Series = append(c.Series, chartSeries{Name: "≤ " + formatValue(objective, "sec"), Color: "#6b7280", Center: px(y(objective))})
	legend(c.Series)
	return c
}
