package agentapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

// Start Session is not idempotent: with the default retry policy a call
// creates at most one session, whatever fault the emulator on 127.0.0.1
// injects (agent-api.md §10). The faults include the emulator's
// afterProcessing ones: the session is created, then the answer is replaced
// by an error or lost with the connection.

// defaultPolicy is DefaultRetryPolicy's choice of what to repeat (4
// attempts, RetryUnsafe off) with short waits, so the tests stay fast.
func defaultPolicy(cfg *agentapi.Config) {
	cfg.Retry = agentapi.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	cfg.Timeout = 5 * time.Second
}

// startFault is one way a Start Session can meet trouble in the emulator.
type startFault struct {
	name   string
	faults []emulator.Fault
	org    func(*emulator.Org)
	cfg    func(*agentapi.Config)
}

var (
	opsStart = []emulator.Operation{emulator.OpStart}
	opsToken = []emulator.Operation{emulator.OpToken}
)

// everyStartFault lists every kind of fault the emulator can inject on the
// way of a Start Session: every status it accepts (400–599), before and
// after the session is created, with and without Retry-After, once or on
// every request, on Start Session, on every operation and on the token
// endpoint; dropped connections; latency below and above the client's
// timeout and at the API's own limit; and the org's own refusals (rate
// limit, session cap).
func everyStartFault() []startFault {
	var cases []startFault
	for status := 400; status <= 599; status++ {
		for _, after := range []bool{false, true} {
			if after && status == 401 {
				continue // refused by the emulator: TestFaultAfterProcessing401Refused
			}
			for _, retryAfter := range []string{"", "0"} {
				for _, count := range []int{0, 1} {
					for _, ops := range [][]emulator.Operation{opsStart, opsToken} {
						cases = append(cases, startFault{
							name:   fmt.Sprintf("%s %d afterProcessing=%t retryAfter=%q count=%d", ops[0], status, after, retryAfter, count),
							faults: []emulator.Fault{{Operations: ops, Status: status, AfterProcessing: after, RetryAfter: retryAfter, Count: count}},
						})
					}
				}
			}
		}
	}
	for _, after := range []bool{false, true} {
		for _, count := range []int{0, 1} {
			for _, ops := range [][]emulator.Operation{opsStart, opsToken, nil} {
				cases = append(cases, startFault{
					name:   fmt.Sprintf("drop %v afterProcessing=%t count=%d", ops, after, count),
					faults: []emulator.Fault{{Operations: ops, Drop: true, AfterProcessing: after, Count: count}},
				})
			}
		}
	}
	short := func(cfg *agentapi.Config) { defaultPolicy(cfg); cfg.Timeout = 150 * time.Millisecond }
	return append(cases,
		startFault{name: "every operation 503 afterProcessing", faults: []emulator.Fault{{Status: 503, AfterProcessing: true}}},
		startFault{name: "503 afterProcessing after one success", faults: []emulator.Fault{{Operations: opsStart, Status: 503, AfterProcessing: true, Skip: 1}}},
		startFault{name: "latency below the client timeout", faults: []emulator.Fault{{Operations: opsStart, Latency: emulator.Duration(20 * time.Millisecond)}}},
		startFault{name: "latency then 503 afterProcessing", faults: []emulator.Fault{
			{Operations: opsStart, Latency: emulator.Duration(20 * time.Millisecond)},
			{Operations: opsStart, Status: 503, AfterProcessing: true, RetryAfter: "0"}}},
		startFault{name: "latency above the client timeout", cfg: short,
			faults: []emulator.Fault{{Operations: opsStart, Latency: emulator.Duration(time.Second), Count: 1}}},
		startFault{name: "latency above the client timeout, then the answer is lost", cfg: short,
			faults: []emulator.Fault{{Operations: opsStart, Latency: emulator.Duration(time.Second), Drop: true, AfterProcessing: true}}},
		startFault{name: "latency at the API's own limit (500)",
			org:    func(o *emulator.Org) { o.RequestTimeout = emulator.Duration(30 * time.Millisecond) },
			faults: []emulator.Fault{{Operations: opsStart, Latency: emulator.Duration(30 * time.Millisecond)}}},
		startFault{name: "org rate limit (429 with Retry-After)",
			org: func(o *emulator.Org) { o.RateLimit = &emulator.RateLimit{RequestsPerSecond: 0.001, Burst: 1} }},
		startFault{name: "org session cap (503)", org: func(o *emulator.Org) { o.MaxSessions = 1 }},
	)
}

