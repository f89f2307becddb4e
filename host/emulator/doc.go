// Package emulator is an in-process and stand-alone emulator of the Salesforce
// Agentforce Agent API (v1) and the OAuth 2.0 client-credentials token
// endpoint that guards it.
//
// One loopback HTTP server answers:
//
//	POST   /services/oauth2/token                              client credentials (agent-api.md §7)
//	POST   /einstein/ai-agent/v1/agents/{id}/sessions          Start Session (§1, §2, §4)
//	POST   /einstein/ai-agent/v1/sessions/{sid}/messages       Send Message, synchronous (§1)
//	POST   /einstein/ai-agent/v1/sessions/{sid}/messages/stream Send Message, server-sent events (§1)
//	DELETE /einstein/ai-agent/v1/sessions/{sid}                End Session (§1)
//	POST   /einstein/ai-agent/v1/sessions/{sid}/feedback       Submit Feedback (§1)
//	       /__admin/...                                        admin API (state, reset, org, faults, tokens)
//
// The org the emulator pretends to be (My Domain, agents, client apps, rate
// limit, token lifetime, faults) comes from an org file (YAML or JSON, schema
// schemas/emulator-org.schema.json) or from DefaultOrg. Every documented error
// of agent-api.md §5 and §8 is reproduced with the documented status, error
// class and message; where the reference is silent the emulator's choice is
// marked [A] in the doc comments and in ADMIN.md-style docs of this package.
package emulator
