package plugin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	mrand "math/rand/v2"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// The clock and randomness a plugin sees: the host's, or in deterministic
// mode a fixed wall clock, a monotonic clock that ticks 1 µs per reading and
// a seeded stream, the last two restarted at every call.

// detSource is the clock and randomness of a plugin in deterministic mode:
// restarted at each call so the same envelope gives the same output whichever
// pooled instance serves it.
type detSource struct {
	seed [32]byte
	rng  *mrand.ChaCha8
	now  int64
}

func newDetSource(seed int64, plugin string) *detSource {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	d := &detSource{seed: sha256.Sum256(append(b[:], plugin...))}
	d.rng = mrand.NewChaCha8(d.seed)
	return d
}

func (d *detSource) reset() {
	d.rng.Seed(d.seed)
	d.now = 0
}

// Read implements io.Reader for random_get.
func (d *detSource) Read(p []byte) (int, error) { return d.rng.Read(p) }

// nanotime advances 1 µs per reading, from zero at every call.
func (d *detSource) nanotime() int64 {
	d.now += int64(time.Microsecond)
	return d.now
}

// fixedTime is the wall clock plugins see in deterministic mode
// (plugins/ABI.md states it).
var fixedTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func fixedWalltime() (int64, int32) { return fixedTime.Unix(), 0 }

func (p *Plugin) newDet() *detSource {
	if !p.rt.opts.Deterministic {
		return nil
	}
	return newDetSource(p.rt.opts.Seed, p.name)
}

// newRand returns the random source of an instance: det in deterministic
// mode, the operating system's CSPRNG otherwise, within the per-call budget.
func newRand(det *detSource) *randBudget {
	if det != nil {
		return newRandBudget(det)
	}
	return newRandBudget(rand.Reader)
}

// moduleConfig is the sandbox: no args, no env, no preopens (wazero grants
// none unless asked), no sockets, no start functions, host clock (det's in
// deterministic mode) and random drawn from random; then the plugin's own
// grants (Spec.Grants), if any.
func (p *Plugin) moduleConfig(det *detSource, random *randBudget) wazero.ModuleConfig {
	cfg := p.sandbox.apply(wazero.NewModuleConfig().WithName("").WithStartFunctions()).WithRandSource(random)
	if det != nil {
		return cfg.WithWalltime(fixedWalltime, sys.ClockResolution(1)).
			WithNanotime(det.nanotime, sys.ClockResolution(1))
	}
	return cfg.WithSysWalltime().WithSysNanotime()
}
