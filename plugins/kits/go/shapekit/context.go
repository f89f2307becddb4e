package shapekit

// Context holds the caller's facts a plugin shapes the request from; every
// member may be empty. It mirrors host/abi.Context member for member (the
// kit keeps its own copy so plugins do not link encoding/json; a test checks
// the two agree).
type Context struct {
	// AgentID is the agent's BotDefinition Id (0Xx…, 15 or 18 characters).
	AgentID string
	// Org describes the Salesforce org the session is for.
	Org Org
	// Channel names where the conversation comes from (e.g. "web").
	Channel string
	// ConversationID is the caller's own id of the conversation.
	ConversationID string
	// User describes the end user.
	User User
}

// Org describes the Salesforce org (context.org).
type Org struct {
	// MyDomain is the org's My Domain: a URL or just its name.
	MyDomain string
	// Kind is "production" (default), "sandbox", "developer" or "government".
	Kind string
	// Sandbox is the sandbox name when Kind is "sandbox".
	Sandbox string
}

// User describes the end user (context.user).
type User struct {
	// Locale is a Salesforce or BCP 47 locale, e.g. "de_DE" or "de-DE".
	Locale string
	// Timezone is an IANA zone, e.g. "Europe/Berlin".
	Timezone string
	// Attributes are free-form facts (decoded JSON values).
	Attributes map[string]any
}

// contextFrom fills a Context from the decoded envelope member; a member of
// the wrong type is an error naming it. Unknown members are ignored, so a
// newer host's additions do not break older plugins.
func contextFrom(v any) (Context, error) {
	var c Context
	if v == nil {
		return c, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return c, Refuse(CodeBadEnvelope, "context is %s, not an object", kindOf(v))
	}
	var err error
	str := func(m map[string]any, key, path string, dst *string) {
		if err != nil {
			return
		}
		switch x := m[key].(type) {
		case nil:
		case string:
			*dst = x
		default:
			err = Refuse(CodeBadEnvelope, "%s is %s, not a string", path, kindOf(x))
		}
	}
	obj := func(m map[string]any, key, path string) map[string]any {
		if err != nil {
			return nil
		}
		switch x := m[key].(type) {
		case nil:
			return nil
		case map[string]any:
			return x
		default:
			err = Refuse(CodeBadEnvelope, "%s is %s, not an object", path, kindOf(x))
			return nil
		}
	}
	str(m, "agentId", "context.agentId", &c.AgentID)
	str(m, "channel", "context.channel", &c.Channel)
	str(m, "conversationId", "context.conversationId", &c.ConversationID)
	if org := obj(m, "org", "context.org"); org != nil {
		str(org, "myDomain", "context.org.myDomain", &c.Org.MyDomain)
		str(org, "kind", "context.org.kind", &c.Org.Kind)
		str(org, "sandbox", "context.org.sandbox", &c.Org.Sandbox)
	}
	if user := obj(m, "user", "context.user"); user != nil {
		str(user, "locale", "context.user.locale", &c.User.Locale)
		str(user, "timezone", "context.user.timezone", &c.User.Timezone)
		c.User.Attributes = obj(user, "attributes", "context.user.attributes")
	}
	return c, err
}
