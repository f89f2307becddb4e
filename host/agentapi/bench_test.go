package agentapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/agentapi"
	"github.com/agentshape/agentshape/host/emulator"
)

// BenchmarkStartSession measures Start Session throughput and latency,
// agentapi.Client → emulator over loopback, at 1, 16 and 64 concurrent
// callers. The baseline, measured in the same run and alternating with the
// client in rounds so both see the same machine load, is a bare net/http
// POST of the same body with a pre-fetched token to the same emulator (no
// token cache, retries, limits or outcome decoding): x_baseline is client
// time / baseline time.
//
// Reported: sessions/s, p50-ms and p99-ms of the client; base-sessions/s and
// base-p99-ms of the baseline; x_baseline.
func BenchmarkStartSession(b *testing.B) {
	for _, callers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			srv := startEmulator(b, nil)
			c := emuClient(b, srv, nil)
			ctx := context.Background()
			// Warm the token cache and connections.
			if _, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody); err != nil {
				b.Fatal(err)
			}
			tok, err := srv.MintToken(emulator.DemoClientID, time.Hour, srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			raw := &http.Client{Transport: agentapi.NewTransport()}
			defer raw.CloseIdleConnections()
			url := srv.URL + emulator.APIPrefix + "/agents/" + emulator.DemoAgentID + "/sessions"
			viaClient := func() error {
				out, err := c.StartSession(ctx, emulator.DemoAgentID, demoBody)
				if err == nil && out.Session == nil {
					err = fmt.Errorf("no session")
				}
				return err
			}
			viaRaw := func() error {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(demoBody))
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				req.Header.Set("Content-Type", "application/json")
				resp, err := raw.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return nil
			}
			b.ReportAllocs()
			b.ResetTimer()
			var clientTime, rawTime time.Duration
			var lat, baseLat []time.Duration
			for _, n := range benchRounds(b.N) {
				d, l := drive(b, callers, n, viaClient)
				clientTime += d
				lat = append(lat, l...)
				b.StopTimer()
				d, l = drive(b, callers, n, viaRaw)
				rawTime += d
				baseLat = append(baseLat, l...)
				b.StartTimer()
			}
			b.StopTimer()
			slices.Sort(lat)
			slices.Sort(baseLat)
			b.ReportMetric(float64(b.N)/clientTime.Seconds(), "sessions/s")
			b.ReportMetric(float64(b.N)/rawTime.Seconds(), "base-sessions/s")
			b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
			b.ReportMetric(ms(percentile(baseLat, 0.99)), "base-p99-ms")
			b.ReportMetric(float64(clientTime)/float64(rawTime), "x_baseline")
		})
	}
}

// benchRounds splits n into up to 10 rounds.
func benchRounds(n int) []int {
	k := min(n, 10)
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
	}
	out[0] += n % k
	return out
}

// drive runs n calls of f on callers goroutines and returns the wall time
// and each call's latency.
func drive(b *testing.B, callers, n int, f func() error) (time.Duration, []time.Duration) {
	var next atomic.Int64
	lats := make([][]time.Duration, callers)
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for w := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				t0 := time.Now()
				if err := f(); err != nil {
					failed.Store(err)
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return d, all
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
