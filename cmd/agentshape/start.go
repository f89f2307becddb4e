package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape"
	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/internal/flowbody"
	"github.com/agentshape/agentshape/internal/shaper"
)

// Environment variables that select a real org for `start`.
const (
	envMyDomain     = agentshape.EnvMyDomain
	envClientID     = agentshape.EnvClientID
	envClientSecret = agentshape.EnvClientSecret
	envAPIBaseURL   = agentshape.EnvAPIBaseURL
	envTokenURL     = agentshape.EnvTokenURL // optional override of <my-domain>/services/oauth2/token (e.g. `agentshape emulator`)
)

// startReport is what `start` prints: the Start Session outcome, plus the
// End Session outcome with --end.
type startReport struct {
	*agentapi.Outcome
	// End is the End Session outcome (--end only).
	End *agentapi.Outcome `json:"end,omitempty"`
}

func (c *cli) newStartCmd() *cobra.Command {
	var (
		manifestPath, contextPath, requestPath, agentID string
		flowBodyPath, tenantKeyID, orgPath              string
		end, retryUnsafe                                bool
		timeout                                         time.Duration
		rf                                              runtimeFlags
		reg                                             registryFlags
	)
	cmd := &cobra.Command{
		Use:   "start (--manifest PIPELINE.yaml --context CONTEXT.json | --flow-body BODY.json) [--agent-id ID] [--request BASE.json] [--org ORG.yaml] [--end]",
		Short: "Shape, validate and send the Start Session request; print the outcome",
		Long: `start runs the plugin pipeline over the Start Session request (as "shape" does), validates the
result against the Agent API schema, sends it and prints the outcome as JSON on stdout, shaped like the
Flow "Start Session" action's outputs: "output" is "200", "400 Exception" … "503 Exception" or
"Default Exception", with "responseCode", "message", "rawBody" and, on 200, "session".

With --flow-body, start does what the Flow action does with its New Session Request Body: it reads the
body as a flow holds it, in Help's form (externalSessionKey, instanceConfig.endpoint,
message.TextVariable.name/text) or in the External Services form a Flow debug log prints (X_set flags,
z0type, one wrapper such as TextVariable or NumberVariable per variable), maps it to the Agent API body
(agent-api.md §6, §6.1) and sends that; no manifest is needed. A member whose _set flag is false is left
out, as Flow leaves it out; a variable holding two kinds is refused with Flow's own error ("The
polymorphic object … expects only one property"). With --manifest too, the mapped body is the base the
plugins shape further (--context then defaults to an empty context). "agentshape validate --schema
flow-start-session-request BODY.json" accepts exactly the bodies start --flow-body maps.

The action's Tenant Key ID input (sent as the header x-sfdc-tenant-id) is reserved for Salesforce's
internal use: --tenant-key-id exists so that a flow's inputs can be given as they are, and anything but
empty is refused (exit 3) with that reason.

Where it sends:
  SF_MY_DOMAIN, SF_CLIENT_ID and SF_CLIENT_SECRET set: the org at SF_MY_DOMAIN (OAuth client
    credentials against <my-domain>/services/oauth2/token), Agent API at SF_API_BASE_URL
    (default https://api.salesforce.com; Government Cloud: https://api.gov.salesforce.com).
    SF_TOKEN_URL overrides the token endpoint (e.g. to use a stand-alone "agentshape emulator":
    SF_TOKEN_URL=http://127.0.0.1:PORT/services/oauth2/token SF_API_BASE_URL=http://127.0.0.1:PORT).
  none of them set: an embedded Agent API emulator on a loopback port with its demo org
    (My Domain https://example-co.my.salesforce.com, agent 0XxAA0000000001AAA); stderr says so.
  --org ORG.yaml: the embedded emulator serves the org that file describes instead, in the
    emulator-org format of "conformance --org" and "emulator --org" ("agentshape emulator
    --print-org" is the template): its My Domain is the only instanceConfig.endpoint it answers
    to, its agents' variable declarations fix each variable's type, and start takes a token as
    its first client app. As in the conformance gate, the file's injected faults and rate limit
    are left out (stderr says so; "agentshape emulator --org" serves them). --org with SF_MY_DOMAIN,
    SF_CLIENT_ID or SF_CLIENT_SECRET set is refused: they select a real org. The conformance
    gate's reproducer for an end-to-end failure is a start --org over the pipeline up to the
    plugin it blames, which exits 4 as the gate's Start Session failed.

Retries: Start Session is not idempotent, so it is repeated only after answers that prove no session
was created (a connection refused before anything was sent; a 401, once, with a new token). A 423,
429 or 503 is reported, not repeated: it does not prove that no session was created (a 503 may come
after the agent ran Apex or Flow). --retry-unsafe repeats those too. WARNING: with --retry-unsafe
one start can create two or more sessions. See docs/agent-api.md §10.

With --end the session is ended right away (x-session-end-reason: UserRequest) and the output gains
an "end" member with that call's outcome.

The agent is --agent-id or, without it, the context's agentId (stderr says so); both given and
different is a usage error. Plugins see that agent as the context's agentId; the context's
org.myDomain defaults to the target's My Domain.

Plugins in OCI registries (path: oci://REGISTRY/REPOSITORY:TAG@sha256:DIGEST, published with
"plugin push") are pulled once into the plugin cache and verified against the digest and the
entry's sha256 before they are compiled; later runs need no network, and --offline uses only
the cache. A registry failure or a refused artifact exits 1; a tag without a digest (unless the
manifest sets allowUnpinnedTags: true) or a pin that contradicts the digest exits 2.

Exit codes: 0 the API answered 200; 1 a plugin failed; 2 bad flags or unreadable input;
3 the shaped request, the Flow body, the Tenant Key ID or the agent ID is invalid and nothing was
sent; 4 the API answered with an exception; 5 the API could not be reached.`,
		Example: `  agentshape start --manifest plugins/examples/pipeline.yaml --agent-id 0XxAA0000000001AAA --context plugins/examples/context.json
  agentshape start --flow-body new-session-request-body.json --agent-id 0XxAA0000000001AAA
  SF_MY_DOMAIN=https://acme.my.salesforce.com SF_CLIENT_ID=... SF_CLIENT_SECRET=... \
    agentshape start -m pipeline.yaml --agent-id 0Xx... -c ctx.json --end`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if err := positive("--timeout", timeout, "the API's own limit is 120s, the default"); err != nil {
				return err
			}
			if err := startInputs(manifestPath, contextPath, requestPath, flowBodyPath); err != nil {
				return err
			}
			if err := flowbody.CheckTenantKeyID(tenantKeyID); err != nil {
				return withCode(exitInvalid, fmt.Errorf("--tenant-key-id: %w; nothing was sent", err))
			}
			if err := checkAgentIDFlag(agentID); err != nil {
				return err
			}
			if err := oneStdin(contextPath, requestPath); err != nil {
				return err
			}
			if contextPath == "-" && flowBodyPath == "-" {
				return withCode(exitUsage, errors.New("--context and --flow-body both read stdin (\"-\"); stdin holds one document: pass a file for one of them"))
			}
			var actx abi.Context
			if contextPath != "" {
				if err := c.readJSONFile(contextPath, "--context", &actx, true); err != nil {
					return withCode(exitUsage, err)
				}
			}
			var base json.RawMessage
			if requestPath != "" {
				var err error
				if base, err = c.readObjectFile(requestPath, "--request"); err != nil {
					return withCode(exitUsage, err)
				}
			}
			var flowBody []byte
			if flowBodyPath != "" {
				var err error
				if flowBody, err = c.readDocument(flowBodyPath, "--flow-body"); err != nil {
					return withCode(exitUsage, err)
				}
			}
			org, embedded, err := c.startTarget(orgPath)
			if err != nil {
				return withCode(exitUsage, err)
			}
			var myDomain string
			if org != nil {
				myDomain = org.MyDomain
			} else {
				myDomain = embedded.MyDomain
			}
			if agentID, err = resolveAgentID(cmd.ErrOrStderr(), agentID, actx.AgentID, contextPath); err != nil {
				return err
			}
			actx.AgentID = agentID
			if actx.Org.MyDomain == "" {
				actx.Org.MyDomain = myDomain
			}
			if flowBody != nil {
				if base, err = flowbody.ToWire(flowBody, flowbody.Options{MyDomain: myDomain}); err != nil {
					return withCode(exitInvalid, fmt.Errorf("--flow-body %s: %w; nothing was sent", flowBodyPath, err))
				}
			}

			opts := rf.options(manifestPath, &reg, c.logger)
			opts.Org, opts.Timeout, opts.RetryUnsafe = org, timeout, retryUnsafe
			if org == nil {
				opts.EmulatorOrg = embedded
			}
			h, err := agentshape.New(ctx, opts)
			if err != nil {
				return withCode(setupCode(err), err)
			}
			defer h.Close(ctx)
			// Without a manifest the mapped Flow body is checked as it is
			// (a pipeline of no plugins).
			req, err := h.Shape(ctx, actx, base)
			if err != nil {
				var inv *agentshape.InvalidError
				if errors.As(err, &inv) {
					return withCode(exitInvalid, err)
				}
				return withCode(exitFailure, err)
			}
			if manifestPath != "" {
				for _, a := range req.Advice() {
					c.logger.Warn("advice: " + shaper.Describe(a))
				}
			}
			if ep := endpointOf(req.Body()); ep != "" && !strings.EqualFold(strings.TrimRight(ep, "/"), strings.TrimRight(myDomain, "/")) {
				fmt.Fprintf(cmd.ErrOrStderr(), "agentshape: warning: instanceConfig.endpoint %q is not the My Domain %q the token comes from; the API answers 500 EngineConfigLookupException (agent-api.md §8): check the context's org.myDomain\n", ep, myDomain)
			}

			if org == nil {
				url, err := h.EmulatorURL(ctx)
				if err != nil {
					return withCode(exitFailure, err)
				}
				app := embedded.ClientApps[0].ClientID
				if orgPath == "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "agentshape: %s, %s and %s are not set: using the embedded Agent API emulator at %s (org %s, client app %s)\n",
						envMyDomain, envClientID, envClientSecret, url, myDomain, app)
				} else {
					left := ""
					if len(embedded.Faults) > 0 || embedded.RateLimit != nil {
						left = fmt.Sprintf("; its injected faults and rate limit are left out, as the conformance gate leaves them out (agentshape emulator --org %s serves them)", orgPath)
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "agentshape: using the embedded Agent API emulator at %s as the org in %s (My Domain %s, client app %s)%s\n",
						url, orgPath, myDomain, app, left)
				}
			}

			out, err := h.StartRequest(ctx, agentID, req)
			rep := startReport{Outcome: out}
			code := outcomeCode(err)
			if code == exitOK && end {
				endOut, endErr := h.End(ctx, out.Session.SessionID, agentshape.EndUserRequest)
				rep.End = endOut
				if endErr != nil {
					code, err = outcomeCode(endErr), fmt.Errorf("the session started but ending it failed: %w", endErr)
				}
			}
			if rep.Outcome != nil {
				if werr := writeJSON(cmd.OutOrStdout(), rep); werr != nil {
					return withCode(exitFailure, werr)
				}
			}
			return withCode(code, err)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&manifestPath, "manifest", "m", "", "pipeline manifest (YAML; plugin paths relative to it); optional with --flow-body")
	f.StringVar(&agentID, "agent-id", "", "the agent's ID (0Xx…, 15 or 18 characters, from the agent details page URL); default: the context's agentId")
	f.StringVarP(&contextPath, "context", "c", "", "context JSON file passed to every plugin (\"-\" reads stdin); required with --manifest unless --flow-body is given")
	f.StringVarP(&requestPath, "request", "r", "", "base request JSON to start from (default {}); not with --flow-body")
	f.StringVar(&flowBodyPath, "flow-body", "", "the Flow action's New Session Request Body (JSON, Help's or the External Services form; \"-\" reads stdin): mapped to the Agent API body and sent")
	f.StringVar(&tenantKeyID, "tenant-key-id", "", "the action's Tenant Key ID input (header x-sfdc-tenant-id): reserved for Salesforce's internal use, so anything but empty is refused")
	f.StringVar(&orgPath, "org", "", "run the embedded emulator as the org in this emulator-org file (YAML or JSON; template: agentshape emulator --print-org) instead of the demo org; not with SF_* credentials")
	f.BoolVar(&end, "end", false, "end the session after it started (x-session-end-reason: UserRequest)")
	f.DurationVar(&timeout, "timeout", agentapi.DefaultTimeout, "timeout of each API request (the API's own limit is 120s)")
	f.BoolVar(&retryUnsafe, "retry-unsafe", false, "also repeat Start Session after 423, 429 and 503 answers; WARNING: these do not prove no session was created, so this can start a second session")
	rf.register(f)
	reg.register(f, true)
	return cmd
}

