// Package load drives many connections at an uppercase echo server and
// measures what it sees: connection set-up, throughput, round-trip latency
// from an HDR histogram, errors by kind, and the generator's own CPU cost.
//
// Run dials Config.Conns connections, runs traffic for Config.Warmup
// (unmeasured) and Config.Duration (measured), drains what is still owed
// and returns a Result; NewTextReporter and NewJSONReporter render it. Every
// byte back is checked against the uppercase of what was sent, and every
// failure is counted by kind in Result.Errors, never dropped.
//
// A run that needs more open files than one process may hold is split over
// worker processes (Config.WorkerCommand, ServeWorker) that start their
// traffic together and whose results Merge adds up exactly, histograms
// included.
//
// In pingpong over loopback TCP about nine tenths of the generator's CPU is
// the kernel's work for one write and one read a message, the same work the
// server does: a generator cannot spend much less per message than the
// server it drives, so compare Result.GeneratorCPUPerMsg with the server's
// before reading a pingpong throughput as the server's.
package load
