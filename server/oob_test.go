package server

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"golang.org/x/sys/unix"
)

// TestUnixOutOfBand: a Unix-socket client that sends whole reads' worth of
// bytes and then one out-of-band byte gets all the in-band bytes back, on
// both engines. On a Unix socket FIONREAD counts the out-of-band byte,
// which no read returns: the gnet engine held the reply of its last full
// read for a read that never came (issue 16, item 1). Where the system
// keeps no out-of-band data on Unix sockets (before Linux 5.15, the BSDs),
// the test has nothing to send and is skipped.
func TestUnixOutOfBand(t *testing.T) {
	for _, e := range engine.All() {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "s")
			srv, _ := startServer(t, e, Config{Network: "unix", Address: path})
			for _, size := range []int{1024, 2048, 8192} {
				c, err := net.Dial("unix", srv.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				msg := bytes.Repeat([]byte("capitalize this!"), size/16)
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				rc, err := c.(*net.UnixConn).SyscallConn()
				if err != nil {
					t.Fatal(err)
				}
				var oobErr error
				if err := rc.Write(func(fd uintptr) bool {
					oobErr = unix.Sendto(int(fd), []byte("!"), unix.MSG_OOB, nil)
					return oobErr != unix.EAGAIN
				}); err != nil {
					t.Fatal(err)
				}
				if oobErr != nil {
					c.Close()
					t.Skip("no out-of-band data on Unix sockets here:", oobErr)
				}
				got := make([]byte, len(msg))
				_ = c.SetReadDeadline(time.Now().Add(stallTimeout))
				if n, err := io.ReadFull(c, got); err != nil {
					t.Fatalf("%d bytes and one out of band: %d bytes back, %v", size, n, err)
				}
				if !bytes.Equal(got, bytes.ToUpper(msg)) {
					t.Fatalf("%d bytes and one out of band: reply is not the uppercase", size)
				}
				c.Close()
			}
			// What was read went back: the out-of-band byte was never read.
			if st := settled(t, srv); st.Undelivered != 0 {
				t.Errorf("Undelivered %d, want 0", st.Undelivered)
			}
		})
	}
}
