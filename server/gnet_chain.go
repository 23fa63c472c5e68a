package server

import (
	"sync/atomic"

	gio "github.com/panjf2000/gnet/v2/pkg/io"
	"golang.org/x/sys/unix"
)

// outChain is a connection's output its socket has not taken yet, in pooled
// chunks: appending never copies, and each chunk goes back once sent.
type outChain struct {
	bufs [][]byte // each len = bytes filled, cap = chunkSize
	off  int      // bytes of bufs[0] already sent
	n    int      // bytes held
}

const maxIov = 64

// add appends p, taking chunks from the pool and counting them in mem. It
// returns how much of p it could not hold (none unless err is set).
func (ch *outChain) add(p []byte, mem *atomic.Int64) (int, error) {
	for len(p) > 0 {
		if k := len(ch.bufs); k > 0 {
			last := ch.bufs[k-1]
			if free := cap(last) - len(last); free > 0 {
				m := min(free, len(p))
				ch.bufs[k-1] = append(last, p[:m]...)
				ch.n += m
				p = p[m:]
				continue
			}
		}
		c, err := chunks.get()
		if err != nil {
			return len(p), err
		}
		mem.Add(chunkSize)
		ch.bufs = append(ch.bufs, c[:0])
	}
	return 0, nil
}

// iov is the held output as writev wants it, in scratch's storage.
func (ch *outChain) iov(scratch [][]byte) [][]byte {
	v := scratch[:0]
	for i, b := range ch.bufs {
		if i == maxIov {
			break
		}
		if i == 0 {
			b = b[ch.off:]
		}
		v = append(v, b)
	}
	return v
}

// consume drops n bytes sent and frees the chunks they emptied.
func (ch *outChain) consume(n int, mem *atomic.Int64) {
	ch.n -= n
	if ch.n == 0 {
		ch.release(mem)
		return
	}
	ch.off += n
	done := 0
	for done < len(ch.bufs) && ch.off >= len(ch.bufs[done]) && len(ch.bufs[done]) == cap(ch.bufs[done]) {
		ch.off -= len(ch.bufs[done])
		done++
	}
	if done > 0 {
		chunks.put(ch.bufs[:done]...)
		mem.Add(-int64(done) * chunkSize)
		k := copy(ch.bufs, ch.bufs[done:])
		clear(ch.bufs[k:])
		ch.bufs = ch.bufs[:k]
	}
}

// release frees every chunk, sent or not.
func (ch *outChain) release(mem *atomic.Int64) {
	if len(ch.bufs) > 0 {
		chunks.put(ch.bufs...)
		mem.Add(-int64(len(ch.bufs)) * chunkSize)
	}
	clear(ch.bufs)
	ch.bufs = ch.bufs[:0]
	ch.off, ch.n = 0, 0
}

// writeTo makes one non-blocking write of the held output to fd and drops
// what the socket took: n of offered bytes.
func (ch *outChain) writeTo(fd int, scratch [][]byte, mem *atomic.Int64) (n, offered int, err error) {
	if len(ch.bufs) == 1 {
		p := ch.bufs[0][ch.off:]
		offered = len(p)
		n, err = unix.Write(fd, p)
	} else {
		v := ch.iov(scratch)
		for _, b := range v {
			offered += len(b)
		}
		n, err = gio.Writev(fd, v)
	}
	if n > 0 {
		ch.consume(n, mem)
	} else {
		n = 0
	}
	return n, offered, err
}
