//go:build linux

package compare

import (
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

func TestSockstatLine(t *testing.T) {
	t.Parallel()
	const sockstat = "sockets: used 14\nTCP: inuse 7 orphan 0 tw 1084 alloc 9 mem 34\nUDP: inuse 0 mem 0\n"
	got, err := sockstatLine([]byte(sockstat), "TCP:")
	if err != nil {
		t.Fatal(err)
	}
	if got["inuse"] != 7 || got["mem"] != 34 || got["tw"] != 1084 {
		t.Errorf("TCP line parsed as %v", got)
	}
	if _, err := sockstatLine([]byte(sockstat), "TCP6:"); err == nil {
		t.Error("a missing TCP6 line parsed")
	}
	if _, err := sockstatLine([]byte("TCP: inuse x"), "TCP:"); err == nil {
		t.Error("a bad number parsed")
	}
}

func TestSlabBytes(t *testing.T) {
	t.Parallel()
	const slabinfo = `slabinfo - version: 2.1
# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>
TCP                   92    143   2368   13    8 : tunables    0    0    0 : slabdata     11     11      0
tw_sock_TCP         1182   1248    256   32    2 : tunables    0    0    0 : slabdata     39     39      0
filp                1071   1071    192   21    1 : tunables    0    0    0 : slabdata     51     51      0
`
	got, ok := slabBytes([]byte(slabinfo), []string{"TCP", "filp"})
	if want := int64(92*2368 + 1071*192); !ok || got != want {
		t.Errorf("slabBytes = %d, %v; want %d, true (TIME_WAIT sockets left out)", got, ok, want)
	}
	if _, ok := slabBytes([]byte("not slabinfo\n"), socketSlabs); ok {
		t.Error("text that is not slabinfo was read")
	}
}

// TestReadKernel reads this machine's sockstat, and slabinfo when running
// as root, who alone may read it, and the sockets of a port this test
// holds: no fixed port is surely free on a shared machine.
func TestReadKernel(t *testing.T) {
	t.Parallel()
	k, err := readKernel(listenPort(t))
	if err != nil {
		t.Fatal(err)
	}
	if k.TCPMem < 0 || k.TCPSockets < 0 {
		t.Errorf("read %+v", k)
	}
	if !k.ServerRead || k.ServerSockets != 1 {
		t.Errorf("sock_diag of a port with only its listener: %+v", k)
	}
	if os.Geteuid() == 0 && (!k.SlabRead || k.Slab <= 0) {
		t.Errorf("as root, slabinfo not read: %+v", k)
	}
}

// TestServerSockets opens a listener and connections to it on loopback and
// sends bytes that the listening side never reads: sock_diag must count the
// listener and its accepted sockets, and their queued bytes, and nothing
// of the connecting side.
func TestServerSockets(t *testing.T) {
	t.Parallel()
	ln := testkit.Listen(t)
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	const conns, sent = 5, 20000
	for range conns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(make([]byte, sent)); err != nil {
			t.Fatal(err)
		}
		// Accepted but never read: the bytes stay in its receive queue.
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close()
	}
	// The bytes are in the receive queues once a read of them would not
	// block; the kernel queues them as the write returns on loopback, but
	// wait for it rather than assume.
	var n, mem int64
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if n, mem, err = serverSockets(port); err != nil {
			t.Fatal(err)
		}
		if mem >= conns*sent {
			break
		}
		runtime.Gosched()
	}
	if n != conns+1 || mem < conns*sent {
		t.Errorf("serverSockets = %d sockets, %d bytes; want %d sockets (listener and accepted), at least %d bytes queued", n, mem, conns+1, conns*sent)
	}
	// Another port of this test's, with no connections: its listener
	// alone, none of the sockets above.
	if n, _, err := serverSockets(listenPort(t)); err != nil || n != 1 {
		t.Errorf("a port with only its listener: %d sockets, %v; want 1", n, err)
	}
}

// listenPort is the port of a loopback listener held until the test ends,
// which nobody connects to: a listener bound there keeps other sockets off
// the port, as a port merely thought free would not.
func listenPort(t *testing.T) uint16 {
	t.Helper()
	return uint16(testkit.Listen(t).Addr().(*net.TCPAddr).Port)
}
