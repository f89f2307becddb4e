// Command endpoint is the wasm build of the endpoint example plugin: it sets
// instanceConfig.endpoint to the org's My Domain URL. The logic lives in the
// importable package ./endpoint; this file only registers it with the kit.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o endpoint.wasm ./plugins/examples/endpoint
package main

import (
	"github.com/agentshape/agentshape/plugins/examples/endpoint/endpoint"
	"github.com/agentshape/agentshape/plugins/kits/go/shapekit"
)

func init() { shapekit.Register(endpoint.Shape) }

func main() {}
