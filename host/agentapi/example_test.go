package agentapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

// Start a session against the emulator (a real org: set MyDomain, ClientID
// and ClientSecret, and leave TokenURL and APIBaseURL empty), then end it.
func Example() {
	srv, err := emulator.Start(context.Background(), emulator.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := agentapi.New(agentapi.Config{
		MyDomain:     emulator.DemoMyDomain,
		ClientID:     emulator.DemoClientID,
		ClientSecret: emulator.DemoClientSecret,
		TokenURL:     srv.URL + emulator.TokenPath, // emulator only
		APIBaseURL:   srv.URL,                      // emulator only
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	body := json.RawMessage(`{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
		"instanceConfig":{"endpoint":"` + c.MyDomain() + `"},"bypassUser":true}`)
	out, err := c.StartSession(context.Background(), emulator.DemoAgentID, body)
	var apiErr *agentapi.APIError
	switch {
	case errors.As(err, &apiErr):
		fmt.Println("exception:", out.Output, out.Message)
		return
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(out.Output, out.Session.Messages[0].Type)

	ended, err := c.EndSession(context.Background(), out.Session.SessionID, agentapi.EndUserRequest)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ended.Output, ended.Messages.Messages[0].Type)
	// Output:
	// 200 Inform
	// 200 SessionEnded
}

// Every non-200 answer is a Flow-style outcome and an *APIError.
func ExampleOutputFor() {
	for _, status := range []int{200, 400, 423, 500, 503} {
		fmt.Println(status, agentapi.OutputFor(status))
	}
	// Output:
	// 200 200
	// 400 400 Exception
	// 423 423 Exception
	// 500 Default Exception
	// 503 503 Exception
}
