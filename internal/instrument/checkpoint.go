package instrument

// The host stops a plugin that runs past its deadline (or whose caller gave
// up) through checks the module itself makes. The rewrite (instrument.go)
// inserts at every loop header, and at the entry of every function that
// could recurse without meeting a loop:
//
//	fuel -= 1
//	if fuel == 0 {
//	    call $yield        ;; a trip into Go
//	}
//
// where fuel counts down from at most FuelChunk (host/plugin's fuel.go: the
// same counter measures a call's fuel).
//
// Any endless execution passes those points again and again. yield (the
// host's, in host/plugin) checks the call's context there and then, against
// the clock — not a flag some timer has to set, since a timer needs a free
// thread to run, which busy plugins may all be holding — and traps the
// plugin once its deadline has passed or its caller has gone. Go cannot
// preempt a goroutine while it runs compiled guest code, so without the
// periodic trip a busy plugin would hold its thread forever, and a
// stop-the-world (every GC) would wait for it, deadlocking the process. All
// this costs a counter update and a branch per loop iteration; wazero's own
// close-on-context-done instead calls out of the guest at every loop header
// (4-5x on a Go-guest plugin).

// yieldMask sets how often a plugin trips into Go: every 4096 check points.
const yieldMask = 0xfff

// FuelChunk is the most check points between two trips into Go: the
// initial value of the fuel countdown (FuelExport), and the most the host
// sets it to.
const FuelChunk = yieldMask + 1

// tickCheck returns the check point code for the fuel countdown at global
// index fuel and the yield function at index yield.
func tickCheck(fuel, yield uint32) []byte {
	return checkPoint(fuel, yield, []byte{opI64Const, 0x01, opI64Sub}, []byte{opI64Eqz})
}

// unmeteredCheck is the check point as it was before fuel: the counter
// counts up and the plugin trips into Go when its low 12 bits are zero
// (the host's resets to FuelChunk keep that cadence). Only the benchmark of
// metering's cost uses it (Unmetered).
func unmeteredCheck(ticks, yield uint32) []byte {
	test := append([]byte{opI64Const}, appendS32(nil, yieldMask)...)
	return checkPoint(ticks, yield, []byte{opI64Const, 0x01, opI64Add}, append(test, opI64And, opI64Eqz))
}

// checkPoint returns: counter = counter <update>; if counter <test> { call
// yield }, for the i64 counter at global index counter.
func checkPoint(counter, yield uint32, update, test []byte) []byte {
	b := []byte{opGlobalGet}
	b = appendU32(b, counter)
	b = append(b, update...)
	b = append(b, opGlobalSet)
	b = appendU32(b, counter)
	b = append(b, opGlobalGet)
	b = appendU32(b, counter)
	b = append(b, test...)
	b = append(b, opIf, 0x40, opCall)
	b = appendU32(b, yield)
	return append(b, opEnd)
}

// appendS32 appends v as a signed LEB128.
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
