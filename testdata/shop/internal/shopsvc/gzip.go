package shopsvc

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// gzipWriters are reused across responses: a gzip.Writer holds about
// 800 KB of compression state, too much to allocate per request.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// Gzip returns h with its responses compressed with gzip for the requests
// that accept it (Accept-Encoding: gzip): the network optimization that
// trades CPU for bytes. The shop's services turn it on with -gzip (or
// SHOP_GZIP=on); a response's status and headers are h's, with
// Content-Encoding: gzip and Vary: Accept-Encoding added and no
// Content-Length.
func Gzip(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.ServeHTTP(w, r)
			return
		}
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(w)
		gw := &gzipResponse{ResponseWriter: w, zw: zw}
		h.ServeHTTP(gw, r)
		if gw.wrote {
			_ = zw.Close()
		}
		gzipWriters.Put(zw)
	})
}

// GzipFlag defines the -gzip flag (env SHOP_GZIP), every service's knob
// for compressed responses, off by default.
func (f *Flags) GzipFlag() *OnOff {
	v := new(OnOff)
	f.Var(v, "gzip", "gzip the routes' responses to requests that accept it: `on|off` (CPU against bytes)")
	f.Env("gzip", "SHOP_GZIP")
	return v
}

// GzipRoutes returns routes with their handlers wrapped in Gzip when on;
// /metrics and /debug/pprof, which Handler adds, compress on their own
// terms.
func GzipRoutes(on *OnOff, routes []Route) []Route {
	if !bool(*on) {
		return routes
	}
	out := make([]Route, len(routes))
	for i, r := range routes {
		out[i] = Route{Pattern: r.Pattern, Handler: Gzip(r.Handler)}
	}
	return out
}

// acceptsGzip reports whether an Accept-Encoding header lists gzip with a
// non-zero quality.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

// gzipResponse compresses what a handler writes.
type gzipResponse struct {
	http.ResponseWriter
	zw    *gzip.Writer
	wrote bool // headers sent
}

func (g *gzipResponse) WriteHeader(code int) {
	if !g.wrote {
		g.wrote = true
		h := g.Header()
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipResponse) Write(p []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	return g.zw.Write(p)
}

// Unwrap gives http.ResponseController the writer underneath.
func (g *gzipResponse) Unwrap() http.ResponseWriter { return g.ResponseWriter }
