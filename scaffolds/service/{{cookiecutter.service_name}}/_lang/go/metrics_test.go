package main

import (
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var sampleLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? \S+$`)

func render(t *testing.T, r *registry) string {
	t.Helper()
	var b strings.Builder
	if err := r.writeTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// samples maps each sample line's name+labels to its value, for lines starting with prefix.
func samples(text, prefix string) (keys, values []string) {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			i := strings.LastIndex(line, " ")
			keys, values = append(keys, line[:i]), append(values, line[i+1:])
		}
	}
	return keys, values
}

func TestEmptyRegistryDeclaresEveryFamily(t *testing.T) {
	text := render(t, newRegistry("svc", "9.9.9", 1700000000.25))
	for name, kind := range map[string]string{
		"http_requests_total": "counter", "http_request_duration_seconds": "histogram",
		"app_info": "gauge", "process_start_time_seconds": "gauge",
	} {
		if !strings.Contains(text, "# TYPE "+name+" "+kind+"\n") || !strings.Contains(text, "# HELP "+name+" ") {
			t.Errorf("%s: missing HELP/TYPE in\n%s", name, text)
		}
	}
	for _, want := range []string{`app_info{version="9.9.9",service="svc"} 1` + "\n", "process_start_time_seconds 1700000000.25\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestCounterAndHistogramSeries(t *testing.T) {
	r := newRegistry("svc", "9.9.9", 0)
	for _, seconds := range []float64{0.001, 0.005, 0.3, 20} {
		r.observeRequest("GET", "/", 200, seconds)
	}
	r.observeRequest("GET", "/nope", 404, 0.02)
	text := render(t, r)

	keys, values := samples(text, "http_requests_total{")
	wantKeys := []string{
		`http_requests_total{method="GET",route="/",code="200"}`,
		`http_requests_total{method="GET",route="/nope",code="404"}`,
	}
	if strings.Join(keys, " ") != strings.Join(wantKeys, " ") || strings.Join(values, " ") != "4 1" {
		t.Fatalf("counter series %v %v", keys, values)
	}

	keys, values = samples(text, `http_request_duration_seconds_bucket{method="GET",route="/",`)
	var bounds []string
	for _, key := range keys {
		bounds = append(bounds, strings.TrimSuffix(strings.SplitN(key, `le="`, 2)[1], `"}`))
	}
	if got := strings.Join(bounds, ","); got != "0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10,+Inf" {
		t.Fatalf("bucket bounds %s", got)
	}
	if got := strings.Join(values, ","); got != "2,2,2,2,2,2,3,3,3,3,3,4" {
		t.Fatalf("cumulative bucket counts %s", got)
	}
	if !strings.Contains(text, `http_request_duration_seconds_count{method="GET",route="/"} 4`+"\n") ||
		!strings.Contains(text, `http_request_duration_seconds_sum{method="GET",route="/"} 20.306`+"\n") {
		t.Fatalf("sum/count missing in\n%s", text)
	}
}

func TestEveryLineIsValidExpositionFormat(t *testing.T) {
	r := newRegistry("svc", "9.9.9", 1700000000.25)
	r.observeRequest("GET", "we\"ird\\route\n", 500, 0.1)
	text := render(t, r)
	if !strings.HasSuffix(text, "\n") {
		t.Fatal("output must end with a newline")
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !strings.HasPrefix(line, "# HELP ") && !strings.HasPrefix(line, "# TYPE ") && !sampleLine.MatchString(line) {
			t.Errorf("invalid line %q", line)
		}
	}
	if !strings.Contains(text, `route="we\"ird\\route\n"`) {
		t.Errorf("label value not escaped in\n%s", text)
	}
}

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		value float64
		want  string
	}{
		{0.005, "0.005"}, {1, "1"}, {10, "10"}, {2.5, "2.5"}, {0, "0"}, {1e-05, "1e-05"},
		{math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"}, {math.NaN(), "NaN"},
	} {
		if got := formatValue(c.value); got != c.want {
			t.Errorf("formatValue(%v) = %q, want %q", c.value, got, c.want)
		}
	}
}

func TestRegistryIsSafeForConcurrentUse(t *testing.T) {
	r := newRegistry("svc", "9.9.9", 0)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				r.observeRequest("GET", "/", 200, 0.01)
			}
		}()
	}
	wg.Wait()
	text := render(t, r)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/",code="200"} 8000`,
		`http_request_duration_seconds_count{method="GET",route="/"} 8000`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
}
