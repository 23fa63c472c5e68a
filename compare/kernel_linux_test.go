//go:build linux

package compare

import (
	"os"
	"testing"
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
// as root, who alone may read it.
func TestReadKernel(t *testing.T) {
	t.Parallel()
	k, err := readKernel()
	if err != nil {
		t.Fatal(err)
	}
	if k.TCPMem < 0 || k.TCPSockets < 0 {
		t.Errorf("read %+v", k)
	}
	if os.Geteuid() == 0 && (!k.SlabRead || k.Slab <= 0) {
		t.Errorf("as root, slabinfo not read: %+v", k)
	}
}