// TestDefaultPolicyNeverDuplicatesASession: with the default policy, under
// every fault of everyStartFault, each Start Session creates at most one
// session, and exactly one when it reports success. Before Start Session
// stopped repeating 423, 429 and 503 by default, a 503 after processing
// made each call create up to 4.
func TestDefaultPolicyNeverDuplicatesASession(t *testing.T) {
	srv := startEmulator(t, nil)
	shared := emuClient(t, srv, defaultPolicy)
	ctx := context.Background()
	for _, tc := range everyStartFault() {
		srv.Reset()
		if tc.org != nil {
			if err := srv.UpdateOrg(func(o *emulator.Org) error { tc.org(o); return nil }); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		if err := srv.SetFaults(tc.faults); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		c := shared
		if tc.cfg != nil {
			c = emuClient(t, srv, tc.cfg)
		}
		for call := 1; call <= 2; call++ {
			before := srv.SessionsCreated()
			out, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
			created := srv.SessionsCreated() - before
			if created > 1 {
				t.Fatalf("%s, call %d: one Start Session created %d sessions (%d attempts; %v)", tc.name, call, created, out.Attempts, err)
			}
			if err == nil && (created != 1 || out.Session == nil) {
				t.Fatalf("%s, call %d: success reported, %d sessions created", tc.name, call, created)
			}
			var te *agentapi.TransportError
			if errors.As(err, &te) && te.MayHaveReached && agentapi.IsRetryable(err) {
				t.Fatalf("%s: a failure after the request was written counts as retryable: %v", tc.name, err)
			}
		}
		if tc.cfg != nil {
			c.Close()
		}
	}
}

// The reproduction: 50 concurrent Start Sessions against a server
// that creates each session and then answers 503. By default exactly 50
// sessions exist afterwards; RetryUnsafe repeats the calls and creates
// more, which is why it is an opt-in with a warning.
func TestLostAnswersUnderConcurrency(t *testing.T) {
	run := func(t *testing.T, cfg func(*agentapi.Config)) (created, requests int64) {
		srv := startEmulator(t, nil)
		injectStart(t, srv, emulator.Fault{Status: 503, AfterProcessing: true})
		c := emuClient(t, srv, cfg)
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
				if out == nil || out.ResponseCode != 503 {
					t.Errorf("want the 503, got %v %+v", err, out)
				}
			}()
		}
		wg.Wait()
		st := srv.State()
		return st.SessionsCreated, st.Requests["start"]
	}
	if created, requests := run(t, defaultPolicy); created != 50 || requests != 50 {
		t.Fatalf("default policy: 50 calls sent %d Start Sessions and created %d sessions; want 50 and 50", requests, created)
	}
	created, _ := run(t, func(cfg *agentapi.Config) { defaultPolicy(cfg); cfg.Retry.RetryUnsafe = true })
	if created != 200 {
		t.Fatalf("RetryUnsafe: 50 calls created %d sessions; want 200 (4 attempts each): the opt-in is documented to duplicate", created)
	}
}

// Send Message is not idempotent either: by default a 423, 429 or 503 is
// not repeated, even when the server took the message before answering.
// With RetryUnsafe the repeat reaches the server again — where the message
// was processed, the emulator refuses the repeated sequenceId with 400.
func TestSendMessageRepeatedOnlyWithRetryUnsafe(t *testing.T) {
	for _, status := range []int{423, 429, 503} {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d afterProcessing=%t", status, after), func(t *testing.T) {
				srv := startEmulator(t, nil)
				c := emuClient(t, srv, defaultPolicy)
				started, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
				if err != nil {
					t.Fatal(err)
				}
				sid := started.Session.SessionID
				fault := emulator.Fault{Operations: []emulator.Operation{emulator.OpSend, emulator.OpStream}, Status: status, AfterProcessing: after, Count: 1}
				if _, err := srv.InjectFault(fault); err != nil {
					t.Fatal(err)
				}
				out, err := c.SendMessage(context.Background(), sid, agentapi.TextMessage(1, "hi"))
				if out == nil || out.ResponseCode != status || out.Attempts != 1 || srv.State().Requests["send"] != 1 {
					t.Fatalf("default policy: %v %+v; want the %d after one attempt", err, out, status)
				}
				if !strings.Contains(err.Error(), "does not prove that the message was not processed") {
					t.Fatalf("the error should say why it was not repeated: %v", err)
				}
				if _, err := srv.InjectFault(fault); err != nil {
					t.Fatal(err)
				}
				uc := emuClient(t, srv, func(cfg *agentapi.Config) { defaultPolicy(cfg); cfg.Retry.RetryUnsafe = true })
				out, err = uc.SendMessageStream(context.Background(), sid, agentapi.TextMessage(2, "again"), nil)
				want := 200
				if after {
					want = 400 // the first attempt's sequenceId 2 was taken
				}
				if out == nil || out.ResponseCode != want || out.Attempts != 2 || srv.State().Requests["stream"] != 2 {
					t.Fatalf("RetryUnsafe: %v %+v; want %d on the second attempt", err, out, want)
				}
			})
		}
	}
}

// End Session is idempotent (DELETE): a 423, 429 or 503 is repeated by
// default. Where the first attempt did end the session, the repeat answers
// 404, and the error says an earlier attempt may have ended it.
func TestEndSessionRepeatedByDefault(t *testing.T) {
	for _, after := range []bool{false, true} {
		t.Run(fmt.Sprintf("503 afterProcessing=%t", after), func(t *testing.T) {
			srv := startEmulator(t, nil)
			c := emuClient(t, srv, defaultPolicy)
			started, err := c.StartSession(context.Background(), emulator.DemoAgentID, demoBody)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := srv.InjectFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpEnd}, Status: 503, AfterProcessing: after, Count: 1}); err != nil {
				t.Fatal(err)
			}
			out, err := c.EndSession(context.Background(), started.Session.SessionID, agentapi.EndUserRequest)
			if st := srv.State(); out.Attempts != 2 || st.Requests["end"] != 2 || st.SessionsEnded != 1 {
				t.Fatalf("%v %+v; want 2 attempts and the session ended once (state %+v)", err, out, st)
			}
			if !after {
				if err != nil || !out.OK() {
					t.Fatalf("%v %+v; want 200 on the repeat", err, out)
				}
				return
			}
			if out.ResponseCode != 404 || err == nil || !strings.Contains(err.Error(), "an earlier attempt may have ended the session") {
				t.Fatalf("%v %+v; want the repeat's 404 with a word on the earlier attempt", err, out)
			}
		})
	}
}
