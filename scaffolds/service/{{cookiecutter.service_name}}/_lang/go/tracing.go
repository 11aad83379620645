package main

// OpenTelemetry tracing with the standard library only: W3C traceparent propagation, one SERVER span per request,
// and an exporter that POSTs batches to an OTLP/HTTP endpoint in OTLP's JSON encoding. Off unless
// OTEL_TRACES_EXPORTER=otlp (and OTEL_SDK_DISABLED is not true). The official SDK (go.opentelemetry.io/otel) is
// the way to grow beyond this: see README.md, "Tracing".

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	defaultOTLPEndpoint = "http://localhost:4318"
	exportInterval      = 5 * time.Second // OTEL_BSP_SCHEDULE_DELAY's default
	maxBatch            = 512             // OTEL_BSP_MAX_EXPORT_BATCH_SIZE's default
	maxQueue            = 2048            // OTEL_BSP_MAX_QUEUE_SIZE's default: spans beyond it are dropped
	exportTimeout       = 10 * time.Second
	spanKindServer      = 2 // SPAN_KIND_SERVER
	statusCodeError     = 2 // STATUS_CODE_ERROR
)

// tracingConfig is what the standard OTEL_* variables ask for.
type tracingConfig struct {
	Enabled     bool
	Endpoint    string // the full URL spans are POSTed to
	ServiceName string
	Attributes  map[string]string // OTEL_RESOURCE_ATTRIBUTES
}

func tracingFromEnv(getenv func(string) string) (tracingConfig, error) {
	cfg := tracingConfig{ServiceName: serviceName, Attributes: map[string]string{}}
	disabled := strings.ToLower(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")))
	if disabled != "" && disabled != "true" && disabled != "false" {
		return cfg, fmt.Errorf("OTEL_SDK_DISABLED must be true or false, got %q", disabled)
	}
	exporter := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")))
	if exporter != "" && exporter != "none" && exporter != "otlp" {
		return cfg, fmt.Errorf("OTEL_TRACES_EXPORTER must be one of none, otlp, got %q", exporter)
	}
	if protocol := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL")); protocol != "" && protocol != "http/json" {
		return cfg, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL must be http/json, got %q", protocol)
	}
	cfg.Endpoint = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	if cfg.Endpoint == "" {
		base := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
		if base == "" {
			base = defaultOTLPEndpoint
		}
		cfg.Endpoint = strings.TrimSuffix(base, "/") + "/v1/traces"
	}
	if parsed, err := url.Parse(cfg.Endpoint); err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return cfg, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got %q", cfg.Endpoint)
	}
	for _, pair := range strings.Split(getenv("OTEL_RESOURCE_ATTRIBUTES"), ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		key, value, found := strings.Cut(pair, "=")
		decoded, err := url.PathUnescape(strings.TrimSpace(value))
		if !found || strings.TrimSpace(key) == "" || err != nil {
			return cfg, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas, got %q", pair)
		}
		cfg.Attributes[strings.TrimSpace(key)] = decoded
	}
	if name := cfg.Attributes["service.name"]; name != "" {
		cfg.ServiceName = name
	}
	if name := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); name != "" {
		cfg.ServiceName = name
	}
	cfg.Enabled = exporter == "otlp" && disabled != "true"
	return cfg, nil
}

// spanContext identifies a span: W3C trace context's trace-id, parent-id and sampled flag.
type spanContext struct {
	TraceID [16]byte
	SpanID  [8]byte
	Sampled bool
}

