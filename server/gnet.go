package server

import (
	"context"
	"errors"
	"net"
)

// startGnet is a placeholder until the gnet engine lands.
func startGnet(ctx context.Context, cfg *Config, st *counters) (engine, net.Addr, error) {
	return nil, nil, errors.New("server: gnet engine not implemented yet")
}
