package profiler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/internal/text"
)

// Kind is a profile a pprof endpoint serves.
type Kind string

// The kinds perfgate captures.
const (
	CPU       Kind = "profile" // CPU time, over a window of seconds
	Heap      Kind = "heap"
	Allocs    Kind = "allocs"
	Goroutine Kind = "goroutine"
	// Trace is an execution trace over a window of seconds (Go's
	// runtime/trace format, not a profile: Capture returns its bytes only).
	Trace Kind = "trace"
)

// client fetches every profile: loopback only, no redirect.
var client = loopback.Client(0)

// maxProfile bounds a profile's size, compressed and not: parsing takes
// about 20 times the uncompressed size in memory (a 250 MB profile took
// 5.2 GB), so 32 MiB keeps one profile under about 700 MB. A 30-second CPU
// profile of a busy service is a few MB; a synthetic one of 200,000
// samples and 5,000 functions is 19 MB.
const maxProfile = 32 << 20

// maxTrace bounds an execution trace's size. A service under 100 requests
// a second writes well under 1 MiB a second of trace; a busy one, some
// MiB a second.
const maxTrace = 64 << 20

// Capture fetches a profile of kind from the pprof endpoints at base (such
// as http://127.0.0.1:6060/debug/pprof); a CPU profile covers the next
// window, as does an execution trace (Trace), which is returned as bytes
// only. It returns the profile and its bytes as served (gzipped
// protobuf), which `go tool pprof` opens. base must be on loopback
// (internal/loopback): perfgate profiles only services on its own machine,
// connects nowhere else and follows no redirect. A missing endpoint, a
// redirect, a slow one (ctx's deadline, or the window plus 15 s) and an
// answer that is not a valid profile are errors that say which.
func Capture(ctx context.Context, base string, kind Kind, window time.Duration) (*profile.Profile, []byte, error) {
	if _, err := loopback.CheckURL(ctx, base); err != nil {
		return nil, nil, fmt.Errorf("capturing a %s profile: %w", kind, err)
	}
	url := strings.TrimSuffix(base, "/") + "/" + string(kind)
	if kind == CPU || kind == Trace {
		secs := int((window + time.Second - 1) / time.Second)
		if secs < 1 {
			secs = 1
		}
		url += fmt.Sprintf("?seconds=%d", secs)
	}
	ctx, cancel := context.WithTimeout(ctx, window+15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("capturing %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, nil, fmt.Errorf("capturing %s: no answer in %v", url, window+15*time.Second)
		}
		return nil, nil, fmt.Errorf("capturing %s: %w", url, err)
	}
	defer resp.Body.Close()
	limit := int64(maxProfile)
	if kind == Trace {
		limit = maxTrace
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("capturing %s: reading: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("capturing %s: %s: %s", url, resp.Status, text.FirstLine(string(data), 200))
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("capturing %s: larger than %d MiB", url, limit>>20)
	}
	if kind == Trace {
		return nil, data, nil
	}
	p, err := Parse(bytes.NewReader(data), url)
	if err != nil {
		return nil, nil, fmt.Errorf("capturing: %w", err)
	}
	return p, data, nil
}
