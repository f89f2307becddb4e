package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	"github.com/agentshape/agentshape/host/emulator"
	"github.com/agentshape/agentshape/internal/flowbody"
	"github.com/agentshape/agentshape/schemas"
)

func (w *world) orgSteps(sc *godog.ScenarioContext) {
	sc.Step(`^an org "([^"]*)" with Agentforce enabled$`, func(name string) {
		org := w.ensureOrg()
		org.Name, org.MyDomain = name, myDomainOf(name)
	})
	sc.Step(`^the running user has the "Manage AI Agents" permission$`, func() {
		w.ensureOrg().ClientApps[0].RunAs.ManageAIAgents = true
	})
	sc.Step(`^the running user lacks the "Manage AI Agents" permission$`, func() {
		w.ensureOrg().ClientApps[0].RunAs.ManageAIAgents = false
	})
	sc.Step(`^an agent "([^"]*)" with an active version$`, func(id string) { w.agent(id).ActiveVersion = nil })
	sc.Step(`^an agent "([^"]*)" without an active version$`, func(id string) { no := false; w.agent(id).ActiveVersion = &no })
	sc.Step(`^the org is an? ([A-Za-z ]+) Edition org$`, func(edition string) { w.ensureOrg().Edition = edition })
	sc.Step(`^the org does not use Lightning Experience$`, func() { no := false; w.ensureOrg().LightningExperience = &no })
	sc.Step(`^the org holds the add-on licence for "([^"]*)" agents only$`, func(t string) {
		w.ensureOrg().AgentLicences = []emulator.AgentType{emulator.AgentType(t)}
	})
	sc.Step(`^Agentforce is turned off in the org$`, func() { off := false; w.ensureOrg().AgentforceEnabled = &off })
	// situations of the outcome catalogue
	sc.Step(`^the agent is an employee agent and the body bypasses the user$`, func() error {
		a := w.agent("0XxAA0000000002AAA")
		a.Type = emulator.EmployeeAgent
		return w.setFlowMember("bypassUser", true)
	})
	sc.Step(`^the Agent API refuses the access token$`, func() { w.fault(401, 0) })
	sc.Step(`^the org has no such agent$`, func() {})
	sc.Step(`^the agent has no active version$`, func() { no := false; w.agent("0XxAA0000000003AAA").ActiveVersion = &no })
	sc.Step(`^the Agent API is busy$`, func() { w.fault(423, 0) })
	sc.Step(`^the org is over its request limit$`, func() error {
		// a limit of one request per 1000 s, spent by one real call now
		w.ensureOrg().RateLimit = &emulator.RateLimit{RequestsPerSecond: 0.001, Burst: 1}
		w.agent("0XxAA0000000001AAA")
		body := []byte(fmt.Sprintf(`{"externalSessionKey":"8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d","instanceConfig":{"endpoint":%q}}`, w.ensureOrg().MyDomain))
		if err := w.startSession("0XxAA0000000001AAA", body, 1); err != nil {
			return err
		}
		if w.outcome == nil || w.outcome.Output != "200" {
			return fmt.Errorf("the request that spends the limit did not start a session: %+v", w.outcome)
		}
		w.outcome, w.sessionID = nil, ""
		return nil
	})
	sc.Step(`^Apex or Flow calls time out$`, func() error { return w.fault(503, 0) })
	sc.Step(`^the body's endpoint is another org's My Domain$`, func() error {
		return w.setFlowMember("instanceConfig", map[string]any{"endpoint": myDomainOf("another-org")})
	})
	sc.Step(`^the org answers errors (as documented|as live orgs do)$`, func(style string) {
		w.ensureOrg().ErrorStyle = map[string]emulator.ErrorStyle{"as documented": emulator.DocumentedErrors, "as live orgs do": emulator.LiveErrors}[style]
	})
	sc.Step(`^the Agent API fails with "(\d+)" on every request$`, func(status int) error { return w.fault(status, 0) })
}

// fault makes the emulator answer Start Session with status (count 0: always).
func (w *world) fault(status, count int) error {
	return w.addFault(emulator.Fault{Operations: []emulator.Operation{emulator.OpStart}, Status: status, Count: count})
}

// addFault adds f to the running emulator, or to the org it will start with.
func (w *world) addFault(f emulator.Fault) error {
	if w.handle != nil {
		_, err := w.handle.InjectFault(f)
		return err
	}
	org := w.ensureOrg()
	org.Faults = append(org.Faults, f)
	return nil
}

