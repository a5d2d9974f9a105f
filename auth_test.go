package sdkfinance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// authorizations returns the Authorization header of each request sent
// for operation, in order.
func authorizations(stub *stubAPI, operation string) []string {
	var out []string
	for _, r := range stub.of(operation) {
		out = append(out, r.Header.Get("Authorization"))
	}
	return out
}

func TestCredentialsLogInOnce(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, nil)
	c := stub.newClient(t, WithCredentials(testLogin, testPassword))
	ctx := context.Background()

	for i := 0; i < 3; i++ {
		if _, err := c.ListResetRequests(ctx, ListQuery{}); err != nil {
			t.Fatalf("list %d: %v", i+1, err)
		}
	}
	if _, err := c.ApproveResetRequest(ctx, "u1", "r1"); err != nil {
		t.Fatalf("ApproveResetRequest: %v", err)
	}

	if n := stub.count("login"); n != 1 {
		t.Errorf("sent %d logins, want 1 for four calls", n)
	}
	want := "TOKEN " + loginTokenPrefix + "1"
	for i, got := range append(authorizations(stub, "list"), authorizations(stub, "approve")...) {
		if got != want {
			t.Errorf("request %d Authorization = %q, want the cached token %q", i+1, got, want)
		}
	}
}

func TestConcurrentCallsLogInOnce(t *testing.T) {
	t.Parallel()
	const callers = 50
	stub := newStubAPI(t, nil)
	c := stub.newClient(t, WithCredentials(testLogin, testPassword))

	start := make(chan struct{})
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := c.ListResetRequests(context.Background(), ListQuery{})
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)

	for err := range errs {
		if err != nil {
			t.Errorf("ListResetRequests: %v", err)
		}
	}
	if n := stub.count("login"); n != 1 {
		t.Errorf("sent %d logins for %d concurrent calls, want 1", n, callers)
	}
	if n := stub.count("list"); n != callers {
		t.Errorf("sent %d lists, want %d", n, callers)
	}
	want := "TOKEN " + loginTokenPrefix + "1"
	for i, got := range authorizations(stub, "list") {
		if got != want {
			t.Errorf("list %d Authorization = %q, want %q", i+1, got, want)
		}
	}
}

func TestUnauthorizedTriggersOneRelogin(t *testing.T) {
	t.Parallel()
	calls := []struct {
		operation string
		run       func(c *Client) error
	}{
		{"list", func(c *Client) error {
			_, err := c.ListResetRequests(context.Background(), ListQuery{})
			return err
		}},
		{"approve", func(c *Client) error {
			_, err := c.ApproveResetRequest(context.Background(), "u1", "r1")
			return err
		}},
		{"decline", func(c *Client) error {
			_, err := c.DeclineResetRequest(context.Background(), "u1", "r1")
			return err
		}},
	}
	for _, call := range calls {
		t.Run(call.operation+" accepted after relogin", func(t *testing.T) {
			t.Parallel()
			// The server has revoked the first token and accepts the second.
			stub := newStubAPI(t, nil)
			stub.handle = func(r *stubRequest) (*http.Response, error) {
				if r.Header.Get("Authorization") == "TOKEN "+loginTokenPrefix+"1" {
					return jsonReply(http.StatusUnauthorized, `{"code":"TOKEN_EXPIRED"}`)
				}
				return stub.defaultRoutes(r)
			}
			c := stub.newClient(t, WithCredentials(testLogin, testPassword))
			if err := call.run(c); err != nil {
				t.Fatalf("%s after a 401: %v", call.operation, err)
			}
			if n := stub.count("login"); n != 2 {
				t.Errorf("sent %d logins, want 2 (the first and one after the 401)", n)
			}
			got := authorizations(stub, call.operation)
			if len(got) != 2 {
				t.Fatalf("sent %d %s requests, want 2 (the first and one replay)", len(got), call.operation)
			}
			if want := "TOKEN " + loginTokenPrefix + "2"; got[1] != want {
				t.Errorf("replay Authorization = %q, want the fresh token %q", got[1], want)
			}
		})

		t.Run(call.operation+" rejected twice", func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, nil)
			stub.handle = func(r *stubRequest) (*http.Response, error) {
				if r.Operation == call.operation {
					return jsonReply(http.StatusUnauthorized, `{"code":"TOKEN_EXPIRED"}`)
				}
				return stub.defaultRoutes(r)
			}
			c := stub.newClient(t, WithCredentials(testLogin, testPassword))
			err := call.run(c)
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("error = %v, want one matching ErrUnauthorized", err)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T is not an *APIError", err)
			}
			if apiErr.StatusCode != http.StatusUnauthorized {
				t.Errorf("StatusCode = %d, want 401", apiErr.StatusCode)
			}
			if n := stub.count("login"); n != 2 {
				t.Errorf("sent %d logins, want 2", n)
			}
			if n := stub.count(call.operation); n != 2 {
				t.Errorf("sent %d %s requests, want 2 (no second replay)", n, call.operation)
			}
			assertOneLineError(t, err)
		})
	}
}

