//go:build !linux

package cpuset

import (
	"errors"
	"runtime"
)

// errUnsupported is why nothing is pinned outside Linux.
var errUnsupported = errors.New("CPU pinning is supported on Linux only, not on " + runtime.GOOS)

// Allowed fails outside Linux.
func Allowed() (Set, error) { return Set{}, errUnsupported }

// Of fails outside Linux.
func Of(tid int) (Set, error) { return Set{}, errUnsupported }

// Pin fails outside Linux.
func Pin(pid int, s Set) error { return errUnsupported }

// RunOn fails outside Linux, without running f.
func RunOn(s Set, f func() error) error { return errUnsupported }
