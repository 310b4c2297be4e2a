package bench

import (
	"context"
	"fmt"
	"slices"

	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/internal/cpuset"
	"github.com/perfgate/perfgate/rundir"
)

// pinService pins every thread of p, a service of s just ready, to the
// services' CPUs, when the run pins (pin_cpus, Info.PinCPUs). The first
// call splits the CPUs perfgate may use (cpuset.Split) and records the
// split in run.json (Info.Pinned), which the load rounds then follow; where
// there is nothing to split, it adds a note and pins nothing.
func (sides *Sides) pinService(s *Side, p *service.Process) error {
	info := sides.Info
	if !info.PinCPUs {
		return nil
	}
	if info.Pinned == nil {
		allowed, err := cpuset.Allowed()
		if err != nil {
			sides.notPinned(fmt.Sprintf("pin_cpus: nothing pinned (%v)", err))
			return nil
		}
		driver, services, ok := cpuset.Split(allowed)
		if !ok {
			sides.notPinned(fmt.Sprintf("pin_cpus: perfgate may use %d CPU (%s); nothing pinned", allowed.Len(), allowed))
			return nil
		}
		info.Pinned = &rundir.Pinning{Driver: driver.String(), Services: services.String()}
	}
	set, err := cpuset.Parse(info.Pinned.Services)
	if err != nil {
		return fmt.Errorf("pinning the services: %w", err)
	}
	if err := cpuset.Pin(p.Pid(), set); err != nil {
		return fmt.Errorf("%s side: pinning service %s: %w", s.Name, p.Spec.Name, err)
	}
	return nil
}

// notPinned notes, once, why the run pins nothing.
func (sides *Sides) notPinned(note string) {
	if !slices.Contains(sides.Info.Notes, note) {
		sides.Info.Notes = append(sides.Info.Notes, note)
	}
}

// drive runs the load of target with opts (load.Run), with perfgate
// pinned to the driver's CPUs when the run pins them (Info.Pinned).
func (t *LoadTest) drive(ctx context.Context, target load.Target, opts load.Options) (res *load.Result, err error) {
	pinned := t.sides.Info.Pinned
	if pinned == nil {
		return load.Run(ctx, target, opts)
	}
	set, err := cpuset.Parse(pinned.Driver)
	if err != nil {
		return nil, fmt.Errorf("pinning the load driver: %w", err)
	}
	err = cpuset.RunOn(set, func() error {
		res, err = load.Run(ctx, target, opts)
		return err
	})
	return res, err
}
