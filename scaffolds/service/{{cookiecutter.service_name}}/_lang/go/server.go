package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	drainTimeout      = 10 * time.Second
	readHeaderTimeout = 5 * time.Second
	idleTimeout       = 60 * time.Second
)

var (
	// routes are the route templates of the app; every other path is labelled "other".
	routes = map[string]bool{"/": true, "/healthz": true, "/readyz": true}
	// methods are the method label values; any other method is labelled "other".
	methods = map[string]bool{
		http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
		http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	}
)

// routeOf maps a request path to its route template, the bounded route metric label.
func routeOf(path string) string {
	if routes[path] {
		return path
	}
	return "other"
}

// service owns both listeners and the readiness state: Start, then Shutdown.
type service struct {
	cfg      config
	logger   *jsonLogger
	registry *registry
	tracer   *tracer
	ready    atomic.Bool
	draining atomic.Bool
	servers  []*http.Server
	serving  sync.WaitGroup
	stopOnce sync.Once
	// ports are the bound ports (useful when the configured port is 0).
	port, metricsPort int
}

func newService(cfg config, logger *jsonLogger, started time.Time) *service {
	startTime := float64(started.Unix()) + float64(started.Nanosecond())/1e9
	return &service{cfg: cfg, logger: logger, registry: newRegistry(serviceName, cfg.Version, startTime),
		tracer: newTracer(cfg.Tracing, cfg.Version, logger)}
}

// Start binds both listeners, serves them in the background, then turns ready.
func (s *service) Start() error {
	appListener, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)))
	if err != nil {
		return err
	}
	metricsListener, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.MetricsPort)))
	if err != nil {
		appListener.Close()
		return err
	}
	s.port = appListener.Addr().(*net.TCPAddr).Port
	s.metricsPort = metricsListener.Addr().(*net.TCPAddr).Port
	s.servers = []*http.Server{s.newServer(s.appHandler()), s.newServer(s.metricsHandler())}
	for i, listener := range []net.Listener{appListener, metricsListener} {
		s.serving.Add(1)
		go func(server *http.Server, listener net.Listener) {
			defer s.serving.Done()
			if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.logger.Error("listener failed", "error", err)
			}
		}(s.servers[i], listener)
	}
	s.ready.Store(true)
	s.logger.Info("listening", "port", s.port, "metrics_port", s.metricsPort, "version", s.cfg.Version,
		"tracing", s.tracer != nil)
	return nil
}

func (s *service) newServer(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          log.New(logWriter{s.logger, levelDebug}, "", 0),
	}
}

// MarkNotReady makes /readyz answer 503 and closes keep-alive connections after their next response.
func (s *service) MarkNotReady() {
	s.ready.Store(false)
	s.draining.Store(true)
}

// closeWhenDraining asks clients to reconnect (elsewhere) once shutdown has begun; idle connections are closed
// by http.Server.Shutdown after the shutdown delay.
func (s *service) closeWhenDraining(w http.ResponseWriter) {
	if s.draining.Load() {
		w.Header().Set("Connection", "close")
	}
}

// Shutdown turns not-ready, waits the shutdown delay, stops listening and drains in-flight requests. Idempotent.
func (s *service) Shutdown() {
	s.stopOnce.Do(func() {
		s.MarkNotReady()
		s.logger.Info("shutting down", "delay_seconds", s.cfg.ShutdownDelay.Seconds())
		time.Sleep(s.cfg.ShutdownDelay)
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		var draining sync.WaitGroup
		for _, server := range s.servers {
			draining.Add(1)
			go func(server *http.Server) {
				defer draining.Done()
				if err := server.Shutdown(ctx); err != nil {
					s.logger.Warn("drain timed out, abandoning in-flight requests", "error", err)
					server.Close()
				}
			}(server)
		}
		draining.Wait()
		s.serving.Wait()
		s.tracer.Shutdown(ctx) // export the spans still queued, within what is left of the drain timeout
		s.logger.Info("shutdown complete")
	})
}

// statusRecorder remembers the status code a handler sent.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(p)
}

// appHandler serves /, /healthz and /readyz and records request metrics and an access log.
func (s *service) appHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		route := routeOf(r.URL.Path)
		span := s.tracer.Start(r, route)
		s.closeWhenDraining(w)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusInternalServerError}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.Error("request failed", append([]interface{}{"path", r.URL.Path, "error", fmt.Sprint(p)},
					span.logFields()...)...)
				if !rec.wroteHeader {
					writeText(rec, http.StatusInternalServerError, "internal server error\n")
				}
			}
			s.tracer.End(span, rec.status)
			s.observe(r, route, rec.status, time.Since(started), span)
		}()
		s.serveApp(rec, r, route)
	})
}

func (s *service) serveApp(w http.ResponseWriter, r *http.Request, route string) {
	switch {
	case route == "other":
		writeText(w, http.StatusNotFound, "not found\n")
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		writeText(w, http.StatusMethodNotAllowed, "method not allowed\n")
	case route == "/healthz":
		writeText(w, http.StatusOK, "ok\n")
	case route == "/readyz" && s.ready.Load():
		writeText(w, http.StatusOK, "ok\n")
	case route == "/readyz":
		writeText(w, http.StatusServiceUnavailable, "not ready\n")
	default:
		hello := struct {
			Service string `json:"service"`
			Version string `json:"version"`
			Message string `json:"message"`
		}{serviceName, s.cfg.Version, "Hello from " + serviceName}
		body, _ := json.Marshal(hello)
		writeBody(w, http.StatusOK, "application/json", append(body, '\n'))
	}
}

func (s *service) observe(r *http.Request, route string, status int, elapsed time.Duration, span *span) {
	method := r.Method
	if !methods[method] {
		method = "other"
	}
	s.registry.observeRequest(method, route, status, elapsed.Seconds())
	logAt := s.logger.Info
	if route == "/healthz" || route == "/readyz" {
		logAt = s.logger.Debug
	}
	fields := []interface{}{"method", r.Method, "path", r.URL.Path, "route", route, "code", status,
		"duration_ms", float64(elapsed.Microseconds()) / 1000, "remote", remoteHost(r.RemoteAddr)}
	logAt("request", append(fields, span.logFields()...)...)
}

func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// metricsHandler serves GET /metrics; it is not instrumented itself.
func (s *service) metricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.closeWhenDraining(w)
		if r.URL.Path != "/metrics" {
			writeText(w, http.StatusNotFound, "not found\n")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeText(w, http.StatusMethodNotAllowed, "method not allowed\n")
			return
		}
		w.Header().Set("Content-Type", metricsContentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := s.registry.writeTo(w); err != nil {
			s.logger.Debug("metrics write failed", "error", err)
		}
	})
}

func writeText(w http.ResponseWriter, status int, text string) {
	writeBody(w, status, "text/plain; charset=utf-8", []byte(text))
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
