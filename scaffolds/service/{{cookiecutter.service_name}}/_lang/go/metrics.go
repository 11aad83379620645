package main

import (
	"bufio"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Prometheus metrics in text exposition format 0.0.4, written by hand with the standard library only.
// The Python variant of this scaffold renders the same names, help texts, label order and bucket bounds.

const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

const (
	requestsHelp  = "Total number of HTTP requests handled, by method, route and status code."
	durationHelp  = "Latency of HTTP requests in seconds, by method and route."
	infoHelp      = "Build information about the service; the value is always 1."
	startTimeHelp = "Start time of the process since unix epoch in seconds."
)

// durationBuckets are the upper bounds of http_request_duration_seconds; +Inf is implicit.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type requestKey struct{ method, route, code string }

type durationKey struct{ method, route string }

// histogram keeps per-bucket (non-cumulative) counts; they are cumulated when rendered.
type histogram struct {
	buckets []uint64
	count   uint64
	sum     float64
}

// registry is a thread-safe store for the service's metrics.
type registry struct {
	service   string
	version   string
	startTime float64

	mu        sync.Mutex
	requests  map[requestKey]uint64
	durations map[durationKey]*histogram
}

func newRegistry(service, version string, startTime float64) *registry {
	return &registry{
		service:   service,
		version:   version,
		startTime: startTime,
		requests:  map[requestKey]uint64{},
		durations: map[durationKey]*histogram{},
	}
}

// observeRequest counts one handled request and records its duration.
func (r *registry) observeRequest(method, route string, code int, seconds float64) {
	index := sort.SearchFloat64s(durationBuckets, seconds)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests[requestKey{method, route, strconv.Itoa(code)}]++
	key := durationKey{method, route}
	h, ok := r.durations[key]
	if !ok {
		h = &histogram{buckets: make([]uint64, len(durationBuckets))}
		r.durations[key] = h
	}
	if index < len(durationBuckets) {
		h.buckets[index]++
	}
	h.count++
	h.sum += seconds
}

type requestSample struct {
	key   requestKey
	count uint64
}

type durationSample struct {
	key durationKey
	h   histogram
}

// snapshot copies the series under the lock, sorted by their labels.
func (r *registry) snapshot() ([]requestSample, []durationSample) {
	r.mu.Lock()
	requests := make([]requestSample, 0, len(r.requests))
	for key, count := range r.requests {
		requests = append(requests, requestSample{key, count})
	}
	durations := make([]durationSample, 0, len(r.durations))
	for key, h := range r.durations {
		copied := *h
		copied.buckets = append([]uint64(nil), h.buckets...)
		durations = append(durations, durationSample{key, copied})
	}
	r.mu.Unlock()
	sort.Slice(requests, func(i, j int) bool {
		a, b := requests[i].key, requests[j].key
		if a.method != b.method {
			return a.method < b.method
		}
		if a.route != b.route {
			return a.route < b.route
		}
		return a.code < b.code
	})
	sort.Slice(durations, func(i, j int) bool {
		a, b := durations[i].key, durations[j].key
		if a.method != b.method {
			return a.method < b.method
		}
		return a.route < b.route
	})
	return requests, durations
}

// writeTo writes every metric in Prometheus text format 0.0.4.
func (r *registry) writeTo(w io.Writer) error {
	requests, durations := r.snapshot()
	b := bufio.NewWriter(w)
	writeHeader(b, "http_requests_total", requestsHelp, "counter")
	for _, s := range requests {
		labels := formatLabels("method", s.key.method, "route", s.key.route, "code", s.key.code)
		b.WriteString("http_requests_total" + labels + " " + strconv.FormatUint(s.count, 10) + "\n")
	}
	writeHeader(b, "http_request_duration_seconds", durationHelp, "histogram")
	for _, s := range durations {
		writeHistogram(b, "http_request_duration_seconds", s.h, "method", s.key.method, "route", s.key.route)
	}
	writeHeader(b, "app_info", infoHelp, "gauge")
	b.WriteString("app_info" + formatLabels("version", r.version, "service", r.service) + " 1\n")
	writeHeader(b, "process_start_time_seconds", startTimeHelp, "gauge")
	b.WriteString("process_start_time_seconds " + formatValue(r.startTime) + "\n")
	return b.Flush()
}

func writeHeader(b *bufio.Writer, name, help, kind string) {
	b.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + kind + "\n")
}

func writeHistogram(b *bufio.Writer, name string, h histogram, labels ...string) {
	var cumulative uint64
	for i, bound := range durationBuckets {
		cumulative += h.buckets[i]
		bucketLabels := formatLabels(withLabel(labels, "le", formatValue(bound))...)
		b.WriteString(name + "_bucket" + bucketLabels + " " + strconv.FormatUint(cumulative, 10) + "\n")
	}
	count := strconv.FormatUint(h.count, 10)
	b.WriteString(name + "_bucket" + formatLabels(withLabel(labels, "le", "+Inf")...) + " " + count + "\n")
	b.WriteString(name + "_sum" + formatLabels(labels...) + " " + formatValue(h.sum) + "\n")
	b.WriteString(name + "_count" + formatLabels(labels...) + " " + count + "\n")
}

// withLabel returns a copy of labels with one more name/value pair.
func withLabel(labels []string, name, value string) []string {
	return append(append(make([]string, 0, len(labels)+2), labels...), name, value)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// formatLabels renders name/value pairs as {a="1",b="2"}, escaping the values.
func formatLabels(pairs ...string) string {
	if len(pairs) == 0 {
		return ""
	}
	parts := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, pairs[i]+`="`+labelEscaper.Replace(pairs[i+1])+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// formatValue formats a sample value or bucket bound like Python's repr, which Prometheus parsers accept.
func formatValue(v float64) string {
	abs := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && abs < 1e16:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case abs >= 1e-4 && abs < 1e16:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
}
