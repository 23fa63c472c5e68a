package server

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestUnixBindRace starts two servers at once on one path, fresh or left
// stale by a killed server, again and again: exactly one may listen, and
// the other fails saying why. (gnet removes the path before it binds, so
// two servers of its own could both listen, the first one unreachable.)
func TestUnixBindRace(t *testing.T) {
	t.Parallel()
	for _, e := range engines {
		for _, stale := range []bool{false, true} {
			for round := range 6 {
				path := filepath.Join(t.TempDir(), "s")
				if stale {
					ln, err := net.Listen("unix", path)
					if err != nil {
						t.Fatal(err)
					}
					ln.(*net.UnixListener).SetUnlinkOnClose(false)
					ln.Close()
				}
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				var srvs [2]*Server
				var errs [2]error
				for i := range 2 {
					wg.Go(func() {
						srvs[i], errs[i] = Start(ctx, Config{Engine: e, Network: "unix", Address: path})
					})
				}
				wg.Wait()
				listening := 0
				for i := range 2 {
					if errs[i] == nil {
						listening++
						continue
					}
					if msg := errs[i].Error(); !strings.Contains(msg, "another server is listening") && !strings.Contains(msg, "address already in use") {
						t.Errorf("%s round %d (stale %v): the second server's error %q does not say the path is taken", e, round, stale, msg)
					}
				}
				if listening != 1 {
					t.Errorf("%s round %d (stale %v): %d servers listening on one path, want 1", e, round, stale, listening)
				}
				cancel()
				for _, s := range srvs {
					if s != nil {
						if err := s.Wait(); err != nil {
							t.Error(err)
						}
					}
				}
			}
		}
	}
}

// TestUnixMode: the socket file has the mode asked for, the default one
// lets only the server's user in, and neither follows the umask.
func TestUnixMode(t *testing.T) {
	t.Parallel()
	for _, e := range engines {
		for _, tc := range []struct{ set, want os.FileMode }{
			{0, 0o600},
			{0o660, 0o660},
			{0o777, 0o777}, // wider than the usual umask 022 lets a bind be
		} {
			path := filepath.Join(t.TempDir(), "s")
			srv, cancel := startServer(t, e, Config{Network: "unix", Address: path, UnixMode: tc.set})
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tc.want {
				t.Errorf("%s --unix-mode %o: socket mode %o, want %o", e, tc.set, got, tc.want)
			}
			if err := ping(dial(t, srv), []byte("mode")); err != nil {
				t.Errorf("%s: %v", e, err)
			}
			if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
				t.Errorf("%s: the socket's directory holds %d entries, want the socket alone", e, len(ents))
			}
			cancel()
		}
	}
}
