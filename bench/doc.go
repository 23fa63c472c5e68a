// Package bench measures the two engines of package server beside the two
// minimal reference servers of package floor (bare gnet and bare
// goroutine), each run as `upcase-gnet serve` in a child process of its
// own, so that the memory measured is the server's alone. It has
// benchmarks only, no tests: `go test ./...` builds it and runs nothing.
//
// Run them with
//
//	go test -run '^$' -bench . -benchtime 1x -count 3 ./bench/
//
// (-benchtime 1x: each benchmark is one round, a few seconds; a longer
// benchtime repeats rounds and pools them). The command is built once per
// run with `go build`, so the go command must be on PATH. Add
// -bench 'Idle/gnet/' or -bench 'Accept/bare-' to pick servers.
//
// The benchmarks, each at N = 1,000 and 10,000 connections and for each of
// gnet, goroutine, bare-gnet and bare-goroutine:
//
//   - BenchmarkIdle/SERVER/N (Linux only: it reads /proc): the server's
//     resident memory (VmRSS) before N connections are opened, one after
//     another from the benchmark process, and again 2 s after the last
//     connect, once the server holds all N. It reports B/conn, the growth
//     over N, and base-KiB, the server's RSS before them. No byte is sent:
//     the connections are idle from the start.
//   - BenchmarkAccept/SERVER/N: N new connections started at once against
//     a running server, each of which connects, sends one 16-byte message
//     and reads its reply. It reports max-ms, p99-ms and p50-ms, the time
//     from the common start to each reply: the accept queue, the server's
//     accept path and the dialing client on the same machine all count in
//     it. dialed-ms is when the last connect returned, the client's own
//     spread: at 10,000 on two cores the client's connects and its
//     scheduler (10,000 goroutines ready to run before the ones whose reply
//     has come) take most of the time, and the servers differ little.
//
// Traffic goes to 127.0.0.1 only. The benchmark process raises its soft
// open-file limit to the hard one: it holds N connections, the server N
// more in its own process. The figures are rough on a shared machine;
// compare them within one run.
package bench
