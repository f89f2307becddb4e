// Package emulator is an in-process and stand-alone emulator of the Salesforce
// Agentforce Agent API (v1) and the OAuth 2.0 client-credentials token
// endpoint that guards it. The reference is agent-api.md; sections are cited
// as §N. Where the reference is silent the emulator's choice is marked [A].
//
// One loopback HTTP server answers:
//
//	POST   /services/oauth2/token                               client credentials (§7)
//	POST   /einstein/ai-agent/v1/agents/{id}/sessions           Start Session (§1, §2, §4)
//	POST   /einstein/ai-agent/v1/sessions/{sid}/messages        Send Message, synchronous (§1)
//	POST   /einstein/ai-agent/v1/sessions/{sid}/messages/stream Send Message, server-sent events (§1)
//	DELETE /einstein/ai-agent/v1/sessions/{sid}                 End Session, x-session-end-reason required (§1)
//	POST   /einstein/ai-agent/v1/sessions/{sid}/feedback        Submit Feedback, 202 (§1)
//	       /__admin/...                                         admin API (below)
//
// The org (My Domain, Agentforce on/off, agents, client apps, rate limit,
// token lifetime, faults) comes from an org file (YAML or JSON, schema
// schemas/emulator-org.schema.json, loaded by LoadOrg) or from DefaultOrg.
//
// # Behaviours
//
// Every error answer is the documented body {status, path, requestId, error,
// message, timestamp} with requestId echoed in X-Request-ID (§5). With the
// org's errorStyle "live" it is the body recorded from live orgs instead:
// …Exception classes (NotFoundException, UnauthorizedException, …), mode
// "unknown", expected (true below 500), a path v6.0.0/…, and a malformed
// agent ID answers 500 HttpServerErrorException (§5). Start
// Session checks, in this order:
//
//	401 UnauthorizedError     token missing, malformed, not issued here, revoked or expired (§5)
//	429 TooManyRequestsError  over the org's rateLimit; Retry-After in seconds [A] (§5)
//	403 ForbiddenError        an edition other than Enterprise, Performance, Unlimited or Developer,
//	                          no Lightning Experience (§6.2), Agentforce off, run-as user without
//	                          Manage AI Agents, or token without chatbot_api/sfap_api (§6, §7; 403 is
//	                          the emulator's choice [A])
//	400 BadRequestError       "<id> is not a valid agent ID" (§5)
//	500                       "Unsupported Media Type" for a Content-Type other than application/json (§8)
//	413 PayloadTooLargeError  body over 1 MiB [A]
//	400 BadRequestError       malformed JSON, a member named twice or nesting past 128 levels [A];
//	                          `Unrecognized field "<name>"` for the first unknown member
//	                          in document order, at any depth (§2 Strictness); then the first
//	                          violation of schemas.StartSessionRequest
//	500 EngineConfigLookupException  instanceConfig.endpoint is not the org's My Domain (§8)
//	404 NotFoundError         no such agent (§5)
//	403 ForbiddenError        the org lacks the add-on licence for the agent's type (§6.2) [A]
//	422 RequestProcessingException   "Cannot determine the active version for the agent" (§5)
//	400 BadRequestError       "Invalid user ID provided on start session: " — bypassUser true on an
//	                          employee agent (§8)
//	400 BadRequestError       a declared variable sent with another type [A]
//	503 ServiceUnavailable    the org's maxSessions live sessions exist already [A]
//	200                       sessionId, _links (self null, messages, messagesStream, session, end),
//	                          one greeting Inform; header x-session-mode: default (§4)
//
// Start Session is not idempotent: every accepted request creates a new
// session, even with an externalSessionKey seen before (§9 question 5 [A]),
// so State().SessionsCreated shows whether a client's retry made two.
//
// Session operations answer 404 NotFoundException "V6Session not found for
// sessionId: <id>" for unknown, ended or idle-expired sessions (§8) and 423
// ServerBusyError while another request on the same session is in flight
// (§5, §8). Variables (§3): with no declared variables every variable sent
// is applied; otherwise declared settableByApi ones are applied and the rest
// ignored (what the live API does with them is not documented: agentshape
// assumes it ignores them, §3 [A]).
//
// Send Message takes every documented message type (Text, Reply, Cancel,
// TransferFailed, TransferSucceeded, PlanTemplate, §13) and answers each with
// an Inform of its own wording [A]; a variable's value may be a string or the
// JSON value its type documents (§13).
//
// The streaming endpoint requires Accept: text/event-stream (400 otherwise
// [A]) and sends, when the agent has a streamScript, exactly the events it
// lists (any documented type, VALIDATION_FAILURE_CHUNK included, §12), and
// otherwise one TEXT_CHUNK event per word (formatType Text), then INFORM,
// then END_OF_TURN, each as "event: NAME\ndata: {timestamp, originEventId,
// traceId, offset, message}\n\n", flushed as produced (§1, §12; framing [A]).
//
// # Faults
//
// A Fault (org file "faults", Handler.InjectFault, or the admin API) adds
// latency, answers an error burst (next Count requests get Status with the
// documented body for it, optional Retry-After), or drops the connection;
// with AfterProcessing the request takes effect first (the session exists,
// the answer is lost; not with Status 401, which says the request was not
// applied). Latency at or over the org's requestTimeout (120 s
// by default) answers 500 (§8).
//
// # Admin API
//
// On the same server, unless Options.DisableAdmin:
//
//	GET    /__admin/state            counters (sessionsCreated, ...), org summary, faults (State)
//	POST   /__admin/reset            drop sessions and counters; restore the start-up org and faults
//	GET    /__admin/org              current org (client secrets redacted)
//	PUT    /__admin/org              replace the org (YAML or JSON, as the org file); sessions stay
//	PATCH  /__admin/org              {"agentforceEnabled":false,"tokenLifetime":"1s","rateLimit":{...}|null,...}
//	PATCH  /__admin/agents/{id}      {"activeVersion":false,"type":"employee","replyDelay":"2s",...}
//	GET    /__admin/faults           active faults with seen/fired counters
//	PUT    /__admin/faults           replace faults (JSON array of Fault)
//	POST   /__admin/faults           add one fault (JSON Fault); answers {"id":N}
//	DELETE /__admin/faults           remove every fault
//	GET    /__admin/sessions         live sessions (SessionInfo)
//	POST   /__admin/tokens           mint a token without the secret: {"clientId":"...","lifetime":"-1s"}
//	POST   /__admin/tokens/revoke    invalidate every token issued so far
//	POST   /__admin/provider-states  Pact provider state change (below)
//
// Admin errors are {"error": "..."} with 400, 404, 405 or 413 (a JSON body
// over 4 MiB, an org over 64 KiB: inputlimit's caps, refused before the body
// is read whole). Bodies go through the same checks as files: no member named
// twice, no nesting past 128 levels, org documents pre-scanned before go-yaml.
//
// # Pact provider states
//
// POST /__admin/provider-states takes the body the standard Pact verifiers
// send to their --state-change-url, {"state", "params", "action"}. "setup"
// (or no action) puts the emulator into the named state (ProviderStates
// lists them, the State* constants describe them) and answers a JSON object
// of values the verifier injects into the request through fromProviderState
// generators: accessToken, and for session states sessionId and sequenceId.
// A setup first restores the start-up org, then makes it the state's whole
// situation: Agentforce on, no faults, no rate limit, the params' client app
// (clientId, clientSecret) and agent (agentId) present and working, My
// Domain from params.myDomain. Without params it uses the start-up org's
// first client app and agent. "teardown" restores the start-up org.
//
// POST / (MessagePath, with the admin API) is the Pact message producer: the
// standard verifier posts {"description", "providerStates"} there for each
// asynchronous message of a pact, and the emulator answers the data of one
// streamed event of the kind a provider state's params.event names
// (StreamEvents, §12), built as its streaming endpoint builds events, with
// {"event": NAME} as the message metadata (Pact-Message-Metadata header).
//
// # Safety
//
// Start refuses non-loopback addresses unless Options.AllowRemote. Access
// tokens are HMAC-signed JWT-shaped strings with a per-process key; neither
// tokens nor client secrets reach a log or an error answer.
package emulator
