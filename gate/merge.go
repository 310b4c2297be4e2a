package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/rundir"
)

// MergeOptions configure Merge.
type MergeOptions struct {
	// Dirs are the run directories of the shards, one each, in any order.
	Dirs []string
	// Out is the merged run directory; it must not hold a run. When it is
	// "", the merged run is a new directory under Parent (rundir.New),
	// made once the shards have passed the checks, and no run there is
	// pruned: the shards being merged may be among them.
	Out    string
	Parent string
}

// Merge joins the run directories of the shards of one sharded run
// (perfgate bench --shard) into one run directory and decides it: the
// results of every shard compared together, with the thresholds the
// shards recorded and the correction for many results over all of them
// (no phantom members: analyze.Options.Others is 0) at the shards' alpha
// per look, as one run of all the benchmarks would have been; each
// regression explained from its shard's profiles, copied into the merged
// directory. Every result a shard decided keeps its decision (see
// analyze's shardFamily); a result a shard left open is decided by the
// full correction.
//
// The shards must be all of one run: the same count, each index once, the
// same base and head commits (and head dirtiness), the same benchmark
// settings and thresholds, shares that cover each benchmark once, each
// run complete. Anything else is a one-line error that names the shard,
// and nothing is written; the shards' directories are only read.
func Merge(opts MergeOptions) (*Result, error) {
	shards, err := readShards(opts.Dirs)
	if err != nil {
		return nil, err
	}
	var run rundir.Dir
	if opts.Out != "" {
		run, err = rundir.Create(opts.Out)
	} else {
		run, err = rundir.New(opts.Parent, 0)
	}
	if err != nil {
		return nil, err
	}
	first := shards[0].info
	info := &rundir.Info{
		Tool: first.Tool, Started: first.Started, Finished: first.Finished, Complete: true,
		Host: first.Host, Go: first.Go, Dir: first.Dir, Bench: first.Bench, GoBench: true, PinCPUs: first.PinCPUs,
	}
	for _, side := range first.Sides {
		s := *side
		s.Packages = nil
		s.Results = run.Results(side.Name)
		info.Sides = append(info.Sides, &s)
	}
	for _, sh := range shards {
		in := sh.info
		if in.Started.Before(info.Started) {
			info.Started = in.Started
		}
		if in.Finished.After(info.Finished) {
			info.Finished = in.Finished
		}
		info.ProfileSeconds += in.ProfileSeconds
		prefix := filepath.Join("shards", fmt.Sprint(in.Shard.Index))
		for i, side := range in.Sides {
			info.Sides[i].Packages = append(info.Sides[i].Packages, side.Packages...)
			src, err := sh.dir.Resolve(side.Results)
			if err != nil {
				return nil, fmt.Errorf("merge: shard %d/%d: %w", in.Shard.Index, in.Shard.Count, err)
			}
			if err := appendFile(run.Path(run.Results(side.Name)), src); err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
		}
		for _, r := range in.Measured {
			if _, err := rundir.CopyFile(sh.dir, run, r.File, prefix); err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
			r.File = filepath.Join(prefix, r.File)
			info.Measured = append(info.Measured, r)
		}
		for _, p := range in.Profiles {
			p, _, err := rundir.CopyProfile(sh.dir, run, prefix, p)
			if err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
			info.Profiles = append(info.Profiles, p)
		}
		for _, n := range in.Notes {
			info.Notes = append(info.Notes, fmt.Sprintf("shard %d/%d: %s", in.Shard.Index, in.Shard.Count, n))
		}
		if in.StoppedAt > 0 {
			info.Notes = append(info.Notes, fmt.Sprintf("shard %d/%d's answer was clear after %d of at most %d rounds", in.Shard.Index, in.Shard.Count, in.StoppedAt, in.Rounds))
		}
	}
	info.Notes = append([]string{fmt.Sprintf("merged from %d shards: %s", len(shards), strings.Join(opts.Dirs, ", "))}, info.Notes...)
	compareOpts := analyze.PairedOptions
	compareOpts.Thresholds = first.Shard.Thresholds
	compareOpts.Looks = len(analyze.Looks(first.MinRounds, first.Rounds))
	compareOpts.OneSided = true
	compareOpts.RequireAll = first.RequireAll
	side := func(s *rundir.Side) analyze.Side {
		return analyze.Side{Ref: s.Ref, Commit: s.Commit, Dirty: s.Dirty}
	}
	base, head := side(first.Sides[0]), side(first.Sides[1])
	if head.Ref == "" {
		head.Ref = "working tree"
	}
	if err := run.WriteInfo(info); err != nil {
		return nil, err
	}
	v, err := Decide(run, info, compareOpts, base, head)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return &Result{Verdict: v, Info: info, Dir: run}, nil
}

// shard is one shard's run directory, read.
type shard struct {
	dir  rundir.Dir
	info *rundir.Info
}

