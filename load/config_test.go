package load

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/config"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

func TestBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Conns: -1},
		{Size: -3},
		{Size: MaxSize + 1},
		{Mode: "burst"},
		{Generator: "threads"},
		{Rate: -1},
		{Rate: math.NaN()},
		{ConnectRate: math.Inf(1)},
		{Duration: -time.Second},
		{Address: "no-port"},
		{Network: "udp"},
		{Conns: 30000, Address: "[::1]:1060"}, // needs source addresses ::1 cannot have
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) succeeded, want an error", cfg)
		}
	}
}

// TestWorkersCap checks that no setting makes Run start more than
// MaxWorkers processes: each worker is a process of its own.
func TestWorkersCap(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Workers: MaxWorkers + 1, Conns: 10 * MaxWorkers},
		{Workers: 1 << 20, Conns: 1 << 20},
		{Conns: (MaxWorkers + 1) * ConnsPerProcess(DefaultDialsInFlight)}, // automatic
	} {
		_, err := cfg.withDefaults()
		if err == nil || !strings.Contains(err.Error(), "workers") {
			t.Errorf("withDefaults(Workers %d, Conns %d) = %v, want an error about workers", cfg.Workers, cfg.Conns, err)
		}
	}
	if _, err := (Config{Workers: MaxWorkers, Conns: MaxWorkers}).withDefaults(); err != nil {
		t.Errorf("withDefaults at the cap: %v", err)
	}
}

func TestShardApply(t *testing.T) {
	t.Parallel()
	cfg, err := Config{Conns: 10, ConnectRate: 100, Shard: Shard{3, 4}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Conns != 2 || cfg.ConnectRate != 25 || cfg.firstConn != 8 || cfg.shard != (Shard{3, 4}) || !cfg.Shard.IsZero() {
		t.Errorf("conns %d, connect rate %g, first %d, shard %v/%v; want 2, 25, 8, 3/4 applied once", cfg.Conns, cfg.ConnectRate, cfg.firstConn, cfg.shard, cfg.Shard)
	}
	if _, err := (Config{Conns: 3, Shard: Shard{0, 4}}).withDefaults(); err == nil {
		t.Error("3 connections over 4 shards: no error")
	}
}

// TestBadNetwork: load refuses a network as server and client do, with a
// *config.Error that names the field.
func TestBadNetwork(t *testing.T) {
	t.Parallel()
	_, err := Config{Network: "udp"}.withDefaults()
	var bad *config.Error
	if !errors.As(err, &bad) || bad.Field != "Network" {
		t.Errorf("withDefaults(Network udp) = %v, want a *config.Error for Network", err)
	}
}

// TestTooManyForOneProcess: past one process's open files, Run needs
// worker processes and says so when it cannot make them.
func TestTooManyForOneProcess(t *testing.T) {
	t.Parallel()
	conns := ConnsPerProcess(DefaultDialsInFlight) + 1
	_, err := Run(context.Background(), Config{Address: testkit.ClosedPort(t), Conns: conns})
	if err == nil || !strings.Contains(err.Error(), "worker processes") {
		t.Errorf("Run(%d conns) = %v, want an error asking for worker processes", conns, err)
	}
	_, err = Run(context.Background(), Config{Address: testkit.ClosedPort(t), Conns: conns, Workers: 1})
	if err == nil || !strings.Contains(err.Error(), "more workers") {
		t.Errorf("Run(%d conns, 1 worker) = %v, want an error asking for more workers", conns, err)
	}
}

func TestAutoSourceAddrs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr  string
		conns int
		want  int // addresses; -1 for an error
	}{
		{"127.0.0.1:1060", PortsPerSource, 0},
		{"127.0.0.1:1060", PortsPerSource + 1, 2},
		{"127.0.0.5:1060", 3*PortsPerSource + 7, 4},
		{"[::1]:1060", PortsPerSource + 1, -1},
		{"10.1.2.3:1060", PortsPerSource + 1, -1},
		{"127.0.0.1:1060", MaxSourceAddrs*PortsPerSource + 1, -1},
	} {
		cfg, err := Config{Address: tc.addr, Conns: tc.conns}.withDefaults()
		switch {
		case tc.want < 0 && err == nil:
			t.Errorf("%s, %d conns: no error, want one", tc.addr, tc.conns)
		case tc.want >= 0 && err != nil:
			t.Errorf("%s, %d conns: %v", tc.addr, tc.conns, err)
		case tc.want >= 0 && len(cfg.SourceAddrs) != tc.want:
			t.Errorf("%s, %d conns: %d source addresses, want %d", tc.addr, tc.conns, len(cfg.SourceAddrs), tc.want)
		}
	}
	got, err := ParseSourceAddrs("3")
	if err != nil || len(got) != 3 || got[2].String() != "127.0.0.3" {
		t.Errorf(`ParseSourceAddrs("3") = %v, %v`, got, err)
	}
	got, err = ParseSourceAddrs("127.0.0.9, ::1")
	if err != nil || len(got) != 2 || got[1].String() != "::1" {
		t.Errorf(`ParseSourceAddrs(list) = %v, %v`, got, err)
	}
}