func TestWithTokenUnauthorizedNotReplayed(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
		return jsonReply(http.StatusUnauthorized, `{"code":"TOKEN_EXPIRED"}`)
	})
	c := stub.newClient(t, WithToken(testToken))
	_, err := c.ListResetRequests(context.Background(), ListQuery{})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("error = %v, want one matching ErrUnauthorized", err)
	}
	if n := stub.count("list"); n != 1 {
		t.Errorf("sent %d lists, want 1 because a given token cannot be renewed", n)
	}
	if n := stub.count("login"); n != 0 {
		t.Errorf("sent %d logins, want none", n)
	}
	assertOneLineError(t, err)
}

func TestLoginRejectedNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   error
	}{
		{http.StatusUnauthorized, ErrUnauthorized},
		{http.StatusForbidden, ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				if r.Operation == "login" {
					return jsonReply(tc.status, `{"code":"BAD_CREDENTIALS","mdcId":"mdc-login"}`)
				}
				return nil, errors.New("stub: only the login is expected")
			})
			c := stub.newClient(t, WithCredentials(testLogin, testPassword))
			page, err := c.ListResetRequests(context.Background(), ListQuery{})
			if page != nil {
				t.Errorf("page = %+v, want nil", page)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want one matching %v", err, tc.want)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T is not an *APIError", err)
			}
			if apiErr.Path != "/api/v1/authorization" {
				t.Errorf("Path = %q, want the login path", apiErr.Path)
			}
			if n := stub.count("login"); n != 1 {
				t.Errorf("sent %d logins, want exactly 1", n)
			}
			if n := stub.count("list"); n != 0 {
				t.Errorf("sent %d lists, want none", n)
			}
			assertOneLineError(t, err)
		})
	}
}

func TestTokenNearExpiryRefreshed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		expiresIn  time.Duration
		noExpiry   bool
		wantLogins int
	}{
		{name: "expired", expiresIn: -time.Minute, wantLogins: 1},
		{name: "expires in 30s", expiresIn: 30 * time.Second, wantLogins: 1},
		{name: "expires in 59s", expiresIn: 59 * time.Second, wantLogins: 1},
		{name: "expires in 2m", expiresIn: 2 * time.Minute, wantLogins: 0},
		{name: "no expiry sent", noExpiry: true, wantLogins: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, nil)
			c := stub.newClient(t, WithCredentials(testLogin, testPassword))
			cached := &session{
				token:       &secret{value: loginTokenPrefix + "cached"},
				expiresAt:   time.Now().Add(tc.expiresIn),
				permissions: []string{PermissionResetIdentification},
				members:     true,
			}
			if tc.noExpiry {
				cached.expiresAt = time.Time{}
			}
			c.auth.current = cached

			if _, err := c.ListResetRequests(context.Background(), ListQuery{}); err != nil {
				t.Fatalf("ListResetRequests: %v", err)
			}
			if n := stub.count("login"); n != tc.wantLogins {
				t.Errorf("sent %d logins, want %d", n, tc.wantLogins)
			}
			want := "TOKEN " + loginTokenPrefix + "cached"
			if tc.wantLogins > 0 {
				want = "TOKEN " + loginTokenPrefix + "1"
			}
			if got := authorizations(stub, "list"); len(got) != 1 || got[0] != want {
				t.Errorf("list Authorization = %q, want [%q]", got, want)
			}
		})
	}
}