// validFlowBody is a New Session Request Body as Help's assembly steps build it.
func (w *world) validFlowBody() []byte {
	return []byte(fmt.Sprintf(`{"externalSessionKey":"3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71","instanceConfig":{"endpoint":%q},"message":{"TextVariable":{"name":"$Context.EndUserLanguage","text":"en_US"}}}`,
		w.ensureOrg().MyDomain))
}

func (w *world) setFlowMember(key string, value any) error {
	if w.flowBody == nil {
		w.flowBody = w.validFlowBody()
	}
	var m map[string]any
	if err := json.Unmarshal(w.flowBody, &m); err != nil {
		return err
	}
	m[key] = value
	b, err := json.Marshal(m)
	w.flowBody = b
	return err
}

func (w *world) flowSteps(sc *godog.ScenarioContext) {
	sc.Step(`^a New Session Request Body:$`, func(doc *godog.DocString) { w.flowBody = []byte(doc.Content) })
	sc.Step(`^a New Session Request Body assigned as:$`, func(table *godog.Table) error {
		body, err := assignedBody(table)
		w.flowBody = body
		return err
	})
	sc.Step(`^a New Session Request Body as External Services holds it:$`, func(table *godog.Table) error {
		body, err := externalServicesBody(table)
		w.flowBody = body
		return err
	})
	sc.Step(`^the flow's Tenant Key ID input is "([^"]*)"$`, func(v string) { w.tenantKeyID = v })
	sc.Step(`^the Agent API received exactly the variables:$`, func(table *godog.Table) error {
		want, err := variablesTable(table)
		if err != nil {
			return err
		}
		got, err := w.lastStart()
		if err != nil {
			return err
		}
		var b struct {
			Variables json.RawMessage `json:"variables"`
		}
		if err := json.Unmarshal(got, &b); err != nil {
			return fmt.Errorf("the Agent API received a body that is not a JSON object: %w", err)
		}
		if eq, err := jsonEqual(b.Variables, want); err != nil || !eq {
			return fmt.Errorf("the Agent API received the variables %s, want %s", b.Variables, want)
		}
		return nil
	})
	sc.Step(`^the Agent API received no member "([^"]*)"$`, func(member string) error {
		got, err := w.lastStart()
		if err != nil {
			return err
		}
		var b map[string]json.RawMessage
		if err := json.Unmarshal(got, &b); err != nil {
			return err
		}
		if v, ok := b[member]; ok {
			return fmt.Errorf("the Agent API received %s: %s", member, v)
		}
		return nil
	})
	sc.Step(`^an empty New Session Request Body$`, func() { w.flowBody = []byte(`{}`) })
	sc.Step(`^the Agent API body has exactly the fields:$`, func(table *godog.Table) error {
		want, err := assignedBody(table)
		if err != nil {
			return err
		}
		var got map[string]any
		if err := json.Unmarshal(w.mappedBody, &got); err != nil {
			return fmt.Errorf("the Agent API body is not a JSON object: %w\n%s", err, w.mappedBody)
		}
		delete(got, "variables") // the next step's table
		gotFields, _ := json.Marshal(got)
		if eq, err := jsonEqual(gotFields, want); err != nil || !eq {
			return fmt.Errorf("the Agent API body is\n%s\nwant the fields (besides variables)\n%s", w.mappedBody, want)
		}
		return nil
	})
	sc.Step(`^the Agent API body has exactly the variables:$`, func(table *godog.Table) error {
		want, err := variablesTable(table)
		if err != nil {
			return err
		}
		var got struct {
			Variables json.RawMessage `json:"variables"`
		}
		if err := json.Unmarshal(w.mappedBody, &got); err != nil {
			return fmt.Errorf("the Agent API body is not a JSON object: %w", err)
		}
		if eq, err := jsonEqual(got.Variables, want); err != nil || !eq {
			return fmt.Errorf("the Agent API body's variables are %s, want %s", got.Variables, want)
		}
		return nil
	})
	sc.Step(`^a valid New Session Request Body$`, func() { w.flowBody = w.validFlowBody() })
	sc.Step(`^a valid New Session Request Body with externalSessionKey "([^"]*)"$`, func(key string) error {
		w.flowBody = w.validFlowBody()
		return w.setFlowMember("externalSessionKey", key)
	})
	sc.Step(`^a valid New Session Request Body with endpoint "([^"]*)"$`, func(ep string) error {
		w.flowBody = w.validFlowBody()
		return w.setFlowMember("instanceConfig", map[string]any{"endpoint": ep})
	})
	sc.Step(`^the New Session Request Body is mapped to the Agent API body$`, func() error {
		body, err := mapFlowBody(w.flowBody, w.ensureOrg().MyDomain)
		if err != nil {
			return fmt.Errorf("mapping the New Session Request Body: %w", err)
		}
		w.mappedBody = body
		return nil
	})
	sc.Step(`^the Agent API body is:$`, func(doc *godog.DocString) error {
		eq, err := jsonEqual(w.mappedBody, []byte(doc.Content))
		if err != nil {
			return err
		}
		if !eq {
			return fmt.Errorf("the Agent API body is\n%s\nwant\n%s", w.mappedBody, doc.Content)
		}
		return nil
	})
	sc.Step(`^the flow runs Start Session for agent "([^"]*)"$`, w.flowStartSession)
	sc.Step(`^the action takes the "([^"]*)" output$`, w.outputIs)
	sc.Step(`^the outcome is "([^"]*)"$`, w.outputIs)
	sc.Step(`^the Response Code is (\d+)$`, func(code int) error {
		if w.outcome == nil {
			return w.noOutcome()
		}
		if w.outcome.ResponseCode != code {
			return fmt.Errorf("Response Code is %d, want %d (output %q: %s)", w.outcome.ResponseCode, code, w.outcome.Output, w.outcome.Message)
		}
		return nil
	})
	sc.Step(`^the error class is "([^"]*)"$`, func(class string) error {
		if w.outcome == nil {
			return w.noOutcome()
		}
		var b struct{ Error string }
		_ = json.Unmarshal(w.outcome.RawBody, &b)
		if b.Error != class {
			return fmt.Errorf("the error class is %q, want %q (body %s)", b.Error, class, w.outcome.RawBody)
		}
		return nil
	})
	sc.Step(`^the exception message contains "(.*)"$`, func(want string) error {
		if w.outcome == nil {
			return w.noOutcome()
		}
		if want = unquote(want); !strings.Contains(w.outcome.Message, want) {
			return fmt.Errorf("the exception message is %q, want it to contain %q", w.outcome.Message, want)
		}
		return nil
	})
	sc.Step(`^the request is refused before sending$`, func() error {
		if w.refused == nil {
			out := "nothing"
			if w.outcome != nil {
				out = "the " + strconv.Quote(w.outcome.Output) + " output"
			}
			return fmt.Errorf("the request was not refused; it got %s", out)
		}
		return nil
	})
	sc.Step(`^the refusal names "([^"]*)"$`, func(name string) error {
		if w.refused == nil {
			return errors.New("nothing was refused")
		}
		if !strings.Contains(w.refused.Error(), name) {
			return fmt.Errorf("the refusal does not name %q: %v", name, w.refused)
		}
		return nil
	})
	sc.Step(`^the refusal blames the plugin "([^"]*)"$`, func(plugin string) error {
		if w.refused == nil {
			return errors.New("nothing was refused")
		}
		if msg := w.refused.Error(); !strings.Contains(msg, "plugin "+plugin) && !strings.Contains(msg, "plugin \""+plugin+"\"") {
			return fmt.Errorf("the refusal does not name the plugin %q: %v", plugin, w.refused)
		}
		return nil
	})
	sc.Step(`^the Agent API received no Start Session request$`, func() error {
		if w.rec == nil {
			return nil // the emulator was never even started
		}
		if n := len(w.rec.startBodies()); n != 0 {
			return fmt.Errorf("the Agent API received %d Start Session requests", n)
		}
		return nil
	})
	sc.Step(`^the Agent API received exactly the mapped body$`, func() error {
		got, err := w.lastStart()
		if err != nil {
			return err
		}
		if eq, err := jsonEqual(got, w.mappedBody); err != nil || !eq {
			return fmt.Errorf("the Agent API received\n%s\nbut the mapped body is\n%s", got, w.mappedBody)
		}
		return nil
	})
	sc.Step(`^the Agent API received externalSessionKey "([^"]*)"$`, func(key string) error {
		got, err := w.lastStart()
		if err != nil {
			return err
		}
		var b struct{ ExternalSessionKey string }
		_ = json.Unmarshal(got, &b)
		if b.ExternalSessionKey != key {
			return fmt.Errorf("the Agent API received externalSessionKey %q, want %q", b.ExternalSessionKey, key)
		}
		return nil
	})
	sc.Step(`^the Agent API received instanceConfig.endpoint "([^"]*)"$`, func(ep string) error {
		got, err := w.lastStart()
		if err != nil {
			return err
		}
		var b struct{ InstanceConfig struct{ Endpoint string } }
		_ = json.Unmarshal(got, &b)
		if b.InstanceConfig.Endpoint != ep {
			return fmt.Errorf("the Agent API received instanceConfig.endpoint %q, want %q", b.InstanceConfig.Endpoint, ep)
		}
		return nil
	})
	sc.Step(`^the Agent API received the variable "([^"]*)" with value "([^"]*)"$`, func(name, value string) error {
		got, err := w.lastStart()
		if err != nil {
			return err
		}
		return hasVariable(got, name, value)
	})
	sc.Step(`^the response has a session ID$`, func() error {
		if w.outcome == nil || w.outcome.Session == nil || w.outcome.Session.SessionID == "" {
			return fmt.Errorf("no session ID in the outcome %+v", w.outcome)
		}
		return nil
	})
	sc.Step(`^the response's messages start with an "([^"]*)" greeting$`, func(typ string) error {
		if w.outcome == nil || w.outcome.Session == nil || len(w.outcome.Session.Messages) == 0 {
			return errors.New("the response has no messages")
		}
		if m := w.outcome.Session.Messages[0]; m.Type != typ || m.Message == "" {
			return fmt.Errorf("the first message is a %q with text %q, want an %q greeting", m.Type, m.Message, typ)
		}
		return nil
	})
	sc.Step(`^the response links to the session's messages and its end$`, func() error {
		l := w.outcome.Session.Links
		if l.Messages == nil || !strings.Contains(l.Messages.Href, w.sessionID) || l.End == nil || !strings.Contains(l.End.Href, w.sessionID) {
			return fmt.Errorf("links %+v do not point at session %s", l, w.sessionID)
		}
		return nil
	})
}

