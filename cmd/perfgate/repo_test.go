package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoBinariesInTestdata keeps built files out of the repository: no
// tracked file under a testdata directory may be executable or over 1 MB,
// and no run directory may be tracked anywhere (a test binary once came in
// with one).
func TestNoBinariesInTestdata(t *testing.T) {
	out, err := exec.Command("git", "-C", "../..", "ls-files", "-s", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	for _, entry := range bytes.Split(bytes.TrimSuffix(out, []byte{0}), []byte{0}) {
		// "MODE OBJECT STAGE\tPATH"
		meta, path, ok := strings.Cut(string(entry), "\t")
		if !ok {
			continue
		}
		if strings.HasPrefix(path, ".perfgate/") || strings.Contains(path, "/.perfgate/") {
			t.Errorf("%s: a run directory is tracked", path)
		}
		if !strings.HasPrefix(path, "testdata/") && !strings.Contains(path, "/testdata/") {
			continue
		}
		if mode := strings.Fields(meta)[0]; mode == "100755" {
			t.Errorf("%s: an executable is tracked under testdata", path)
		}
		if fi, err := os.Stat(filepath.Join("../..", path)); err == nil && fi.Size() > 1<<20 {
			t.Errorf("%s: %d bytes under testdata, over 1 MB", path, fi.Size())
		}
		if data, err := os.ReadFile(filepath.Join("../..", path)); err == nil && isBinary(data) {
			t.Errorf("%s: a compiled binary is tracked under testdata", path)
		}
	}
}

// isBinary reports whether data starts as an ELF, Mach-O or PE file does.
func isBinary(data []byte) bool {
	for _, magic := range [][]byte{{0x7f, 'E', 'L', 'F'}, {0xcf, 0xfa, 0xed, 0xfe}, {0xfe, 0xed, 0xfa, 0xcf}, {'M', 'Z'}} {
		if bytes.HasPrefix(data, magic) {
			return true
		}
	}
	return false
}
