// Command session-key is the wasm build of the session-key example plugin: it
// sets externalSessionKey to a random or conversation-derived UUID. The logic
// lives in the importable package ./sessionkey.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o session-key.wasm ./plugins/examples/session-key
package main

import (
	"github.com/agentshape/agentshape/plugins/examples/session-key/sessionkey"
	"github.com/agentshape/agentshape/plugins/kits/go/shapekit"
)

func init() { shapekit.Register(sessionkey.Shape) }

func main() {}
