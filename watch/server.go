package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/history"
	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/rundir"
	"github.com/perfgate/perfgate/store"
	"github.com/perfgate/perfgate/watch/deploy"
)

// Options configure a Server.
type Options struct {
	// Store keeps the profiles pushed.
	Store *store.Store
	// Dir is the data directory: deploy verdicts go to Dir/deploys/<id>.
	Dir string
	// Auth is required of every request: pushes, the page, /metrics.
	Auth Auth
	// Limits bound the pushes.
	Limits Limits
	// Metrics are the services' request figures (Prometheus); nil records
	// each deploy with an error instead of a verdict.
	Metrics deploy.Metrics
	// Profiles are the deploys' profiles; nil reads Store's.
	Profiles deploy.Profiles
	// Windows cut each deploy's windows, and Step their intervals.
	Windows Windows
	Step    time.Duration
	// Thresholds are the gate's effect-size floors.
	Thresholds analyze.Thresholds
	// Retention bounds the profiles kept.
	Retention store.Retention
	// Webhook, when set, is POSTed each deploy's verdict as JSON.
	Webhook string
	// Record records each deploy judged in the history in Store, its
	// versions as the commits.
	Record bool
	// Log gets a line per deploy judged and per failure.
	Log *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Server is perfgate watch: the receiver of pushes, the judge of
// deploys, its page and its metrics.
type Server struct {
	o       Options
	reg     *prometheus.Registry
	ingests *prometheus.CounterVec
	stored  *prometheus.CounterVec
	// verdicts and verdictTime are the deploys judged.
	verdicts    *prometheus.CounterVec
	verdictTime *prometheus.GaugeVec
	// mu guards pending: the deploys found and not yet judged.
	mu      sync.Mutex
	pending []Deploy
}

// DeploysDir is the directory, under the data directory, of the deploys'
// verdicts.
const DeploysDir = "deploys"

// DeployFile is the record of a deploy in its directory, beside the
// verdict and the reports.
const DeployFile = "deploy.json"

// NewServer returns a Server of o.
func NewServer(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("watch: no store")
	}
	if o.Step <= 0 || o.Windows.Window < 2*o.Step {
		return nil, fmt.Errorf("watch: a window of %v holds fewer than two steps of %v", o.Windows.Window, o.Step)
	}
	if o.Profiles == nil {
		o.Profiles = StoreProfiles{o.Store}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, reg: prometheus.NewRegistry()}
	s.ingests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "perfgate_watch_ingest_requests_total", Help: "Pushes to /ingest, by the status answered.",
	}, []string{"code"})
	s.stored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "perfgate_watch_profiles_total", Help: "Profiles stored, by kind (cpu, heap, goroutine, ...).",
	}, []string{"type"})
	s.verdicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "perfgate_watch_deploy_verdicts_total", Help: "Deploys judged, by outcome.",
	}, []string{"outcome"})
	s.verdictTime = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "perfgate_watch_deploy_verdict_timestamp_seconds",
		Help: "When each service's latest deploy began (Unix seconds), with the verdict's outcome.",
	}, []string{"service", "version", "previous", "outcome"})
	s.reg.MustRegister(s.ingests, s.stored, s.verdicts, s.verdictTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "perfgate_watch_store_profile_bytes", Help: "Bytes of profile data in the store.",
		}, func() float64 {
			n, err := o.Store.ProfileBytes(context.Background())
			if err != nil {
				return -1
			}
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "perfgate_watch_series", Help: "Series (a service and its labels) in the store.",
		}, func() float64 {
			series, err := o.Store.Series(context.Background())
			if err != nil {
				return -1
			}
			return float64(len(series))
		}),
	)
	return s, nil
}