func (w *world) noOutcome() error {
	if w.refused != nil {
		return fmt.Errorf("nothing was sent: the request was refused: %v", w.refused)
	}
	return errors.New("no call was made")
}

func (w *world) outputIs(want string) error {
	if w.outcome == nil {
		return w.noOutcome()
	}
	if w.outcome.Output != want {
		return fmt.Errorf("took the %q output (response code %d: %s), want %q", w.outcome.Output, w.outcome.ResponseCode, w.outcome.Message, want)
	}
	return nil
}

func (w *world) lastStart() ([]byte, error) {
	if w.rec == nil || len(w.rec.startBodies()) == 0 {
		return nil, errors.New("the Agent API received no Start Session request")
	}
	b := w.rec.startBodies()
	return b[len(b)-1], nil
}

func hasVariable(body []byte, name, value string) error {
	var b struct {
		Variables []struct{ Name, Type, Value string }
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return err
	}
	for _, v := range b.Variables {
		if v.Name == name {
			if v.Value != value {
				return fmt.Errorf("variable %s has value %q, want %q", name, v.Value, value)
			}
			return nil
		}
	}
	return fmt.Errorf("no variable %s in %s", name, body)
}

// flowStartSession does what the Flow action does with its inputs: the New
// Session Request Body is checked and mapped to the Agent API body, and a
// body that breaks a rule is refused before anything is sent; otherwise
// Start Session is called once (the Flow action does not retry).
func (w *world) flowStartSession(agentID string) error {
	if w.flowBody == nil {
		return errors.New("no New Session Request Body")
	}
	if err := flowbody.CheckTenantKeyID(w.tenantKeyID); err != nil {
		w.refused = err
		return nil
	}
	body, err := mapFlowBody(w.flowBody, w.ensureOrg().MyDomain)
	if err != nil {
		w.refused = err
		return nil
	}
	w.mappedBody = body
	return w.startSession(agentID, body, 1)
}