// startInputs checks which inputs start was given: a pipeline (--manifest
// with --context) or a Flow body (--flow-body), or both; --flow-body is the
// base request, so --request cannot go with it.
func startInputs(manifestPath, contextPath, requestPath, flowBodyPath string) error {
	switch {
	case manifestPath == "" && flowBodyPath == "":
		return withCode(exitUsage, errors.New("nothing to send: pass --manifest and --context to shape the request with plugins, or --flow-body with the Flow action's New Session Request Body"))
	case flowBodyPath != "" && requestPath != "":
		return withCode(exitUsage, errors.New("--flow-body and --request both give the base request: pass one of them"))
	case manifestPath != "" && contextPath == "" && flowBodyPath == "":
		return withCode(exitUsage, errors.New("--manifest needs --context: the context file every plugin sees (see plugins/examples/context.json)"))
	case manifestPath == "" && (contextPath != "" || requestPath != ""):
		return withCode(exitUsage, errors.New("--context and --request are inputs of the plugins: pass --manifest too, or leave them out with --flow-body"))
	}
	return nil
}

// endpointOf returns instanceConfig.endpoint of a Start Session body, or "".
func endpointOf(body json.RawMessage) string {
	var b struct {
		InstanceConfig struct {
			Endpoint string `json:"endpoint"`
		} `json:"instanceConfig"`
	}
	_ = json.Unmarshal(body, &b)
	return b.InstanceConfig.Endpoint
}

