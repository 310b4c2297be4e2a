package profiler

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/google/pprof/profile"
)

// Load reads the pprof profile in the file at path, gzipped or not, as
// pprof writes it (or in one of the legacy text formats pprof reads), and
// checks it: see Parse.
func Load(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading profile: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		switch {
		case fi.IsDir():
			return nil, fmt.Errorf("%s: is a directory, not a profile", path)
		case fi.Mode().IsRegular() && fi.Size() > maxProfile:
			return nil, fmt.Errorf("%s: larger than %s, too large for a profile", path, mib(maxProfile))
		}
	}
	return Parse(f, path)
}

// Parse reads a pprof profile from r, as Load does; name (a file name, a
// URL) is the subject of its errors. A profile is at most 32 MiB, before
// and after decompression. Each of these is an error that names the input
// and says what is wrong: an empty input; a gzip stream that is truncated
// or corrupt; an input that is not a profile (saying what it looks like
// when it is obviously text: an HTML page, JSON, Go benchmark output); a
// profile that profile.CheckValid rejects; a profile without sample types,
// which has nothing to rank.
func Parse(r io.Reader, name string) (*profile.Profile, error) {
	return parseLimited(r, name, maxProfile)
}

// parseLimited is Parse with a limit of limit bytes.
func parseLimited(r io.Reader, name string, limit int) (*profile.Profile, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading: %w", name, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s: larger than %s, too large for a profile", name, mib(limit))
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty file, not a profile", name)
	}
	if isGzip(data) {
		// Decompress here, not in profile.Parse, to bound the size.
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: corrupt gzip stream: %v", name, err)
		}
		data, err = io.ReadAll(io.LimitReader(zr, int64(limit)+1))
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("%s: truncated: the gzip stream ends early", name)
		case err != nil:
			return nil, fmt.Errorf("%s: corrupt gzip stream: %v", name, err)
		case len(data) > limit:
			return nil, fmt.Errorf("%s: larger than %s uncompressed, too large for a profile", name, mib(limit))
		case len(data) == 0:
			return nil, fmt.Errorf("%s: empty profile (gzip of nothing)", name)
		case isGzip(data):
			return nil, fmt.Errorf("%s: gzipped twice, not a profile", name)
		}
	}

	p, err := profile.ParseUncompressed(data)
	if err != nil {
		// Not a protobuf profile: one of the legacy formats pprof
		// still reads (text heap, CPU, contention profiles)? ParseData
		// tries them, and checks the result.
		lp, lerr := profile.ParseData(data)
		if lerr != nil {
			if kind, start, ok := looksLikeText(data); ok {
				return nil, fmt.Errorf("%s: not a pprof profile: it looks like %s, starting %q", name, kind, start)
			}
			return nil, fmt.Errorf("%s: not a pprof profile, or a truncated or corrupt one: %v", name, err)
		}
		p = lp
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("%s: invalid profile: %v", name, err)
	}
	if len(p.SampleType) == 0 {
		return nil, fmt.Errorf("%s: not a pprof profile: it has no sample types", name)
	}
	return p, nil
}

func mib(n int) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func isGzip(b []byte) bool {
	return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

// looksLikeText says whether data is text, what kind, and how it starts.
func looksLikeText(data []byte) (kind, start string, ok bool) {
	head := data[:min(len(data), 1024)]
	for i := 0; i < utf8.UTFMax-1 && len(data) > len(head) && !utf8.Valid(head); i++ {
		head = head[:len(head)-1] // a rune cut at the end
	}
	if !utf8.Valid(head) {
		return "", "", false
	}
	for _, r := range string(head) {
		if r < ' ' && r != '\n' && r != '\r' && r != '\t' || r == utf8.RuneError || r == 0x7f {
			return "", "", false
		}
	}
	s := strings.TrimSpace(string(head))
	start = s
	if i := strings.IndexByte(start, '\n'); i >= 0 {
		start = start[:i]
	}
	start = strings.TrimSpace(start)
	if len(start) > 60 {
		start = start[:60] + "..."
	}
	lower := strings.ToLower(s)
	switch {
	case s == "":
		kind = "blank text"
	case strings.HasPrefix(lower, "<!doctype html") || strings.HasPrefix(lower, "<html") || strings.Contains(lower, "<body"):
		kind = "an HTML page"
	case strings.HasPrefix(s, "{") || strings.HasPrefix(s, "["):
		kind = "JSON"
	case strings.HasPrefix(s, "Benchmark") || strings.Contains(s, "\nBenchmark") || strings.HasPrefix(s, "goos:"):
		kind = "Go benchmark output"
	default:
		kind = "text"
	}
	return kind, start, true
}
