package compare

import (
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// Children is what compare asks of the binary it runs as its child
// processes: the command line of a server and of a load generator, how a
// server says where it listens, and which of the environment a child would
// read as flags. The binary's command line owns all of it, beside the flags
// it names (cmd/upcase-gnet's children.go), as it owns a load worker's
// command in load.Config.WorkerCommand; compare spells none of it.
type Children interface {
	// ServeArgs are the arguments that make the binary serve eng on host,
	// at a free port it picks, with no line per connection, and with extra
	// after them. Its first line of standard output says where it listens.
	ServeArgs(eng engine.Name, host string, extra []string) []string
	// ListeningAt reads the address a server listens at, host:port, from
	// the first line it printed, or says why that line does not tell.
	ListeningAt(line string) (string, error)
	// LoadArgs are the arguments that make the binary run job (its
	// Address, Mode, Conns, Duration, Warmup, Size, Window, Rate and
	// SlowBytes), with extra after them, and print its load.Result as one
	// JSON object on standard output, whatever errors it counts. If
	// job.Progress is set, the child also prints its progress on standard
	// error, each load.Progress as one JSON object a line. Stopped with
	// SIGTERM, it prints the Result of what it measured until then.
	LoadArgs(job load.Config, extra []string) []string
	// Env is a child's environment made from this process's: without the
	// variables the binary would read as flags, so that a child's flags are
	// exactly those of its arguments.
	Env(environ []string) []string
}
