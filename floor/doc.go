// Package floor holds the two minimal uppercase echo servers that the
// engines of package server are measured against: the floor each idiom
// sets, with nothing of the project's own on top (no budgets, limits,
// drain, counters or logs).
//
//   - Gnet is bare gnet v2: gnet.Run with WithMulticore(true) and
//     WithReadBufferCap(1024), and an OnTraffic that takes c.Next(-1),
//     uppercases it in place (codec.Upper) and c.Writes it.
//   - Goroutine is bare net: net.Listen, one goroutine a connection, a
//     1 KiB buffer, Read, codec.Upper, Write.
//
// Both are started with a context and a TCP address ("host:port"; port 0
// picks a free one), report the bound address (Addr), stop when the
// context is cancelled or Close is called, and report how they ended
// (Done, Wait) as server.Server does. They print nothing and never exit
// the process. `upcase-gnet serve --engine bare-gnet` (or bare-goroutine)
// runs them, and the benchmarks of package bench measure them beside the
// engines.
package floor
