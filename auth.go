package sdkfinance

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sdkfinance-go/sdkfinance/internal/api"
)

// PermissionResetIdentification is the permission an operator needs to
// list, approve and decline reset identification requests.
const PermissionResetIdentification = "RESET_IDENTIFICATION_INITIATOR"

// refreshMargin is how long before its expiry a cached login token is
// replaced, so that a request does not set out with a token about to lapse.
const refreshMargin = time.Minute

// OTPFunc returns the one-time password SDK.Finance sent to the user of
// login, for a login that needs one. It may block, for example to ask a
// person, and should return when ctx is done.
type OTPFunc func(ctx context.Context, login string) (string, error)

// WithToken makes the client send token in the Authorization header of
// every request, as it is. The client never logs in by itself, so an
// expired token gives errors matching [ErrUnauthorized].
func WithToken(token string) Option {
	return func(cfg *config) error {
		if token == "" || hasControl(token) || strings.ContainsAny(token, " \t") {
			return invalidOption("WithToken", "got an empty token or one with spaces or control "+
				"characters; pass the token alone, without the scheme")
		}
		cfg.token = &secret{value: token}
		return nil
	}
}

// WithCredentials makes the client log in with login and password
// (POST /authorization) before its first request that needs a token, and
// reuse the token until shortly before it expires. When the server rejects
// the token with 401, the client logs in again once and replays the
// request. Many goroutines that need a token at once cause one login.
//
// The client uses the token of the login's member (organization and role)
// that holds [PermissionResetIdentification], unless [WithOrganization]
// names another.
func WithCredentials(login, password string) Option {
	return func(cfg *config) error {
		if login == "" || hasControl(login) {
			return invalidOption("WithCredentials", "got an empty login or one with control characters")
		}
		if password == "" {
			return invalidOption("WithCredentials", "got an empty password")
		}
		cfg.login = login
		cfg.password = &secret{value: password}
		return nil
	}
}

// WithOTP sets the callback that supplies a one-time password when a login
// responds that one was sent (action OTP_SENT). The client then confirms the
// login with POST /authorization/confirm. Without it such a login fails
// with an error matching [ErrOTPRequired].
func WithOTP(fn OTPFunc) Option {
	return func(cfg *config) error {
		if fn == nil {
			return invalidOption("WithOTP", "got a nil function")
		}
		cfg.otp = fn
		return nil
	}
}

// WithOrganization makes a login use the token of its member in the
// organization with this id, in place of the member that holds
// [PermissionResetIdentification].
func WithOrganization(organizationID string) Option {
	return func(cfg *config) error {
		if organizationID == "" || hasControl(organizationID) {
			return invalidOption("WithOrganization", "got an empty id or one with control characters")
		}
		cfg.orgID = organizationID
		return nil
	}
}

// WithAuthScheme sets the scheme word in the Authorization header, which
// reads "<scheme> <token>". The default is [DefaultAuthScheme], "TOKEN", as
// SDK.Finance's own web client sends; some installations may take "Bearer".
func WithAuthScheme(scheme string) Option {
	return func(cfg *config) error {
		if scheme == "" || hasControl(scheme) || strings.ContainsAny(scheme, " \t") {
			return invalidOption("WithAuthScheme", "got an empty scheme or one with spaces; "+
				"pass a single word such as TOKEN or Bearer")
		}
		cfg.authScheme = scheme
		return nil
	}
}

// secret holds a token or password. Its methods never show the value, and
// the structs that hold one keep it behind a pointer, which fmt prints as
// an address.
type secret struct {
	value string
}

const redacted = "[REDACTED]"

