// Package profiler gets profiles: Capture fetches one from a live service's
// net/http/pprof endpoints, Load and Parse read one from a file; each checks
// that it is a valid pprof profile (github.com/google/pprof/profile) and
// says plainly what is wrong when it is not.
//
// Start is the other direction, for a service in staging: one call starts
// continuous profiling with github.com/grafana/pyroscope-go, pushing its
// CPU, heap, goroutine (and, opted in, mutex and block) profiles to
// perfgate watch or a Grafana Pyroscope server, labelled with the
// service's version and environment, and optionally serving
// net/http/pprof on a loopback port; Profiler.Stop pushes the last
// profiles and puts everything back.
package profiler
