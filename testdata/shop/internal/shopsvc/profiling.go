package shopsvc

import (
	"io"
	"log/slog"
	"time"

	"github.com/perfgate/perfgate/profiler"
)

// DefaultEnv is the default of -env (SHOP_ENV).
const DefaultEnv = "dev"

// ProfilingKnobs names the knobs of Profiling, for the error of a
// profiler.Start that refused them.
const ProfilingKnobs = "-profile-url, -profile-upload, -version, -env (SHOP_PROFILE_URL, SHOP_PROFILE_UPLOAD, SHOP_VERSION, SHOP_ENV)"

// Profiling is a service's continuous profiling, off unless URL is set,
// and its version, which labels both its profiles and its request metrics.
type Profiling struct {
	// URL is where profiles are pushed (-profile-url, SHOP_PROFILE_URL):
	// perfgate watch or a Grafana Pyroscope server. Empty: none are.
	URL string
	// Upload is how often profiles are pushed (-profile-upload,
	// SHOP_PROFILE_UPLOAD); 0 is pyroscope-go's 15 s. Short uploads make
	// short windows possible: a demo's, a test's.
	Upload time.Duration
	// Version is the version of the build (-version, SHOP_VERSION): the
	// version label of the profiles and of the request metrics. Empty:
	// neither has one, and /metrics reads as it did before the label
	// existed.
	Version string
	// Env is the profiles' env label (-env, SHOP_ENV), DefaultEnv by
	// default. The metrics have none: Prometheus adds its targets' labels.
	Env string
}

// ProfilingFlags defines -profile-url, -profile-upload, -version and -env,
// whose defaults come from SHOP_PROFILE_URL, SHOP_PROFILE_UPLOAD,
// SHOP_VERSION and SHOP_ENV.
func (f *Flags) ProfilingFlags() *Profiling {
	p := &Profiling{}
	f.StringVar(&p.URL, "profile-url", "", "push continuous profiles (pyroscope-go) to this perfgate watch or Pyroscope server, e.g. http://127.0.0.1:4040; empty: off")
	f.Env("profile-url", "SHOP_PROFILE_URL")
	f.DurationVar(&p.Upload, "profile-upload", 0, "how often profiles are pushed; 0: every 15s")
	f.Env("profile-upload", "SHOP_PROFILE_UPLOAD")
	f.StringVar(&p.Version, "version", "", "version of this build: the version label of the request metrics and of the profiles; empty: no label")
	f.Env("version", "SHOP_VERSION")
	f.StringVar(&p.Env, "env", DefaultEnv, "env label of the profiles")
	f.Env("env", "SHOP_ENV")
	return p
}

// Config returns the profiler's configuration for the service named
// service: pushed under that same name, the value of the metrics' service
// label, so that perfgate watch finds a service's profiles and requests
// under one name. pyroscope-go's errors (a failed upload) are logged to
// stderr; its other messages are dropped. Its pprof port stays off: the
// service serves /debug/pprof itself.
func (p *Profiling) Config(service string, stderr io.Writer) profiler.Config {
	return profiler.Config{
		ServerAddress: p.URL,
		UploadRate:    p.Upload,
		Service:       service,
		Version:       p.Version,
		Environment:   p.Env,
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}
