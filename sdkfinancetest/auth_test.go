package sdkfinancetest_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

var hexToken = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestLoginOperator(t *testing.T) {
	srv := newServer(t)
	before := time.Now()

	body := fmt.Sprintf(`{"login":%q,"password":%q}`, srv.Operator.Login, srv.Operator.Password)
	r := call(t, http.MethodPost, srv.URL+"/authorization", "", body)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", r.status, r.raw)
	}
	var auth authorization
	r.decode(t, &auth)

	if auth.Action != "TOKEN_CREATED" {
		t.Errorf("action = %q, want TOKEN_CREATED", auth.Action)
	}
	if auth.AuthorizationToken == nil || !hexToken.MatchString(auth.AuthorizationToken.Token) {
		t.Fatalf("authorizationToken = %+v, want 64 hex digits", auth.AuthorizationToken)
	}
	expiresAt, err := time.Parse(time.RFC3339Nano, auth.AuthorizationToken.ExpiresAt)
	if err != nil {
		t.Fatalf("expiresAt %q: %v", auth.AuthorizationToken.ExpiresAt, err)
	}
	if !expiresAt.After(before.Add(time.Hour - time.Second)) {
		t.Errorf("expiresAt = %v, want about one hour after %v", expiresAt, before)
	}
	if auth.Members == nil || len(*auth.Members) != 1 {
		t.Fatalf("members = %+v, want one", auth.Members)
	}
	m := (*auth.Members)[0]
	if m.Token.Token != auth.AuthorizationToken.Token {
		t.Errorf("member token = %q, want the authorizationToken", m.Token.Token)
	}
	if !slices.Contains(m.Permissions, sdkfinancetest.PermissionResetIdentification) {
		t.Errorf("permissions = %v, want %s", m.Permissions, sdkfinancetest.PermissionResetIdentification)
	}
	if m.User.ID != srv.OperatorUserID {
		t.Errorf("user id = %q, want %q", m.User.ID, srv.OperatorUserID)
	}
	if m.Organization.ID != srv.OperatorOrganizationID {
		t.Errorf("organization id = %q, want %q", m.Organization.ID, srv.OperatorOrganizationID)
	}
	if m.Role == "" || m.Organization.Name == "" || m.Organization.Type == "" {
		t.Errorf("member = %+v, want role, organization name and type", m)
	}

	// The token works on an endpoint that needs the permission.
	view := call(t, http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests",
		"TOKEN "+auth.AuthorizationToken.Token, "{}")
	if view.status != http.StatusOK {
		t.Errorf("view with the new token: status = %d; body %s", view.status, view.raw)
	}
}

func TestLoginErrors(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name      string
		body      string
		status    int
		code      string
		parameter string
	}{
		{"wrong password", `{"login":"operator@sandbox.local","password":"wrong"}`,
			401, sdkfinancetest.CodeInvalidCredentials, ""},
		{"unknown login", `{"login":"nobody@sandbox.local","password":"x"}`,
			401, sdkfinancetest.CodeInvalidCredentials, ""},
		{"missing password", `{"login":"operator@sandbox.local"}`,
			400, sdkfinancetest.CodeInvalidRequest, "password"},
		{"empty body", "", 400, sdkfinancetest.CodeInvalidRequest, "body"},
		{"malformed JSON", `{"login":`, 400, sdkfinancetest.CodeInvalidRequest, "body"},
		{"login of wrong type", `{"login":7,"password":"x"}`,
			400, sdkfinancetest.CodeInvalidRequest, "login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, http.MethodPost, srv.URL+"/authorization", "", tt.body)
			env := checkError(t, r, tt.status, tt.code)
			if tt.parameter != "" && !hasFieldError(env, tt.parameter) {
				t.Errorf("errors = %+v, want one for %q", *env.Errors, tt.parameter)
			}
		})
	}
}

