// Package sandbox is an in-memory SDK.Finance server for tests. It
// implements StrictServerInterface, which is generated from openapi.yaml,
// and serves it under BasePath.
//
// The sandbox stores logins, tokens, users and reset identification
// requests in memory, checks tokens and the RESET_IDENTIFICATION_INITIATOR
// permission, and counts requests per operation so that tests can assert
// how often a client called an endpoint.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// BasePath is the API root that the sandbox serves every operation under.
const BasePath = "/api/v1"

// PermissionResetIdentification is the permission that the view, approve,
// decline and reset operations need.
const PermissionResetIdentification = "RESET_IDENTIFICATION_INITIATOR"

// Status values of a reset request. A user's identification status uses
// StatusApproved and StatusPending too.
const (
	StatusPending  = "PENDING"
	StatusApproved = "APPROVED"
	StatusDeclined = "DECLINED"
)

// Roles and organization types the sandbox gives its users.
// NOTE: the real role and organization type names are not documented
// publicly, so these values are placeholders.
const (
	RoleOperator               = "OPERATOR"
	RoleIndividual             = "INDIVIDUAL"
	OrganizationTypeSystem     = "SYSTEM"
	OrganizationTypeIndividual = "INDIVIDUAL"
)

// Defaults of Config.
const (
	DefaultMaxPageSize = 1000
	DefaultPageSize    = 20
	DefaultTokenTTL    = time.Hour
	DefaultAuthScheme  = "TOKEN"
)

// Config holds the settings of a Sandbox. The zero value uses the defaults.
type Config struct {
	// MaxPageSize is the largest pageSize that the view operation accepts.
	MaxPageSize int
	// TokenTTL is how long an issued token stays valid.
	TokenTTL time.Duration
	// AuthSchemes lists the accepted schemes of the Authorization header,
	// compared case-insensitively. The default is DefaultAuthScheme only,
	// the scheme that the vendor's web client sends.
	AuthSchemes []string
	// Logger receives server errors. The default discards them.
	Logger *slog.Logger
}

// Sandbox is an in-memory SDK.Finance server. Its methods are safe for
// concurrent use.
type Sandbox struct {
	cfg         Config
	log         *slog.Logger
	operatorOrg organization

	// mu guards st: the logins, tokens, users, organizations, reset
	// requests and the approval and request counters.
	mu sync.Mutex
	st state

	// faults holds the faults that tests inject; see InjectFaults.
	faults faultTable
}

// New returns a Sandbox that holds one organization for operators and no
// users. It fails when a setting of cfg is out of range.
func New(cfg Config) (*Sandbox, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Sandbox{cfg: cfg, log: cfg.Logger, st: newState()}
	s.operatorOrg = s.st.addOrganization("SDK.Finance Sandbox", OrganizationTypeSystem)
	return s, nil
}

func (c *Config) setDefaults() error {
	switch {
	case c.MaxPageSize == 0:
		c.MaxPageSize = DefaultMaxPageSize
	case c.MaxPageSize < 1:
		return fmt.Errorf("sandbox: invalid MaxPageSize %d: must be at least 1", c.MaxPageSize)
	}
	switch {
	case c.TokenTTL == 0:
		c.TokenTTL = DefaultTokenTTL
	case c.TokenTTL < 0:
		return fmt.Errorf("sandbox: invalid TokenTTL %v: must be positive", c.TokenTTL)
	}
	if len(c.AuthSchemes) == 0 {
		c.AuthSchemes = []string{DefaultAuthScheme}
	}
	for _, scheme := range c.AuthSchemes {
		if scheme == "" || strings.ContainsFunc(scheme, unicode.IsSpace) {
			return fmt.Errorf("sandbox: invalid auth scheme %q: must be one non-empty word", scheme)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// OperatorOrganizationID returns the id of the organization that holds
// every operator.
func (s *Sandbox) OperatorOrganizationID() string {
	return s.operatorOrg.id
}

// Handler returns the HTTP handler of the API, with every route under
// BasePath. Every error response, unknown routes included, carries the
// JSON error envelope.
func (s *Sandbox) Handler() http.Handler {
	strict := NewStrictHandlerWithOptions(s, []StrictMiddlewareFunc{s.authorize},
		StrictHTTPServerOptions{
			RequestErrorHandlerFunc:  s.writeRequestError,
			ResponseErrorHandlerFunc: s.writeResponseError,
		})
	mux := http.NewServeMux()
	HandlerWithOptions(strict, StdHTTPServerOptions{
		BaseURL:          BasePath,
		BaseRouter:       mux,
		ErrorHandlerFunc: s.writeParameterError,
	})
	return s.injectFaults(s.logErrors(routeErrors(mux, s)))
}

// logErrors logs every response with a 4xx or 5xx status at debug level.
// Server errors are logged at error level where they happen.
func (s *Sandbox) logErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status >= http.StatusBadRequest {
			s.log.DebugContext(r.Context(), "sandbox: error response",
				"method", r.Method, "path", r.URL.Path, "status", sw.status)
		}
	})
}

