package server

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"syscall"
)

// reusePort selects gnet's SO_REUSEPORT mode, where every event loop has its
// own listener and accepts one connection per readiness event, opening it
// on the spot. A refused connection is then closed before the next accept,
// which keeps the process below its open-file limit under any flood. (In
// gnet's other mode a separate acceptor loop accepts until EAGAIN and hands
// connections over asynchronously, and an EMFILE there shuts the whole
// engine down.) Only Linux balances SO_REUSEPORT listeners.
var reusePort = runtime.GOOS == "linux"

// bindAttempts bounds the retries when a port picked for port 0 is taken
// between the probe and gnet's bind.
const bindAttempts = 5

// bind starts gnet on the configured address and returns the bound address.
//
// gnet binds inside gnet.Run and does not report the port it got, and with
// SO_REUSEPORT a second server on a busy port would bind without error. So a
// probe listener (no SO_REUSEPORT) first proves the address is free and
// picks the port when it is 0; gnet then binds that exact port.
func (e *gnetEngine) bind() (net.Addr, error) {
	if e.cfg.Network == "unix" {
		if err := prepareUnixSocket(e.cfg.Address); err != nil {
			return nil, err
		}
		if err := e.run("unix://"+e.cfg.Address, false); err != nil {
			return nil, fmt.Errorf("server: listen unix %s: %w", e.cfg.Address, err)
		}
		return &net.UnixAddr{Name: e.cfg.Address, Net: "unix"}, nil
	}
	for attempt := 1; ; attempt++ {
		probe, err := net.Listen(e.cfg.Network, e.cfg.Address)
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		addr := probe.Addr().(*net.TCPAddr)
		if err := probe.Close(); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		err = e.run(e.cfg.Network+"://"+addr.String(), reusePort)
		if err == nil {
			return addr, nil
		}
		_, port, _ := net.SplitHostPort(e.cfg.Address)
		if port != "0" || !errors.Is(err, syscall.EADDRINUSE) || attempt == bindAttempts {
			return nil, fmt.Errorf("server: listen %s %s: %w", e.cfg.Network, addr, err)
		}
	}
}
