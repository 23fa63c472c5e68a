package main

import (
	"testing"
)

// TestIdleReadBuffers: the goroutine engine with --read-size 1MiB and 100
// idle connections must not hold 1 MiB for each (at 20,000 connections that
// is 20 GiB): the Go heap, read from the child's metrics, stays well below
// a quarter of that.
func TestIdleReadBuffers(t *testing.T) {
	bin := linuxChild(t, "builds the binary")
	const (
		conns    = 100
		readSize = 1 << 20
	)
	srv := startFaultChild(t, bin, 0, "--engine", "goroutine", "--read-size", "1048576")
	connectPinging(t, srv.addr, conns)
	m := srv.waitMetrics(t, "every connection served", func(m metricSet) bool {
		return m.get("upcase_gnet_connections_open") == conns
	})
	if heap, most := m.get("go_memstats_heap_alloc_bytes"), float64(conns*readSize/4); heap < 0 || heap > most {
		t.Errorf("Go heap %.0f bytes with %d idle connections at --read-size 1MiB, want at most %.0f", heap, conns, most)
	}
}