// Handler is the Server's HTTP interface: POST /ingest, GET /metrics, the
// page at /, the deploys' files under /deploys/, and GET /healthz (200,
// without credentials: for a supervisor's readiness check).
func (s *Server) Handler() http.Handler {
	rc := &Receiver{Store: s.o.Store, Limits: s.o.Limits, Auth: s.o.Auth, Log: s.o.Log, Stored: func(p store.Profile) {
		s.stored.WithLabelValues(KindOf(p.Types)).Inc()
	}}
	mux := http.NewServeMux()
	mux.Handle("/ingest", promhttp.InstrumentHandlerCounter(s.ingests, rc))
	mux.Handle("GET /metrics", s.auth(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})))
	mux.Handle("GET /deploys/", s.auth(http.StripPrefix("/deploys/", http.FileServer(http.Dir(filepath.Join(s.o.Dir, DeploysDir))))))
	mux.Handle("GET /{$}", s.auth(http.HandlerFunc(s.page)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	return mux
}

// auth refuses the requests without the credentials Options.Auth
// requires.
func (s *Server) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.o.Auth.allows(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="perfgate watch", charset="UTF-8"`)
			http.Error(w, "missing or wrong credentials", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// KindOf names the kind of a profile by its sample types: "cpu", "heap",
// or its first type's name (goroutine, mutex_count, block_count).
func KindOf(types []store.SampleType) string {
	for _, t := range types {
		switch t.Name {
		case "cpu":
			return "cpu"
		case "alloc_space", "inuse_space":
			return "heap"
		}
	}
	if len(types) == 0 {
		return "none"
	}
	return types[0].Name
}

// Run looks for deploys and judges the ready ones every tick, and applies
// the retention, until ctx is done; it returns nil then. A failure of one
// round is logged, and the next round tries again.
func (s *Server) Run(ctx context.Context, tick time.Duration) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if err := s.Round(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.Error("watching deploys", "err", text.OneLine(err.Error()))
		}
		if _, err := s.o.Store.Prune(ctx, s.o.Retention, s.o.Now()); err != nil && ctx.Err() == nil {
			s.o.Log.Error("applying the retention", "err", text.OneLine(err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Round finds the deploys in the store and judges those that are ready
// and not yet judged.
func (s *Server) Round(ctx context.Context) error {
	spans, err := s.o.Store.Spans(ctx, VersionLabel)
	if err != nil {
		return err
	}
	now := s.o.Now()
	var pending []Deploy
	var errs []error
	for _, d := range FindDeploys(spans, s.o.Windows) {
		dir := s.deployDir(d.ID)
		if _, err := os.Stat(filepath.Join(dir, DeployFile)); err == nil {
			continue
		}
		if !d.Ready(spans, now) {
			pending = append(pending, d)
			continue
		}
		retry, err := s.judge(ctx, d, now)
		if err != nil {
			errs = append(errs, err)
		}
		if retry != nil {
			d.Error = "not judged yet, will try again: " + text.OneLine(retry.Error())
			pending = append(pending, d)
		}
	}
	s.mu.Lock()
	s.pending = pending
	s.mu.Unlock()
	return errors.Join(errs...)
}

// deployDir is the directory of deploy id.
func (s *Server) deployDir(id string) string {
	return filepath.Join(s.o.Dir, DeploysDir, id)
}

// judge decides d and records it: its directory, its metrics, the
// webhook. A deploy whose judgement failed (Prometheus down, say) is
// tried again at the next rounds, for as long as its head window lasted,
// and its failure returned as retry; after that, or at once when there is
// no Prometheus, it is recorded with its error and not tried again.
func (s *Server) judge(ctx context.Context, d Deploy, now time.Time) (retry, err error) {
	dir := s.deployDir(d.ID)
	// A directory without a record is a judgement cut short: start over.
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clearing %s: %w", dir, err)
	}
	var v *analyze.Verdict
	if s.o.Metrics == nil {
		err = errors.New("no Prometheus configured (watch.prometheus): a deploy's response times come from the services' request metrics")
	} else {
		spec := deploy.Spec{Services: d.Services, Base: d.Base, Head: d.Head, Step: s.o.Step, Thresholds: s.o.Thresholds}
		v, err = deploy.Judge(ctx, dir, spec, s.o.Metrics, s.o.Profiles)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil && s.o.Metrics != nil && now.Before(d.Head.Until.Add(d.Head.Until.Sub(d.Head.From))) {
		s.o.Log.Warn("judging a deploy: will try again", "id", d.ID, "err", text.OneLine(err.Error()))
		if rerr := os.RemoveAll(dir); rerr != nil {
			return err, fmt.Errorf("clearing %s: %w", dir, rerr)
		}
		return err, nil
	}
	d.Decided = s.o.Now().UTC()
	if err != nil {
		d.Outcome, d.Error = analyze.Error, text.OneLine(err.Error())
		v = analyze.Failed(d.Error)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("recording deploy %s: %w", d.ID, err)
		}
		if err := rundir.WriteVerdict(filepath.Join(dir, rundir.VerdictFile), v); err != nil {
			return nil, err
		}
	} else {
		d.Outcome = v.Verdict
		if s.o.Record {
			if err := s.record(ctx, dir); err != nil {
				s.o.Log.Error("recording the deploy in the history", "id", d.ID, "err", text.OneLine(err.Error()))
			}
		}
	}
	s.o.Log.Info("deploy judged", "id", d.ID, "services", d.Services, "previous", d.Previous, "version", d.Version, "outcome", d.Outcome, "err", d.Error)
	if s.o.Webhook != "" {
		if err := postWebhook(ctx, s.o.Webhook, d, v); err != nil {
			d.Webhook = text.OneLine(err.Error())
			s.o.Log.Error("posting the verdict", "id", d.ID, "err", d.Webhook)
		}
	}
	s.verdicts.WithLabelValues(string(d.Outcome)).Inc()
	for _, svc := range d.Services {
		s.verdictTime.DeletePartialMatch(prometheus.Labels{"service": svc})
		s.verdictTime.WithLabelValues(svc, d.Version, d.Previous, string(d.Outcome)).Set(float64(d.At.Unix()))
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("recording deploy %s: %w", d.ID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, DeployFile), append(data, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("recording deploy %s: %w", d.ID, err)
	}
	return nil, nil
}

// WebhookBody is what a webhook receives for each deploy: the deploy and
// its verdict (the verdict JSON of the gate).
type WebhookBody struct {
	Deploy  Deploy           `json:"deploy"`
	Verdict *analyze.Verdict `json:"verdict"`
}

// postWebhook POSTs d and v to url as JSON, within 10 seconds; an answer
// other than 2xx is an error.
func postWebhook(ctx context.Context, url string, d Deploy, v *analyze.Verdict) error {
	body, err := json.Marshal(WebhookBody{d, v})
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "perfgate-watch")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: %s answered %s", url, resp.Status)
	}
	return nil
}

// Deploys returns the deploys judged (read from their directories) and
// those waiting for their head window, newest first.
func (s *Server) Deploys() ([]Deploy, error) {
	entries, err := os.ReadDir(filepath.Join(s.o.Dir, DeploysDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("listing the deploys: %w", err)
	}
	var all []Deploy
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(s.o.Dir, DeploysDir, e.Name(), DeployFile))
		if err != nil {
			continue // being judged
		}
		var d Deploy
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("reading deploy %s: %w", e.Name(), err)
		}
		all = append(all, d)
	}
	s.mu.Lock()
	all = append(all, s.pending...)
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b Deploy) int { return b.At.Compare(a.At) })
	return all, nil
}

// Listen opens addr for a Server with auth: a loopback address, unless
// auth requires credentials. Port 0 picks a free port.
func Listen(ctx context.Context, addr string, auth Auth) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %q: %w", addr, err)
	}
	if auth == (Auth{}) && !loopback(host) {
		return nil, fmt.Errorf("listening on %s: an address other than loopback requires a token or basic auth (watch.token or PERFGATE_WATCH_TOKEN, watch.basic_auth or PERFGATE_WATCH_BASIC_AUTH)", addr)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// loopback reports whether host is a loopback address or localhost.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// record records a judged deploy's run directory in the history.
func (s *Server) record(ctx context.Context, dir string) error {
	run, err := rundir.Open(dir)
	if err != nil {
		return err
	}
	_, err = history.Record(ctx, s.o.Store, s.o.Dir, history.Recording{Kind: "watch", Run: run})
	return err
}