// violationsError joins violations into one error naming each field.
func violationsError(vs []schemas.Violation) error {
	msgs := make([]string, 0, len(vs))
	for _, v := range vs {
		msgs = append(msgs, v.String()+" ["+v.Field+", rule "+v.Rule+"]")
	}
	return errors.New(strings.Join(msgs, "; "))
}

// assignedBody builds a JSON object from a table of | field | value | rows,
// as a flow's Assignment elements set the New Session Request Body: a
// dotted field (instanceConfig.endpoint) sets a member of a nested object.
// Values are strings, as every member a flow assigns here is text.
func assignedBody(table *godog.Table) ([]byte, error) {
	rows, err := tableRows(table, "field", "value")
	if err != nil {
		return nil, err
	}
	body := map[string]any{}
	for _, r := range rows {
		obj := body
		parts := strings.Split(r[0], ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := obj[p].(map[string]any)
			if !ok {
				if _, taken := obj[p]; taken {
					return nil, fmt.Errorf("field %q: %q is already set to a value, not an object", r[0], p)
				}
				next = map[string]any{}
				obj[p] = next
			}
			obj = next
		}
		obj[parts[len(parts)-1]] = r[1]
	}
	return json.Marshal(body)
}

// externalServicesBody builds a New Session Request Body in the External
// Services form (agent-api.md §6.1) from a table of | field | value | rows,
// as a Flow debug log lists the Assignments: a dotted field sets a member of
// a nested object and [N] an entry of a list. A flag (a field ending in
// _set) and bypassUser take true or false; the value of a NumberVariable or
// MoneyVariable is a number; every other value is text.
func externalServicesBody(table *godog.Table) ([]byte, error) {
	rows, err := tableRows(table, "field", "value")
	if err != nil {
		return nil, err
	}
	var body any = map[string]any{}
	for _, r := range rows {
		var value any = r[1]
		switch {
		case strings.HasSuffix(r[0], "_set") || r[0] == "bypassUser":
			b, err := strconv.ParseBool(r[1])
			if err != nil {
				return nil, fmt.Errorf("field %q: %q is not true or false", r[0], r[1])
			}
			value = b
		case strings.HasSuffix(r[0], "NumberVariable.value") || strings.HasSuffix(r[0], "MoneyVariable.value"):
			if !json.Valid([]byte(r[1])) {
				return nil, fmt.Errorf("field %q: %q is not a number", r[0], r[1])
			}
			value = json.Number(r[1])
		}
		if body, err = setPath(body, strings.Split(r[0], "."), value); err != nil {
			return nil, fmt.Errorf("field %q: %w", r[0], err)
		}
	}
	return json.Marshal(body)
}

