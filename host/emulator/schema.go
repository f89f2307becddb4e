package emulator

import (
	"fmt"
	"strings"

	"github.com/agentshape/agentshape/schemas"
)

// validateStart validates a Start Session body with the same schema the
// shaper uses (schemas.StartSessionRequest) and returns the first violation
// as 400 BadRequestError. Violations of instanceConfig.endpoint other than
// its type are left to the org lookup, which answers a non-My-Domain
// endpoint with 500 EngineConfigLookupException as the API does
// (agent-api.md §8).
func validateStartValue(doc map[string]any) *apiError {
	vs, err := schemas.ValidateValue(schemas.StartSessionRequest, doc)
	if err != nil {
		return &apiError{status: 500, class: "HttpServerErrorException", message: "emulator schema failure: " + err.Error()}
	}
	for _, v := range vs {
		if v.Pointer == "/instanceConfig/endpoint" && v.Rule != "type" {
			continue
		}
		return errBadRequest(v.Message)
	}
	return nil
}

// validateBody validates a request body with the named schema (the one
// `agentshape validate --schema NAME` applies) and returns its first
// violation as 400 BadRequestError.
func validateBody(name schemas.Name, body []byte) *apiError {
	vs, err := schemas.Validate(name, body)
	if err != nil {
		return errBadRequest("Malformed JSON request body: " + err.Error())
	}
	if len(vs) > 0 {
		return errBadRequest(vs[0].Message)
	}
	return nil
}

// validateOrgSchema validates an org document (as JSON) against
// schemas/emulator-org.schema.json and lists every violation.
func validateOrgSchema(doc []byte) error {
	vs, err := schemas.Validate(schemas.EmulatorOrg, doc)
	if err != nil {
		return fmt.Errorf("org document: %w", err)
	}
	if len(vs) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(vs))
	for _, v := range vs {
		msgs = append(msgs, v.Message)
	}
	joined := strings.Join(msgs, "; ")
	if strings.Contains(joined, "--print-org") {
		return fmt.Errorf("org document breaks the emulator-org schema: %s", joined)
	}
	return fmt.Errorf("org document breaks the emulator-org schema: %s (run `agentshape emulator --print-org` for a valid example)", joined)
}

// orgTemplateHint says where an org file starts from.
const orgTemplateHint = "start from `agentshape emulator --print-org > org.yaml`"

// WithOrgTemplateHint wraps err, an org file's refusal from LoadOrg, in
// "flag: err (start from … --print-org …)", unless err already names
// --print-org (a schema violation does): the hint is said once.
func WithOrgTemplateHint(flag string, err error) error {
	if strings.Contains(err.Error(), "--print-org") {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return fmt.Errorf("%s: %w (%s)", flag, err, orgTemplateHint)
}
