package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testVersion = "1.2.3"

var testStart = time.Unix(1700000000, 250000000)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of handler goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testConfig() config {
	cfg := defaultConfig()
	cfg.Host, cfg.Port, cfg.MetricsPort = "127.0.0.1", 0, 0
	cfg.Version, cfg.ShutdownDelay, cfg.LogLevel = testVersion, 0, levelDebug
	return cfg
}

// newTestService returns a service that is ready but not listening, for handler tests.
func newTestService(t *testing.T) (*service, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	svc := newService(testConfig(), newLogger(logs, levelDebug), testStart)
	svc.ready.Store(true)
	return svc, logs
}

// startService runs a service on ephemeral loopback ports until the test ends.
func startService(t *testing.T, cfg config) *service {
	t.Helper()
	svc := newService(cfg, newLogger(io.Discard, levelDebug), testStart)
	if err := svc.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(svc.Shutdown)
	return svc
}

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestHealthzAnswersOK(t *testing.T) {
	svc, _ := newTestService(t)
	rec := serve(svc.appHandler(), http.MethodGet, "/healthz")
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q", ct)
	}
}

func TestReadyzFollowsReadiness(t *testing.T) {
	svc, _ := newTestService(t)
	if rec := serve(svc.appHandler(), http.MethodGet, "/readyz"); rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Fatalf("ready: got %d %q", rec.Code, rec.Body.String())
	}
	svc.MarkNotReady()
	rec := serve(svc.appHandler(), http.MethodGet, "/readyz")
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "not ready\n" {
		t.Fatalf("not ready: got %d %q", rec.Code, rec.Body.String())
	}
}

func TestRootSaysHelloWithServiceAndVersion(t *testing.T) {
	svc, _ := newTestService(t)
	rec := serve(svc.appHandler(), http.MethodGet, "/")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["service"] != serviceName || body["version"] != testVersion || body["message"] == "" {
		t.Fatalf("body %v", body)
	}
}

func TestQueryStringDoesNotChangeTheRoute(t *testing.T) {
	svc, _ := newTestService(t)
	if rec := serve(svc.appHandler(), http.MethodGet, "/healthz?verbose=1"); rec.Code != http.StatusOK {
		t.Fatalf("got %d", rec.Code)
	}
}

func TestUnknownPathsAreNotFound(t *testing.T) {
	svc, _ := newTestService(t)
	for _, path := range []string{"/nope", "/metrics", "/healthz/extra"} {
		if rec := serve(svc.appHandler(), http.MethodGet, path); rec.Code != http.StatusNotFound {
			t.Errorf("%s: got %d", path, rec.Code)
		}
	}
}

func TestOtherMethodsAreNotAllowed(t *testing.T) {
	svc, _ := newTestService(t)
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		rec := serve(svc.appHandler(), method, "/")
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: got %d, Allow %q", method, rec.Code, rec.Header().Get("Allow"))
		}
	}
}

func TestMetricsListenerServesOnlyMetrics(t *testing.T) {
	svc, _ := newTestService(t)
	if rec := serve(svc.metricsHandler(), http.MethodGet, "/"); rec.Code != http.StatusNotFound {
		t.Fatalf("/: got %d", rec.Code)
	}
	if rec := serve(svc.metricsHandler(), http.MethodPost, "/metrics"); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /metrics: got %d", rec.Code)
	}
	rec := serve(svc.metricsHandler(), http.MethodGet, "/metrics")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != metricsContentType {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestMetricsReportServedRequests(t *testing.T) {
	svc, _ := newTestService(t)
	app := svc.appHandler()
	for _, target := range []string{"/", "/healthz", "/readyz", "/nope"} {
		serve(app, http.MethodGet, target)
	}
	serve(app, http.MethodPost, "/")
	serve(app, "BREW", "/")
	text := serve(svc.metricsHandler(), http.MethodGet, "/metrics").Body.String()
	for _, want := range []string{
		`http_requests_total{method="GET",route="/",code="200"} 1`,
		`http_requests_total{method="GET",route="/healthz",code="200"} 1`,
		`http_requests_total{method="GET",route="/readyz",code="200"} 1`,
		`http_requests_total{method="GET",route="other",code="404"} 1`,
		`http_requests_total{method="POST",route="/",code="405"} 1`,
		`http_requests_total{method="other",route="/",code="405"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/",le="+Inf"} 1`,
		`http_request_duration_seconds_count{method="GET",route="/healthz"} 1`,
		`app_info{version="` + testVersion + `",service="` + serviceName + `"} 1`,
		`process_start_time_seconds 1700000000.25`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("missing %s in\n%s", want, text)
		}
	}
}

func TestRequestsAreLoggedAsJSON(t *testing.T) {
	svc, logs := newTestService(t)
	serve(svc.appHandler(), http.MethodGet, "/nope")
	var entry map[string]interface{}
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &entry); err != nil {
		t.Fatalf("%v: %q", err, logs.String())
	}
	if entry["msg"] != "request" || entry["level"] != "info" || entry["route"] != "other" || entry["code"] != 404.0 {
		t.Fatalf("entry %v", entry)
	}
	for _, key := range []string{"ts", "method", "path", "duration_ms", "remote"} {
		if _, ok := entry[key]; !ok {
			t.Errorf("missing %s in %v", key, entry)
		}
	}
}

