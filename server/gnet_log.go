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

// gnetReadCap is the read buffer gnet will use for a read size: gnet rounds
// it up to a power of two of at least 1 KiB (TestGnetAssumesReadCap). It is the most one read event
// takes, as the original's recv(1024): larger reads starved a light
// connection beside saturating streams (each poll pass grew with them), and
// would make the stream comparison with the goroutine engine, which reads
// at most ReadSize, one of read sizes. The engine batches writes instead
// (OnTraffic).
func gnetReadCap(readSize int) int {
	c := 1024
	for c < readSize {
		c <<= 1
	}
	return c
}