// outcomeCode maps a client error to the exit code of start.
func outcomeCode(err error) int {
	var ae *agentapi.APIError
	var re *agentapi.ResponseError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ae), errors.As(err, &re):
		return exitAPIError
	case agentapi.IsUnreachable(err):
		return exitUnreachable
	default:
		return exitFailure
	}
}

// startTarget returns the org named by the SF_* variables or, when none
// is set, the org the embedded emulator serves (embedded, non-nil when org
// is nil): the org in the emulator-org file orgPath, or the demo org when
// orgPath is "". An org file with SF_* credentials set is refused.
func (c *cli) startTarget(orgPath string) (org *agentshape.Org, embedded *emulator.Org, err error) {
	if orgPath != "" {
		if set := agentshape.OrgEnvSet(c.getenv); len(set) > 0 {
			verb := "are"
			if len(set) == 1 {
				verb = "is"
			}
			return nil, nil, fmt.Errorf("--org %s runs the embedded emulator as the org in that file, but %s %s set (%s, %s and %s select a real org): unset them to use --org, or drop --org to call the org they name",
				orgPath, strings.Join(set, ", "), verb, envMyDomain, envClientID, envClientSecret)
		}
		eo, err := emulator.LoadOrg(orgPath)
		if err != nil {
			return nil, nil, emulator.WithOrgTemplateHint("--org", err)
		}
		return nil, eo, nil
	}
	if org, err = agentshape.OrgFromGetenv(c.getenv); err != nil || org != nil {
		return org, nil, err
	}
	return nil, emulator.DefaultOrg(), nil
}
