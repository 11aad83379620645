// Command {{ cookiecutter.service_name }} serves the app on PORT (/, /healthz, /readyz) and Prometheus metrics on
// METRICS_PORT (/metrics). Standard library only. Configuration comes from the environment:
//
//	PORT                    app listener port (default {{ cookiecutter.port }})
//	METRICS_PORT            metrics listener port (default {{ cookiecutter.metrics_port }})
//	LOG_LEVEL               debug, info, warning or error (default info)
//	SERVICE_VERSION         reported by / and app_info (default: the built-in version)
//	SHUTDOWN_DELAY_SECONDS  time between turning not-ready and closing listeners (default 5)
//	OTEL_TRACES_EXPORTER    otlp turns tracing on (default none); see tracing.go for the other OTEL_* variables
//
// On SIGTERM (or SIGINT) the service turns not-ready (/readyz answers 503), waits SHUTDOWN_DELAY_SECONDS so load
// balancers stop routing to it, stops accepting connections, waits up to drainTimeout for in-flight requests and
// exits: 15 s at most by default, inside the 20 s this service is given. A second signal exits at once.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const serviceName = "{{ cookiecutter.service_name }}"

// version is the default SERVICE_VERSION; a build may override it with -ldflags "-X main.version=1.2.3".
var version = "0.1.0"

// config holds the runtime settings; configFromEnv reads them from environment variables.
type config struct {
	Host          string
	Port          int
	MetricsPort   int
	LogLevel      logLevel
	Version       string
	ShutdownDelay time.Duration
	Tracing       tracingConfig
}

func defaultConfig() config {
	return config{
		Port:          {{ cookiecutter.port }},
		MetricsPort:   {{ cookiecutter.metrics_port }},
		LogLevel:      levelInfo,
		Version:       version,
		ShutdownDelay: 5 * time.Second,
	}
}

func configFromEnv(getenv func(string) string) (config, error) {
	cfg := defaultConfig()
	var err error
	if cfg.Port, err = portFromEnv(getenv, "PORT", cfg.Port); err != nil {
		return cfg, err
	}
	if cfg.MetricsPort, err = portFromEnv(getenv, "METRICS_PORT", cfg.MetricsPort); err != nil {
		return cfg, err
	}
	if raw := strings.ToLower(strings.TrimSpace(getenv("LOG_LEVEL"))); raw != "" {
		level, ok := levelNames[raw]
		if !ok {
			return cfg, fmt.Errorf("LOG_LEVEL must be one of debug, info, warn, warning, error, got %q", raw)
		}
		cfg.LogLevel = level
	}
	if raw := strings.TrimSpace(getenv("SERVICE_VERSION")); raw != "" {
		cfg.Version = raw
	}
	if raw := strings.TrimSpace(getenv("SHUTDOWN_DELAY_SECONDS")); raw != "" {
		seconds, err := strconv.ParseFloat(raw, 64)
		if err != nil || seconds < 0 || seconds > 60 {
			return cfg, fmt.Errorf("SHUTDOWN_DELAY_SECONDS must be a number of seconds between 0 and 60, got %q", raw)
		}
		cfg.ShutdownDelay = time.Duration(seconds * float64(time.Second))
	}
	cfg.Tracing, err = tracingFromEnv(getenv)
	return cfg, err
}

func portFromEnv(getenv func(string) string, name string, fallback int) (int, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return fallback, nil
	}
	port, err := strconv.Atoi(raw)
	if err != nil || port < 0 || port > 65535 || strings.HasPrefix(raw, "+") {
		return 0, fmt.Errorf("%s must be a port number (0-65535), got %q", name, raw)
	}
	return port, nil
}

func main() {
	os.Exit(run(os.Getenv, os.Stdout))
}

// run serves until SIGTERM or SIGINT and returns the process exit code.
func run(getenv func(string) string, stdout io.Writer) int {
	started := time.Now()
	cfg, err := configFromEnv(getenv)
	if err != nil {
		newLogger(stdout, levelInfo).Error("invalid configuration", "error", err)
		return 2
	}
	logger := newLogger(stdout, cfg.LogLevel)
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(signals)

	svc := newService(cfg, logger, started)
	if err := svc.Start(); err != nil {
		logger.Error("cannot listen", "error", err)
		return 1
	}
	logger.Info("signal received", "signal", signalName(<-signals))
	svc.MarkNotReady()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case sig := <-signals:
			logger.Warn("second signal, exiting without draining", "signal", signalName(sig))
			os.Exit(1)
		case <-done:
		}
	}()
	svc.Shutdown()
	return 0
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	default:
		return sig.String()
	}
}
