package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// FuzzNewLogger: --log-format and --log-level are accepted exactly when
// the format is text or json and the level is one slog reads; a rejected
// one is one line of error. An accepted logger writes each record as one
// line whatever its message and values hold (a remote address or an error
// text cannot forge a log line), at its level and above only.
func FuzzNewLogger(f *testing.F) {
	for _, seed := range [][4]string{
		{"text", "info", "hello", "127.0.0.1:1060"},
		{"json", "debug", "two\nlines", "x\"y"},
		{"text", "WARN", "", "\r\n"},
		{"json", "error+2", "msg", "\x00\xff"},
		{"yaml", "info", "m", "v"},
		{"text", "loud", "m", "v"},
		{"TEXT", "info", "m", "v"},
		{"text", "info-4", "m", "a=b c=d\nlevel=ERROR msg=forged"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, format, level, msg, value string) {
		var lv slog.Level
		valid := (format == "text" || format == "json") && lv.UnmarshalText([]byte(level)) == nil
		var out bytes.Buffer
		logger, err := newLogger(&out, format, level)
		what := fmt.Sprintf("newLogger(%q, %q)", format, level)
		if !acceptedWhenValid(t, what, valid, err) {
			if strings.HasSuffix(err.Error(), "\n") {
				t.Fatalf("%s error %q: want one line, with no newline", what, err)
			}
			return
		}
		want := 0
		for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
			logger.Log(context.Background(), l, msg, "remote", value, "err", errors.New(value))
			if l >= lv {
				want++
			}
		}
		if got := strings.Count(out.String(), "\n"); got != want {
			t.Fatalf("format %q level %q: %d lines for %d records at or above the level:\n%s", format, level, got, want, out.String())
		}
	})
}
