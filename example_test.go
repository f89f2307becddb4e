package agentshape_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/agentshape/agentshape"
)

// exampleContext reads the example context every plugin of the example
// pipeline sees.
func exampleContext() agentshape.Context {
	b, err := os.ReadFile("plugins/examples/context.json")
	if err != nil {
		log.Fatal(err)
	}
	var c agentshape.Context
	if err := json.Unmarshal(b, &c); err != nil {
		log.Fatal(err)
	}
	return c
}

// Shape runs the example pipeline over {} and prints the validated body.
// Deterministic mode fixes the clock and randomness plugins see, so the
// output is the same on every run.
func ExampleHandle_Shape() {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml", Deterministic: true})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	req, err := h.Shape(ctx, exampleContext(), nil)
	if err != nil {
		log.Fatal(err)
	}
	body, err := json.MarshalIndent(req, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(body))
	// Output:
	// {
	//   "externalSessionKey": "5e2e64ff-5de8-5d75-9ad4-8d8736f2db6d",
	//   "instanceConfig": {
	//     "endpoint": "https://example-co.my.salesforce.com"
	//   },
	//   "variables": [
	//     {
	//       "name": "$Context.EndUserLanguage",
	//       "type": "Text",
	//       "value": "de_DE"
	//     },
	//     {
	//       "name": "orderTier",
	//       "type": "Text",
	//       "value": "gold"
	//     },
	//     {
	//       "name": "isVip",
	//       "type": "Boolean",
	//       "value": "true"
	//     },
	//     {
	//       "name": "openOrders",
	//       "type": "Number",
	//       "value": "2"
	//     },
	//     {
	//       "name": "$Context.EndUserContactId",
	//       "type": "Ref",
	//       "value": "003AA000004Tb7mYAC"
	//     }
	//   ],
	//   "tz": "Europe/Berlin",
	//   "streamingCapabilities": {
	//     "chunkTypes": [
	//       "Text"
	//     ]
	//   },
	//   "bypassUser": true
	// }
}

// Start shapes the request and starts a session. No Org is set, so the
// session starts in the embedded Agent API emulator serving the demo org,
// whose agent is 0XxAA0000000001AAA.
func ExampleHandle_Start() {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	out, err := h.Start(ctx, "0XxAA0000000001AAA", exampleContext())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Output, out.ResponseCode, out.Session.SessionID != "")
	// Output: 200 200 true
}

// Send and End continue and close a session Start started, here in the
// embedded emulator.
func ExampleHandle_Send() {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	started, err := h.Start(ctx, "0XxAA0000000001AAA", exampleContext())
	if err != nil {
		log.Fatal(err)
	}
	id := started.Session.SessionID
	answer, err := h.Send(ctx, id, agentshape.Message{Type: "Text", SequenceID: 1, Text: "Where is my order?"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("send:", answer.Output, len(answer.Messages.Messages) > 0)
	ended, err := h.End(ctx, id, agentshape.EndUserRequest)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("end:", ended.Output)
	// Output:
	// send: 200 true
	// end: 200
}

// OrgFromEnv reads the org the agentshape command calls from SF_MY_DOMAIN,
// SF_CLIENT_ID and SF_CLIENT_SECRET; with none of them set it returns nil,
// and New then uses the embedded emulator.
func ExampleOrgFromEnv() {
	org, err := agentshape.OrgFromEnv()
	if err != nil {
		log.Fatal(err) // only some of the variables are set, or a URL is malformed
	}
	h, err := agentshape.New(context.Background(), agentshape.Options{Org: org})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(context.Background())
	fmt.Println(h.MyDomain() != "")
	// Output: true
}

// Explain also returns the draft and, for every field, the plugin that set
// it last (what "agentshape shape --explain" prints).
func ExampleHandle_Explain() {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml", Deterministic: true})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	shaped, err := h.Explain(ctx, exampleContext(), json.RawMessage(`{"tz": "UTC"}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(shaped.Provenance["/instanceConfig/endpoint"], shaped.Provenance["/tz"])
	// Output: endpoint timezone
}

// StartRequest sends a request Shape returned, e.g. after the caller logged
// or stored it.
func ExampleHandle_StartRequest() {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	c := exampleContext()
	req, err := h.Shape(ctx, c, nil)
	if err != nil {
		log.Fatal(err)
	}
	out, err := h.StartRequest(ctx, c.AgentID, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Output)
	// Output: 200
}

// New loads and compiles the pipeline's plugins once; a failure is a
// *SetupError saying which step failed. A Handle serves any number of
// concurrent Shape and Start calls until Close.
func ExampleNew() {
	ctx := context.Background()
	_, err := agentshape.New(ctx, agentshape.Options{Manifest: "no-such-pipeline.yaml"})
	var setup *agentshape.SetupError
	if errors.As(err, &setup) {
		fmt.Println("step:", setup.Step)
	}
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	fmt.Println("loaded")
	// Output:
	// step: manifest
	// loaded
}

// SendStream sends a message on the streaming endpoint and hands over each
// server-sent event as it arrives; the outcome comes when the stream ends.
func ExampleHandle_SendStream() {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	started, err := h.Start(ctx, "0XxAA0000000001AAA", exampleContext())
	if err != nil {
		log.Fatal(err)
	}
	events := map[string]int{}
	out, err := h.SendStream(ctx, started.Session.SessionID, agentshape.Message{Type: "Text", SequenceID: 1, Text: "Where is my order?"},
		func(e agentshape.StreamEvent) error {
			events[e.Type]++
			return nil
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Output, events["END_OF_TURN"])
	// Output: 200 1
}

// End closes a session; the reason goes in the x-session-end-reason header.
// An answer that is an exception comes back as the Outcome, with an error
// too: ending the same session again is a 404.
func ExampleHandle_End() {
	ctx := context.Background()
	h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml"})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)
	started, err := h.Start(ctx, "0XxAA0000000001AAA", exampleContext())
	if err != nil {
		log.Fatal(err)
	}
	ended, err := h.End(ctx, started.Session.SessionID, agentshape.EndUserRequest)
	if err != nil {
		log.Fatal(err)
	}
	again, err := h.End(ctx, started.Session.SessionID, agentshape.EndUserRequest)
	fmt.Println(ended.Output, "then", again.Output, err != nil)
	// Output: 200 then 404 Exception true
}
