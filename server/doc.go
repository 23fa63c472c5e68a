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
//   - gnet*.go: the gnet engine, each file one type, top floor first:
//     gnet.go (gnet's callbacks, start and stop), gnet_loop.go (one event
//     loop and its sweeper), gnet_park.go (its parked
//     connections), gnet_turns.go, gnet_list.go, gnet_finish.go (the
//     echo finished after OnClose), gnet_accept.go (handing connections to
//     gnet), gnet_conn.go (one connection), gnet_shared.go (what they all
//     share), gnet_finishers.go, gnet_chain.go and gnet_chunks*.go (held
//     output), gnet_watch*.go (writability), gnet_pending_*.go, gnet_log.go.
