package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/store"
	"github.com/perfgate/perfgate/watch"
	"github.com/perfgate/perfgate/watch/deploy"
	"github.com/perfgate/perfgate/watch/prom"
	"github.com/perfgate/perfgate/watch/pyroscope"
)

// watchFlags are the flags watch and watch check share: they override
// the config's watch section.
type watchFlags struct {
	data, prometheus, pyroscope string
	thresholds                  []string
}

func (f *watchFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, "data", "", "data `DIR`: the store (perfgate.db) and the deploys' verdicts (default: watch.data, .perfgate)")
	cmd.Flags().StringVar(&f.prometheus, "prometheus", "", "Prometheus `URL` that scrapes the services' request metrics (default: watch.prometheus)")
	cmd.Flags().StringVar(&f.pyroscope, "pyroscope", "", "read the profiles from the Grafana Pyroscope server at `URL` instead of the store (default: watch.pyroscope)")
	cmd.Flags().StringArrayVar(&f.thresholds, "threshold", nil, "threshold of a unit, as `UNIT=PCT` (sec/op=5%); repeatable")
}

// settings loads the config and applies the flags and the environment.
func (f *watchFlags) settings(g *globals) (*config.Config, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	w := &cfg.Watch
	for _, o := range []struct{ flag, dst *string }{{&f.data, &w.Data}, {&f.prometheus, &w.Prometheus}, {&f.pyroscope, &w.Pyroscope}} {
		if *o.flag != "" {
			*o.dst = *o.flag
		}
	}
	if w.Token == "" {
		w.Token = os.Getenv("PERFGATE_WATCH_TOKEN")
	}
	if w.BasicAuth == "" {
		w.BasicAuth = os.Getenv("PERFGATE_WATCH_BASIC_AUTH")
	}
	if w.BasicAuth != "" && !strings.Contains(w.BasicAuth, ":") {
		return nil, errors.New("watch.basic_auth: want USER:PASSWORD")
	}
	return cfg, addThresholds(&cfg.Thresholds, f.thresholds)
}

// sources are the metrics and profiles a deploy is judged from.
func (f *watchFlags) sources(w config.Watch, st *store.Store) (deploy.Metrics, deploy.Profiles, error) {
	var metrics deploy.Metrics
	if w.Prometheus != "" {
		c, err := prom.New(w.Prometheus, prom.Metrics{
			Duration: w.Metrics.Duration, ServiceLabel: w.Metrics.ServiceLabel,
			RouteLabel: w.Metrics.RouteLabel, VersionLabel: w.Metrics.VersionLabel, Matchers: w.Metrics.Matchers,
		})
		if err != nil {
			return nil, nil, err
		}
		metrics = c
	}
	var profiles deploy.Profiles = watch.StoreProfiles{Store: st}
	if w.Pyroscope != "" {
		profiles = watch.PyroscopeProfiles{Client: &pyroscope.Client{BaseURL: w.Pyroscope}}
	}
	return metrics, profiles, nil
}

func authOf(w config.Watch) watch.Auth {
	user, password, _ := strings.Cut(w.BasicAuth, ":")
	return watch.Auth{Token: w.Token, User: user, Password: password}
}

