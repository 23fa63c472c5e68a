package main

import (
	"reflect"
	"testing"

	"github.com/upcase-gnet/upcase-gnet/client"
	"github.com/upcase-gnet/upcase-gnet/compare"
	"github.com/upcase-gnet/upcase-gnet/load"
	"github.com/upcase-gnet/upcase-gnet/server"
)

// TestFieldTables: every row of a command's table names a flag of that
// command and a field of its library's Config that the flag's value can
// set, so that fill never reaches for what is not there.
func TestFieldTables(t *testing.T) {
	t.Parallel()
	app := newApp()
	for _, tc := range []struct {
		command string
		table   fields
		config  any
	}{
		{"serve", serveFlags, server.Config{}},
		{"client", clientFlags, client.Config{}},
		{"load", loadFlags, load.Config{}},
		{"compare", compareFlags, compare.Config{}},
	} {
		flags := map[string]bool{}
		for _, f := range app.Command(tc.command).Flags {
			flags[f.Names()[0]] = true
		}
		typ := reflect.TypeOf(tc.config)
		for _, r := range tc.table {
			if !flags[r.flag] {
				t.Errorf("%s: row %s names --%s, which %s does not have", tc.command, r.name, r.flag, tc.command)
			}
			if _, ok := typ.FieldByName(r.name); !ok {
				t.Errorf("%s: row --%s names %s, which %v does not have", tc.command, r.flag, r.name, typ)
			}
		}
	}
}