// readShards reads the shards' run.json and checks that they are all the
// shards of one run, returned in index order.
func readShards(dirs []string) ([]shard, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("merge: no shard run directory given")
	}
	var shards []shard
	for _, d := range dirs {
		dir, err := rundir.Open(d)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		info, err := dir.ReadInfo()
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		switch {
		case info.Shard == nil:
			return nil, fmt.Errorf("merge: %s is not a shard's run (perfgate bench --shard I/N)", d)
		case !info.Complete:
			why := ""
			if info.Error != "" {
				why = ": " + info.Error
			}
			return nil, fmt.Errorf("merge: shard %d/%d (%s) did not finish%s", info.Shard.Index, info.Shard.Count, d, why)
		case len(info.Sides) != 2:
			return nil, fmt.Errorf("merge: %s: its run.json has %d sides, not 2", d, len(info.Sides))
		}
		shards = append(shards, shard{dir, info})
	}
	slices.SortStableFunc(shards, func(a, b shard) int { return a.info.Shard.Index - b.info.Shard.Index })
	first := shards[0].info
	name := func(s shard) string {
		return fmt.Sprintf("shard %d/%d (%s)", s.info.Shard.Index, s.info.Shard.Count, s.dir.Root())
	}
	for i, s := range shards {
		in := s.info
		switch {
		case in.Shard.Index < 1 || in.Shard.Index > in.Shard.Count:
			return nil, fmt.Errorf("merge: %s: its run.json has shard %d/%d", s.dir.Root(), in.Shard.Index, in.Shard.Count)
		case in.Shard.Count != first.Shard.Count:
			return nil, fmt.Errorf("merge: %s is one of %d shards, %s one of %d", name(s), in.Shard.Count, name(shards[0]), first.Shard.Count)
		case i > 0 && in.Shard.Index == shards[i-1].info.Shard.Index:
			return nil, fmt.Errorf("merge: shard %d/%d given twice: %s and %s", in.Shard.Index, in.Shard.Count, shards[i-1].dir.Root(), s.dir.Root())
		case in.Sides[0].Commit != first.Sides[0].Commit:
			return nil, fmt.Errorf("merge: %s has base %.12s, %s has base %.12s: shards of different runs", name(s), in.Sides[0].Commit, name(shards[0]), first.Sides[0].Commit)
		case in.Sides[1].Commit != first.Sides[1].Commit || in.Sides[1].Dirty != first.Sides[1].Dirty:
			return nil, fmt.Errorf("merge: %s has head %s, %s has head %s: shards of different runs", name(s), headName(in.Sides[1]), name(shards[0]), headName(first.Sides[1]))
		case in.Sides[0].Ref != first.Sides[0].Ref || in.Sides[1].Ref != first.Sides[1].Ref ||
			!maps.Equal(in.Sides[0].Env, first.Sides[0].Env) || !maps.Equal(in.Sides[1].Env, first.Sides[1].Env) ||
			!slices.Equal(in.Sides[0].Tags, first.Sides[0].Tags) || !slices.Equal(in.Sides[1].Tags, first.Sides[1].Tags):
			return nil, fmt.Errorf("merge: %s and %s ran other sides (refs, env or build tags)", name(s), name(shards[0]))
		case in.Rounds != first.Rounds || in.MinRounds != first.MinRounds || in.Benchtime != first.Benchtime ||
			in.Run != first.Run || !slices.Equal(in.Packages, first.Packages) || in.RequireAll != first.RequireAll:
			return nil, fmt.Errorf("merge: %s ran with other benchmark settings than %s (rounds, min_rounds, benchtime, -bench, packages, require_all)", name(s), name(shards[0]))
		case !sameThresholds(in.Shard.Thresholds, first.Shard.Thresholds):
			return nil, fmt.Errorf("merge: %s decided with other thresholds than %s", name(s), name(shards[0]))
		case !slices.Equal(in.Shard.All, first.Shard.All):
			return nil, fmt.Errorf("merge: %s and %s list different benchmarks: shards of different trees", name(s), name(shards[0]))
		}
	}
	for idx := 1; idx <= first.Shard.Count; idx++ {
		if !slices.ContainsFunc(shards, func(s shard) bool { return s.info.Shard.Index == idx }) {
			return nil, fmt.Errorf("merge: shard %d/%d missing", idx, first.Shard.Count)
		}
	}
	// The shares must cover the benchmarks once each: shards that saw
	// different durations (different histories) shared them otherwise.
	var mine []string
	for _, s := range shards {
		mine = append(mine, s.info.Shard.Mine...)
	}
	slices.Sort(mine)
	if !slices.Equal(mine, first.Shard.All) {
		return nil, fmt.Errorf("merge: the shards' shares do not cover each benchmark once: they balanced by different histories (give every job the same store)")
	}
	return shards, nil
}

// sameThresholds reports whether a and b are the same thresholds, as
// run.json records them.
func sameThresholds(a, b analyze.Thresholds) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

func headName(s *rundir.Side) string {
	h := fmt.Sprintf("%.12s", s.Commit)
	if s.Dirty {
		h += " (dirty)"
	}
	return h
}

// appendFile appends the file src to dst, creating dst, and ends it with
// a newline if src does not, so that the next file's first line stays
// whole.
func appendFile(dst, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := out.Write(data); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
