package schemas

// ValidateValueByLibrary is ValidateValue without the fast evaluator
// (fast.go, dfa.go): jsonschema/v5 compiled once, then the Go rules. It
// exists for BenchmarkValidationShareOfPipeline.
func ValidateValueByLibrary(name Name, v any) ([]Violation, error) {
	sch, err := schemaFor(name)
	if err != nil {
		return nil, err
	}
	return validateByLibrary(name, sch, v)
}
