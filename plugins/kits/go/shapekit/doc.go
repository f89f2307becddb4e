// Package shapekit is the Go kit for agentshape plugins (ABI v1, see
// plugins/ABI.md). A plugin author writes one function from the input
// envelope to the shaped Start Session request, or to a refusal:
//
//	package main
//
//	import "github.com/agentshape/agentshape/plugins/kits/go/shapekit"
//
//	func shape(env shapekit.Envelope) (shapekit.Request, error) {
//		domain := env.Context.Org.MyDomain
//		if domain == "" {
//			return nil, shapekit.Refuse("no_my_domain", "context.org.myDomain is empty: pass the org's My Domain name, e.g. acme")
//		}
//		// Set takes the path first, then the value.
//		if err := env.Request.Set("instanceConfig.endpoint", "https://"+domain+".my.salesforce.com"); err != nil {
//			return nil, err
//		}
//		return env.Request, nil
//	}
//
//	func init() { shapekit.Register(shape) }
//
//	func main() {}
//
// and builds it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o myplugin.wasm ./myplugin
//
// The kit does the rest: it exports the ABI marker (agentshape_abi_v1), alloc
// and shape, keeps the memory it hands to the host alive until the next call,
// decodes the envelope, encodes {"request":...} or {"error":{...}} and packs
// the output location into shape's i64 result. Log sends a message to the
// host's log through the agentshape.log import.
//
// The kit also builds natively (any GOOS): Register and Handle work the same
// there, so a plugin's logic can be unit-tested and benchmarked as ordinary Go
// without a wasm runtime; only the exports are wasm-only. The package example
// runs the shape function above through Handle.
//
// The kit is a Go module of its own that needs only the standard library;
// `agentshape plugin new NAME --lang go` writes a copy of it into the new
// project.
package shapekit
