package sdkfinance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

// stubBaseURL is the API root of every httpmock-based test. Its host is
// never resolved because the stub's transport responds to every request
// in process.
const stubBaseURL = "https://sdkfinance.test/api/v1"

// Secrets that the tests hand to the client. No error text, log line or
// fmt output may contain them.
const (
	testLogin    = "op"
	testPassword = "hunter2-secret"
	testToken    = "tok-secret-123"
	// loginTokenPrefix starts every token the stub's login returns.
	loginTokenPrefix = "login-token-secret-"
)

// knownSecrets lists every secret, or secret prefix, used in the tests.
var knownSecrets = []string{testPassword, testToken, loginTokenPrefix}

// fastRetry keeps every retry wait at a few milliseconds.
var fastRetry = RetryPolicy{
	MaxAttempts:   3,
	BaseDelay:     time.Millisecond,
	MaxDelay:      2 * time.Millisecond,
	MaxRetryAfter: 2 * time.Millisecond,
}

// stubRequest is one request the stub received, with its body read whole.
type stubRequest struct {
	Method      string
	Path        string // unescaped, as in URL.Path
	RawPath     string
	EscapedPath string
	Header      http.Header
	Body        []byte
	// Operation is the SDK.Finance operation the method and path name:
	// login, confirm, logout, list, approve, decline, or "" for none.
	Operation string
	// Request is a clone of the received request, for routing it through
	// an http.ServeMux.
	Request *http.Request
}

// stubHandler returns the response to one request. Returning an error makes the transport
// fail the request with it, as a broken connection would.
type stubHandler func(r *stubRequest) (*http.Response, error)

// stubAPI is an in-process stand-in for SDK.Finance built on an httpmock
// transport. Every request reaches handle, so none can leave the process.
type stubAPI struct {
	transport  *httpmock.MockTransport
	httpClient *http.Client
	handle     stubHandler

	mu       sync.Mutex
	requests []*stubRequest

	logins atomic.Int64 // numbers the tokens of defaultRoutes' logins
}

func newStubAPI(t *testing.T, handle stubHandler) *stubAPI {
	t.Helper()
	s := &stubAPI{transport: httpmock.NewMockTransport(), handle: handle}
	s.httpClient = &http.Client{Transport: s.transport}
	s.transport.RegisterNoResponder(s.roundTrip)
	return s
}

func (s *stubAPI) roundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		if err != nil {
			return nil, fmt.Errorf("stub: read request body: %w", err)
		}
	}
	clone := req.Clone(context.Background())
	clone.Body = io.NopCloser(strings.NewReader(string(body)))
	r := &stubRequest{
		Method:      req.Method,
		Path:        req.URL.Path,
		RawPath:     req.URL.RawPath,
		EscapedPath: req.URL.EscapedPath(),
		Header:      req.Header.Clone(),
		Body:        body,
		Operation:   operationOf(req.Method, req.URL.Path),
		Request:     clone,
	}
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()

	handle := s.handle
	if handle == nil {
		handle = s.defaultRoutes
	}
	return handle(r)
}

// operationOf names the SDK.Finance operation of a request from its
// method and the end of its unescaped path, whatever the API root.
func operationOf(method, path string) string {
	switch {
	case method == http.MethodPost && strings.HasSuffix(path, "/authorization"):
		return "login"
	case method == http.MethodPost && strings.HasSuffix(path, "/authorization/confirm"):
		return "confirm"
	case method == http.MethodDelete && strings.HasSuffix(path, "/authorization"):
		return "logout"
	case method == http.MethodPost && strings.HasSuffix(path, "/profiles/view-reset-identification-requests"):
		return "list"
	case method == http.MethodPost && strings.Contains(path, "/reset-identification-requests/") &&
		strings.HasSuffix(path, "/approve"):
		return "approve"
	case method == http.MethodPost && strings.Contains(path, "/reset-identification-requests/") &&
		strings.HasSuffix(path, "/decline"):
		return "decline"
	}
	return ""
}

