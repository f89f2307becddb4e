package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/agentshape/agentshape/host/abi"
	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/schemas"
)

// The end-to-end checks: shaped requests start sessions on the embedded
// Agent API emulator serving the org under test.

func (g *gate) startEmulator() error {
	if g.emu != nil {
		return nil
	}
	srv, err := emulator.Start(g.ctx, emulator.Options{Addr: "127.0.0.1:0", Org: g.org.emulatorOrg()})
	if err != nil {
		return fmt.Errorf("start the embedded emulator: %w", err)
	}
	g.emu = srv
	return nil
}

// client returns the run's Agent API client for the emulator (one token
// for every Start Session).
func (g *gate) client() (*agentapi.Client, error) {
	if g.api != nil {
		return g.api, nil
	}
	if g.emu == nil {
		return nil, errors.New("the emulator is not running")
	}
	app := g.org.clientApp()
	c, err := agentapi.New(agentapi.Config{
		MyDomain:     g.org.Org.MyDomain,
		TokenURL:     g.emu.URL + emulator.TokenPath,
		ClientID:     app.ClientID,
		ClientSecret: app.ClientSecret,
		APIBaseURL:   g.emu.URL,
		Retry:        agentapi.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		return nil, fmt.Errorf("agent API client for the emulator: %w", err)
	}
	g.api = c
	return c, nil
}

// startSession sends request with Start Session to the org's agent.
func (g *gate) startSession(request []byte) (*agentapi.Outcome, error) {
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	out, err := c.StartSession(g.ctx, g.org.Agent.ID, request)
	if out == nil {
		out = agentapi.OutcomeOf(err)
	}
	if out == nil {
		return nil, fmt.Errorf("Start Session on the emulator: %w", err)
	}
	return out, nil
}

func (s *scenario) validBaseForEmulator() {
	s.request = baseRequest(s.g.opts.Seed, -2, s.g.org.Org.MyDomain)
}

// emulatorCase is the case of the end-to-end scenario: a typical context
// whose org is the org under test, by URL.
func (s *scenario) emulatorCase() Case {
	return Case{Index: -1, Label: "the org under test", Context: s.context, Request: s.request}
}

func (s *scenario) shapeForEmulator() error {
	r, err := s.g.load()
	if err != nil {
		return err
	}
	s.context = typicalContext(s.g.org)
	s.context.Org = abi.Org{MyDomain: s.g.org.Org.MyDomain}
	a := r.shape(s.g.ctx, s.context, s.request)
	s.answers = []answer{a}
	if fs := s.g.faultsOf(s.emulatorCase(), a); len(fs) > 0 {
		return stepError(fs)
	}
	if a.Refusal != nil {
		return stepError([]Failure{s.g.failAt("e2e", "the plugin refused a context for the org under test: "+a.Refusal.Error(), a.Plugin, s.emulatorCase().Label, a)})
	}
	return nil
}

func (s *scenario) sendStartSession() error {
	out, err := s.g.startSession(s.answers[0].Request)
	if err != nil {
		return err
	}
	s.outcome = out
	return nil
}

func (s *scenario) outcomeIs(want string) error {
	if s.outcome == nil {
		return errors.New("no Start Session was sent")
	}
	if f := s.g.outcomeFailure(s.emulatorCase(), s.answers[0], s.outcome, want); f != nil {
		return stepError([]Failure{*f})
	}
	return nil
}

// sendAll sends every generated case's shaped request that is valid
// against the schema (the others already fail the schema scenario) with
// Start Session, once per run.
func (g *gate) sendAll() error {
	if g.sentDone {
		return nil
	}
	g.outcomes = make([]*agentapi.Outcome, len(g.cases))
	for i := range g.cases {
		req := g.run1[i][0].Request
		if req == nil {
			continue
		}
		if vs, err := schemas.Validate(schemas.StartSessionRequest, req); err != nil || len(vs) > 0 {
			continue
		}
		out, err := g.startSession(req)
		if err != nil {
			return err
		}
		g.outcomes[i] = out
	}
	g.sentDone = true
	return nil
}

func (g *gate) allOutcomes(want string) error {
	return g.collect(func(i int) []Failure {
		if out := g.outcomes[i]; out != nil {
			if f := g.outcomeFailure(g.cases[i], g.run1[i][0], out, want); f != nil {
				return []Failure{*f}
			}
		}
		return nil
	})
}

// outcomeFailure records a Start Session that took another output than
// want: it names the field the org refused and the plugin that last wrote
// it, and says what to do.
func (g *gate) outcomeFailure(c Case, a answer, out *agentapi.Outcome, want string) *Failure {
	if out.Output == want {
		return nil
	}
	msg := fmt.Sprintf("Start Session on the emulator took the %q output (response code %d: %s), want %q",
		out.Output, out.ResponseCode, out.Message, want)
	who := lastPlugin(a)
	ptr, why := g.org.offendingField(a.Request, out)
	if ptr != "" {
		who = blame(a, ptr)
		msg += fmt.Sprintf("; the offending field is %s, last written by plugin %q", ptr, who)
	}
	if why != "" {
		msg += ": " + why
	}
	f := Failure{Check: "e2e", Message: msg, Detail: "the request sent was " + preview(a.Request), Plugin: who, Case: caseLabel(c)}
	if k, ok := g.known(f); ok {
		return &k
	}
	g.writeEnvelope(&f, a)
	g.writeStartReplay(&f, c, a)
	f = g.fail(f)
	return &f
}

var (
	unrecognizedField = regexp.MustCompile(`^Unrecognized field "([^"]*)"`)
	invalidVariable   = regexp.MustCompile(`^Invalid value for field "variables\[(\d+)\]"`)
)

// offendingField finds the field of request that made the org's emulator
// answer out, with what to do about it; "" when the answer names none. The
// answer says which of the emulator's checks failed (host/emulator
// startSession); the request and the org say where.
func (o OrgUnderTest) offendingField(request []byte, out *agentapi.Outcome) (ptr, why string) {
	var doc map[string]any
	if json.Unmarshal(request, &doc) != nil {
		return "", ""
	}
	class := ""
	if out.ErrorBody != nil {
		class = out.ErrorBody.Error
	}
	switch {
	case class == "EngineConfigLookupException" || strings.Contains(out.Message, "EngineConfigLookupException"):
		ep, _ := valueOf(doc, "/instanceConfig/endpoint").(string)
		return "/instanceConfig/endpoint", o.endpointAdvice(ep)
	case strings.HasPrefix(out.Message, "Invalid user ID provided on start session"):
		return "/bypassUser", fmt.Sprintf("the org's agent %s is an employee agent, which refuses bypassUser: true (agent-api.md §8); leave bypassUser out or false for it%s", o.Agent.ID, o.orgHint("if your agent is a service agent"))
	case strings.HasPrefix(out.Message, "Variable "):
		vars, _ := doc["variables"].([]any)
		for i, v := range vars {
			m, _ := v.(map[string]any)
			name, _ := m["name"].(string)
			typ, _ := m["type"].(string)
			for _, d := range o.Agent.Variables {
				if d.Name == name && d.SettableByAPI && d.Type != typ {
					return fmt.Sprintf("/variables/%d/type", i), fmt.Sprintf("the variable %s is sent as %s, but the org's agent %s declares it as %s; send it as %s%s",
						name, typ, o.Agent.ID, d.Type, d.Type, o.orgHint("if your agent declares it as "+typ))
				}
			}
		}
	}
	if m := unrecognizedField.FindStringSubmatch(out.Message); m != nil {
		return memberPointer(doc, m[1], ""), ""
	}
	if m := invalidVariable.FindStringSubmatch(out.Message); m != nil {
		return "/variables/" + m[1], ""
	}
	return "", ""
}

// endpointAdvice explains an endpoint the org does not answer to.
func (o OrgUnderTest) endpointAdvice(endpoint string) string {
	if o.File == "" {
		return fmt.Sprintf("instanceConfig.endpoint is %q, but the gate checks against its built-in demo org (My Domain %s) because no --org was given. "+
			"If the plugin is meant for the org at %q, describe that org in an emulator-org file and pass it with --org ORG.yaml "+
			"(`agentshape emulator --print-org > org.yaml` is the template); a plugin for any org takes the My Domain from context.org.myDomain",
			endpoint, o.Org.MyDomain, endpoint)
	}
	return fmt.Sprintf("instanceConfig.endpoint is %q, but --org %s says the org's My Domain is %s: a plugin hard-coded to one org's My Domain fails on every other; "+
		"take it from context.org.myDomain, or fix --org if the file describes the wrong org", endpoint, o.File, o.Org.MyDomain)
}

// orgHint tells how to check against the org the plugin is really for, when
// the run used the demo org.
func (o OrgUnderTest) orgHint(when string) string {
	if o.File != "" {
		return ""
	}
	return " (this is the built-in demo org: " + when + ", describe your org with --org ORG.yaml)"
}

// valueOf returns the value at JSON pointer ptr in doc, or nil.
func valueOf(doc any, ptr string) any {
	v, _ := schemas.Resolve(doc, ptr)
	return v
}

// memberPointer returns the pointer of the first member called name in v
// (objects' members in sorted order, depth first), or "" when there is none.
func memberPointer(v any, name, at string) string {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x[name]; ok {
			return at + "/" + schemas.EscapeToken(name)
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if p := memberPointer(x[k], name, at+"/"+schemas.EscapeToken(k)); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := memberPointer(e, name, fmt.Sprintf("%s/%d", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}
