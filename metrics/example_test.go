package metrics_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/upcase-gnet/upcase-gnet/metrics"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// ExampleServe serves a running server's metrics on a free port.
func ExampleServe() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := server.Start(ctx, server.Config{Address: "127.0.0.1:0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ep, err := metrics.Serve(ctx, "127.0.0.1:0", metrics.NewRegistry(srv), metrics.Options{Pprof: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := http.Get("http://" + ep.Addr().String() + metrics.Path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output: 200
}
