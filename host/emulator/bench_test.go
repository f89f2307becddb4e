package emulator_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentshape/agentshape/host/emulator"
)

// BenchmarkHandlerStartSession measures the handler alone (no network):
// the emulator's own CPU cost per Start Session, against a baseline handler
// that only writes a fixed JSON answer, measured in the same run.
func BenchmarkHandlerStartSession(b *testing.B) {
	h, err := emulator.New(emulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := h.MintToken(emulator.DemoClientID, time.Hour, "http://127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	newReq := func() *http.Request {
		r := httptest.NewRequest("POST", emulator.APIPrefix+"/agents/"+agentID+"/sessions", strings.NewReader(startBody))
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	baseline := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"sessionId":"0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33"}`))
	})
	measure := func(hd http.Handler, n int) time.Duration {
		start := time.Now()
		for range n {
			w := httptest.NewRecorder()
			hd.ServeHTTP(w, newReq())
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
		return time.Since(start)
	}
	// Emulator and baseline alternate in rounds so both see the same machine load.
	alternateRounds(b, "x_baseline", func(n int) time.Duration { return measure(h, n) }, func(n int) time.Duration { return measure(baseline, n) })
}

// alternateRounds times measured and baseline in alternating rounds (only
// measured counts toward the benchmark's time) and reports measured /
// baseline as the metric unit.
func alternateRounds(b *testing.B, unit string, measured, baseline func(n int) time.Duration) {
	b.ReportAllocs()
	b.ResetTimer()
	var d, base time.Duration
	for _, n := range rounds(b.N) {
		d += measured(n)
		b.StopTimer()
		base += baseline(n)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(d)/float64(base), unit)
}

// BenchmarkStartSessionLoopback measures Start Session throughput and
// latency through a real loopback server at 1, 16 and 64 concurrent callers
// (raw net/http clients with a pre-fetched token), and the same load on a
// baseline server whose handler only answers a fixed JSON body, in the same
// run: x_baseline is emulator time / baseline time.
func BenchmarkStartSessionLoopback(b *testing.B) {
	for _, conc := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("callers=%d", conc), func(b *testing.B) {
			srv := start(b, nil)
			tok := token(b, srv)
			emuURL := srv.URL + emulator.APIPrefix + "/agents/" + agentID + "/sessions"
			baseURL := startBaseline(b)
			client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}}
			load(b, client, emuURL, tok, conc, 200) // warm connections
			load(b, client, baseURL, tok, conc, 200)
			lat, baseLat := alternate(b, client, target{emuURL, tok}, target{baseURL, tok}, conc)
			b.ReportMetric(float64(b.N)/lat.wall.Seconds(), "sessions/s")
			b.ReportMetric(lat.pct(50).Seconds()*1e3, "p50_ms")
			b.ReportMetric(lat.pct(99).Seconds()*1e3, "p99_ms")
			b.ReportMetric(baseLat.pct(99).Seconds()*1e3, "baseline_p99_ms")
			b.ReportMetric(lat.wall.Seconds()/baseLat.wall.Seconds(), "x_baseline")
			if got := srv.SessionsCreated(); got < int64(b.N) {
				b.Fatalf("created %d sessions for %d requests", got, b.N)
			}
		})
	}
}

// target is a Start Session URL and the token to call it with.
type target struct{ url, tok string }

// alternate sends b.N requests to measured and b.N to baseline, alternating
// in rounds so both see the same machine load; only measured's rounds are
// timed. Both latency lists come back sorted.
func alternate(b *testing.B, client *http.Client, measured, baseline target, conc int) (lat, baseLat latencies) {
	b.ResetTimer()
	for _, n := range rounds(b.N) {
		lat.add(load(b, client, measured.url, measured.tok, conc, n))
		b.StopTimer()
		baseLat.add(load(b, client, baseline.url, baseline.tok, conc, n))
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat.all)
	slices.Sort(baseLat.all)
	return lat, baseLat
}

type latencies struct {
	wall time.Duration
	all  []time.Duration
}

func (l *latencies) add(o latencies) {
	l.wall += o.wall
	l.all = append(l.all, o.all...)
}

// rounds splits n into up to 10 rounds.
func rounds(n int) []int {
	k := min(10, n)
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
	}
	out[0] += n % k
	return out
}

func (l latencies) pct(p int) time.Duration {
	if len(l.all) == 0 {
		return 0
	}
	return l.all[min(len(l.all)-1, len(l.all)*p/100)]
}

// load sends n Start Session requests from conc goroutines.
func load(b *testing.B, client *http.Client, u, tok string, conc, n int) latencies {
	b.Helper()
	var next atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, n/conc+1)
			for next.Add(1) <= int64(n) {
				req, _ := http.NewRequest("POST", u, strings.NewReader(startBody))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode != 200 {
					failed.Store(resp.Status)
					return
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if f := failed.Load(); f != nil {
		b.Fatalf("load: %v", f)
	}
	return latencies{wall: wall, all: all}
}

// startBaseline serves a handler that reads the body and answers a fixed
// JSON document: the cost of net/http on loopback alone.
func startBaseline(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"sessionId":"0c9a4b2e-5d17-4f3a-8e60-aa11bb22cc33"}`))
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