func TestShortLivedLoginTokenRenewed(t *testing.T) {
	t.Parallel()
	// Each login returns a token that expires within the refresh margin,
	// so every token request logs in again.
	var logins atomic.Int64
	stub := newStubAPI(t, nil)
	stub.handle = func(r *stubRequest) (*http.Response, error) {
		if r.Operation == "login" {
			token := fmt.Sprintf("%s%d", loginTokenPrefix, logins.Add(1))
			m := operatorMember("org-1", token)
			m["token"] = map[string]any{"token": token, "expiresAt": time.Now().Add(30 * time.Second)}
			return jsonReply(http.StatusOK, loginJSON(token, time.Now().Add(30*time.Second), m))
		}
		return stub.defaultRoutes(r)
	}
	c := stub.newClient(t, WithCredentials(testLogin, testPassword))
	if _, err := c.ListResetRequests(context.Background(), ListQuery{}); err != nil {
		t.Fatalf("first list: %v", err)
	}
	before := stub.count("login")
	if _, err := c.ListResetRequests(context.Background(), ListQuery{}); err != nil {
		t.Fatalf("second list: %v", err)
	}
	if after := stub.count("login"); after <= before {
		t.Errorf("logins before and after the second list = %d, %d, want a new login for a token "+
			"expiring within a minute", before, after)
	}
}

func TestOTPLogin(t *testing.T) {
	t.Parallel()
	otpSent := func(r *stubRequest) (*http.Response, error) {
		return jsonReply(http.StatusOK, `{"action":"OTP_SENT"}`)
	}

	t.Run("without WithOTP", func(t *testing.T) {
		t.Parallel()
		stub := newStubAPI(t, nil)
		stub.handle = func(r *stubRequest) (*http.Response, error) {
			if r.Operation == "login" {
				return otpSent(r)
			}
			return stub.defaultRoutes(r)
		}
		c := stub.newClient(t, WithCredentials(testLogin, testPassword))
		_, err := c.ListResetRequests(context.Background(), ListQuery{})
		if !errors.Is(err, ErrOTPRequired) {
			t.Errorf("error = %v, want one matching ErrOTPRequired", err)
		}
		if n := stub.count("confirm"); n != 0 {
			t.Errorf("sent %d confirms, want none", n)
		}
		if n := stub.count("list"); n != 0 {
			t.Errorf("sent %d lists, want none", n)
		}
		assertOneLineError(t, err)
	})

	t.Run("with WithOTP", func(t *testing.T) {
		t.Parallel()
		stub := newStubAPI(t, nil)
		stub.handle = func(r *stubRequest) (*http.Response, error) {
			switch r.Operation {
			case "login":
				return otpSent(r)
			case "confirm":
				token := loginTokenPrefix + "confirmed"
				return jsonReply(http.StatusOK, loginJSON(token, time.Now().Add(time.Hour),
					operatorMember("org-1", token)))
			}
			return stub.defaultRoutes(r)
		}
		var gotLogin string
		otp := func(_ context.Context, login string) (string, error) {
			gotLogin = login
			return "654321", nil
		}
		c := stub.newClient(t, WithCredentials(testLogin, testPassword), WithOTP(otp))
		if _, err := c.ListResetRequests(context.Background(), ListQuery{}); err != nil {
			t.Fatalf("ListResetRequests: %v", err)
		}

		if gotLogin != testLogin {
			t.Errorf("OTP function got login %q, want %q", gotLogin, testLogin)
		}

		confirms := stub.of("confirm")
		if len(confirms) != 1 {
			t.Fatalf("sent %d confirms, want 1", len(confirms))
		}
		assertJSONEqual(t, "confirm body", confirms[0].Body, `{"login":"op","otp":"654321"}`)
		if got, want := authorizations(stub, "list"), "TOKEN "+loginTokenPrefix+"confirmed"; len(got) != 1 || got[0] != want {
			t.Errorf("list Authorization = %q, want [%q]", got, want)
		}
	})

	t.Run("OTP rejected", func(t *testing.T) {
		t.Parallel()
		stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
			if r.Operation == "login" || r.Operation == "confirm" {
				return otpSent(r)
			}
			return nil, errors.New("stub: no list is expected")
		})
		otp := func(context.Context, string) (string, error) { return "000000", nil }
		c := stub.newClient(t, WithCredentials(testLogin, testPassword), WithOTP(otp))
		_, err := c.ListResetRequests(context.Background(), ListQuery{})
		if !errors.Is(err, ErrOTPRequired) {
			t.Errorf("error = %v, want one matching ErrOTPRequired", err)
		}
		if n := stub.count("list"); n != 0 {
			t.Errorf("sent %d lists, want none", n)
		}
	})

	t.Run("OTP function fails", func(t *testing.T) {
		t.Parallel()
		stub := newStubAPI(t, nil)
		stub.handle = func(r *stubRequest) (*http.Response, error) {
			if r.Operation == "login" {
				return otpSent(r)
			}
			return stub.defaultRoutes(r)
		}
		errNoCode := errors.New("operator closed the prompt")
		otp := func(context.Context, string) (string, error) { return "", errNoCode }
		c := stub.newClient(t, WithCredentials(testLogin, testPassword), WithOTP(otp))
		_, err := c.ListResetRequests(context.Background(), ListQuery{})
		if !errors.Is(err, errNoCode) {
			t.Errorf("error = %v, want one wrapping the OTP function's error", err)
		}
		if n := stub.count("confirm"); n != 0 {
			t.Errorf("sent %d confirms, want none", n)
		}
	})
}

