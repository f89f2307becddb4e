package agentshape_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/agentshape/agentshape"
	"github.com/agentshape/agentshape/host/pipeline"
	"github.com/agentshape/agentshape/host/plugin"
	"github.com/agentshape/agentshape/internal/shaper"
)

// BenchmarkShape compares Handle.Shape with the same run wired from the host
// packages (pipeline + shaper), the way embedders did before this package:
// report handle/direct from one run.
func BenchmarkShape(b *testing.B) {
	ctx := context.Background()
	c := exampleContext()
	quiet := slog.New(slog.DiscardHandler)
	b.Run("handle", func(b *testing.B) {
		h, err := agentshape.New(ctx, agentshape.Options{Manifest: "plugins/examples/pipeline.yaml", Deterministic: true, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close(ctx)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Shape(ctx, c, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		m, err := pipeline.LoadManifest("plugins/examples/pipeline.yaml")
		if err != nil {
			b.Fatal(err)
		}
		rt, err := plugin.NewRuntime(ctx, plugin.RuntimeOptions{Deterministic: true, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Close(ctx)
		pl, err := pipeline.New(ctx, rt, m)
		if err != nil {
			b.Fatal(err)
		}
		defer pl.Close(ctx)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := shaper.Shape(ctx, pl, c, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