// LogRequests wraps next to log the method, path, status and duration of
// every request at Info. It never logs headers or bodies, which carry
// tokens and passwords.
func LogRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		logger.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
			"status", sw.statusOrOK(), "duration", time.Since(start).Round(time.Microsecond),
			"remote", r.RemoteAddr)
	})
}

// statusWriter is a ResponseWriter that keeps the status it passes on.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (sw *statusWriter) WriteHeader(status int) {
	if sw.status == 0 {
		sw.status = status
	}
	sw.ResponseWriter.WriteHeader(status)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	return sw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying ResponseWriter.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// statusOrOK returns the status sent, or 200 for a handler that wrote nothing.
func (sw *statusWriter) statusOrOK() int {
	if sw.status == 0 {
		return http.StatusOK
	}
	return sw.status
}

// caller is the authenticated identity of a request.
type caller struct {
	token       string
	login       string
	userID      string
	orgID       string
	role        string
	permissions []string
}

type callerKey struct{}

func callerFrom(ctx context.Context) (caller, bool) {
	c, ok := ctx.Value(callerKey{}).(caller)
	return c, ok
}

// authorize is the strict middleware of every operation. It counts the
// request, then, except for the login operations, checks the Authorization
// header and the permission and puts the caller into the context.
func (s *Sandbox) authorize(next StrictHandlerFunc, name string) StrictHandlerFunc {
	operationID := operationIDFromName(name)
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request,
		request any) (any, error) {
		s.countRequest(operationID)
		if !s.beforeHandling(ctx, operationID, r) {
			return nil, nil // The injected fault responds in place of the handler.
		}
		if operationID == "login" || operationID == "confirmLogin" {
			return next(ctx, w, r, request)
		}
		c, apiErr := s.authenticate(r.Header.Get("Authorization"))
		if apiErr != nil {
			return nil, apiErr
		}
		if needsResetPermission(operationID) && !hasPermission(c, PermissionResetIdentification) {
			return nil, newError(http.StatusForbidden, CodeForbidden,
				"Authorization", "the caller lacks the permission "+PermissionResetIdentification).
				withParameter("permission", PermissionResetIdentification)
		}
		return next(context.WithValue(ctx, callerKey{}, c), w, r, request)
	}
}

func (s *Sandbox) countRequest(operationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.operations[operationID]++
}

func needsResetPermission(operationID string) bool {
	switch operationID {
	case "viewResetIdentificationRequests", "approveResetIdentification",
		"declineResetIdentification", "rebootIdentificationWithRemarks":
		return true
	}
	return false
}

func hasPermission(c caller, permission string) bool {
	for _, p := range c.permissions {
		if p == permission {
			return true
		}
	}
	return false
}

// operationIDFromName turns the Go operation name that the strict handler
// passes to middleware, such as "ApproveResetIdentification", into the
// operationId of the OpenAPI document by lowering its first letter.
func operationIDFromName(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	if r == utf8.RuneError {
		return name
	}
	return string(unicode.ToLower(r)) + name[size:]
}

// routeErrors responds to requests that match no route with the error
// envelope: 404 for an unknown path and 405, with the Allow header, for a
// known path with another method. Every other request goes to mux.
func routeErrors(mux *http.ServeMux, s *Sandbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusRecorder{header: make(http.Header)}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeError(w, newError(probe.status, CodeMethodNotAllowed,
				"", "method "+r.Method+" is not allowed on this path"))
		case http.StatusNotFound:
			writeError(w, newError(probe.status, CodeNotFound, "", "no route for this path"))
		default:
			// A redirect to a cleaned path, which mux serves itself.
			mux.ServeHTTP(w, r)
		}
	})
}

// statusRecorder is a ResponseWriter that keeps the header and status and
// drops the body.
type statusRecorder struct {
	header http.Header
	status int
}

func (rec *statusRecorder) Header() http.Header { return rec.header }

func (rec *statusRecorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

func (rec *statusRecorder) Write(b []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return len(b), nil
}

// errNoCaller is a server error: an operation that needs a caller ran
// without the authorize middleware.
var errNoCaller = errors.New("sandbox: no authenticated caller in the request context")
