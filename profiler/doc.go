// Package profiler gets profiles: Capture fetches one from a live service's
// net/http/pprof endpoints, Load and Parse read one from a file; each checks
// that it is a valid pprof profile (github.com/google/pprof/profile) and
// says plainly what is wrong when it is not.
package profiler
