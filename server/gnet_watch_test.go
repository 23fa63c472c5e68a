package server

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWriteWatch: the writability watcher reports an armed socket that was
// full once its peer has read, and again when armed again; stop makes wait
// return errWatchStopped, and again after. The platform's watcher, and
// the portable poll(2) one that NetBSD and OpenBSD use.
func TestWriteWatch(t *testing.T) {
	t.Run("platform", func(t *testing.T) {
		w, err := newWriteWatch()
		if err != nil {
			t.Fatal(err)
		}
		testWriteWatch(t, w)
	})
	t.Run("poll", func(t *testing.T) { testWriteWatch(t, newPollWatch()) })
}

func testWriteWatch(t *testing.T, w writeWatch) {
	defer w.close()
	fds := socketPair(t)
	// Fill fds[0] until it takes no more.
	block := bytes.Repeat([]byte("x"), 64<<10)
	filled := 0
	for {
		n, err := unix.Write(fds[0], block)
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		filled += n
	}
	if err := w.arm(fds[0], false); err != nil {
		t.Fatal(err)
	}
	got := make(chan []int, 1)
	errs := make(chan error, 1)
	go func() {
		fds, err := w.wait(nil)
		if err != nil {
			errs <- err
			return
		}
		got <- fds
	}()
	// The peer reads it all: the socket takes more, and is reported.
	buf := make([]byte, 64<<10)
	for read := 0; read < filled; {
		n, err := unix.Read(fds[1], buf)
		if err != nil {
			t.Fatal(err)
		}
		read += n
	}
	select {
	case ready := <-got:
		if !slices.Equal(ready, []int{fds[0]}) {
			t.Fatalf("reported %v, want [%d]", ready, fds[0])
		}
	case err := <-errs:
		t.Fatal(err)
	case <-time.After(stallTimeout):
		t.Fatal("a socket that takes more was not reported")
	}
	// Armed again, it is reported again, being writable; disarmed, stop
	// ends the wait.
	if err := w.arm(fds[0], true); err != nil {
		t.Fatal(err)
	}
	if ready, err := w.wait(nil); err != nil || !slices.Equal(ready, []int{fds[0]}) {
		t.Fatalf("armed again: %v, %v", ready, err)
	}
	w.disarm(fds[0])
	go func() {
		_, err := w.wait(nil)
		errs <- err
	}()
	w.stop()
	select {
	case err := <-errs:
		if err != errWatchStopped {
			t.Fatalf("wait after stop: %v, want errWatchStopped", err)
		}
	case <-time.After(stallTimeout):
		t.Fatal("stop did not end the wait")
	}
	if _, err := w.wait(nil); err != errWatchStopped {
		t.Fatalf("a second wait after stop: %v, want errWatchStopped", err)
	}
}
