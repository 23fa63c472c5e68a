package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// unixProbeTimeout bounds the dial that tells a live unix socket from a
// stale one. A live server answers a local connect at once (the kernel
// completes it from the backlog), so a short bound is plenty.
const unixProbeTimeout = time.Second

// listen binds network and address for an engine that serves from a
// net.Listener. A unix socket path is prepared first (see prepareUnixSocket);
// Go's unix listener removes its socket file when it is closed, before the
// descriptor goes, so the path is never left behind nor removed from under a
// server that binds it after us.
func listen(network, address string) (net.Listener, error) {
	if network == "unix" {
		if err := prepareUnixSocket(address); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return ln, nil
}

// prepareUnixSocket makes path free to bind as a unix socket. A socket file
// left by a server that died without removing it is stale: nothing accepts
// on it, a dial is refused, and it is removed. A socket that answers belongs
// to a live server and is never stolen, and a path that is not a socket is
// not ours to remove: both are errors.
func prepareUnixSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: unix socket %s: %w", path, err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("server: unix socket %s: the path exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, unixProbeTimeout)
	if err == nil {
		c.Close()
		return fmt.Errorf("server: unix socket %s: another server is listening on it", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("server: unix socket %s: cannot tell whether it is in use: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("server: removing stale unix socket %s: %w", path, err)
	}
	return nil
}
