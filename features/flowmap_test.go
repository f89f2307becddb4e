package features

import (
	"github.com/agentshape/agentshape/internal/flowbody"
)

// mapFlowBody maps a Flow New Session Request Body to the Agent API body
// with internal/flowbody, for the org whose My Domain is myDomain.
func mapFlowBody(body []byte, myDomain string) ([]byte, error) {
	return flowbody.ToWire(body, flowbody.Options{MyDomain: myDomain})
}
