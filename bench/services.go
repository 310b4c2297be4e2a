package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/rundir"
)

// BuildServices builds the services of s from its tree into the run
// directory's binaries.
func (sides *Sides) BuildServices(ctx context.Context, s *Side, specs []service.Spec) error {
	run := sides.Run
	for _, spec := range specs {
		bin := filepath.Join(run.Path(run.Bin(s.Name)), service.BinaryName(spec))
		if err := os.MkdirAll(run.Path(run.Bin(s.Name)), 0o755); err != nil {
			return err
		}
		err := service.Build(ctx, spec, filepath.Join(s.Tree, sides.rel), s.Tags, s.env, bin, run.Path(run.BuildLog(s.Name)))
		if err != nil {
			return fmt.Errorf("%s side: %w", s.Name, err)
		}
	}
	return nil
}

// StartServices starts the services of s in order, each told the
// addresses of those started before it and, with pin_cpus, pinned to the
// services' CPUs once ready, and begins the side's load results: the unit
// metadata of their lines, and no package.
func (sides *Sides) StartServices(ctx context.Context, s *Side, specs []service.Spec) error {
	run := sides.Run
	addrs := make(map[string]string)
	for _, spec := range specs {
		bin := filepath.Join(run.Path(run.Bin(s.Name)), service.BinaryName(spec))
		log := run.ServiceLog(s.Name, spec.Name)
		if err := run.MkdirFor(log); err != nil {
			return err
		}
		p, err := service.Start(ctx, spec, bin, s.env, addrs, run.Path(log))
		if err != nil {
			return fmt.Errorf("%s side: %w", s.Name, err)
		}
		s.procs = append(s.procs, p)
		s.Services = append(s.Services, rundir.Service{Name: spec.Name, Addr: p.Addr, Binary: bin, Log: log})
		addrs[spec.Name] = p.Addr
		if err := sides.pinService(s, p); err != nil {
			return err
		}
	}
	if err := s.appendResults([]byte(loadHeader())); err != nil {
		return err
	}
	return sides.Save()
}

// loadHeader begins the load lines of a results file: no package (the go
// test benchmarks' lines before set one), and the units' metadata.
func loadHeader() string {
	return "pkg:\n" + load.UnitMetadata() + "Unit cpu-sec/op better=lower\nUnit peak-rss-B better=lower\nUnit " + UnitCapacity + " better=higher assume=nothing\n"
}

// stopServices stops the services of s, last started first.
func (s *Side) stopServices() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		s.procs[i].Stop()
	}
	s.procs = nil
}

// target returns the request of sc to the side's target service.
func (s *Side) target(sc config.Scenario) (load.Target, load.Options) {
	var addr string
	for _, p := range s.procs {
		if p.Spec.Name == sc.Target {
			addr = p.Addr
		}
	}
	h := make(http.Header)
	for k, v := range sc.Header {
		h.Set(k, v)
	}
	if sc.Body != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return load.Target{Method: sc.Method, URL: "http://" + addr + sc.Path, Body: []byte(sc.Body), Header: h},
		load.Options{Rate: sc.Rate, Users: sc.Users, ThinkTime: sc.ThinkTime, Duration: sc.Duration, Timeout: sc.Timeout, MaxInFlight: sc.MaxInFlight, Client: load.Client(sc.Client)}
}

// alive returns an error if one of the side's services has exited.
func (s *Side) alive() error {
	for _, p := range s.procs {
		if err := p.CheckAlive(); err != nil {
			return fmt.Errorf("%s side: %w", s.Name, err)
		}
	}
	return nil
}

// usage reads the resource use of the side's services; reset starts a new
// peak memory measure.
func (s *Side) usage(reset bool) ([]service.Usage, error) {
	us := make([]service.Usage, len(s.procs))
	for i, p := range s.procs {
		if reset {
			if err := p.ResetPeak(); err != nil {
				return nil, fmt.Errorf("%s side: %w", s.Name, err)
			}
		}
		u, err := p.Usage()
		if err != nil {
			return nil, fmt.Errorf("%s side: %w", s.Name, err)
		}
		us[i] = u
	}
	return us, nil
}
