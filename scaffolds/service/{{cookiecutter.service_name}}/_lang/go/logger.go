package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// logLevel orders log severities; messages below the logger's level are dropped.
type logLevel int

const (
	levelDebug logLevel = iota
	levelInfo
	levelWarning
	levelError
)

var levelNames = map[string]logLevel{
	"debug": levelDebug, "info": levelInfo, "warn": levelWarning, "warning": levelWarning, "error": levelError,
}

func (l logLevel) String() string {
	return [...]string{"debug", "info", "warning", "error"}[l]
}

// jsonLogger writes one JSON object per line: ts, level, msg, then key/value fields.
type jsonLogger struct {
	mu    sync.Mutex
	out   io.Writer
	level logLevel
	now   func() time.Time
}

func newLogger(out io.Writer, level logLevel) *jsonLogger {
	return &jsonLogger{out: out, level: level, now: time.Now}
}

func (l *jsonLogger) Debug(msg string, kv ...interface{}) { l.log(levelDebug, msg, kv) }
func (l *jsonLogger) Info(msg string, kv ...interface{})  { l.log(levelInfo, msg, kv) }
func (l *jsonLogger) Warn(msg string, kv ...interface{})  { l.log(levelWarning, msg, kv) }
func (l *jsonLogger) Error(msg string, kv ...interface{}) { l.log(levelError, msg, kv) }

func (l *jsonLogger) log(level logLevel, msg string, kv []interface{}) {
	if level < l.level {
		return
	}
	var b strings.Builder
	b.WriteString(`{"ts":`)
	writeJSON(&b, l.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	b.WriteString(`,"level":`)
	writeJSON(&b, level.String())
	b.WriteString(`,"msg":`)
	writeJSON(&b, msg)
	for i := 0; i < len(kv); i += 2 {
		key := fmt.Sprint(kv[i])
		var value interface{} = "(missing)"
		if i+1 < len(kv) {
			value = kv[i+1]
		}
		b.WriteString(",")
		writeJSON(&b, key)
		b.WriteString(":")
		writeJSON(&b, value)
	}
	b.WriteString("}\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.out, b.String())
}

func writeJSON(b *strings.Builder, value interface{}) {
	if err, ok := value.(error); ok {
		value = err.Error()
	}
	encoded, err := json.Marshal(value)
	if err != nil {
		encoded, _ = json.Marshal(fmt.Sprint(value))
	}
	b.Write(encoded)
}

// logWriter adapts the logger to the *log.Logger that net/http uses for its own errors.
type logWriter struct {
	logger *jsonLogger
	level  logLevel
}

func (w logWriter) Write(p []byte) (int, error) {
	w.logger.log(w.level, strings.TrimSpace(string(p)), nil)
	return len(p), nil
}
