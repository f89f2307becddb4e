// Command unchecked-attribute is a broken plugin for the conformance gate: it
// maps the user's "tier" attribute to the orderTier variable with an
// unchecked type assertion, which panics whenever the attribute is missing or
// not a string (an empty context, most generated cases). The Go kit turns
// the panic into the refusal code plugin_panic; the gate must count it as a
// fault of the scenario it happened in, not as a deliberate refusal
// (plugins/ABI.md §6).
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o unchecked-attribute.wasm ./plugins/testdata/broken/unchecked-attribute
package main

import "github.com/agentshape/agentshape/plugins/kits/go/shapekit"

func shape(env shapekit.Envelope) (shapekit.Request, error) {
	tier := env.Context.User.Attributes["tier"].(string) // the defect: no ", ok"
	req := env.Request
	vars, _ := req["variables"].([]any)
	req["variables"] = append(vars, map[string]any{"name": "orderTier", "type": "Text", "value": tier})
	return req, nil
}

func init() { shapekit.Register(shape) }

func main() {}