// parseTraceparent reads a W3C traceparent header (version 00, or a later version's first four fields).
func parseTraceparent(header string) (spanContext, bool) {
	var sc spanContext
	parts := strings.Split(strings.TrimSpace(header), "-")
	if len(parts) < 4 || len(parts[0]) != 2 || parts[0] == "ff" || (parts[0] == "00" && len(parts) != 4) {
		return sc, false
	}
	if !lowerHex(parts[0]) || !decodeHex(sc.TraceID[:], parts[1]) || !decodeHex(sc.SpanID[:], parts[2]) {
		return sc, false
	}
	flags, err := strconv.ParseUint(parts[3], 16, 8)
	if err != nil || len(parts[3]) != 2 || !lowerHex(parts[3]) || sc.TraceID == [16]byte{} || sc.SpanID == [8]byte{} {
		return sc, false
	}
	sc.Sampled = flags&1 == 1
	return sc, true
}

func decodeHex(dst []byte, text string) bool {
	if len(text) != 2*len(dst) || !lowerHex(text) {
		return false
	}
	_, err := hex.Decode(dst, []byte(text))
	return err == nil
}

func lowerHex(text string) bool {
	return strings.Trim(text, "0123456789abcdef") == ""
}

// span is one finished or running SERVER span.
type span struct {
	Context    spanContext
	Parent     [8]byte
	Name       string
	Start, End time.Time
	Attributes map[string]interface{}
	Error      bool
}

