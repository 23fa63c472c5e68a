package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// unixProbeTimeout bounds the dial that tells a live unix socket from a
// stale one. A live server answers a local connect at once (the kernel
// completes it from the backlog), so a short bound is plenty.
const unixProbeTimeout = time.Second

// listen binds network and address for either engine. A unix socket is
// bound by listenUnix.
func listen(network, address string, mode os.FileMode) (net.Listener, error) {
	if network == "unix" {
		return listenUnix(address, mode)
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return ln, nil
}

// listenUnix binds a unix socket at path with the given mode.
//
// Two servers started at once on one path must not both bind it: the path
// is prepared (prepareUnixSocket: a stale socket is removed, a live one is
// an error) and bound under an exclusive lock on its directory, so the
// second server finds the first one's socket live. The socket is bound in
// a private directory, given its mode there, and renamed into place, so
// nobody can connect before the mode is set, whatever the umask. Should
// that bind fail (the longer path over the length limit of a socket
// address), the socket is bound in place and its mode set right after.
//
// On close, the socket file is removed before the descriptor goes, so the
// path is never left behind nor removed from under a server that binds it
// after us.
func listenUnix(path string, mode os.FileMode) (net.Listener, error) {
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("server: unix socket %s: %w", path, err)
	}
	defer dir.Close() // and the lock with it
	if err := unix.Flock(int(dir.Fd()), unix.LOCK_EX); err != nil {
		return nil, fmt.Errorf("server: unix socket %s: locking its directory: %w", path, err)
	}
	if err := prepareUnixSocket(path); err != nil {
		return nil, err
	}
	ln, err := bindPrivately(path, mode)
	if err != nil {
		if ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"}); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		ln.SetUnlinkOnClose(false)
		if err := os.Chmod(path, mode); err != nil {
			_ = os.Remove(path)
			ln.Close()
			return nil, fmt.Errorf("server: unix socket %s: %w", path, err)
		}
	}
	return &unixListener{UnixListener: ln, addr: &net.UnixAddr{Name: path, Net: "unix"}}, nil
}

// bindPrivately binds a socket in a new private directory beside path,
// sets its mode and renames it to path.
func bindPrivately(path string, mode os.FileMode) (*net.UnixListener, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".ug")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	name := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	if err = os.Chmod(name, mode); err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// unixListener is a unix listener under its final path, which it removes
// when closed.
type unixListener struct {
	*net.UnixListener
	addr      *net.UnixAddr
	closeOnce sync.Once
	closeErr  error
}

func (l *unixListener) Addr() net.Addr { return l.addr }

func (l *unixListener) Close() error {
	l.closeOnce.Do(func() {
		_ = os.Remove(l.addr.Name)
		l.closeErr = l.UnixListener.Close()
	})
	return l.closeErr
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