func TestMemberSelection(t *testing.T) {
	t.Parallel()
	tokenA, tokenB, tokenC := loginTokenPrefix+"a", loginTokenPrefix+"b", loginTokenPrefix+"c"
	tests := []struct {
		name      string
		opts      []Option
		members   []map[string]any
		wantToken string
	}{
		{
			name: "member with the permission wins",
			members: []map[string]any{
				member("org-1", tokenA, "VIEW_PROFILES"),
				operatorMember("org-2", tokenB),
				operatorMember("org-3", tokenC),
			},
			wantToken: tokenB,
		},
		{
			name: "WithOrganization picks another",
			opts: []Option{WithOrganization("org-3")},
			members: []map[string]any{
				operatorMember("org-2", tokenB),
				operatorMember("org-3", tokenC),
			},
			wantToken: tokenC,
		},
		{
			name: "member without a token uses the top-level token",
			members: []map[string]any{
				{"organization": map[string]any{"id": "org-1"}, "permissions": []string{PermissionResetIdentification}},
			},
			wantToken: loginTokenPrefix + "top",
		},
		{
			name:      "no members uses the top-level token",
			members:   nil,
			wantToken: loginTokenPrefix + "top",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, nil)
			stub.handle = func(r *stubRequest) (*http.Response, error) {
				if r.Operation == "login" {
					return jsonReply(http.StatusOK, loginJSON(loginTokenPrefix+"top", time.Now().Add(time.Hour),
						tc.members...))
				}
				return stub.defaultRoutes(r)
			}
			c := stub.newClient(t, append([]Option{WithCredentials(testLogin, testPassword)}, tc.opts...)...)
			if _, err := c.ApproveResetRequest(context.Background(), "u1", "r1"); err != nil {
				t.Fatalf("ApproveResetRequest: %v", err)
			}
			want := "TOKEN " + tc.wantToken
			if got := authorizations(stub, "approve"); len(got) != 1 || got[0] != want {
				t.Errorf("approve Authorization = %q, want [%q]", got, want)
			}
		})
	}
}

