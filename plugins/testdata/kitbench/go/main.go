// Command kitbench is the Go half of the kit cost benchmark: the same logic
// as plugins/testdata/kitbench/c and plugins/testdata/kitbench/as (see
// plugins/testdata/kitbench/README.md), written with the Go kit.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o kitbench-go.wasm ./plugins/testdata/kitbench/go
package main

import "github.com/agentshape/agentshape/plugins/kits/go/shapekit"

func tagChannel(env shapekit.Envelope) (shapekit.Request, error) {
	channel := env.Context.Channel
	if channel == "" {
		return nil, shapekit.Refuse("no_channel", `context.channel is missing: pass the conversation's channel (e.g. "web") in the context`)
	}
	req := env.Request
	if tz := env.Context.User.Timezone; tz != "" {
		req["tz"] = tz
	}
	name, err := env.Plugin.Config.String("variable", "channel")
	if err != nil {
		return nil, err
	}
	v := map[string]any{"name": name, "type": "Text", "value": channel}
	vars, _ := req["variables"].([]any)
	for i, item := range vars {
		if obj, ok := item.(map[string]any); ok && obj["name"] == name {
			vars[i] = v
			req["variables"] = vars
			return req, nil
		}
	}
	req["variables"] = append(vars, v)
	return req, nil
}

func init() { shapekit.Register(tagChannel) }

func main() {}