// tracer starts spans and exports the sampled ones in batches; a nil *tracer is off and does nothing.
type tracer struct {
	cfg     tracingConfig
	version string
	client  *http.Client
	logger  *jsonLogger
	mu      sync.Mutex
	queue   []*span
	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// newTracer returns nil when tracing is off: no goroutine, no connection.
func newTracer(cfg tracingConfig, version string, logger *jsonLogger) *tracer {
	if !cfg.Enabled {
		return nil
	}
	t := &tracer{cfg: cfg, version: version, logger: logger, client: &http.Client{Timeout: exportTimeout},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go t.loop()
	return t
}

// Start begins a SERVER span for a request, the child of its traceparent when it carries a valid one. Nil when off
// or when the caller's trace is not sampled (parent-based, always-on sampling).
func (t *tracer) Start(r *http.Request, route string) *span {
	if t == nil {
		return nil
	}
	s := &span{Name: r.Method + " " + route, Start: time.Now(), Attributes: map[string]interface{}{
		"http.request.method": r.Method, "http.route": route, "url.path": r.URL.Path}}
	if parent, ok := parseTraceparent(r.Header.Get("traceparent")); ok {
		if !parent.Sampled {
			return nil
		}
		s.Context.TraceID, s.Parent = parent.TraceID, parent.SpanID
	} else {
		_, _ = rand.Read(s.Context.TraceID[:])
	}
	_, _ = rand.Read(s.Context.SpanID[:])
	s.Context.Sampled = true
	return s
}

// End records the response status and queues the span for export.
func (t *tracer) End(s *span, status int) {
	if t == nil || s == nil {
		return
	}
	s.End = time.Now()
	s.Attributes["http.response.status_code"] = status
	s.Error = status >= 500
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) >= maxQueue {
		return
	}
	t.queue = append(t.queue, s)
	if len(t.queue) >= maxBatch {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// logFields are the span's ids for the request's log line.
func (s *span) logFields() []interface{} {
	if s == nil {
		return nil
	}
	return []interface{}{"trace_id", hex.EncodeToString(s.Context.TraceID[:]), "span_id", hex.EncodeToString(s.Context.SpanID[:])}
}

func (t *tracer) loop() {
	defer close(t.stopped)
	ticker := time.NewTicker(exportInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-t.wake:
		case <-t.stop:
			t.exportQueued(context.Background())
			return
		}
		t.exportQueued(context.Background())
	}
}

// Shutdown exports what is queued and stops, within ctx. Idempotent; nil-safe.
func (t *tracer) Shutdown(ctx context.Context) {
	if t == nil {
		return
	}
	t.once.Do(func() { close(t.stop) })
	select {
	case <-t.stopped:
	case <-ctx.Done():
		t.logger.Warn("trace export did not finish before shutdown", "error", ctx.Err())
	}
}

func (t *tracer) exportQueued(ctx context.Context) {
	for {
		t.mu.Lock()
		batch := t.queue[:min(len(t.queue), maxBatch)]
		t.queue = t.queue[len(batch):]
		t.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		if err := t.export(ctx, batch); err != nil {
			t.logger.Warn("trace export failed", "spans", len(batch), "error", err)
		}
	}
}

func (t *tracer) export(ctx context.Context, batch []*span) error {
	body, err := json.Marshal(t.request(batch))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.cfg.Endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("collector answered %s", resp.Status)
	}
	return nil
}

// OTLP's JSON encoding (ExportTraceServiceRequest): ids in hex, 64-bit integers as strings.
type otlpRequest struct {
	ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
}

type otlpResourceSpans struct {
	Resource   otlpResource     `json:"resource"`
	ScopeSpans []otlpScopeSpans `json:"scopeSpans"`
}

type otlpResource struct {
	Attributes []otlpAttribute `json:"attributes"`
}

type otlpScopeSpans struct {
	Scope otlpScope  `json:"scope"`
	Spans []otlpSpan `json:"spans"`
}

type otlpScope struct {
	Name string `json:"name"`
}

type otlpSpan struct {
	TraceID           string          `json:"traceId"`
	SpanID            string          `json:"spanId"`
	ParentSpanID      string          `json:"parentSpanId,omitempty"`
	Name              string          `json:"name"`
	Kind              int             `json:"kind"`
	StartTimeUnixNano string          `json:"startTimeUnixNano"`
	EndTimeUnixNano   string          `json:"endTimeUnixNano"`
	Attributes        []otlpAttribute `json:"attributes"`
	Status            otlpStatus      `json:"status"`
}

type otlpStatus struct {
	Code int `json:"code,omitempty"`
}

type otlpAttribute struct {
	Key   string            `json:"key"`
	Value map[string]string `json:"value"`
}

func (t *tracer) request(batch []*span) otlpRequest {
	resource := map[string]interface{}{"service.version": t.version, "telemetry.sdk.language": "go"}
	for key, value := range t.cfg.Attributes {
		resource[key] = value
	}
	resource["service.name"] = t.cfg.ServiceName
	spans := make([]otlpSpan, 0, len(batch))
	for _, s := range batch {
		out := otlpSpan{TraceID: hex.EncodeToString(s.Context.TraceID[:]), SpanID: hex.EncodeToString(s.Context.SpanID[:]),
			Name: s.Name, Kind: spanKindServer, Attributes: attributes(s.Attributes),
			StartTimeUnixNano: strconv.FormatInt(s.Start.UnixNano(), 10), EndTimeUnixNano: strconv.FormatInt(s.End.UnixNano(), 10)}
		if s.Parent != [8]byte{} {
			out.ParentSpanID = hex.EncodeToString(s.Parent[:])
		}
		if s.Error {
			out.Status.Code = statusCodeError
		}
		spans = append(spans, out)
	}
	scope := otlpScopeSpans{Scope: otlpScope{Name: serviceName}, Spans: spans}
	resourceSpans := otlpResourceSpans{Resource: otlpResource{Attributes: attributes(resource)}, ScopeSpans: []otlpScopeSpans{scope}}
	return otlpRequest{ResourceSpans: []otlpResourceSpans{resourceSpans}}
}

// attributes encodes a map as OTLP key/value pairs, sorted by key; ints as intValue, the rest as stringValue.
func attributes(values map[string]interface{}) []otlpAttribute {
	keys := make([]string, 0, len(values))
	for key := range values {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	out := make([]otlpAttribute, 0, len(keys))
	for _, key := range keys {
		if number, ok := values[key].(int); ok {
			out = append(out, otlpAttribute{key, map[string]string{"intValue": strconv.Itoa(number)}})
		} else {
			out = append(out, otlpAttribute{key, map[string]string{"stringValue": fmt.Sprint(values[key])}})
		}
	}
	return out
}
