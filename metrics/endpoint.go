package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where an Endpoint serves the metrics.
const Path = "/metrics"

// PprofPath is where an Endpoint serves Go's profiling endpoints when
// Options.Pprof is set.
const PprofPath = "/debug/pprof/"

// shutdownGrace bounds how long a stopping Endpoint waits for scrapes in
// progress before it closes their connections.
const shutdownGrace = time.Second

// DefaultMaxConns is how many connections an Endpoint serves at once when
// Options.MaxConns is 0. The endpoint shares the process's descriptors with
// the server, whose reserve (server.DefaultMaxConns) must cover them.
const DefaultMaxConns = 16

// Timeouts of an Endpoint's connections: a client that sends no request,
// or keeps a connection open without using it, gives its slot back.
const (
	readHeaderTimeout = 5 * time.Second
	idleTimeout       = time.Minute
)

// Options configure an Endpoint. The zero value serves /metrics only.
type Options struct {
	// Pprof adds net/http/pprof's handlers under /debug/pprof/ (index,
	// cmdline, profile, symbol, trace and the named profiles: heap,
	// goroutine, allocs, block, mutex, threadcreate).
	Pprof bool
	// Logger receives errors the HTTP server and the metrics handler meet;
	// nil discards them.
	Logger *slog.Logger
	// MaxConns bounds the connections served at once; more wait in the
	// kernel's backlog until one closes. 0 means DefaultMaxConns.
	MaxConns int
}

// Endpoint is a running metrics endpoint. Serve starts one.
type Endpoint struct {
	addr net.Addr
	done chan struct{}
	err  error
}

// Serve listens on addr (host:port; port 0 picks a free one) and serves g's
// metrics at /metrics, in the text or OpenMetrics format the scraper asks
// for, until ctx is cancelled; then it lets scrapes in progress finish for
// at most a second and closes. It returns once the address accepts
// connections, or the listen error.
func Serve(ctx context.Context, addr string, g prometheus.Gatherer, opts Options) (*Endpoint, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	ln = limitListener(ln, opts.MaxConns)
	mux := http.NewServeMux()
	mux.Handle(Path, promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:          slogPrinter{log},
		EnableOpenMetrics: true,
	}))
	if opts.Pprof {
		// Registered on this mux, not http.DefaultServeMux, so the
		// profiles are only where the user asked for them.
		mux.HandleFunc(PprofPath, pprof.Index)
		mux.HandleFunc(PprofPath+"cmdline", pprof.Cmdline)
		mux.HandleFunc(PprofPath+"profile", pprof.Profile)
		mux.HandleFunc(PprofPath+"symbol", pprof.Symbol)
		mux.HandleFunc(PprofPath+"trace", pprof.Trace)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	e := &Endpoint{addr: ln.Addr(), done: make(chan struct{})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	go func() {
		defer close(e.done)
		select {
		case err := <-served:
			e.err = fmt.Errorf("metrics: %w", err)
			return
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close() // a long profile or trace in progress
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			e.err = fmt.Errorf("metrics: %w", err)
		}
	}()
	return e, nil
}

// Addr is the address the endpoint is bound to, with the real port when the
// configured port was 0.
func (e *Endpoint) Addr() net.Addr { return e.addr }

// Done is closed once the endpoint has stopped.
func (e *Endpoint) Done() <-chan struct{} { return e.done }

// Wait blocks until the endpoint has stopped and returns the error that
// stopped it, if it was not the cancelled context.
func (e *Endpoint) Wait() error {
	<-e.done
	return e.err
}

// slogPrinter is promhttp's error logger on a slog.Logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics: " + fmt.Sprint(v...)) }