func TestLoggerFiltersByLevelAndEncodesFields(t *testing.T) {
	var out bytes.Buffer
	l := newLogger(&out, levelInfo)
	l.now = func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 6000000, time.UTC) }
	l.Debug("hidden")
	l.Info("shown", "quote", `a"b`, "n", 3)
	want := `{"ts":"2024-01-02T03:04:05.006Z","level":"info","msg":"shown","quote":"a\"b","n":3}` + "\n"
	if out.String() != want {
		t.Fatalf("got  %s want %s", out.String(), want)
	}
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestServesOverLoopback(t *testing.T) {
	svc := startService(t, testConfig())
	base := "http://127.0.0.1:" + strconv.Itoa(svc.port)
	if resp := get(t, base+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	if resp := get(t, "http://127.0.0.1:"+strconv.Itoa(svc.metricsPort)+"/metrics"); resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics %d", resp.StatusCode)
	}
}

func TestShutdownTurnsNotReadyThenStopsListening(t *testing.T) {
	cfg := testConfig()
	cfg.ShutdownDelay = time.Second
	svc := startService(t, cfg)
	base := "http://127.0.0.1:" + strconv.Itoa(svc.port)
	if resp := get(t, base+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("before shutdown: readyz %d", resp.StatusCode)
	}
	stopped := make(chan struct{})
	go func() { svc.Shutdown(); close(stopped) }()
	resp := get(t, base+"/readyz")
	for deadline := time.Now().Add(time.Second); resp.StatusCode == http.StatusOK && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		resp = get(t, base+"/readyz")
	}
	if resp.StatusCode != http.StatusServiceUnavailable || !resp.Close {
		t.Fatalf("draining: readyz %d, close %v", resp.StatusCode, resp.Close)
	}
	if resp := get(t, base+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("draining: healthz %d", resp.StatusCode)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still listening after shutdown")
	}
	svc.Shutdown() // idempotent
}

func TestStartFailsCleanlyWhenAPortIsTaken(t *testing.T) {
	svc := startService(t, testConfig())
	cfg := testConfig()
	cfg.MetricsPort = svc.metricsPort
	clash := newService(cfg, newLogger(io.Discard, levelDebug), testStart)
	if err := clash.Start(); err == nil {
		t.Fatal("expected an error")
	}
}

func env(values map[string]string) func(string) string {
	return func(key string) string { return values[key] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := configFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != {{ cookiecutter.port }} || cfg.MetricsPort != {{ cookiecutter.metrics_port }} || cfg.LogLevel != levelInfo || cfg.Version != version {
		t.Fatalf("defaults %+v", cfg)
	}
}

func TestConfigReadsTheEnvironment(t *testing.T) {
	cfg, err := configFromEnv(env(map[string]string{
		"PORT": "18081", "METRICS_PORT": "19091", "LOG_LEVEL": "DEBUG", "SERVICE_VERSION": "2.0.0",
		"SHUTDOWN_DELAY_SECONDS": "1.5",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 18081 || cfg.MetricsPort != 19091 || cfg.LogLevel != levelDebug || cfg.Version != "2.0.0" ||
		cfg.ShutdownDelay != 1500*time.Millisecond {
		t.Fatalf("config %+v", cfg)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, values := range []map[string]string{
		{"PORT": "http"}, {"PORT": "70000"}, {"METRICS_PORT": "-1"}, {"LOG_LEVEL": "loud"},
		{"SHUTDOWN_DELAY_SECONDS": "soon"}, {"SHUTDOWN_DELAY_SECONDS": "90"},
	} {
		if _, err := configFromEnv(env(values)); err == nil {
			t.Errorf("%v: expected an error", values)
		}
	}
}

func TestRouteOfIsBounded(t *testing.T) {
	for path, route := range map[string]string{
		"/": "/", "/healthz": "/healthz", "/readyz": "/readyz", "/x": "other", "/metrics": "other",
	} {
		if got := routeOf(path); got != route {
			t.Errorf("routeOf(%q) = %q, want %q", path, got, route)
		}
	}
}

func TestRunExitsZeroOnSIGTERM(t *testing.T) {
	reader, writer := io.Pipe()
	lines := make(chan string, 100)
	go func() {
		scanner := bufio.NewScanner(reader)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
	}()
	exit := make(chan int, 1)
	vars := env(map[string]string{"PORT": "0", "METRICS_PORT": "0", "SHUTDOWN_DELAY_SECONDS": "0.1"})
	go func() { exit <- run(vars, writer); writer.Close() }()

	var listening struct {
		Msg  string `json:"msg"`
		Port int    `json:"port"`
	}
	if err := json.Unmarshal([]byte(<-lines), &listening); err != nil || listening.Msg != "listening" {
		t.Fatalf("first log line: %v %+v", err, listening)
	}
	if resp := get(t, "http://127.0.0.1:"+strconv.Itoa(listening.Port)+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return within 20s of SIGTERM")
	}
	var messages []string
	for line := range lines {
		var entry struct{ Msg string }
		_ = json.Unmarshal([]byte(line), &entry)
		messages = append(messages, entry.Msg)
	}
	if len(messages) == 0 || messages[len(messages)-1] != "shutdown complete" {
		t.Fatalf("log messages %v", messages)
	}
}
