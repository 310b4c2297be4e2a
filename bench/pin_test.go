package bench

import (
	"slices"
	"testing"

	"github.com/perfgate/perfgate/internal/cpuset"
	"github.com/perfgate/perfgate/rundir"
)

// TestPinServiceOneCPU checks that a run with pin_cpus where perfgate may
// use one CPU pins nothing and says so once, and that a run without it
// does nothing. Pinning itself is checked end to end in cmd/perfgate
// (TestLoadPinCPUs).
func TestPinServiceOneCPU(t *testing.T) {
	allowed, err := cpuset.Allowed()
	if err != nil {
		t.Skip(err)
	}
	one := cpuset.New(allowed.CPUs()[0])
	side := &Side{Side: &rundir.Side{Name: "base"}}
	sides := &Sides{Info: &rundir.Info{PinCPUs: true}}
	// On one CPU: perfgate's own process, for the time of the calls.
	err = cpuset.RunOn(one, func() error {
		for range 2 {
			if err := sides.pinService(side, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "pin_cpus: perfgate may use 1 CPU (" + one.String() + "); nothing pinned"
	if sides.Info.Pinned != nil || !slices.Equal(sides.Info.Notes, []string{want}) {
		t.Errorf("pinned %+v, notes %q; want nothing pinned and the note %q once", sides.Info.Pinned, sides.Info.Notes, want)
	}

	off := &Sides{Info: &rundir.Info{}}
	if err := off.pinService(side, nil); err != nil || off.Info.Pinned != nil || len(off.Info.Notes) > 0 {
		t.Errorf("without pin_cpus: %v, pinned %+v, notes %q; want nothing", err, off.Info.Pinned, off.Info.Notes)
	}
}