func TestMemberSelectionFailures(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name string
		run  func(c *Client) error
	}{
		{"ListResetRequests", func(c *Client) error {
			_, err := c.ListResetRequests(context.Background(), ListQuery{})
			return err
		}},
		{"ApproveResetRequest", func(c *Client) error {
			_, err := c.ApproveResetRequest(context.Background(), "u1", "r1")
			return err
		}},
		{"DeclineResetRequest", func(c *Client) error {
			_, err := c.DeclineResetRequest(context.Background(), "u1", "r1")
			return err
		}},
		{"ResetIdentification", func(c *Client) error {
			_, err := c.ResetIdentification(context.Background(), "u1", "r1")
			return err
		}},
	}
	tests := []struct {
		name           string
		opts           []Option
		login          string
		wantPermission bool // whether the error must be a *PermissionError
		want           error
	}{
		{
			name: "no member holds the permission",
			login: loginJSON(loginTokenPrefix+"top", time.Now().Add(time.Hour),
				member("org-1", loginTokenPrefix+"a", "VIEW_PROFILES"),
				member("org-2", loginTokenPrefix+"b")),
			wantPermission: true,
			want:           ErrForbidden,
		},
		{
			name:  "WithOrganization names no member",
			opts:  []Option{WithOrganization("org-9")},
			login: loginJSON(loginTokenPrefix+"top", time.Now().Add(time.Hour), operatorMember("org-1", loginTokenPrefix+"a")),
			want:  ErrForbidden,
		},
		{
			name:           "WithOrganization names a member without the permission",
			opts:           []Option{WithOrganization("org-2")},
			login:          loginJSON(loginTokenPrefix+"top", time.Now().Add(time.Hour), operatorMember("org-1", loginTokenPrefix+"a"), member("org-2", loginTokenPrefix+"b")),
			wantPermission: true,
			want:           ErrForbidden,
		},
		{
			name:  "login response without a token",
			login: `{"action":"TOKEN_CREATED"}`,
			want:  ErrInvalidResponse,
		},
	}
	for _, tc := range tests {
		for _, call := range calls {
			t.Run(tc.name+"/"+call.name, func(t *testing.T) {
				t.Parallel()
				stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
					if r.Operation == "login" {
						return jsonReply(http.StatusOK, tc.login)
					}
					return nil, errors.New("stub: only the login is expected")
				})
				c := stub.newClient(t, append([]Option{WithCredentials(testLogin, testPassword)}, tc.opts...)...)
				err := call.run(c)
				if !errors.Is(err, tc.want) {
					t.Fatalf("error = %v, want one matching %v", err, tc.want)
				}
				if tc.wantPermission {
					var permErr *PermissionError
					if !errors.As(err, &permErr) {
						t.Fatalf("error = %v (%T), want a *PermissionError", err, err)
					}
					if permErr.Permission != PermissionResetIdentification {
						t.Errorf("Permission = %q, want %q", permErr.Permission, PermissionResetIdentification)
					}
					if permErr.Login != testLogin {
						t.Errorf("Login = %q, want %q", permErr.Login, testLogin)
					}
				}
				if n := stub.count("login"); n != 1 {
					t.Errorf("sent %d logins, want 1", n)
				}
				for _, operation := range []string{"list", "approve", "decline"} {
					if n := stub.count(operation); n != 0 {
						t.Errorf("sent %d %s requests, want none", n, operation)
					}
				}
				assertOneLineError(t, err)
			})
		}
	}
}

func TestTokenAndCredentialsRejected(t *testing.T) {
	t.Parallel()
	orders := map[string][]Option{
		"token first":       {WithToken(testToken), WithCredentials(testLogin, testPassword)},
		"credentials first": {WithCredentials(testLogin, testPassword), WithToken(testToken)},
	}
	for name, opts := range orders {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(stubBaseURL, append([]Option{WithInsecureHTTP()}, opts...)...)
			if c != nil {
				t.Errorf("client = %v, want nil", c)
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("error = %v, want one matching ErrInvalidArgument", err)
			}
			var argErr *InvalidArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("error %T is not an *InvalidArgumentError", err)
			}
			if argErr.Name != "WithToken" {
				t.Errorf("Name = %q, want WithToken", argErr.Name)
			}
			assertNoSecret(t, "error text", err.Error())
		})
	}
}

func TestLogoutForgetsToken(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, nil)
	c := stub.newClient(t, WithCredentials(testLogin, testPassword))
	ctx := context.Background()
	if _, err := c.ListResetRequests(ctx, ListQuery{}); err != nil {
		t.Fatalf("first list: %v", err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := c.ListResetRequests(ctx, ListQuery{}); err != nil {
		t.Fatalf("list after logout: %v", err)
	}

	if got, want := authorizations(stub, "logout"), "TOKEN "+loginTokenPrefix+"1"; len(got) != 1 || got[0] != want {
		t.Errorf("logout Authorization = %q, want [%q]", got, want)
	}
	if n := stub.count("login"); n != 2 {
		t.Errorf("sent %d logins, want 2 because logout drops the cached token", n)
	}
	lists := authorizations(stub, "list")
	if len(lists) != 2 {
		t.Fatalf("sent %d lists, want 2", len(lists))
	}
	if want := "TOKEN " + loginTokenPrefix + "2"; lists[1] != want {
		t.Errorf("list after logout Authorization = %q, want %q", lists[1], want)
	}
}

func TestLogoutWithoutCredentialsSendsNothing(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, nil)
	c := stub.newClient(t)
	if err := c.Logout(context.Background()); err != nil {
		t.Errorf("Logout without credentials: %v", err)
	}
	if n := stub.transport.GetTotalCallCount(); n != 0 {
		t.Errorf("sent %d requests, want none", n)
	}
}

