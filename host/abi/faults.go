package abi

// A refusal ({"error": {"code", "message"}}) is a plugin's deliberate answer:
// it looked at the request and declined it, with a reason a person can act on.
// The kits also use the refusal channel to report that the plugin broke —
// the Go kit turns a panic into the code "plugin_panic" — because a kit
// cannot trap on the plugin's behalf. The codes below are reserved for those
// faults (plugins/ABI.md §6.1): a plugin MUST NOT use them on purpose, and an
// answer carrying one counts as a fault, like a trap, not as a refusal
// (the conformance gate fails the scenario it happened in).

// FaultCode is a refusal code reserved for reporting a fault.
type FaultCode struct {
	// Code is the reserved refusal code.
	Code string
	// Kits names the kits that answer with it.
	Kits string
	// Meaning says what went wrong inside the plugin or its kit.
	Meaning string
	// Fix says what the plugin's author should do about it.
	Fix string
}

// FaultCodes lists every refusal code reserved for faults, in the order
// plugins/ABI.md §6.1 lists them.
var FaultCodes = []FaultCode{
	{Code: "plugin_panic", Kits: "Go", Meaning: "the shape function panicked (a failed type assertion, a nil map, an index out of range, ...)",
		Fix: "check values before using them (v, ok := x.(string)) and refuse on purpose with shapekit.Refuse(code, message) where the input cannot be shaped"},
	{Code: "not_registered", Kits: "Go", Meaning: "the plugin never registered its shape function",
		Fix: "call shapekit.Register(yourShapeFunc) from an init function of package main"},
	{Code: "bad_request_value", Kits: "Go", Meaning: "the shaped request holds a value the kit cannot encode as JSON",
		Fix: "put only JSON values in the request: strings, numbers, booleans, nil, and maps and slices of them"},
	{Code: "bad_envelope", Kits: "Go, AssemblyScript", Meaning: "the kit could not decode the host's input envelope",
		Fix: "rebuild the plugin with the current kit; if it persists, report it with the envelope from the reproducer"},
	{Code: "abi_version", Kits: "AssemblyScript", Meaning: "the envelope's abi is not the version the kit speaks",
		Fix: "rebuild the plugin with a kit that speaks ABI v1"},
	{Code: "out_of_memory", Kits: "C", Meaning: "the kit ran out of memory building the output",
		Fix: "return a smaller request or raise limits.memoryMaxPages"},
}

// LookupFaultCode returns the reserved fault code code, if it is one.
func LookupFaultCode(code string) (FaultCode, bool) {
	for _, f := range FaultCodes {
		if f.Code == code {
			return f, true
		}
	}
	return FaultCode{}, false
}
