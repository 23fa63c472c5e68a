//go:build linux

package compare

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
)

// readKernel reads the TCP sockets in use and their buffer memory from
// /proc/net/sockstat (and sockstat6); where this process may read
// /proc/slabinfo (root), the slab objects of socketSlabs; and where
// sock_diag answers, the sockets of port and their memory.
func readKernel(port uint16) (KernelSample, error) {
	var k KernelSample
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return k, fmt.Errorf("compare: %w", err)
	}
	tcp, err := sockstatLine(b, "TCP:")
	if err != nil {
		return k, err
	}
	pages, ok := tcp["mem"]
	if !ok {
		return k, fmt.Errorf("compare: /proc/net/sockstat TCP line has no mem")
	}
	k.TCPMem = pages * int64(os.Getpagesize())
	k.TCPSockets = tcp["inuse"]
	if b, err := os.ReadFile("/proc/net/sockstat6"); err == nil {
		if tcp6, err := sockstatLine(b, "TCP6:"); err == nil {
			k.TCPSockets += tcp6["inuse"]
		}
	}
	if b, err := os.ReadFile("/proc/slabinfo"); err == nil {
		k.Slab, k.SlabRead = slabBytes(b, socketSlabs)
	}
	if port != 0 {
		var err error
		k.ServerSockets, k.ServerMem, err = serverSockets(port)
		k.ServerRead = err == nil
	}
	return k, nil
}

// sockstatLine parses the line of sockstat that starts with proto ("TCP:
// inuse 5 orphan 0 tw 2 alloc 7 mem 3") into its name-value pairs.
func sockstatLine(b []byte, proto string) (map[string]int64, error) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 || string(f[0]) != proto {
			continue
		}
		out := map[string]int64{}
		for i := 1; i+1 < len(f); i += 2 {
			n, err := strconv.ParseInt(string(f[i+1]), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("compare: sockstat %s %s: %w", proto, f[i], err)
			}
			out[string(f[i])] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("compare: sockstat has no %s line", proto)
}

// slabBytes is the bytes of the active objects of the named caches in a
// /proc/slabinfo (version 2.1: name, active objects, objects, object
// size, ...). ok is false if the text is not slabinfo.
func slabBytes(b []byte, names []string) (total int64, ok bool) {
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) == 0 || !bytes.HasPrefix(lines[0], []byte("slabinfo - version: 2.")) {
		return 0, false
	}
	for _, line := range lines[1:] {
		f := bytes.Fields(line)
		if len(f) < 4 || !slices.Contains(names, string(f[0])) {
			continue
		}
		active, err1 := strconv.ParseInt(string(f[1]), 10, 64)
		size, err2 := strconv.ParseInt(string(f[3]), 10, 64)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		total += active * size
	}
	return total, true
}