func watchCmd(g *globals) *cobra.Command {
	var f watchFlags
	var listen string
	var record bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Receive the services' profiles in staging and judge each deploy",
		Long: `watch is the staging receiver. Services push their profiles to it with
pyroscope-go (profiler.Start, or pyroscope-go's ServerAddress set to watch's
address) at POST /ingest; it keeps them in the store in --data, with the
retention of watch.retention.

When a service's profiles show a new version label, watch judges the deploy:
the previous version's last window against the new version's first window after
the warm-up (watch.window, watch.warmup), response times from Prometheus and
CPU and allocation per request from the profiles, with the gate's statistics
and thresholds. Each verdict and its reports go to DATA/deploys/ID, and to
watch.webhook when set. The page at / lists the services, versions and
deploys; /metrics is watch's own.

It prints "listening on http://HOST:PORT" first, and runs until interrupted.
An address other than loopback requires a token or basic auth.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.settings(g)
			if err != nil {
				return err
			}
			w := cfg.Watch
			if listen != "" {
				w.Listen = listen
			}
			ctx := cmd.Context()
			st, err := store.Open(ctx, g.path(w.Data))
			if err != nil {
				return err
			}
			defer st.Close()
			metrics, profiles, err := f.sources(w, st)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(g.stderr, nil))
			srv, err := watch.NewServer(watch.Options{
				Store: st, Dir: g.path(w.Data), Auth: authOf(w),
				Metrics: metrics, Profiles: profiles,
				Windows: watch.Windows{Warmup: w.Warmup, Window: w.Window}, Step: w.Step,
				Thresholds: cfg.Thresholds,
				Retention:  store.Retention{MaxAge: w.Retention.MaxAge, MaxBytes: w.Retention.MaxBytes},
				Webhook:    w.Webhook, Record: w.Record || record, Log: log,
			})
			if err != nil {
				return err
			}
			ln, err := watch.Listen(ctx, w.Listen, authOf(w))
			if err != nil {
				return err
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
			served := make(chan error, 1)
			go func() { served <- hs.Serve(ln) }()
			fmt.Fprintf(g.stdout, "listening on http://%s\n", ln.Addr())
			// The deploys' judge stops with the server, and is waited
			// for: the store closes after it.
			judging, stopJudging := context.WithCancel(ctx)
			judged := make(chan error, 1)
			go func() { judged <- srv.Run(judging, min(w.Step, 10*time.Second)) }()
			err = nil
			select {
			case <-ctx.Done():
			case serr := <-served:
				err = fmt.Errorf("serving: %w", serr)
			}
			stopJudging()
			<-judged
			shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if serr := hs.Shutdown(shut); serr != nil && err == nil {
				err = fmt.Errorf("stopping: %w", serr)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "`ADDR` to listen on, port 0 for a free one (default: watch.listen, 127.0.0.1:4040)")
	cmd.Flags().BoolVar(&record, "record", false, "record each deploy judged in the history, its versions as commits (default: watch.record)")
	f.add(cmd)
	cmd.AddCommand(watchCheckCmd(g))
	return cmd
}

func watchCheckCmd(g *globals) *cobra.Command {
	var f watchFlags
	var services []string
	var baseline, candidate, out string
	var wait bool
	cmd := &cobra.Command{
		Use:   "check --service S --baseline version=A --candidate version=B",
		Short: "Judge a deploy once, for deploy pipelines",
		Long: `check judges one deploy now, as watch does on its own: the baseline's window
against the candidate's, response times from Prometheus, CPU and allocation per
request from the profiles (the store in --data, or --pyroscope), the gate's
statistics and thresholds. It exits as the gate does: 0 no regression, 1 a
regression, 2 an error, 3 inconclusive with --strict.

A side is version=V[,from=T][,until=T]; a time is RFC 3339, now, or a duration
from now (-15m). Without times, the windows come from the store as a deploy's:
the candidate's first window after watch.warmup, the baseline's last window
before the candidate began, each watch.window long. The same version on both
sides (a redeploy) needs its windows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(services) == 0 {
				return errors.New("watch check: give --service")
			}
			cfg, err := f.settings(g)
			if err != nil {
				return err
			}
			w := cfg.Watch
			now := time.Now()
			var sel [2]watch.Selector
			for i, s := range []struct{ flag, value string }{{"--baseline", baseline}, {"--candidate", candidate}} {
				if sel[i], err = watch.ParseSelector(s.value, now); err != nil {
					return fmt.Errorf("%s: %w", s.flag, err)
				}
			}
			ctx := cmd.Context()
			st, err := store.Open(ctx, g.path(w.Data))
			if err != nil {
				return err
			}
			defer st.Close()
			spans, err := st.Spans(ctx, watch.VersionLabel)
			if err != nil {
				return err
			}
			windows := watch.Windows{Warmup: w.Warmup, Window: w.Window}
			base, head, err := watch.ResolveSides(services, sel[0], sel[1], spans, windows, now)
			var early *watch.EarlyError
			if wait && errors.As(err, &early) {
				fmt.Fprintf(g.stderr, "perfgate: waiting until %s for the candidate's window to end\n", early.Until.UTC().Format(time.RFC3339))
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Until(early.Until.Add(w.Step))):
				}
				if spans, err = st.Spans(ctx, watch.VersionLabel); err != nil {
					return err
				}
				base, head, err = watch.ResolveSides(services, sel[0], sel[1], spans, windows, time.Now())
			}
			if err != nil {
				return err
			}
			metrics, profiles, err := f.sources(w, st)
			if err != nil {
				return err
			}
			if metrics == nil {
				return errors.New("watch check: no Prometheus (--prometheus or watch.prometheus): a deploy's response times come from the services' request metrics")
			}
			dir, err := g.runDir(out)
			if err != nil {
				return err
			}
			spec := deploy.Spec{Services: services, Base: base, Head: head, Step: w.Step, Thresholds: cfg.Thresholds}
			v, err := deploy.Judge(ctx, dir, spec, metrics, profiles)
			if err != nil {
				return err
			}
			return g.decide(v, "report: "+dir)
		},
	}
	cmd.Flags().StringArrayVar(&services, "service", nil, "`SERVICE` deployed; repeatable, for services deployed together")
	cmd.Flags().StringVar(&baseline, "baseline", "", "the previous side: `version=V[,from=T][,until=T]`")
	cmd.Flags().StringVar(&candidate, "candidate", "", "the new side: `version=V[,from=T][,until=T]`")
	cmd.Flags().StringVar(&out, "out", "", "write the run to `DIR` (default: a new directory under .perfgate/runs)")
	cmd.Flags().BoolVar(&wait, "wait", false, "when the candidate's window has not ended yet, wait for it")
	f.add(cmd)
	return cmd
}
