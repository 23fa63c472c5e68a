package server

import (
	"fmt"
	"log/slog"
)

// gnetLogger routes gnet's own log lines to the server's slog.Logger, so the
// library prints nothing by itself. gnet's Info lines (start-up banners) go
// to Debug.
type gnetLogger struct{ log *slog.Logger }

func (l gnetLogger) Debugf(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }
func (l gnetLogger) Infof(format string, args ...any)  { l.log.Debug(fmt.Sprintf(format, args...)) }
func (l gnetLogger) Warnf(format string, args ...any)  { l.log.Warn(fmt.Sprintf(format, args...)) }
func (l gnetLogger) Errorf(format string, args ...any) { l.log.Error(fmt.Sprintf(format, args...)) }
func (l gnetLogger) Fatalf(format string, args ...any) { l.log.Error(fmt.Sprintf(format, args...)) }

// gnetReadMin is the least gnet reads per read(2). The engine still
// processes (uppercases, counts, reports) at most Config.ReadSize bytes at a
// time, as the original does; but a read syscall and a poll pass per KiB
// were most of its CPU under streaming load (53% in read syscalls, 1 KiB
// each), and gnet's own default is 64 KiB. Measured here with `compare --pin
// --series stream-100` (noisy machine): server CPU per million messages
// 0.011-0.017 s with 64 KiB reads, 0.019-0.026 s with 16 KiB, 0.051-0.054 s
// with 1 KiB.
const gnetReadMin = 64 << 10

// gnetReadCap is the read buffer gnet will use for a read size: gnet rounds
// it up to a power of two, here of at least gnetReadMin.
func gnetReadCap(readSize int) int {
	c := gnetReadMin
	for c < readSize {
		c <<= 1
	}
	return c
}
