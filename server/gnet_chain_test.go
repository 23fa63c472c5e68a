package server

import (
	"bytes"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// socketPair is a connected pair of Unix stream sockets, closed when the
// test ends; the first end is non-blocking, as the engine's sockets are.
func socketPair(t *testing.T) [2]int {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	return fds
}

// TestChainWriteOffered: with more chunks held than one writev takes and the
// first partly sent, writeTo says what it offered, which is what a complete
// write is measured against: the whole maxIov chunks less what was sent of
// the first, not maxIov chunks. (flush took a complete write for a short
// one, a needless trip through the writability watcher a MiB and a write
// block counted; issue 16, item 6.) What the socket took comes out whole,
// in order.
func TestChainWriteOffered(t *testing.T) {
	fds := socketPair(t)
	var mem atomic.Int64
	var ch outChain
	defer ch.release(&mem)
	held := make([]byte, (maxIov+6)*chunkSize)
	for i := range held {
		held[i] = byte(i % 251)
	}
	if _, err := ch.add(held, &mem); err != nil {
		t.Fatal(err)
	}
	const sent = 100
	ch.consume(sent, &mem)
	var scratch [maxIov][]byte
	n, offered, err := ch.writeTo(fds[0], scratch[:], &mem)
	if err != nil && err != unix.EAGAIN {
		t.Fatal(err)
	}
	if want := maxIov*chunkSize - sent; offered != want {
		t.Errorf("offered %d, want %d (maxIov chunks less what was sent of the first)", offered, want)
	}
	if n > offered || ch.n != len(held)-sent-n {
		t.Errorf("wrote %d of %d offered, %d held, want %d held", n, offered, ch.n, len(held)-sent-n)
	}
	got := make([]byte, n)
	for off := 0; off < n; {
		m, err := unix.Read(fds[1], got[off:])
		if err != nil {
			t.Fatal(err)
		}
		off += m
	}
	if !bytes.Equal(got, held[sent:sent+n]) {
		t.Error("the bytes written are not the held ones, in order")
	}
}
