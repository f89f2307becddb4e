// Package testnet holds network helpers for tests.
package testnet

import (
	"net"
	"testing"
)

// ClosedAddr returns a host:port on 127.0.0.1 where nothing listens any more
// (it was free a moment ago): a connection to it is refused before anything
// is written.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
