// Package compare runs the same load series against both server engines and
// puts them side by side.
//
// Each engine's server runs as a child process of its own (this module's
// binary serving at a port it picks), and so does the load generator (the
// binary's load, printing its result as JSON), so that the server's memory
// and CPU, sampled from /proc while it runs, are the server's alone. The
// binary's command line owns the command lines of both children and the line
// a server prints once it listens; Config.Children hands them to compare.
// Engines run alternately, A B A B, for a number of rounds, and the report
// quotes the median of each measure and the median of the per-round ratios.
//
// The package never prints by itself: Run reports progress through
// Config.Log and returns a Report; WriteTable, WriteJSON, WriteChart and
// WriteHTML render it. Each run also keeps a Timeline, second by second,
// read from the server's samples and the load children's progress lines.
package compare
