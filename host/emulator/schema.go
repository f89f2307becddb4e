package emulator

// schemaName names a JSON Schema of the schemas package.
type schemaName string

const schemaStartSession schemaName = "start-session-request"

// validateSchema validates body against a schema of the schemas package and
// returns the first violation as a 400. Until the schemas package is
// available it accepts everything (checkFields and the typed decode still
// apply).
func validateSchema(name schemaName, body []byte) *apiError { return nil }

// validateOrgSchema validates an org document (as JSON) against
// schemas/emulator-org.schema.json.
func validateOrgSchema(doc []byte) error { return nil }