func TestLoginOTPFlow(t *testing.T) {
	srv := newServer(t)
	user := srv.AddUser("Otto")
	if err := srv.RequireOTP(user.Login.Login, "123456"); err != nil {
		t.Fatalf("RequireOTP: %v", err)
	}
	login := fmt.Sprintf(`{"login":%q,"password":%q}`, user.Login.Login, user.Login.Password)
	confirm := func(otp string) response {
		body := fmt.Sprintf(`{"login":%q,"otp":%q}`, user.Login.Login, otp)
		return call(t, http.MethodPost, srv.URL+"/authorization/confirm", "", body)
	}

	// A confirmation before any login is rejected.
	checkError(t, confirm("123456"), 401, sdkfinancetest.CodeInvalidOTP)

	r := call(t, http.MethodPost, srv.URL+"/authorization", "", login)
	var sent authorization
	r.decode(t, &sent)
	if r.status != http.StatusOK || sent.Action != "OTP_SENT" {
		t.Fatalf("login: status %d, action %q; want 200 OTP_SENT", r.status, sent.Action)
	}
	if sent.AuthorizationToken != nil || sent.Members != nil {
		t.Errorf("login with OTP_SENT carries a token: %s", r.raw)
	}

	checkError(t, confirm("000000"), 401, sdkfinancetest.CodeInvalidOTP)

	r = confirm("123456")
	var created authorization
	r.decode(t, &created)
	if r.status != http.StatusOK || created.Action != "TOKEN_CREATED" {
		t.Fatalf("confirm: status %d, action %q; want 200 TOKEN_CREATED", r.status, created.Action)
	}
	if created.AuthorizationToken == nil || created.Members == nil ||
		(*created.Members)[0].Token.Token != created.AuthorizationToken.Token {
		t.Fatalf("confirm answer lacks a matching token: %s", r.raw)
	}
	own := call(t, http.MethodPost, srv.URL+"/profiles/my/reset-identification",
		"TOKEN "+created.AuthorizationToken.Token, "")
	if own.status != http.StatusOK {
		t.Errorf("request with the confirmed token: status %d; body %s", own.status, own.raw)
	}

	// The one-time password works once per login.
	checkError(t, confirm("123456"), 401, sdkfinancetest.CodeInvalidOTP)
}

func TestRequireOTPUnknownLogin(t *testing.T) {
	srv := newServer(t)
	if err := srv.RequireOTP("nobody@sandbox.local", "1"); err == nil {
		t.Error("RequireOTP of an unknown login: got nil error")
	}
}

func TestAuthorizationHeader(t *testing.T) {
	srv := newServer(t)
	valid := tokenFor(t, srv, srv.Operator.Login)
	revoked := tokenFor(t, srv, srv.Operator.Login)
	if r := call(t, http.MethodDelete, srv.URL+"/authorization", revoked, ""); r.status != 200 {
		t.Fatalf("logout: status %d; body %s", r.status, r.raw)
	}
	bare := valid[len("TOKEN "):]

	tests := []struct {
		name   string
		header string
		status int
		code   string
	}{
		{"valid", valid, 200, ""},
		{"scheme in lower case", "token " + bare, 200, ""},
		{"missing header", "", 401, sdkfinancetest.CodeUnauthorized},
		{"Bearer scheme", "Bearer " + bare, 401, sdkfinancetest.CodeUnauthorized},
		{"no scheme", bare, 401, sdkfinancetest.CodeUnauthorized},
		{"no token", "TOKEN", 401, sdkfinancetest.CodeUnauthorized},
		{"unknown token", "TOKEN 00ff", 401, sdkfinancetest.CodeUnauthorized},
		{"revoked token", revoked, 401, sdkfinancetest.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, http.MethodPost,
				srv.URL+"/profiles/view-reset-identification-requests", tt.header, "")
			if tt.code == "" {
				if r.status != tt.status {
					t.Errorf("status = %d, want %d; body %s", r.status, tt.status, r.raw)
				}
				return
			}
			env := checkError(t, r, tt.status, tt.code)
			if !hasFieldError(env, "Authorization") {
				t.Errorf("errors = %+v, want one for Authorization", *env.Errors)
			}
		})
	}
}

