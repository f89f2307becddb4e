// Command go-without-c-shared is a correct Go plugin built the wrong way, for
// `agentshape plugin inspect` and the conformance gate: plugins/plugins.mk
// builds it WITHOUT -buildmode=c-shared (the marker below), so the module is a
// WASI program (_start, no _initialize) whose exports trap because the Go
// runtime was never initialised. Both must say so and give the build line.
//
// agentshape:no-c-shared
package main

import "github.com/agentshape/agentshape/plugins/kits/go/shapekit"

func init() {
	shapekit.Register(func(env shapekit.Envelope) (shapekit.Request, error) { return env.Request, nil })
}

func main() {}
