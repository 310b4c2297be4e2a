package rundir

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCopyProfile: the files a profile names are copied under the prefix,
// the profile names the copies, a file the run lost is left out, and a
// name that climbs out of the run directory is refused.
func TestCopyProfile(t *testing.T) {
	from, err := Create(filepath.Join(t.TempDir(), "from"))
	if err != nil {
		t.Fatal(err)
	}
	to, err := Create(filepath.Join(t.TempDir(), "to"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"profiles/cpu.pb.gz", "profiles/out.txt", "profiles/net.pb.gz"} {
		if err := from.WriteFile(f, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	p := Profile{Side: "head", Benchmark: "BenchmarkX", CPU: "profiles/cpu.pb.gz", Mem: "profiles/lost.pb.gz",
		Output: "profiles/out.txt", OffCPU: map[string]string{"network": "profiles/net.pb.gz"}}
	got, n, err := CopyProfile(from, to, "shards/2", p)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || got.CPU != "shards/2/profiles/cpu.pb.gz" || got.Mem != "" || got.Output != "shards/2/profiles/out.txt" ||
		got.OffCPU["network"] != "shards/2/profiles/net.pb.gz" || got.Side != "head" {
		t.Errorf("CopyProfile = %+v, %d files", got, n)
	}
	if data, err := os.ReadFile(to.Path(got.CPU)); err != nil || string(data) != "profiles/cpu.pb.gz" {
		t.Errorf("the copy holds %q, %v", data, err)
	}
	if p.CPU != "profiles/cpu.pb.gz" {
		t.Error("CopyProfile changed the profile it was given")
	}
	if _, _, err := CopyProfile(from, to, "", Profile{CPU: "../../etc/passwd"}); err == nil {
		t.Error("a profile outside the run directory was copied")
	}
}
