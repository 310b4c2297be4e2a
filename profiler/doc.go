// Package profiler gets profiles of live services: Capture fetches one from
// a service's net/http/pprof endpoints and checks it is a valid pprof
// profile (github.com/google/pprof/profile) before anyone stores it.
package profiler
