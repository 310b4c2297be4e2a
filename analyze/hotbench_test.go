package analyze

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/pprof/profile"
)

// largeSpec is the size of the benchmark's profiles: a long CPU profile
// of a large service.
var largeSpec = synthSpec{samples: 200_000, funcs: 5000, minDepth: 30, maxDepth: 60, seed: 42}

// largeProfiles are the benchmark's base and head profiles, gzipped as
// pprof writes them, generated once per test binary.
var largeProfiles = sync.OnceValues(func() ([2][]byte, error) {
	base, head := synthProfiles(largeSpec)
	var out [2][]byte
	for i, p := range []*profile.Profile{base, head} {
		var b bytes.Buffer
		if err := p.Write(&b); err != nil {
			return out, err
		}
		out[i] = b.Bytes()
	}
	return out, nil
})

// writeLargeProfiles writes the large profiles to a temporary directory
// and returns their paths.
func writeLargeProfiles(b *testing.B) (basePath, headPath string) {
	b.Helper()
	data, err := largeProfiles()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	basePath, headPath = filepath.Join(dir, "base.pb.gz"), filepath.Join(dir, "head.pb.gz")
	if err := os.WriteFile(basePath, data[0], 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(headPath, data[1], 0o644); err != nil {
		b.Fatal(err)
	}
	return basePath, headPath
}

// loadProfile reads a profile file as profiler.Load does (analyze's tests
// do not import profiler, which may come to import analyze).
func loadProfile(b *testing.B, path string) *profile.Profile {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	p, err := profile.ParseData(data)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkDiffLarge reads two large CPU profiles (200k samples, 5000
// functions, stacks 30 to 60 frames deep), builds their diff and ranks
// the functions that grew in it, top 20: what the gate does for a
// regressed result, and `perfgate hot --base`. Compare with
// BenchmarkPprofDiffBase, pprof doing the same.
func BenchmarkDiffLarge(b *testing.B) {
	basePath, headPath := writeLargeProfiles(b)
	b.ResetTimer()
	for b.Loop() {
		base := ProfileSide{Profiles: []*profile.Profile{loadProfile(b, basePath)}, Work: 1000}
		head := ProfileSide{Profiles: []*profile.Profile{loadProfile(b, headPath)}, Work: 800}
		diffLarge(b, base, head)
	}
}

// BenchmarkDiffLargeParsed is BenchmarkDiffLarge without the reading:
// DiffProfiles and Diff, on the profiles parsed once.
func BenchmarkDiffLargeParsed(b *testing.B) {
	basePath, headPath := writeLargeProfiles(b)
	base := ProfileSide{Profiles: []*profile.Profile{loadProfile(b, basePath)}, Work: 1000}
	head := ProfileSide{Profiles: []*profile.Profile{loadProfile(b, headPath)}, Work: 800}
	b.ResetTimer()
	for b.Loop() {
		diffLarge(b, base, head)
	}
}

// BenchmarkDiffLargeRank is Diff alone: the ranking of the large diff,
// built once.
func BenchmarkDiffLargeRank(b *testing.B) {
	basePath, headPath := writeLargeProfiles(b)
	base := ProfileSide{Profiles: []*profile.Profile{loadProfile(b, basePath)}, Work: 1000}
	head := ProfileSide{Profiles: []*profile.Profile{loadProfile(b, headPath)}, Work: 800}
	diffs, err := DiffProfiles([]ProfileSide{base}, []ProfileSide{head}, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		hot, err := Diff(diffs, HotOptions{Top: 20})
		if err != nil {
			b.Fatal(err)
		}
		if len(hot) != 20 {
			b.Fatalf("%d hot functions", len(hot))
		}
	}
}

func diffLarge(b *testing.B, base, head ProfileSide) {
	diffs, err := DiffProfiles([]ProfileSide{base}, []ProfileSide{head}, "")
	if err != nil {
		b.Fatal(err)
	}
	hot, err := Diff(diffs, HotOptions{Top: 20})
	if err != nil {
		b.Fatal(err)
	}
	if len(hot) != 20 {
		b.Fatalf("%d hot functions", len(hot))
	}
}

// BenchmarkPprofDiffBase runs `pprof -top -nodecount=20 -diff_base
// base.pb.gz head.pb.gz` on the profiles of BenchmarkDiffLarge, its
// output discarded.
func BenchmarkPprofDiffBase(b *testing.B) {
	bin, err := pprofPath()
	if err != nil {
		b.Skipf("no pprof: %v", err)
	}
	basePath, headPath := writeLargeProfiles(b)
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "-top", "-nodecount=20", "-diff_base", basePath, headPath)
		cmd.Stdout = io.Discard
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("pprof: %v\n%s", err, stderr.Bytes())
		}
	}
}
