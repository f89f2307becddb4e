package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a running emulator on a TCP address.
type Server struct {
	*Handler
	// URL is http://host:port; it serves the token endpoint, the Agent API
	// (URL + APIPrefix) and the admin API.
	URL string
	// Addr is the bound address.
	Addr string

	srv       *http.Server
	done      chan struct{}
	closeOnce sync.Once
	err       error
}

// Start serves the emulator on opts.Addr (default 127.0.0.1:0) until Close
// or until ctx is cancelled. It refuses non-loopback addresses unless
// opts.AllowRemote is set.
func Start(ctx context.Context, opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr, opts.AllowRemote); err != nil {
		return nil, err
	}
	h, err := New(opts)
	if err != nil {
		return nil, err
	}
	h.loopbackAdmin = !opts.AllowRemote
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen on %s: %w (pick a free port, or :0 for any)", addr, err)
	}
	s := &Server{Handler: h, Addr: ln.Addr().String(), URL: "http://" + ln.Addr().String(), done: make(chan struct{})}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(h.log.Handler(), slog.LevelDebug)}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.err = err
		}
	}()
	if ctx != nil && ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				_ = s.Close()
			case <-s.done:
			}
		}()
	}
	h.log.Info("emulator listening", "url", s.URL, "org", h.initial.MyDomain)
	return s, nil
}

// Close stops the server: in-flight requests get up to 2 s to finish, then
// connections are closed. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
		<-s.done
	})
	return s.err
}

// Done is closed when the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// loopbackHost reports whether host (a name or an IP, without port or
// brackets) is localhost or a loopback address.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkLoopback refuses addresses that are not on a loopback interface.
func checkLoopback(addr string, allowRemote bool) error {
	if allowRemote {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("emulator: address %q: %w (write host:port, e.g. 127.0.0.1:8080)", addr, err)
	}
	if loopbackHost(host) {
		return nil
	}
	return fmt.Errorf("emulator: refusing to listen on %q: it is not a loopback address; use 127.0.0.1:PORT, or pass --allow-remote (Options.AllowRemote) to expose the emulator on purpose", addr)
}
