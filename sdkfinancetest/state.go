package sdkfinancetest

import (
	"fmt"
	"log/slog"

	"github.com/sdkfinance-go/sdkfinance/internal/sandbox"
)

const redacted = "REDACTED"

// Credentials is a login and password of the server.
// String, GoString and LogValue show the password as REDACTED.
type Credentials struct {
	Login    string
	Password string
}

// String returns the credentials in the form of fmt's %v, with the
// password replaced.
func (c Credentials) String() string {
	return fmt.Sprintf("{%s %s}", c.Login, c.redactedPassword())
}

// GoString returns the credentials in the form of fmt's %#v, with the
// password replaced.
func (c Credentials) GoString() string {
	return fmt.Sprintf("sdkfinancetest.Credentials{Login:%q, Password:%q}",
		c.Login, c.redactedPassword())
}

// LogValue returns a group of the login and the replaced password.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("login", c.Login),
		slog.String("password", c.redactedPassword()),
	)
}

// redactedPassword returns REDACTED, or an empty string for an empty
// password so that a missing password stays visible.
func (c Credentials) redactedPassword() string {
	if c.Password == "" {
		return ""
	}
	return redacted
}

// User is a user of the server and the state of its identification.
type User struct {
	ID             string
	Name           string
	OrganizationID string
	Role           string
	// Login is the user's own login, for calls such as asking for a reset.
	Login Credentials
	// IdentificationStatus is StatusApproved until a reset sets it to StatusPending.
	IdentificationStatus string
	// ResetCount counts approved reset requests and calls of the reset endpoint.
	ResetCount int
	// FieldsToUpdate holds the profile fields named by the last call of the
	// reset endpoint.
	FieldsToUpdate []string
}

// ResetRequest is a reset identification request.
type ResetRequest struct {
	ID              string
	Description     string
	OrganizationID  string
	Status          string
	InitiatorUserID string
	InitiatorRole   string
}

// RequestOption sets a field of a reset request made by AddResetRequest.
type RequestOption func(*requestConfig)

type requestConfig struct {
	record sandbox.Record
}

// WithRequestID sets the id of a reset request. Any non-empty string
// works, such as "a/b", "../x", "%2F" or "ü", so that tests can check how
// a client escapes path segments. By default the server generates a
// UUID-shaped id.
func WithRequestID(id string) RequestOption {
	return func(c *requestConfig) { c.record.ID = id }
}

// WithDescription sets the description of a reset request. The default is empty.
func WithDescription(description string) RequestOption {
	return func(c *requestConfig) { c.record.Description = description }
}

// WithOrganizationID sets the organizationId of a reset request. The
// default is the user's organization.
func WithOrganizationID(id string) RequestOption {
	return func(c *requestConfig) { c.record.OrganizationID = id }
}

// WithStatus sets the status of a reset request. The default is StatusPending.
func WithStatus(status string) RequestOption {
	return func(c *requestConfig) { c.record.Status = status }
}

// AddUser adds an end user in an organization of its own. The user gets a
// login named user<N>@sandbox.local with a random password, no
// permissions, and an approved identification.
func (s *Server) AddUser(name string) User {
	return userFrom(s.sandbox.AddUser(name))
}

// User returns the current state of a user.
func (s *Server) User(id string) (User, bool) {
	u, ok := s.sandbox.User(id)
	return userFrom(u), ok
}

// AddOperator adds an operator login with the given permissions, such as
// one without PermissionResetIdentification to test 403 responses. When the login
// exists already, AddOperator replaces its password and permissions.
func (s *Server) AddOperator(login, password string, permissions ...string) Credentials {
	s.sandbox.AddOperator(login, password, permissions)
	return Credentials{Login: login, Password: password}
}

// RequireOTP makes POST /authorization for a login return OTP_SENT without a token. The login then
// needs POST /authorization/confirm with otp. An empty otp turns the
// one-time password off again. It fails for an unknown login.
func (s *Server) RequireOTP(login, otp string) error {
	if err := s.sandbox.RequireOTP(login, otp); err != nil {
		return fmt.Errorf("sdkfinancetest: %w", err)
	}
	return nil
}

// AddResetRequest adds a reset request whose initiator is the user userID,
// pending by default. It fails for an unknown user or an id in use.
func (s *Server) AddResetRequest(userID string, opts ...RequestOption) (ResetRequest, error) {
	var c requestConfig
	for _, opt := range opts {
		opt(&c)
	}
	stored, err := s.sandbox.AddResetRequest(userID, c.record)
	if err != nil {
		return ResetRequest{}, fmt.Errorf("sdkfinancetest: %w", err)
	}
	return ResetRequest(stored), nil
}

// ResetRequest returns the current state of a reset request.
func (s *Server) ResetRequest(id string) (ResetRequest, bool) {
	r, ok := s.sandbox.ResetRequest(id)
	return ResetRequest(r), ok
}

// ApprovalCount returns how many approvals of the reset request succeeded.
// A client that retries an approval correctly leaves it at 1.
func (s *Server) ApprovalCount(id string) int {
	return s.sandbox.ApprovalCount(id)
}

// RequestCount returns how many requests the operation received, with
// operationID as in the OpenAPI document, such as
// "approveResetIdentification". Requests rejected with 401 or 403 count.
// Requests with a body that is not valid JSON for the operation do not.
func (s *Server) RequestCount(operationID string) int {
	return s.sandbox.RequestCount(operationID)
}

// IssueToken returns a valid token for a login without a login request,
// skipping its one-time password. It fails for an unknown login.
func (s *Server) IssueToken(login string) (string, error) {
	token, err := s.sandbox.IssueToken(login)
	if err != nil {
		return "", fmt.Errorf("sdkfinancetest: %w", err)
	}
	return token, nil
}

// ExpireTokens makes every token issued so far expired, so requests with
// them get 401 with CodeTokenExpired. Tokens issued afterwards are valid.
func (s *Server) ExpireTokens() {
	s.sandbox.ExpireTokens()
}

func userFrom(u sandbox.UserState) User {
	return User{
		ID:                   u.ID,
		Name:                 u.Name,
		OrganizationID:       u.OrganizationID,
		Role:                 u.Role,
		Login:                Credentials{Login: u.Login, Password: u.Password},
		IdentificationStatus: u.IdentificationStatus,
		ResetCount:           u.ResetCount,
		FieldsToUpdate:       u.FieldsToUpdate,
	}
}