func TestExpireTokens(t *testing.T) {
	srv := newServer(t)
	old := tokenFor(t, srv, srv.Operator.Login)
	srv.ExpireTokens()
	fresh := tokenFor(t, srv, srv.Operator.Login)
	view := srv.URL + "/profiles/view-reset-identification-requests"

	checkError(t, call(t, http.MethodPost, view, old, ""), 401, sdkfinancetest.CodeTokenExpired)
	if r := call(t, http.MethodPost, view, fresh, ""); r.status != http.StatusOK {
		t.Errorf("token issued after ExpireTokens: status %d; body %s", r.status, r.raw)
	}
}

func TestTokenTTL(t *testing.T) {
	srv := newServer(t, sdkfinancetest.WithTokenTTL(time.Nanosecond))
	header := tokenFor(t, srv, srv.Operator.Login)
	r := call(t, http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests", header, "")
	checkError(t, r, 401, sdkfinancetest.CodeTokenExpired)
}

func TestWithAuthSchemes(t *testing.T) {
	srv := newServer(t, sdkfinancetest.WithAuthSchemes("Bearer"))
	bare := tokenFor(t, srv, srv.Operator.Login)[len("TOKEN "):]
	view := srv.URL + "/profiles/view-reset-identification-requests"

	if r := call(t, http.MethodPost, view, "Bearer "+bare, ""); r.status != http.StatusOK {
		t.Errorf("Bearer: status %d; body %s", r.status, r.raw)
	}
	checkError(t, call(t, http.MethodPost, view, "TOKEN "+bare, ""), 401,
		sdkfinancetest.CodeUnauthorized)
}

func TestLogout(t *testing.T) {
	srv := newServer(t)
	header := tokenFor(t, srv, srv.Operator.Login)

	r := call(t, http.MethodDelete, srv.URL+"/authorization", header, "")
	var status struct{ Status, Message string }
	r.decode(t, &status)
	if r.status != http.StatusOK || status.Status != "ok" {
		t.Errorf("logout: status %d, body %s; want 200 ok", r.status, r.raw)
	}
	checkError(t, call(t, http.MethodDelete, srv.URL+"/authorization", header, ""), 401,
		sdkfinancetest.CodeUnauthorized)
	checkError(t, call(t, http.MethodDelete, srv.URL+"/authorization", "", ""), 401,
		sdkfinancetest.CodeUnauthorized)
}

func TestIssueTokenUnknownLogin(t *testing.T) {
	srv := newServer(t)
	if _, err := srv.IssueToken("nobody@sandbox.local"); err == nil {
		t.Error("IssueToken of an unknown login: got nil error")
	}
}

func TestPermissionRequired(t *testing.T) {
	srv := newServer(t)
	user := srv.AddUser("Ann")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		t.Fatal(err)
	}
	viewer := srv.AddOperator("viewer@sandbox.local", "pw", "PROFILE_VIEW")
	header := tokenFor(t, srv, viewer.Login)

	tests := []struct {
		name, path, body string
	}{
		{"view", "/profiles/view-reset-identification-requests", "{}"},
		{"approve", "/profiles/" + user.ID + "/reset-identification-requests/" + req.ID + "/approve", ""},
		{"decline", "/profiles/" + user.ID + "/reset-identification-requests/" + req.ID + "/decline", ""},
		{"reset", "/profiles/" + user.ID + "/reset", `{"fields":["address"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, http.MethodPost, srv.URL+tt.path, header, tt.body)
			checkError(t, r, 403, sdkfinancetest.CodeForbidden)
		})
	}
	if got, _ := srv.ResetRequest(req.ID); got.Status != sdkfinancetest.StatusPending {
		t.Errorf("status after 403 answers = %q, want PENDING", got.Status)
	}

	// Asking for a reset of one's own identification needs no permission.
	r := call(t, http.MethodPost, srv.URL+"/profiles/my/reset-identification", header, "")
	if r.status != http.StatusOK {
		t.Errorf("own reset without the permission: status %d; body %s", r.status, r.raw)
	}
}
