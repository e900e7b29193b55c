package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/web"
	"github.com/calmline/calmline/web/ui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config/calmline.yaml", "configuration file")
	logFormat := fs.String("log-format", "", "text or json (overrides log.format)")
	listen := fs.String("listen", "", "HTTP address (overrides listen)")
	drain := fs.Duration("drain", 30*time.Second, "how long live calls may go on after a shutdown signal")
	if code, ok := parseArgs(fs, args); !ok {
		return code
	}
	cfg, err := config.Load(*path, os.Getenv)
	if err != nil {
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })
		if !explicit && errors.Is(err, os.ErrNotExist) {
			dir, _ := os.Getwd()
			fmt.Fprintf(stderr, "no configuration at %s (the default path, relative to the working directory %s): run calmline from its source directory (make run), or pass --config FILE\n", *path, dir)
			return 2
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	if k := cfg.Secrets.StoreKey; k != "" {
		if _, err := store.ParseKey(k); err != nil {
			fmt.Fprintln(stderr, "CALMLINE_STORE_KEY:", err) // a setting to fix, like a config error
			return 2
		}
	}
	if *logFormat != "" {
		cfg.Log.Format = *logFormat
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		log.Error("start calmline", "err", err)
		return 1
	}
	if err := srv.run(ctx, *drain, stdout); err != nil {
		log.Error("calmline stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(c config.LogConfig, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", c.Level, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.Format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("log format %q: want text or json", c.Format)
	}
}

// server is one running calmline: the HTTP face, the call paths and what they share.
type server struct {
	cfg      config.Config
	log      *slog.Logger
	metrics  *prometheus.Registry
	registry *call.Registry
	hub      *call.Hub
	web      *web.Server
	checks   map[string]func() error // /healthz: filled before serving, read-only after
	closers  []func() error          // run in reverse order at shutdown, after calls have drained
	calls    sync.WaitGroup
	callsCtx context.Context
	endCalls context.CancelFunc
	db       *store.DB
	recorder *storeRecorder
	deps     call.Deps              // the per-call pipeline (pipeline.go)
	bound    atomic.Pointer[string] // the address run listens on (port 0 resolved)

	callsTotal *prometheus.CounterVec
}

// openStore opens the configured store; the encryption key comes from the environment.
func openStore(ctx context.Context, cfg config.Config, keepSchema bool) (*store.DB, error) {
	sc := store.Config{Driver: cfg.Store.Driver, Path: cfg.Store.Path, DSN: cfg.Secrets.PostgresDSN, Sync: cfg.Store.Sync, KeepSchema: keepSchema}
	if cfg.Secrets.StoreKey != "" {
		key, err := store.ParseKey(cfg.Secrets.StoreKey)
		if err != nil {
			return nil, fmt.Errorf("CALMLINE_STORE_KEY: %w", err)
		}
		sc.Key = key
	}
	db, err := store.Open(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

func newServer(ctx context.Context, cfg config.Config, log *slog.Logger) (*server, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s := &server{cfg: cfg, log: log, metrics: prometheus.NewRegistry(), registry: call.NewRegistry(cfg.Call.MaxCalls)}
	s.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	dropped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "calmline_events_dropped_total", Help: "Call events lost because a live view could not keep up.",
	})
	s.metrics.MustRegister(dropped, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "calmline_calls_live", Help: "Calls in progress.",
	}, func() float64 { return float64(s.registry.Len()) }))
	s.hub = call.NewHub(log, dropped.Inc)
	s.callsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "calmline_calls_total", Help: "Calls answered, by channel.",
	}, []string{"channel"})
	s.metrics.MustRegister(s.callsTotal)
	// Calls get their own context: a shutdown signal stops new calls at once but lets
	// live ones finish (drain) before they are cancelled.
	s.callsCtx, s.endCalls = context.WithCancel(context.WithoutCancel(ctx))

	if len(cfg.Webhooks) > 0 {
		hooks := make([]web.Webhook, len(cfg.Webhooks))
		for i, h := range cfg.Webhooks {
			hooks[i] = web.Webhook{URL: h.URL, Events: h.Events}
		}
		wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() { web.NewWebhooks(hooks, cfg.Secrets.WebhookSecret, log).Run(wctx, s.hub); close(done) }()
		// Stopped after the calls have drained, so their last events still go out.
		s.closers = append(s.closers, func() error { time.Sleep(200 * time.Millisecond); stop(); <-done; return nil })
	}

	db, err := openStore(ctx, cfg, false)
	if err != nil {
		return nil, err
	}
	s.db = db
	s.closers = append(s.closers, db.Close)
	if cfg.Store.Retention > 0 {
		go s.prune(s.callsCtx, cfg.Store.Retention)
	}
	s.recorder = newStoreRecorder(db)

	sa, err := staffAuth(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	switch {
	case sa != nil || loopbackOnly(cfg.Listen):
	case cfg.Secrets.APIToken != "":
		log.Info("no staff accounts: the consoles ask for the API token, and everyone who has it signs in under a name of their choosing; add staff accounts for names the audit log can trust (calmline staff hash)", "listen", cfg.Listen)
	default:
		log.Warn("agent and supervisor consoles are open to anyone who reaches "+cfg.Listen+": add staff accounts to the config (calmline staff hash), or at least set CALMLINE_API_TOKEN", "listen", cfg.Listen)
	}
	// What /healthz checks; the pipeline and the ARI ingress add theirs before serving.
	s.checks = map[string]func() error{"store": func() error {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := db.SchemaVersion(c)
		return err
	}}
	s.web = web.New(web.Options{
		Logger:   log,
		Build:    web.BuildInfo{Version: version, Started: time.Now().UTC()},
		Registry: s.registry,
		Hub:      s.hub,
		Metrics:  s.metrics,
		APIToken: cfg.Secrets.APIToken,
		Staff:    sa,
		Checks:   s.checks,
	})
	s.web.MountStoreAPI(db)
	if err := s.buildPipeline(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.startWebRTC(); err != nil {
		db.Close()
		return nil, err
	}
	s.web.Mount(func(mux *http.ServeMux) { mux.Handle("/", ui.Handler()) })
	if err := s.startARI(ctx); err != nil {
		s.shutdown(0)
		return nil, err
	}
	return s, nil
}

// openURL is the address to give a person: a wildcard bind (0.0.0.0, ::, ":8080")
// reports itself as [::], which no browser opens, so it is shown as localhost with
// a note that every interface listens.
func openURL(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.IsUnspecified() {
		return fmt.Sprintf("http://localhost:%d (listening on all interfaces)", t.Port)
	}
	return "http://" + a.String()
}

func (s *server) run(ctx context.Context, drain time.Duration, stdout io.Writer) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	bound := ln.Addr().String()
	s.bound.Store(&bound)
	hs := &http.Server{Handler: s.web, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("calmline serving", "url", "http://"+ln.Addr().String(), "version", version, "config", s.cfg.File)
	fmt.Fprintf(stdout, "calmline is up: open %s\n", openURL(ln.Addr()))

	select {
	case err := <-errc:
		s.shutdown(0)
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: no new calls, draining live ones", "live", s.registry.Len(), "drain", drain)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Warn("http shutdown", "err", err)
	}
	s.shutdown(drain)
	s.log.Info("calmline stopped cleanly")
	return nil
}

// shutdown waits up to drain for live calls, cancels what is left, then closes the
// call paths and the store in reverse order of opening.
func (s *server) shutdown(drain time.Duration) {
	done := make(chan struct{})
	go func() { s.calls.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drain):
		s.log.Warn("drain time over, ending live calls", "live", s.registry.Len())
		s.endCalls()
		<-done
	}
	s.endCalls()
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			s.log.Warn("close", "err", err)
		}
	}
}

// prune deletes calls older than the retention period once an hour.
func (s *server) prune(ctx context.Context, keep time.Duration) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := s.db.PruneCalls(ctx, time.Now().Add(-keep))
		if err != nil && ctx.Err() == nil {
			s.log.Warn("prune old calls", "err", err)
		} else if n > 0 {
			s.log.Info("pruned calls past retention", "calls", n, "retention", keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
