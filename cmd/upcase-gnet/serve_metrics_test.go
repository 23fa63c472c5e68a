package main

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
)

// TestWarnExposure: metrics, and above all profiles, served beyond
// loopback are said so in a warning; on loopback nothing is said.
func TestWarnExposure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ip    net.IP
		pprof bool
		want  string
	}{
		{net.IPv4(127, 0, 0, 1), true, ""},
		{net.IPv6loopback, true, ""},
		{net.IPv4(127, 0, 0, 2), false, ""},
		{net.IPv4zero, true, "--pprof serves Go's profiles"},
		{net.IPv6unspecified, true, "--pprof serves Go's profiles"},
		{net.IPv4(192, 168, 1, 10), false, "--metrics-addr serves metrics beyond loopback"},
		{net.IPv4zero, false, "--metrics-addr serves metrics beyond loopback"},
	} {
		var buf bytes.Buffer
		warnExposure(slog.New(slog.NewTextHandler(&buf, nil)), &net.TCPAddr{IP: tc.ip, Port: 9100}, tc.pprof)
		got := buf.String()
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%v pprof %v: warned %q, want nothing", tc.ip, tc.pprof, got)
		case tc.want != "" && (!strings.Contains(got, tc.want) || !strings.Contains(got, "level=WARN")):
			t.Errorf("%v pprof %v: logged %q, want a warning saying %q", tc.ip, tc.pprof, got, tc.want)
		}
	}
}