// BenchmarkStartSessionManyLive measures whether live sessions slow Start
// Session down: 64 callers on an emulator already holding 100,000 live
// sessions vs a fresh one, measured in the same run and alternating in
// rounds. The session store is built for the garbage collector never to scan
// it, so the ratio should stay near 1. Reported: p99_ms and sessions/s with
// the sessions, fresh_p99_ms, and x_fresh (time with / time without).
func BenchmarkStartSessionManyLive(b *testing.B) {
	const live, conc = 100_000, 64
	fresh, loaded := start(b, nil), start(b, nil)
	freshTok, loadedTok := token(b, fresh), token(b, loaded)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	freshURL := fresh.URL + emulator.APIPrefix + "/agents/" + agentID + "/sessions"
	loadedURL := loaded.URL + emulator.APIPrefix + "/agents/" + agentID + "/sessions"
	load(b, client, loadedURL, loadedTok, conc, live)
	load(b, client, freshURL, freshTok, conc, 200) // warm connections
	b.Run(fmt.Sprintf("live=%d", live), func(b *testing.B) {
		lat, freshLat := alternate(b, client, target{loadedURL, loadedTok}, target{freshURL, freshTok}, conc)
		b.ReportMetric(float64(b.N)/lat.wall.Seconds(), "sessions/s")
		b.ReportMetric(lat.pct(99).Seconds()*1e3, "p99_ms")
		b.ReportMetric(freshLat.pct(99).Seconds()*1e3, "fresh_p99_ms")
		b.ReportMetric(lat.wall.Seconds()/freshLat.wall.Seconds(), "x_fresh")
		if st := loaded.State(); st.SessionsActive < live {
			b.Fatalf("the loaded emulator holds %d sessions, want at least %d", st.SessionsActive, live)
		}
	})
}

// BenchmarkHandlerStartSessionVariedValues measures what a body whose
// variable values change with every conversation costs against the same
// body repeated, in the same run (x_repeated = varied time / repeated
// time). Variable values stay part of the schema verdict cache's key since
// a value's allowed JSON types depend on its variable's type (agent-api.md
// §13), so each varied body is validated in full.
func BenchmarkHandlerStartSessionVariedValues(b *testing.B) {
	h, err := emulator.New(emulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := h.MintToken(emulator.DemoClientID, time.Hour, "http://127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	send := func(body string) {
		r := httptest.NewRequest("POST", emulator.APIPrefix+"/agents/"+agentID+"/sessions", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	seq := 0
	measure := func(varied bool, n int) time.Duration {
		start := time.Now()
		for range n {
			body := startBody
			if varied {
				seq++
				body = strings.Replace(startBody, `"value": "gold"`, `"value": "tier-`+strconv.Itoa(seq)+`"`, 1)
			}
			send(body)
		}
		return time.Since(start)
	}
	alternateRounds(b, "x_repeated", func(n int) time.Duration { return measure(true, n) }, func(n int) time.Duration { return measure(false, n) })
}