// secretFlowStub fails in every way that makes the client log: the first
// list gets a 503 (a retry), the second a 401 (a fresh login), and a
// decline gets a 500 (a reconciliation).
func secretFlowStub(t *testing.T) *stubAPI {
	var lists atomic.Int64
	stub := newStubAPI(t, nil)
	stub.handle = func(r *stubRequest) (*http.Response, error) {
		switch r.Operation {
		case "list":
			switch lists.Add(1) {
			case 1:
				return jsonReply(http.StatusServiceUnavailable, `{"code":"BUSY","mdcId":"mdc-s1"}`)
			case 3:
				return jsonReply(http.StatusUnauthorized, `{"code":"TOKEN_EXPIRED"}`)
			}
			return jsonReply(http.StatusOK, pageJSON(0, 1, resetRecord("r1", "u1", StatusPending)))
		case "decline":
			return jsonReply(http.StatusInternalServerError, `{"code":"OOPS","mdcId":"mdc-s2"}`)
		}
		return stub.defaultRoutes(r)
	}
	return stub
}

func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	clients := []struct {
		name string
		opts []Option
	}{
		{"credentials", []Option{WithCredentials(testLogin, testPassword)}},
		{"token", []Option{WithToken(testToken)}},
	}
	for _, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			stub := secretFlowStub(t)
			c := stub.newClient(t, append([]Option{WithLogger(logger)}, cl.opts...)...)
			ctx := context.Background()

			var errs []error
			record := func(err error) {
				if err != nil {
					errs = append(errs, err)
				}
			}
			_, err := c.ListResetRequests(ctx, ListQuery{})
			record(err)
			_, err = c.ListResetRequests(ctx, ListQuery{})
			record(err)
			_, err = c.ResetIdentification(ctx, "u1", "r1")
			record(err)
			_, err = c.ResetIdentification(ctx, "u2", "r1")
			record(err)
			_, err = c.DeclineResetRequest(ctx, "u1", "r1")
			record(err)
			_, err = c.ApproveResetRequest(ctx, "u1", "")
			record(err)
			record(c.Logout(ctx))

			logger.Info("client state", "client", c)
			logger.Debug("client as any", slog.Any("client", c))
			outputs := map[string]string{
				"%v":  fmt.Sprintf("%v", c),
				"%+v": fmt.Sprintf("%+v", c),
				"%#v": fmt.Sprintf("%#v", c),
				//lint:ignore S1025 the test checks what the %s verb prints
				"%s":      fmt.Sprintf("%s", c),
				"String":  c.String(),
				"%v auth": fmt.Sprintf("%v %+v", c.auth.current, c.auth.static),
				"log":     logs.String(),
			}
			for i, err := range errs {
				outputs[fmt.Sprintf("error %d", i+1)] = err.Error()
				outputs[fmt.Sprintf("error %d with %%+v", i+1)] = fmt.Sprintf("%+v", err)
			}
			for label, text := range outputs {
				assertNoSecret(t, label, text)
				if strings.Contains(text, testPassword) || strings.Contains(text, testToken) {
					t.Errorf("%s shows a secret", label)
				}
			}

			// Without these the check above would pass on empty output.
			if len(errs) < 3 {
				t.Errorf("the flow produced %d errors, want at least 3 to check", len(errs))
			}
			for _, message := range []string{retryingMessage, "base_url"} {
				if !strings.Contains(logs.String(), message) {
					t.Errorf("log output lacks %q, so the flow did not run as planned:\n%s", message, logs.String())
				}
			}
			if cl.name == "credentials" {
				for _, message := range []string{"logged in", "token rejected"} {
					if !strings.Contains(logs.String(), message) {
						t.Errorf("log output lacks %q:\n%s", message, logs.String())
					}
				}
				if n := stub.count("login"); n < 2 {
					t.Errorf("sent %d logins, want at least 2 so that the relogin is covered", n)
				}
			}
		})
	}
}
