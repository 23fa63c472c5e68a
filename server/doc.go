// Package server serves the uppercase echo of the classic teaching example on
// one of two engines behind one Config and one shape: gnet v2's event loop
// (engine.Gnet) or one goroutine per connection on Go's net package (engine.Goroutine).
// Both use package codec, so for the same bytes in they send the same bytes
// out.
//
// The package never prints: it logs through Config.Logger, reports each
// connection through Config.Hooks and counts everything in Stats.
package server

// The package, file by file:
//   - config.go: Config, its defaults and their checks (withDefaults), Hooks;
//   - server.go: Start and the lifecycle both engines share (Addr, Config,
//     Done, Wait, Stats);
//   - stats.go: Stats and the live counters behind it, admission included;
//   - closereason.go: why a connection closes (CloseReason);
//   - listen.go, accept.go: binding (TCP or a unix socket) and the accept
//     loop both engines use;
//   - limits.go, memory*.go: the defaults drawn from the machine (open-file
//     limit, memory);
//   - sockerr.go: a socket's pending error (a reset seen at close);
//   - logging.go: log lines that come by the thousand, without flooding;
//   - goroutine.go: the goroutine engine;
//   - gnet*.go: the gnet engine (gnet.go lists its files).
