package server

import (
	"context"
	"errors"
	"net"
)

// startGoroutine is a placeholder until the goroutine engine lands.
func startGoroutine(ctx context.Context, cfg *Config, st *counters) (engine, net.Addr, error) {
	return nil, nil, errors.New("server: goroutine engine not implemented yet")
}
