package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const (
	testTraceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
	testParentID = "00f067aa0ba902b7"
)

// otlpReceiver is a loopback OTLP/HTTP collector that keeps every request it gets.
type otlpReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   [][]byte
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rcv := &otlpReceiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rcv.mu.Lock()
		rcv.requests, rcv.bodies = append(rcv.requests, r), append(rcv.bodies, body)
		rcv.mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	return rcv
}

func (r *otlpReceiver) received() ([]*http.Request, [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.bodies
}

// serveOneTracedRequest runs the service with the given OTEL_* variables, sends GET / from inside a caller's
// trace, shuts down (which flushes) and returns the log lines.
func serveOneTracedRequest(t *testing.T, rcv *otlpReceiver, vars map[string]string) []map[string]interface{} {
	t.Helper()
	cfg := testConfig()
	var err error
	vars = merged(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}, vars)
	if cfg.Tracing, err = tracingFromEnv(env(vars)); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	svc := newService(cfg, newLogger(logs, levelDebug), testStart)
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(svc.port)+"/", nil)
	req.Header.Set("traceparent", "00-"+testTraceID+"-"+testParentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	svc.Shutdown()
	var entries []map[string]interface{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]interface{}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		entries = append(entries, entry)
	}
	return entries
}

func merged(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, values := range maps {
		for key, value := range values {
			out[key] = value
		}
	}
	return out
}

func requestLog(t *testing.T, entries []map[string]interface{}) map[string]interface{} {
	t.Helper()
	for _, entry := range entries {
		if entry["msg"] == "request" {
			return entry
		}
	}
	t.Fatalf("no request log in %v", entries)
	return nil
}

func TestTracingOffByDefaultExportsNothing(t *testing.T) {
	rcv := newOTLPReceiver(t)
	entries := serveOneTracedRequest(t, rcv, nil)
	if requests, _ := rcv.received(); len(requests) != 0 {
		t.Fatalf("tracing off sent %d requests", len(requests))
	}
	if _, ok := requestLog(t, entries)["trace_id"]; ok {
		t.Fatal("request log has a trace_id with tracing off")
	}
}

func TestTracingOnExportsAServerSpanChildOfTheCallers(t *testing.T) {
	rcv := newOTLPReceiver(t)
	entries := serveOneTracedRequest(t, rcv, map[string]string{"OTEL_TRACES_EXPORTER": "otlp",
		"OTEL_SERVICE_NAME": "orders-canary", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=dev"})
	requests, bodies := rcv.received()
	if len(requests) != 1 || requests[0].URL.Path != "/v1/traces" || requests[0].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("receiver got %v", requests)
	}
	var export otlpRequest
	if err := json.Unmarshal(bodies[0], &export); err != nil {
		t.Fatal(err)
	}
	resource := map[string]string{}
	for _, attr := range export.ResourceSpans[0].Resource.Attributes {
		resource[attr.Key] = attr.Value["stringValue"]
	}
	if resource["service.name"] != "orders-canary" || resource["deployment.environment.name"] != "dev" || resource["service.version"] != testVersion {
		t.Fatalf("resource %v", resource)
	}
	spans := export.ResourceSpans[0].ScopeSpans[0].Spans
	if len(spans) != 1 {
		t.Fatalf("spans %v", spans)
	}
	got := spans[0]
	if got.Name != "GET /" || got.Kind != spanKindServer || got.TraceID != testTraceID || got.ParentSpanID != testParentID {
		t.Fatalf("span %+v", got)
	}
	if got.StartTimeUnixNano == "" || got.StartTimeUnixNano > got.EndTimeUnixNano {
		t.Fatalf("times %s %s", got.StartTimeUnixNano, got.EndTimeUnixNano)
	}
	request := requestLog(t, entries)
	if request["trace_id"] != testTraceID || request["span_id"] != got.SpanID {
		t.Fatalf("request log %v, span %s", request, got.SpanID)
	}
}

func TestTracingStartsANewTraceWithoutATraceparentAndSkipsUnsampledOnes(t *testing.T) {
	tr := &tracer{cfg: tracingConfig{Enabled: true}}
	fresh := tr.Start(httptest.NewRequest(http.MethodGet, "/", nil), "/")
	if fresh == nil || fresh.Context.TraceID == [16]byte{} || fresh.Parent != [8]byte{} {
		t.Fatalf("fresh span %+v", fresh)
	}
	unsampled := httptest.NewRequest(http.MethodGet, "/", nil)
	unsampled.Header.Set("traceparent", "00-"+testTraceID+"-"+testParentID+"-00")
	if span := tr.Start(unsampled, "/"); span != nil {
		t.Fatalf("a caller's unsampled trace was recorded: %+v", span)
	}
	var off *tracer
	if span := off.Start(unsampled, "/"); span != nil || span.logFields() != nil {
		t.Fatal("a nil tracer started a span")
	}
}

func TestParseTraceparent(t *testing.T) {
	for header, valid := range map[string]bool{
		"00-" + testTraceID + "-" + testParentID + "-01":                  true,
		"01-" + testTraceID + "-" + testParentID + "-01-extra":            true, // a later version may add fields
		"00-" + testTraceID + "-" + testParentID + "-01-extra":            false,
		"ff-" + testTraceID + "-" + testParentID + "-01":                  false,
		"00-" + strings.ToUpper(testTraceID) + "-" + testParentID + "-01": false,
		"00-00000000000000000000000000000000-" + testParentID + "-01":     false,
		"00-" + testTraceID + "-0000000000000000-01":                      false,
		"00-" + testTraceID + "-" + testParentID:                          false,
		"00-" + testTraceID[1:] + "-" + testParentID + "-01":              false,
		"": false,
	} {
		if _, ok := parseTraceparent(header); ok != valid {
			t.Errorf("parseTraceparent(%q) valid = %v, want %v", header, ok, valid)
		}
	}
}

func TestTracingConfig(t *testing.T) {
	for _, tc := range []struct {
		vars    map[string]string
		enabled bool
	}{
		{nil, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "none"}, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "OTLP", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, true},
	} {
		cfg, err := tracingFromEnv(env(tc.vars))
		if err != nil || cfg.Enabled != tc.enabled {
			t.Errorf("%v: enabled %v, error %v", tc.vars, cfg.Enabled, err)
		}
	}
	cfg, _ := tracingFromEnv(env(nil))
	if cfg.Endpoint != "http://localhost:4318/v1/traces" || cfg.ServiceName != serviceName {
		t.Fatalf("defaults %+v", cfg)
	}
	cfg, _ = tracingFromEnv(env(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector:4318/custom",
		"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes,team=a%20b"}))
	if cfg.Endpoint != "https://collector:4318/custom" || cfg.ServiceName != "from-attributes" || cfg.Attributes["team"] != "a b" {
		t.Fatalf("from the environment %+v", cfg)
	}
	for _, bad := range []map[string]string{
		{"OTEL_TRACES_EXPORTER": "jaeger"},
		{"OTEL_SDK_DISABLED": "yes"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
		{"OTEL_RESOURCE_ATTRIBUTES": "novalue"},
	} {
		if _, err := configFromEnv(env(bad)); err == nil {
			t.Errorf("%v was accepted", bad)
		}
	}
}
