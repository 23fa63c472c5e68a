// Package testkit is what the tests of upcase-gnet share, as
// net/http/httptest is what net/http's tests share:
//
//   - Start: the lifecycle of a server or endpoint started for one test,
//     stopped and waited for when the test ends;
//   - Log: a log buffer safe for concurrent use, shown if the test fails;
//   - Peer and its Handlers (Upper, Echo, Flipper, Closer, Resetter,
//     Mute): servers that misbehave in one known way, for the clients'
//     tests; Listen, a listener nobody accepts from; ClosedPort, where
//     nothing listens;
//   - Stream: what a client sends, a deterministic byte stream of any
//     length, and the check of its reply byte for byte;
//   - the clients that are more than a dial: SmallReceive, SendOnly,
//     CloseWrite, Reset, Ping, Dial;
//   - Child: the test binary run again as a helper process;
//   - Poll and WaitFor: the bounded waits for what moves on other
//     goroutines or in other processes.
//
// It imports nothing of upcase-gnet but codec, so that the tests inside
// package server can use it too; a real server started for a test is
// package servertest.
package testkit
