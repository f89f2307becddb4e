package conformance

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/agentshape/agentshape/host/abi"
)

// Case is one generated context the gate shapes a request for.
type Case struct {
	// Index is the case's position (0-based) in the generated list.
	Index int
	// Label says in a few words what is special about the case.
	Label string
	// Context is what the plugin receives as the envelope's context.
	Context abi.Context
	// Request is the base request handed to the plugin (a valid request, as
	// earlier plugins would have left it).
	Request []byte
}

var (
	locales = []string{"en_US", "de_DE", "fr_FR", "ja_JP", "zh_CN", "zh-Hant-TW", "ar_EG", "he_IL",
		"pt_BR", "es_MX", "hi_IN", "ru_RU", "tr_TR", "ko_KR", "sv_SE", "fi_FI", "en-GB", "nb_NO", "th_TH", "sr_Latn_RS"}
	zones = []string{"Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham",
		"Asia/Kathmandu", "Australia/Lord_Howe", "UTC", "Africa/Casablanca", "America/Argentina/Buenos_Aires",
		"Pacific/Kiritimati", "Asia/Tokyo", "Europe/London", "America/Sao_Paulo"}
	channels = []string{"", "web", "mobile", "slack", "whatsapp", "email"}
	unicodes = []string{"Zoë Ångström", "山田太郎", "محمد", "שלום", "😀🚀 emoji", "Ωμέγα", "a\u0301\u0308 combining",
		"tab\tnew\nline", "quote\" and \\ backslash", "\u202eright-to-left override", "null\u0000byte"}
	attrKeys = []string{"tier", "contactId", "accountId", "segment", "orderNumber", "vip", "score", "region"}
)

// typicalContext is a complete, ordinary context for org: every member set.
func typicalContext(org OrgUnderTest) abi.Context {
	return abi.Context{
		AgentID:        org.Agent.ID,
		Org:            org.typical(),
		Channel:        "web",
		ConversationID: "conv-42",
		User: abi.User{Locale: "en_US", Timezone: "America/Los_Angeles",
			Attributes: map[string]any{"tier": "gold", "contactId": "003AA000000001AAA", "openOrders": 2}},
	}
}

// baseRequest is the valid request the gate hands a plugin: what earlier
// plugins of a pipeline would have left. Its key is derived from the seed so
// that it is the same on every run.
func baseRequest(seed int64, index int, endpoint string) []byte {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(index)+1))
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	key := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	return []byte(fmt.Sprintf(`{"externalSessionKey":%q,"instanceConfig":{"endpoint":%q}}`, key, endpoint))
}

// GenerateCases returns n contexts for org derived from seed: the same seed
// and org always give the same cases. They vary locales and time zones, the
// form the org's My Domain takes (URL, or name and kind), leave members out,
// and use unicode, empty and huge values. Every base request targets the
// org's My Domain.
func GenerateCases(seed int64, n int, org OrgUnderTest) []Case {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	forms := org.forms()
	out := make([]Case, 0, n)
	for i := 0; i < n; i++ {
		c := typicalContext(org)
		var label []string
		switch i {
		case 0:
			label = append(label, "typical")
		case 1:
			c = abi.Context{}
			label = append(label, "empty context")
		default:
			c.User.Locale = pick(locales)
			c.User.Timezone = pick(zones)
			c.Org = forms[r.IntN(len(forms))]
			c.Channel = pick(channels)
			label = append(label, "locale "+c.User.Locale, "tz "+c.User.Timezone)
			attrs := map[string]any{}
			for j := r.IntN(4); j > 0; j-- {
				k := pick(attrKeys)
				switch r.IntN(5) {
				case 0:
					attrs[k] = pick(unicodes)
				case 1:
					attrs[k] = ""
				case 2:
					attrs[k] = r.IntN(1_000_000)
				case 3:
					attrs[k] = r.IntN(2) == 0
				default:
					attrs[k] = fmt.Sprintf("v-%d", r.IntN(1000))
				}
			}
			c.User.Attributes = attrs
			switch r.IntN(8) { // what is missing or odd about this case
			case 0:
				c.User = abi.User{}
				label = append(label, "no user")
			case 1:
				c.Org = abi.Org{}
				label = append(label, "no org")
			case 2:
				c.AgentID, c.ConversationID, c.Channel = "", "", ""
				label = append(label, "no agent, conversation or channel")
			case 3:
				c.ConversationID = pick(unicodes)
				c.User.Attributes = map[string]any{"tier": pick(unicodes), "segment": pick(unicodes)}
				label = append(label, "unicode values")
			case 4:
				c.ConversationID = ""
				c.User.Locale, c.User.Timezone = "", ""
				c.User.Attributes = map[string]any{"tier": "", "contactId": ""}
				label = append(label, "empty values")
			case 5:
				c.ConversationID = strings.Repeat("c", 4096)
				c.User.Attributes = map[string]any{"tier": strings.Repeat("Ü", 32*1024)}
				label = append(label, "huge values")
			case 6:
				c.AgentID = org.Agent.ID[:15] // the 15-character form
				label = append(label, "15-character agent ID")
			}
		}
		out = append(out, Case{Index: i, Label: strings.Join(label, ", "), Context: c,
			Request: baseRequest(seed, i, org.Org.MyDomain)})
	}
	return out
}
