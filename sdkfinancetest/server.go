// Package sdkfinancetest runs an in-memory SDK.Finance API on a loopback
// port for tests, in the manner of net/http/httptest.
//
// The server implements the identification reset operations of the
// System Operator API under the root /api/v1: login with an optional
// one-time password, logout, viewing reset requests page by page,
// approving, declining, asking for a reset, and resetting with profile
// fields. It checks the Authorization header ("TOKEN <token>" by default)
// and the RESET_IDENTIFICATION_INITIATOR permission, and every error
// response carries the API's JSON error envelope. Methods of Server seed
// users and requests and report the state and request counts that tests
// assert on. InjectFaults and SetFaultFunc make chosen requests fail, for
// tests of retries and of lost responses.
//
// The error codes are readable stand-ins, listed as the Code constants,
// because the real API's codes are not documented publicly.
package sdkfinancetest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdkfinance-go/sdkfinance/internal/sandbox"
)

// Seeded operator login. The values are fixed so that example output is stable.
const (
	OperatorLogin    = "operator@sandbox.local"
	OperatorPassword = "sandbox-operator-password"
)

// PermissionResetIdentification is the permission that viewing, approving,
// declining and resetting need.
const PermissionResetIdentification = sandbox.PermissionResetIdentification

// Known status values of a reset request. A user's identification status
// is StatusApproved until a reset sets it to StatusPending.
const (
	StatusPending  = sandbox.StatusPending
	StatusApproved = sandbox.StatusApproved
	StatusDeclined = sandbox.StatusDeclined
)

// Codes of the error envelope and the HTTP status each comes with.
const (
	CodeInvalidRequest     = sandbox.CodeInvalidRequest     // 400
	CodeInvalidCredentials = sandbox.CodeInvalidCredentials // 401, wrong login or password
	CodeInvalidOTP         = sandbox.CodeInvalidOTP         // 401, wrong one-time password
	CodeUnauthorized       = sandbox.CodeUnauthorized       // 401, missing or unknown token
	CodeTokenExpired       = sandbox.CodeTokenExpired       // 401
	CodeForbidden          = sandbox.CodeForbidden          // 403
	CodeNotFound           = sandbox.CodeNotFound           // 404
	CodeMethodNotAllowed   = sandbox.CodeMethodNotAllowed   // 405
	CodeAlreadyProcessed   = sandbox.CodeAlreadyProcessed   // 409, request not pending
	CodeAlreadyPending     = sandbox.CodeAlreadyPending     // 409, user has a pending request
	CodeInternal           = sandbox.CodeInternal           // 500
)

// Server is an SDK.Finance API listening on a loopback port.
type Server struct {
	// URL is the API root, such as http://127.0.0.1:41234/api/v1.
	URL string
	// Operator is the seeded operator login, which holds PermissionResetIdentification.
	Operator Credentials
	// OperatorUserID is the user id of the seeded operator.
	OperatorUserID string
	// OperatorOrganizationID is the organization of every operator.
	OperatorOrganizationID string

	sandbox   *sandbox.Sandbox
	http      *http.Server
	served    chan struct{} // closed when the serve goroutine returns
	closeOnce sync.Once
	openConns atomic.Int64 // connections accepted and not yet closed or hijacked
}

// Option changes a setting of NewServer.
type Option func(*config)

type config struct {
	sandbox sandbox.Config
}

// WithMaxPageSize sets the largest pageSize that the view operation
// accepts. A larger one gets 400. The default is 1000.
func WithMaxPageSize(n int) Option {
	return func(c *config) { c.sandbox.MaxPageSize = n }
}

// WithTokenTTL sets how long issued tokens stay valid. The default is one hour.
func WithTokenTTL(d time.Duration) Option {
	return func(c *config) { c.sandbox.TokenTTL = d }
}

// WithAuthSchemes sets the accepted schemes of the Authorization header,
// compared case-insensitively. The default is "TOKEN", the scheme that
// the vendor's web client sends.
func WithAuthSchemes(schemes ...string) Option {
	return func(c *config) { c.sandbox.AuthSchemes = schemes }
}

// WithLogger sets the logger of server errors. The default discards them.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) { c.sandbox.Logger = logger }
}

// NewServer starts a server on 127.0.0.1 with a port chosen by the system
// and seeds the operator login. It fails when an option is out of range or
// no port can be opened. Call Close when done.
func NewServer(opts ...Option) (*Server, error) {
	var cfg config
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.sandbox.Logger == nil {
		cfg.sandbox.Logger = slog.New(slog.DiscardHandler)
	}
	sb, err := sandbox.New(cfg.sandbox)
	if err != nil {
		return nil, fmt.Errorf("sdkfinancetest: %w", err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sdkfinancetest: listen on 127.0.0.1: %w", err)
	}

	logger := cfg.sandbox.Logger
	s := &Server{
		URL:                    "http://" + listener.Addr().String() + sandbox.BasePath,
		Operator:               Credentials{Login: OperatorLogin, Password: OperatorPassword},
		OperatorOrganizationID: sb.OperatorOrganizationID(),
		sandbox:                sb,
		http: &http.Server{
			Handler:  sb.Handler(),
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		served: make(chan struct{}),
	}
	s.http.ConnState = s.trackConnState
	s.OperatorUserID = sb.AddOperator(OperatorLogin, OperatorPassword,
		[]string{PermissionResetIdentification})

	go func() {
		defer close(s.served)
		err := s.http.Serve(listener)
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("sdkfinancetest: server stopped", "addr", listener.Addr(), "error", err)
		}
	}()
	return s, nil
}

// OpenConnections returns how many client connections the server holds
// open, idle ones included. A test can check it after its clients closed
// their idle connections to find a connection that a client leaked.
func (s *Server) OpenConnections() int {
	return int(s.openConns.Load())
}

func (s *Server) trackConnState(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		s.openConns.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.openConns.Add(-1)
	}
}

// Close stops the server, closing every connection, and waits until it
// has stopped. Calling Close again does nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		_ = s.http.Close()
		<-s.served
	})
}