// setPath sets value at a dotted path whose parts may end in [N] (a list
// entry) inside node, creating objects and lists on the way.
func setPath(node any, parts []string, value any) (any, error) {
	if len(parts) == 0 {
		return value, nil
	}
	key, index := parts[0], -1
	if i := strings.IndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
		n, err := strconv.Atoi(key[i+1 : len(key)-1])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a list entry like variables[0]", key)
		}
		key, index = key[:i], n
	}
	obj, ok := node.(map[string]any)
	if !ok {
		if node != nil {
			return nil, fmt.Errorf("%q is inside a value that is not an object", key)
		}
		obj = map[string]any{}
	}
	if index < 0 {
		v, err := setPath(obj[key], parts[1:], value)
		obj[key] = v
		return obj, err
	}
	list, _ := obj[key].([]any)
	for len(list) <= index {
		list = append(list, nil)
	}
	v, err := setPath(list[index], parts[1:], value)
	list[index] = v
	obj[key] = list
	return obj, err
}

// variablesTable builds the Agent API variables array from a table of
// | name | type | value | rows.
func variablesTable(table *godog.Table) ([]byte, error) {
	rows, err := tableRows(table, "name", "type", "value")
	if err != nil {
		return nil, err
	}
	vars := make([]map[string]string, 0, len(rows))
	for _, r := range rows {
		vars = append(vars, map[string]string{"name": r[0], "type": r[1], "value": r[2]})
	}
	return json.Marshal(vars)
}

// tableRows checks a table's header and returns its data rows.
func tableRows(table *godog.Table, header ...string) ([][]string, error) {
	if len(table.Rows) == 0 {
		return nil, errors.New("the table is empty")
	}
	var got []string
	for _, c := range table.Rows[0].Cells {
		got = append(got, c.Value)
	}
	if strings.Join(got, "|") != strings.Join(header, "|") {
		return nil, fmt.Errorf("the table's header is | %s |, want | %s |", strings.Join(got, " | "), strings.Join(header, " | "))
	}
	var rows [][]string
	for _, row := range table.Rows[1:] {
		var r []string
		for _, c := range row.Cells {
			r = append(r, c.Value)
		}
		rows = append(rows, r)
	}
	return rows, nil
}
