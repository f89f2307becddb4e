// Command context-vars is the wasm build of the context-vars example plugin:
// it fills the request's variables from the context. The logic lives in the
// importable package ./contextvars.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o context-vars.wasm ./plugins/examples/context-vars
package main

import (
	"github.com/agentshape/agentshape/plugins/examples/context-vars/contextvars"
	"github.com/agentshape/agentshape/plugins/kits/go/shapekit"
)

func init() { shapekit.Register(contextvars.Shape) }

func main() {}