// defaultRoutes responds like a healthy SDK.Finance: each login returns a
// new token for a member that holds the reset permission, the list is
// empty, and approve and decline succeed.
func (s *stubAPI) defaultRoutes(r *stubRequest) (*http.Response, error) {
	switch r.Operation {
	case "login", "confirm":
		n := s.logins.Add(1)
		return jsonReply(http.StatusOK, loginJSON(fmt.Sprintf("%s%d", loginTokenPrefix, n),
			time.Now().Add(time.Hour), operatorMember("org-1", fmt.Sprintf("%s%d", loginTokenPrefix, n))))
	case "logout":
		return jsonReply(http.StatusOK, `{"status":"ok"}`)
	case "list":
		return jsonReply(http.StatusOK, pageJSON(0, 1))
	case "approve":
		return jsonReply(http.StatusOK, decisionJSON("r1", "u1", StatusApproved))
	case "decline":
		return jsonReply(http.StatusOK, decisionJSON("r1", "u1", StatusDeclined))
	}
	return nil, fmt.Errorf("stub: no route for %s %s", r.Method, r.EscapedPath)
}

// newClient builds a client that sends through the stub's transport,
// with fastRetry unless opts set another policy.
func (s *stubAPI) newClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	// WithInsecureHTTP allows the http:// stub URL; nothing leaves the
	// process.
	all := append([]Option{WithHTTPClient(s.httpClient), WithInsecureHTTP(), WithRetry(fastRetry)}, opts...)
	c, err := NewClient(stubBaseURL, all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// all returns the requests received so far, in order.
func (s *stubAPI) all() []*stubRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*stubRequest(nil), s.requests...)
}

// of returns the requests received for one operation, in order.
func (s *stubAPI) of(operation string) []*stubRequest {
	var out []*stubRequest
	for _, r := range s.all() {
		if r.Operation == operation {
			out = append(out, r)
		}
	}
	return out
}

func (s *stubAPI) count(operation string) int { return len(s.of(operation)) }

func jsonReply(status int, body string) (*http.Response, error) {
	resp := httpmock.NewStringResponse(status, body)
	resp.Header.Set("Content-Type", "application/json")
	return resp, nil
}

func textReply(status int, contentType, body string) (*http.Response, error) {
	resp := httpmock.NewStringResponse(status, body)
	resp.Header.Set("Content-Type", contentType)
	return resp, nil
}

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// operatorMember returns a login member in organization orgID that holds
// extra permissions plus the reset permission.
func operatorMember(orgID, token string, extra ...string) map[string]any {
	return member(orgID, token, append(extra, PermissionResetIdentification)...)
}

func member(orgID, token string, permissions ...string) map[string]any {
	return map[string]any{
		"organization": map[string]any{"id": orgID, "name": "Org " + orgID},
		"role":         "SYSTEM_OPERATOR",
		"permissions":  permissions,
		"token":        map[string]any{"token": token, "expiresAt": time.Now().Add(time.Hour)},
	}
}

func loginJSON(token string, expiresAt time.Time, members ...map[string]any) string {
	body := map[string]any{
		"action":             actionTokenCreated,
		"authorizationToken": map[string]any{"token": token, "expiresAt": expiresAt},
	}
	if members != nil {
		body["members"] = members
	}
	return mustJSON(body)
}

func resetRecord(id, userID string, status ResetRequestStatus) map[string]any {
	return map[string]any{
		"id":              id,
		"description":     "reset of " + userID,
		"organizationId":  "org-1",
		"status":          status,
		"initiatorUserId": userID,
		"initiatorRole":   "INDIVIDUAL",
	}
}

func pageJSON(pageNumber, totalPages int, records ...map[string]any) string {
	if records == nil {
		records = []map[string]any{}
	}
	return mustJSON(map[string]any{
		"status":       "ok",
		"pageNumber":   pageNumber,
		"pageSize":     len(records),
		"totalRecords": len(records),
		"totalPages":   totalPages,
		"records":      records,
	})
}

func decisionJSON(id, userID string, status ResetRequestStatus) string {
	return mustJSON(map[string]any{
		"request": resetRecord(id, userID, status),
		"status":  "ok",
		"message": "done",
	})
}

// assertJSONEqual compares two JSON texts by value.
func assertJSONEqual(t *testing.T, label string, got []byte, want string) {
	t.Helper()
	var gotValue, wantValue any
	if err := json.Unmarshal(got, &gotValue); err != nil {
		t.Errorf("%s: body %q is not JSON: %v", label, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &wantValue); err != nil {
		t.Fatalf("%s: expected body %q is not JSON: %v", label, want, err)
	}
	if !reflect.DeepEqual(gotValue, wantValue) {
		t.Errorf("%s: body = %s, want %s", label, got, want)
	}
}

// assertNoSecret fails when text contains any known secret.
func assertNoSecret(t *testing.T, label, text string) {
	t.Helper()
	for _, s := range knownSecrets {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q: %s", label, s, text)
		}
	}
}