func (s *secret) String() string               { return redacted }
func (s *secret) GoString() string             { return redacted }
func (s *secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (s *secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// authenticator supplies the token for requests, logging in when needed.
type authenticator struct {
	client   *Client
	scheme   string
	static   *secret // set by WithToken
	login    string  // set by WithCredentials
	password *secret
	otp      OTPFunc
	orgID    string

	// loginSlot is a one-slot semaphore held while logging in, so that one
	// goroutine logs in while the others wait or give up with their ctx.
	loginSlot chan struct{}
	// current is the cached login; read and written only while holding
	// loginSlot.
	current *session
}

// session is the result of one login.
type session struct {
	token       *secret
	expiresAt   time.Time // zero when the server sent no expiry
	permissions []string  // of the chosen member; nil when no members were listed
	members     bool      // whether the server listed members
	orgID       string
}

func newAuthenticator(c *Client, cfg config) *authenticator {
	return &authenticator{
		client:    c,
		scheme:    cfg.authScheme,
		static:    cfg.token,
		login:     cfg.login,
		password:  cfg.password,
		otp:       cfg.otp,
		orgID:     cfg.orgID,
		loginSlot: make(chan struct{}, 1),
	}
}

func (a *authenticator) kind() string {
	switch {
	case a.static != nil:
		return "token"
	case a.password != nil:
		return "credentials"
	}
	return "none"
}

func (a *authenticator) canLogin() bool { return a.password != nil }

// token returns the token to send, logging in first when the cached one is
// missing or about to expire. It returns "" when the client has no
// credentials at all.
func (a *authenticator) token(ctx context.Context) (string, error) {
	if a.static != nil {
		return a.static.value, nil
	}
	if a.password == nil {
		return "", nil
	}
	s, err := a.session(ctx)
	if err != nil {
		return "", err
	}
	return s.token.value, nil
}

// session returns a valid login, logging in while holding loginSlot.
func (a *authenticator) session(ctx context.Context) (*session, error) {
	select {
	case a.loginSlot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-a.loginSlot }()

	if s := a.current; s != nil && s.fresh(time.Now()) {
		return s, nil
	}
	s, err := a.logIn(ctx)
	if err != nil {
		return nil, err
	}
	a.current = s
	return s, nil
}

func (s *session) fresh(now time.Time) bool {
	return s.expiresAt.IsZero() || now.Add(refreshMargin).Before(s.expiresAt)
}

// invalidate drops the cached login if it still holds token, so the next
// request logs in again.
func (a *authenticator) invalidate(token string) {
	a.loginSlot <- struct{}{}
	defer func() { <-a.loginSlot }()
	if a.current != nil && a.current.token.value == token {
		a.current = nil
	}
}

// identity returns the login and the organization of its chosen member,
// as far as the client knows them.
func (a *authenticator) identity() (login, organizationID string) {
	if a.password == nil {
		return "", ""
	}
	a.loginSlot <- struct{}{}
	defer func() { <-a.loginSlot }()
	if a.current != nil {
		organizationID = a.current.orgID
	}
	return a.login, organizationID
}

// requirePermission fails with a *PermissionError when the login is known
// to lack perm. With a token given by WithToken nothing is known, and the
// server's 403 decides.
func (a *authenticator) requirePermission(ctx context.Context, perm string) error {
	if a.password == nil {
		return nil
	}
	s, err := a.session(ctx)
	if err != nil {
		return err
	}
	if s.members && !slices.Contains(s.permissions, perm) {
		return &PermissionError{Permission: perm, Login: a.login}
	}
	return nil
}

// logIn calls POST /authorization and, when a one-time password was sent,
// POST /authorization/confirm.
func (a *authenticator) logIn(ctx context.Context) (*session, error) {
	c := a.client
	body := api.LoginRequest{Login: a.login, Password: a.password.value}
	auth, err := c.authorize(ctx, "login", func(ctx context.Context, edit api.RequestEditorFn) (*http.Response, error) {
		return c.api.Login(ctx, body, edit)
	})
	if err != nil {
		return nil, err
	}
	if deref(auth.Action) == actionOTPSent {
		if auth, err = a.confirm(ctx); err != nil {
			return nil, err
		}
	}
	s, err := a.pickMember(auth)
	if err != nil {
		return nil, err
	}
	c.logger.InfoContext(ctx, "sdkfinance: logged in", "organization_id", s.orgID,
		"expires_at", s.expiresAt)
	return s, nil
}

const (
	actionOTPSent      = "OTP_SENT"
	actionTokenCreated = "TOKEN_CREATED"
)

func (a *authenticator) confirm(ctx context.Context) (*api.AuthorizationResponse, error) {
	if a.otp == nil {
		return nil, fmt.Errorf("sdkfinance: login %q: a one-time password was sent; "+
			"pass WithOTP to supply it: %w", a.login, ErrOTPRequired)
	}
	code, err := a.otp(ctx, a.login)
	if err != nil {
		return nil, fmt.Errorf("sdkfinance: get the one-time password: %w", err)
	}
	c := a.client
	body := api.ConfirmRequest{Login: a.login, OTP: code}
	auth, err := c.authorize(ctx, "confirmLogin", func(ctx context.Context, edit api.RequestEditorFn) (*http.Response, error) {
		return c.api.ConfirmLogin(ctx, body, edit)
	})
	if err != nil {
		return nil, err
	}
	if deref(auth.Action) == actionOTPSent {
		return nil, fmt.Errorf("sdkfinance: login %q: the one-time password was not accepted: %w",
			a.login, ErrOTPRequired)
	}
	return auth, nil
}

// authorize sends a login or confirm request and decodes its response.
func (c *Client) authorize(ctx context.Context, name string,
	call func(context.Context, api.RequestEditorFn) (*http.Response, error),
) (*api.AuthorizationResponse, error) {
	var out api.AuthorizationResponse
	op := operation{name: name, kind: safeToRepeat, call: call}
	if err := c.do(ctx, op, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// pickMember chooses the member whose token the client uses: the one in
// the organization WithOrganization named, else the first that holds
// PermissionResetIdentification, else the first. A login that lists no
// members uses the top-level token.
func (a *authenticator) pickMember(auth *api.AuthorizationResponse) (*session, error) {
	members := deref(auth.Members)
	if len(members) == 0 {
		return sessionFromToken(auth.AuthorizationToken, nil, false, "")
	}
	idx := -1
	for i, m := range members {
		if a.orgID != "" {
			if m.Organization != nil && deref(m.Organization.ID) == a.orgID {
				idx = i
				break
			}
			continue
		}
		if slices.Contains(deref(m.Permissions), PermissionResetIdentification) {
			idx = i
			break
		}
	}
	if idx < 0 && a.orgID != "" {
		return nil, fmt.Errorf("sdkfinance: login %q has no member in organization %q; "+
			"check WithOrganization: %w", a.login, a.orgID, ErrForbidden)
	}
	idx = max(idx, 0)
	m := members[idx]
	tok := m.Token
	if tok == nil || deref(tok.Token) == "" {
		tok = auth.AuthorizationToken
	}
	orgID := ""
	if m.Organization != nil {
		orgID = deref(m.Organization.ID)
	}
	return sessionFromToken(tok, deref(m.Permissions), true, orgID)
}

func sessionFromToken(tok *api.AuthorizationToken, perms []string, members bool,
	orgID string) (*session, error) {
	if tok == nil || deref(tok.Token) == "" {
		return nil, fmt.Errorf("sdkfinance: the login response carries no token: %w", ErrInvalidResponse)
	}
	return &session{
		token:       &secret{value: *tok.Token},
		expiresAt:   deref(tok.ExpiresAt),
		permissions: perms,
		members:     members,
		orgID:       orgID,
	}, nil
}

// Logout revokes the client's current token (DELETE /authorization) and
// drops it from the cache, so the next request logs in again. With [WithToken] the
// given token is revoked and later requests fail with 401.
func (c *Client) Logout(ctx context.Context) error {
	if !c.built() {
		return errNotBuilt()
	}
	token, err := c.auth.token(ctx)
	if err != nil {
		return err
	}
	if token == "" {
		return nil
	}
	op := operation{name: "logout", kind: safeToRepeat, auth: true,
		call: func(ctx context.Context, edit api.RequestEditorFn) (*http.Response, error) {
			return c.api.Logout(ctx, edit)
		}}
	if err := c.do(ctx, op, nil); err != nil {
		return err
	}
	if c.auth.canLogin() {
		c.auth.invalidate(token)
	}
	return nil
}

// hasControl reports whether s contains an ASCII or Unicode control
// character.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) })
}
