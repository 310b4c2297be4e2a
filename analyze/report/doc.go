// Package report renders a verdict for people and machines: a benchstat-like
// text table for the terminal and the verdict JSON. Each format is one file
// with one exported function, and each has a golden file made from the same
// input (testdata/*.golden, refreshed with go test -update).
package report