func TestRequestShapeOfEveryEndpoint(t *testing.T) {
	t.Parallel()
	type call struct {
		name        string
		run         func(ctx context.Context, c *Client) error
		operation   string
		method      string
		escapedPath string
		body        string // JSON, or "" for no body
	}
	calls := []call{
		{
			name: "list",
			run: func(ctx context.Context, c *Client) error {
				_, err := c.ListResetRequests(ctx, ListQuery{})
				return err
			},
			operation:   "list",
			method:      http.MethodPost,
			escapedPath: "/api/v1/profiles/view-reset-identification-requests",
			body:        `{"pageNumber":0}`,
		},
		{
			name: "approve",
			run: func(ctx context.Context, c *Client) error {
				_, err := c.ApproveResetRequest(ctx, "u1", "r1")
				return err
			},
			operation:   "approve",
			method:      http.MethodPost,
			escapedPath: "/api/v1/profiles/u1/reset-identification-requests/r1/approve",
		},
		{
			name: "decline",
			run: func(ctx context.Context, c *Client) error {
				_, err := c.DeclineResetRequest(ctx, "u1", "r1")
				return err
			},
			operation:   "decline",
			method:      http.MethodPost,
			escapedPath: "/api/v1/profiles/u1/reset-identification-requests/r1/decline",
		},
		{
			name:        "logout",
			run:         func(ctx context.Context, c *Client) error { return c.Logout(ctx) },
			operation:   "logout",
			method:      http.MethodDelete,
			escapedPath: "/api/v1/authorization",
		},
	}
	clients := []struct {
		name          string
		opts          []Option
		authorization string
		userAgent     string
	}{
		{"default scheme", []Option{WithToken(testToken)}, "TOKEN " + testToken, "sdkfinance-go/" + Version},
		{"bearer scheme", []Option{WithToken(testToken), WithAuthScheme("Bearer")}, "Bearer " + testToken, "sdkfinance-go/" + Version},
		{"custom user agent", []Option{WithToken(testToken), WithUserAgent("backoffice/2.1")}, "TOKEN " + testToken, "backoffice/2.1"},
	}
	for _, cl := range clients {
		for _, tc := range calls {
			t.Run(cl.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				stub := newStubAPI(t, nil)
				c := stub.newClient(t, cl.opts...)
				if err := tc.run(context.Background(), c); err != nil {
					t.Fatalf("%s failed: %v", tc.name, err)
				}
				reqs := stub.all()
				if len(reqs) != 1 {
					t.Fatalf("sent %d requests, want 1", len(reqs))
				}
				r := reqs[0]
				if r.Operation != tc.operation {
					t.Errorf("operation = %q, want %q", r.Operation, tc.operation)
				}
				if r.Method != tc.method {
					t.Errorf("method = %s, want %s", r.Method, tc.method)
				}
				if r.EscapedPath != tc.escapedPath {
					t.Errorf("path = %s, want %s", r.EscapedPath, tc.escapedPath)
				}
				if got := r.Header.Get("Authorization"); got != cl.authorization {
					t.Errorf("Authorization = %q, want %q", got, cl.authorization)
				}
				if got := r.Header.Get("Accept"); got != "application/json" {
					t.Errorf("Accept = %q, want application/json", got)
				}
				if got := r.Header.Get("User-Agent"); got != cl.userAgent {
					t.Errorf("User-Agent = %q, want %q", got, cl.userAgent)
				}
				if tc.body == "" {
					if len(r.Body) != 0 {
						t.Errorf("body = %q, want none", r.Body)
					}
					if got := r.Header.Get("Content-Type"); got != "" {
						t.Errorf("Content-Type = %q on a request without a body, want none", got)
					}
					return
				}
				if got := r.Header.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", got)
				}
				assertJSONEqual(t, "request body", r.Body, tc.body)
			})
		}
	}
}

