package sandbox

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Values of AuthorizationResponse.Action.
const (
	ActionTokenCreated = "TOKEN_CREATED"
	ActionOTPSent      = "OTP_SENT"
)

// Login checks a login and password. A login that needs a one-time
// password gets ActionOTPSent and no token.
func (s *Sandbox) Login(_ context.Context,
	request LoginRequestObject,
) (LoginResponseObject, error) {
	body := request.Body
	if apiErr := requireFields("login", body.Login, "password", body.Password); apiErr != nil {
		return LogindefaultJSONResponse(apiErr.response()), nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	a, ok := s.st.accounts[body.Login]
	if !ok || !equalSecrets(a.password, body.Password) {
		apiErr := newError(http.StatusUnauthorized, CodeInvalidCredentials,
			"", "invalid login or password")
		return LogindefaultJSONResponse(apiErr.response()), nil
	}
	if a.otp != "" {
		a.otpSent = true
		action := ActionOTPSent
		return Login200JSONResponse{Action: &action}, nil
	}
	return Login200JSONResponse(s.tokenCreatedLocked(a)), nil
}

// ConfirmLogin checks the one-time password of a login that got
// ActionOTPSent and responds like a successful Login.
func (s *Sandbox) ConfirmLogin(_ context.Context,
	request ConfirmLoginRequestObject,
) (ConfirmLoginResponseObject, error) {
	body := request.Body
	if apiErr := requireFields("login", body.Login, "otp", body.OTP); apiErr != nil {
		return ConfirmLogindefaultJSONResponse(apiErr.response()), nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	a, ok := s.st.accounts[body.Login]
	if !ok || !a.otpSent || !equalSecrets(a.otp, body.OTP) {
		apiErr := newError(http.StatusUnauthorized, CodeInvalidOTP,
			"otp", "invalid one-time password, or no login is waiting for one")
		return ConfirmLogindefaultJSONResponse(apiErr.response()), nil
	}
	a.otpSent = false
	return ConfirmLogin200JSONResponse(s.tokenCreatedLocked(a)), nil
}

// Logout revokes the caller's token.
func (s *Sandbox) Logout(ctx context.Context, _ LogoutRequestObject) (LogoutResponseObject, error) {
	c, ok := callerFrom(ctx)
	if !ok {
		return nil, errNoCaller
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	if sess, ok := s.st.sessions[c.token]; ok {
		sess.revoked = true
	}
	return Logout200JSONResponse(statusOK()), nil
}

// tokenCreatedLocked issues a token for a and returns the TOKEN_CREATED
// response with one member. The caller holds s.mu.
func (s *Sandbox) tokenCreatedLocked(a *account) AuthorizationResponse {
	sess := s.issueSessionLocked(a.login)
	// Copies, because the response is encoded after s.mu is released.
	u := *s.st.users[a.userID]
	org := s.st.organizations[u.orgID]
	tokenValue, expiresAt := sess.token, sess.expiresAt
	token := AuthorizationToken{Token: &tokenValue, ExpiresAt: &expiresAt}
	permissions := slices.Clone(a.permissions)
	if permissions == nil {
		permissions = []string{}
	}
	members := []Member{{
		Organization: &Organization{ID: &org.id, Name: &org.name, Type: &org.kind},
		Role:         &u.role,
		Permissions:  &permissions,
		Token:        &token,
		User:         &User{ID: &u.id, Name: &u.name},
	}}
	action := ActionTokenCreated
	return AuthorizationResponse{Action: &action, AuthorizationToken: &token, Members: &members}
}

// authenticate checks the value of an Authorization header, "<scheme>
// <token>", and returns the token's caller.
func (s *Sandbox) authenticate(header string) (caller, *apiError) {
	unauthorized := func(message string) *apiError {
		return newError(http.StatusUnauthorized, CodeUnauthorized, "Authorization", message)
	}
	if header == "" {
		return caller{}, unauthorized("missing Authorization header")
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !slices.ContainsFunc(s.cfg.AuthSchemes, func(accepted string) bool {
		return strings.EqualFold(accepted, scheme)
	}) {
		return caller{}, unauthorized("unsupported Authorization scheme; accepted: " +
			strings.Join(s.cfg.AuthSchemes, ", "))
	}
	if token == "" {
		return caller{}, unauthorized("missing token in the Authorization header")
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	sess, ok := s.st.sessions[token]
	switch {
	case !ok:
		return caller{}, unauthorized("unknown token")
	case sess.revoked:
		return caller{}, unauthorized("the token was revoked by a logout")
	case sess.expired || !time.Now().Before(sess.expiresAt):
		return caller{}, newError(http.StatusUnauthorized, CodeTokenExpired,
			"Authorization", "the token expired; log in again")
	}
	a := s.st.accounts[sess.login]
	u := s.st.users[a.userID]
	return caller{
		token:       token,
		login:       a.login,
		userID:      u.id,
		orgID:       u.orgID,
		role:        u.role,
		permissions: slices.Clone(a.permissions),
	}, nil
}

// requireFields takes name and value pairs and returns a 400 error naming
// every empty value, or nil.
func requireFields(pairs ...string) *apiError {
	var apiErr *apiError
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			continue
		}
		message := pairs[i] + " is required"
		if apiErr == nil {
			apiErr = newError(http.StatusBadRequest, CodeInvalidRequest, pairs[i], message)
		} else {
			apiErr.withField(pairs[i], message)
		}
	}
	return apiErr
}

// equalSecrets compares a stored secret with a received one in constant time.
func equalSecrets(stored, received string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(received)) == 1
}

func statusOK() StatusResponse {
	status, message := "ok", "processed successfully"
	return StatusResponse{Status: &status, Message: &message}
}
