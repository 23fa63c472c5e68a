package client_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/client"
)

func TestBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []client.Config{
		{Bytes: -1},
		{Network: "udp"},
		{Network: "unix"},
		{StallTimeout: -time.Second},
		{ChunkSize: -1},
	} {
		if _, err := client.Run(context.Background(), cfg); err == nil || !strings.HasPrefix(err.Error(), "client: ") {
			t.Errorf("Run(%+v) = %v; want a client: error", cfg, err)
		}
	}
}