func TestRequestShapeOfLogin(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, nil)
	c := stub.newClient(t, WithCredentials(testLogin, testPassword), WithUserAgent("backoffice/2.1"))
	if _, err := c.ListResetRequests(context.Background(), ListQuery{}); err != nil {
		t.Fatalf("ListResetRequests: %v", err)
	}

	logins := stub.of("login")
	if len(logins) != 1 {
		t.Fatalf("sent %d logins, want 1", len(logins))
	}
	login := logins[0]
	if login.Method != http.MethodPost {
		t.Errorf("login method = %s, want POST", login.Method)
	}
	if login.EscapedPath != "/api/v1/authorization" {
		t.Errorf("login path = %s, want /api/v1/authorization", login.EscapedPath)
	}
	if got := login.Header.Get("Authorization"); got != "" {
		t.Errorf("login sent Authorization %q, want none", got)
	}
	if got := login.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("login Content-Type = %q, want application/json", got)
	}
	if got := login.Header.Get("Accept"); got != "application/json" {
		t.Errorf("login Accept = %q, want application/json", got)
	}
	if got := login.Header.Get("User-Agent"); got != "backoffice/2.1" {
		t.Errorf("login User-Agent = %q, want backoffice/2.1", got)
	}
	assertJSONEqual(t, "login body", login.Body, `{"login":"op","password":"hunter2-secret"}`)

	lists := stub.of("list")
	if len(lists) != 1 {
		t.Fatalf("sent %d lists, want 1", len(lists))
	}
	if got, want := lists[0].Header.Get("Authorization"), "TOKEN "+loginTokenPrefix+"1"; got != want {
		t.Errorf("list Authorization = %q, want the member token %q", got, want)
	}
}

func TestRequestShapeOfConfirm(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, nil)
	stub.handle = func(r *stubRequest) (*http.Response, error) {
		if r.Operation == "login" {
			return jsonReply(http.StatusOK, `{"action":"OTP_SENT"}`)
		}
		return stub.defaultRoutes(r)
	}
	otp := func(context.Context, string) (string, error) { return "123456", nil }
	c := stub.newClient(t, WithCredentials(testLogin, testPassword), WithOTP(otp))
	if _, err := c.ListResetRequests(context.Background(), ListQuery{}); err != nil {
		t.Fatalf("ListResetRequests: %v", err)
	}

	confirms := stub.of("confirm")
	if len(confirms) != 1 {
		t.Fatalf("sent %d confirms, want 1", len(confirms))
	}
	confirm := confirms[0]
	if confirm.Method != http.MethodPost {
		t.Errorf("confirm method = %s, want POST", confirm.Method)
	}
	if confirm.EscapedPath != "/api/v1/authorization/confirm" {
		t.Errorf("confirm path = %s, want /api/v1/authorization/confirm", confirm.EscapedPath)
	}
	if got := confirm.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("confirm Content-Type = %q, want application/json", got)
	}
	if got := confirm.Header.Get("Authorization"); got != "" {
		t.Errorf("confirm sent Authorization %q, want none", got)
	}
	assertJSONEqual(t, "confirm body", confirm.Body, `{"login":"op","otp":"123456"}`)
}

func TestListQueryBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query ListQuery
		body  string
	}{
		{"zero query", ListQuery{}, `{"pageNumber":0}`},
		{"page only", ListQuery{PageNumber: 3, PageSize: 25}, `{"pageNumber":3,"pageSize":25}`},
		{"status filter", ListQuery{Status: StatusPending}, `{"filter":{"status":"PENDING"},"pageNumber":0}`},
		{"organization filter", ListQuery{OrganizationID: "org-9"}, `{"filter":{"organizationId":"org-9"},"pageNumber":0}`},
		{
			"unknown status kept",
			ListQuery{Status: "ON_HOLD"},
			`{"filter":{"status":"ON_HOLD"},"pageNumber":0}`,
		},
		{
			"every field",
			ListQuery{
				Status: StatusPending, OrganizationID: "org-1",
				SortByOrganizationID: SortAscending, SortByStatus: SortDescending,
				PageNumber: 2, PageSize: 50,
			},
			`{"filter":{"status":"PENDING","organizationId":"org-1"},` +
				`"sort":{"organizationId":"asc","status":"desc"},"pageNumber":2,"pageSize":50}`,
		},
		{"sort by status only", ListQuery{SortByStatus: SortAscending}, `{"sort":{"status":"asc"},"pageNumber":0}`},
		{"largest page size", ListQuery{PageSize: maxPageSize}, `{"pageNumber":0,"pageSize":10000}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, nil)
			c := stub.newClient(t, WithToken(testToken))
			if _, err := c.ListResetRequests(context.Background(), tc.query); err != nil {
				t.Fatalf("ListResetRequests: %v", err)
			}
			lists := stub.of("list")
			if len(lists) != 1 {
				t.Fatalf("sent %d lists, want 1", len(lists))
			}
			assertJSONEqual(t, "list body", lists[0].Body, tc.body)
		})
	}
}

func TestListResponseDecoded(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
		return jsonReply(http.StatusOK, `{"status":"ok","pageNumber":1,"pageSize":2,"totalRecords":5,"totalPages":3,`+
			`"records":[{"id":"r1","description":"d","organizationId":"org-1","status":"ON_HOLD",`+
			`"initiatorUserId":"u1","initiatorRole":"INDIVIDUAL","unknownField":true},{"id":"r2"}]}`)
	})
	c := stub.newClient(t, WithToken(testToken))
	page, err := c.ListResetRequests(context.Background(), ListQuery{PageNumber: 1, PageSize: 2})
	if err != nil {
		t.Fatalf("ListResetRequests: %v", err)
	}
	if page.PageNumber != 1 || page.PageSize != 2 {
		t.Errorf("page number and size = %d, %d, want 1, 2", page.PageNumber, page.PageSize)
	}
	if page.TotalRecords != 5 || page.TotalPages != 3 {
		t.Errorf("totals = %d records, %d pages, want 5, 3", page.TotalRecords, page.TotalPages)
	}
	if len(page.Records) != 2 {
		t.Fatalf("got %d records, want 2", len(page.Records))
	}
	want := ResetRequest{ID: "r1", Description: "d", OrganizationID: "org-1", Status: "ON_HOLD",
		InitiatorUserID: "u1", InitiatorRole: "INDIVIDUAL"}
	if page.Records[0] != want {
		t.Errorf("record 0 = %+v, want %+v", page.Records[0], want)
	}
	if page.Records[1] != (ResetRequest{ID: "r2"}) {
		t.Errorf("record 1 = %+v, want only the id r2", page.Records[1])
	}
}

func TestPathEscapingOfIDs(t *testing.T) {
	t.Parallel()
	ids := []struct {
		id      string
		escaped string
	}{
		{"a/b", "a%2Fb"},
		{"../x", "..%2Fx"},
		{"%2F", "%252F"},
		{"ü", "%C3%BC"},
		{"a?b", "a%3Fb"},
		{"a#b", "a%23b"},
		{"a b", "a%20b"},
		{"a;b", "a%3Bb"},
		{"...", "..."},
		{"plain-id_1", "plain-id_1"},
	}
	decisions := []struct {
		action string
		run    func(c *Client, userID, id string) (*ResetResult, error)
	}{
		{"approve", func(c *Client, userID, id string) (*ResetResult, error) {
			return c.ApproveResetRequest(context.Background(), userID, id)
		}},
		{"decline", func(c *Client, userID, id string) (*ResetResult, error) {
			return c.DeclineResetRequest(context.Background(), userID, id)
		}},
	}
	for _, d := range decisions {
		for _, tc := range ids {
			t.Run(d.action+"/"+tc.id, func(t *testing.T) {
				t.Parallel()
				// A ServeMux with the spec's path template decodes the
				// segments the way a Go server does, with PathValue.
				var gotUserID, gotID string
				mux := http.NewServeMux()
				pattern := "POST /api/v1/profiles/{userId}/reset-identification-requests/{id}/" + d.action
				mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
					gotUserID, gotID = req.PathValue("userId"), req.PathValue("id")
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, decisionJSON(tc.id, "u1", StatusApproved))
				})
				stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
					rec := httptest.NewRecorder()
					mux.ServeHTTP(rec, r.Request)
					return rec.Result(), nil
				})
				c := stub.newClient(t, WithToken(testToken))

				// The id goes into both segments to check each of them.
				if _, err := d.run(c, tc.id, tc.id); err != nil {
					t.Fatalf("%s(%q): %v", d.action, tc.id, err)
				}
				reqs := stub.all()
				if len(reqs) != 1 {
					t.Fatalf("sent %d requests, want 1", len(reqs))
				}
				wantPath := "/api/v1/profiles/" + tc.escaped + "/reset-identification-requests/" +
					tc.escaped + "/" + d.action
				if reqs[0].EscapedPath != wantPath {
					t.Errorf("escaped path = %s, want %s", reqs[0].EscapedPath, wantPath)
				}
				// net/url sets RawPath only where Path alone would encode
				// differently, which is when an id contains a "/".
				if strings.Contains(tc.id, "/") && reqs[0].RawPath != wantPath {
					t.Errorf("RawPath = %q, want %q so that the %%2F survives", reqs[0].RawPath, wantPath)
				}
				// api, v1, profiles, userId, reset-identification-requests,
				// id and the action.
				const wantSegments = 7
				if n := len(strings.Split(strings.TrimPrefix(reqs[0].EscapedPath, "/"), "/")); n != wantSegments {
					t.Errorf("escaped path %s has %d segments, want %d", reqs[0].EscapedPath, n, wantSegments)
				}
				if gotUserID != tc.id {
					t.Errorf("server read userId %q, want %q", gotUserID, tc.id)
				}
				if gotID != tc.id {
					t.Errorf("server read id %q, want %q", gotID, tc.id)
				}
			})
		}
	}
}

func TestBaseURLForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		baseURL   string
		wantBase  string
		wantLogin string
		wantList  string
	}{
		{"https://sdkfinance.test/api/v1", "https://sdkfinance.test/api/v1",
			"/api/v1/authorization", "/api/v1/profiles/view-reset-identification-requests"},
		{"https://sdkfinance.test/api/v1/", "https://sdkfinance.test/api/v1",
			"/api/v1/authorization", "/api/v1/profiles/view-reset-identification-requests"},
		{"https://sdkfinance.test/api/v1//", "https://sdkfinance.test/api/v1",
			"/api/v1/authorization", "/api/v1/profiles/view-reset-identification-requests"},
		{"https://sdkfinance.test/gateway/api/v1", "https://sdkfinance.test/gateway/api/v1",
			"/gateway/api/v1/authorization", "/gateway/api/v1/profiles/view-reset-identification-requests"},
		{"https://sdkfinance.test", "https://sdkfinance.test",
			"/authorization", "/profiles/view-reset-identification-requests"},
		{"https://sdkfinance.test/", "https://sdkfinance.test",
			"/authorization", "/profiles/view-reset-identification-requests"},
	}
	for _, tc := range tests {
		t.Run(tc.baseURL, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, nil)
			c, err := NewClient(tc.baseURL, WithHTTPClient(stub.httpClient), WithInsecureHTTP(),
				WithRetry(fastRetry), WithCredentials(testLogin, testPassword))
			if err != nil {
				t.Fatalf("NewClient(%q): %v", tc.baseURL, err)
			}
			if got := c.BaseURL(); got != tc.wantBase {
				t.Errorf("BaseURL() = %q, want %q", got, tc.wantBase)
			}
			if _, err := c.ApproveResetRequest(context.Background(), "u1", "r1"); err != nil {
				t.Fatalf("ApproveResetRequest: %v", err)
			}
			reqs := stub.all()
			if len(reqs) != 2 {
				t.Fatalf("sent %d requests, want a login and an approve", len(reqs))
			}
			if reqs[0].EscapedPath != tc.wantLogin {
				t.Errorf("login path = %s, want %s", reqs[0].EscapedPath, tc.wantLogin)
			}
			wantApprove := strings.TrimSuffix(tc.wantList, "view-reset-identification-requests") +
				"u1/reset-identification-requests/r1/approve"
			if reqs[1].EscapedPath != wantApprove {
				t.Errorf("approve path = %s, want %s", reqs[1].EscapedPath, wantApprove)
			}
		})
	}
}

func TestIDValidationSendsNothing(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxIDLen+1)
	tests := []struct {
		name     string
		userID   string
		id       string
		wantName string
	}{
		{"empty user id", "", "r1", "userID"},
		{"empty request id", "u1", "", "id"},
		{"long user id", long, "r1", "userID"},
		{"long request id", "u1", long, "id"},
		{"newline in user id", "u\n1", "r1", "userID"},
		{"tab in request id", "u1", "r\t1", "id"},
		{"NUL in request id", "u1", "r\x001", "id"},
		{"DEL in user id", "u\x7f1", "r1", "userID"},
		{"C1 control in request id", "u1", "r\u00851", "id"},
		{"dot user id", ".", "r1", "userID"},
		{"dot-dot user id", "..", "r1", "userID"},
		{"dot request id", "u1", ".", "id"},
		{"dot-dot request id", "u1", "..", "id"},
	}
	methods := []struct {
		name string
		run  func(c *Client, userID, id string) (*ResetResult, error)
	}{
		{"ResetIdentification", func(c *Client, userID, id string) (*ResetResult, error) {
			return c.ResetIdentification(context.Background(), userID, id)
		}},
		{"ApproveResetRequest", func(c *Client, userID, id string) (*ResetResult, error) {
			return c.ApproveResetRequest(context.Background(), userID, id)
		}},
		{"DeclineResetRequest", func(c *Client, userID, id string) (*ResetResult, error) {
			return c.DeclineResetRequest(context.Background(), userID, id)
		}},
	}
	for _, m := range methods {
		for _, tc := range tests {
			t.Run(m.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				stub := newStubAPI(t, nil)
				c := stub.newClient(t, WithCredentials(testLogin, testPassword))
				result, err := m.run(c, tc.userID, tc.id)
				if result != nil {
					t.Errorf("result = %+v, want nil", result)
				}
				if !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("error = %v, want one matching ErrInvalidArgument", err)
				}
				var argErr *InvalidArgumentError
				if !errors.As(err, &argErr) {
					t.Fatalf("error %T is not an *InvalidArgumentError", err)
				}
				if argErr.Name != tc.wantName {
					t.Errorf("Name = %q, want %q", argErr.Name, tc.wantName)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error text spans lines: %q", err.Error())
				}
				if n := stub.transport.GetTotalCallCount(); n != 0 {
					t.Errorf("sent %d requests, want none", n)
				}
			})
		}
	}
}

func TestIDOfMaxLengthAccepted(t *testing.T) {
	t.Parallel()
	id := strings.Repeat("x", maxIDLen)
	stub := newStubAPI(t, nil)
	c := stub.newClient(t, WithToken(testToken))
	if _, err := c.ApproveResetRequest(context.Background(), id, id); err != nil {
		t.Fatalf("ApproveResetRequest with %d-byte ids: %v", maxIDLen, err)
	}
	if n := stub.count("approve"); n != 1 {
		t.Errorf("sent %d approves, want 1", n)
	}
}

func TestListQueryValidationSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		query    ListQuery
		wantName string
	}{
		{"negative page number", ListQuery{PageNumber: -1}, "ListQuery.PageNumber"},
		{"huge page number", ListQuery{PageNumber: 1<<30 + 1}, "ListQuery.PageNumber"},
		{"negative page size", ListQuery{PageSize: -1}, "ListQuery.PageSize"},
		{"page size over the maximum", ListQuery{PageSize: maxPageSize + 1}, "ListQuery.PageSize"},
		{"control character in status", ListQuery{Status: "PEND\nING"}, "ListQuery.Status"},
		{"long status", ListQuery{Status: ResetRequestStatus(strings.Repeat("S", maxIDLen+1))}, "ListQuery.Status"},
		{"control character in organization", ListQuery{OrganizationID: "org\x00"}, "ListQuery.OrganizationID"},
		{"long organization", ListQuery{OrganizationID: strings.Repeat("o", maxIDLen+1)}, "ListQuery.OrganizationID"},
		{"unknown organization sort", ListQuery{SortByOrganizationID: "ASC"}, "ListQuery.SortByOrganizationID"},
		{"unknown status sort", ListQuery{SortByStatus: "up"}, "ListQuery.SortByStatus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, nil)
			c := stub.newClient(t, WithCredentials(testLogin, testPassword))
			page, err := c.ListResetRequests(context.Background(), tc.query)
			if page != nil {
				t.Errorf("page = %+v, want nil", page)
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("error = %v, want one matching ErrInvalidArgument", err)
			}
			var argErr *InvalidArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("error %T is not an *InvalidArgumentError", err)
			}
			if argErr.Name != tc.wantName {
				t.Errorf("Name = %q, want %q", argErr.Name, tc.wantName)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error text spans lines: %q", err.Error())
			}
			if n := stub.transport.GetTotalCallCount(); n != 0 {
				t.Errorf("sent %d requests, want none", n)
			}
		})
	}
}

func TestNewClientRejectsBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		baseURL string
	}{
		{"empty", ""},
		{"no scheme", "sdkfinance.test/api/v1"},
		{"ftp scheme", "ftp://sdkfinance.test/api/v1"},
		{"ws scheme", "ws://sdkfinance.test/api/v1"},
		{"no host", "http:///api/v1"},
		{"opaque", "http:sdkfinance.test"},
		{"unparsable port", "https://sdkfinance.test:port/api/v1"},
		{"query", "https://sdkfinance.test/api/v1?debug=1"},
		{"empty query", "https://sdkfinance.test/api/v1?"},
		{"fragment", "https://sdkfinance.test/api/v1#top"},
		{"user info", "http://" + testLogin + ":" + testPassword + "@sdkfinance.test/api/v1"},
		{"user info with bad scheme", "ftp://" + testLogin + ":" + testPassword + "@sdkfinance.test/api/v1"},
		{"user info without host", "http://" + testLogin + ":" + testPassword + "@/api/v1"},
		{"user info with bad port", "http://" + testLogin + ":" + testPassword + "@sdkfinance.test:port/api/v1"},
		{"user info with query", "http://" + testLogin + ":" + testPassword + "@sdkfinance.test/api/v1?x=1"},
		{"user info without scheme", "//" + testLogin + ":" + testPassword + "@sdkfinance.test/api/v1"},
		{"user info and control character", "http://" + testLogin + ":" + testPassword + "@sdkfinance.test/\x7f"},
		{"user name only", "http://" + testPassword + "@sdkfinance.test/api/v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tc.baseURL)
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
			if argErr.Name != "baseURL" {
				t.Errorf("Name = %q, want baseURL", argErr.Name)
			}
			assertNoSecret(t, "error text", err.Error())
			assertNoSecret(t, "InvalidArgumentError.Value", argErr.Value)
			assertNoSecret(t, "%+v of the error", fmt.Sprintf("%+v", argErr))
		})
	}
}

func TestNewClientPlainHTTPOnlyToLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		baseURL  string
		opts     []Option
		accepted bool
	}{
		{"http://sdkfinance.test/api/v1", nil, false},
		{"http://10.0.0.1/api/v1", nil, false},
		{"http://sdkfinance.test/api/v1", []Option{WithInsecureHTTP()}, true},
		{"https://sdkfinance.test/api/v1", nil, true},
		{"http://127.0.0.1:1/api/v1", nil, true},
		{"http://[::1]:1/api/v1", nil, true},
		{"http://localhost/api/v1", nil, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d options", tc.baseURL, len(tc.opts)), func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tc.baseURL, tc.opts...)
			if tc.accepted {
				if err != nil {
					t.Errorf("NewClient(%q): %v, want a client", tc.baseURL, err)
				}
				return
			}
			if c != nil {
				t.Errorf("client = %v, want nil", c)
			}
			var argErr *InvalidArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("error = %v, want an *InvalidArgumentError", err)
			}
			if argErr.Name != "baseURL" {
				t.Errorf("Name = %q, want baseURL", argErr.Name)
			}
		})
	}
}

func TestNewClientRejectsOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opt      Option
		wantName string
	}{
		{"nil HTTP client", WithHTTPClient(nil), "WithHTTPClient"},
		{"nil logger", WithLogger(nil), "WithLogger"},
		{"zero page size", WithPageSize(0), "WithPageSize"},
		{"page size over the maximum", WithPageSize(maxPageSize + 1), "WithPageSize"},
		{"tiny response limit", WithMaxResponseBytes(1023), "WithMaxResponseBytes"},
		{"empty user agent", WithUserAgent(""), "WithUserAgent"},
		{"user agent with newline", WithUserAgent("ua\r\nX-Injected: 1"), "WithUserAgent"},
		{"empty token", WithToken(""), "WithToken"},
		{"token with space", WithToken("TOKEN abc"), "WithToken"},
		{"token with newline", WithToken("abc\n"), "WithToken"},
		{"empty login", WithCredentials("", testPassword), "WithCredentials"},
		{"login with newline", WithCredentials("op\n", testPassword), "WithCredentials"},
		{"empty password", WithCredentials(testLogin, ""), "WithCredentials"},
		{"nil OTP function", WithOTP(nil), "WithOTP"},
		{"empty organization", WithOrganization(""), "WithOrganization"},
		{"empty scheme", WithAuthScheme(""), "WithAuthScheme"},
		{"scheme with space", WithAuthScheme("Bear er"), "WithAuthScheme"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(stubBaseURL, tc.opt)
			if c != nil {
				t.Errorf("client = %v, want nil", c)
			}
			var argErr *InvalidArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("error = %v, want an *InvalidArgumentError", err)
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("error %v does not match ErrInvalidArgument", err)
			}
			if argErr.Name != tc.wantName {
				t.Errorf("Name = %q, want %q", argErr.Name, tc.wantName)
			}
			assertNoSecret(t, "error text", err.Error())
		})
	}
}

func TestNewClientSkipsNilOption(t *testing.T) {
	t.Parallel()
	c, err := NewClient(stubBaseURL, nil, WithToken(testToken))
	if err != nil {
		t.Fatalf("NewClient with a nil option: %v", err)
	}
	if c == nil {
		t.Fatal("NewClient returned neither a client nor an error")
	}
}
