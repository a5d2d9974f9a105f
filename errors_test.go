package sdkfinance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
)

// allSentinels lists every sentinel error, to check that an error matches
// its own class and no other.
var allSentinels = []struct {
	name string
	err  error
}{
	{"ErrInvalidArgument", ErrInvalidArgument},
	{"ErrUnauthorized", ErrUnauthorized},
	{"ErrForbidden", ErrForbidden},
	{"ErrNotFound", ErrNotFound},
	{"ErrConflict", ErrConflict},
	{"ErrRateLimited", ErrRateLimited},
	{"ErrServer", ErrServer},
	{"ErrUserMismatch", ErrUserMismatch},
	{"ErrInvalidResponse", ErrInvalidResponse},
	{"ErrOTPRequired", ErrOTPRequired},
}

// assertOneLineError checks the promises of every SDK error text: one
// line, at most 300 bytes, the package prefix and no secret.
func assertOneLineError(t *testing.T, err error) {
	t.Helper()
	text := err.Error()
	if strings.ContainsAny(text, "\r\n") {
		t.Errorf("error text spans lines: %q", text)
	}
	if len(text) > maxErrorLen {
		t.Errorf("error text is %d bytes, want at most %d: %q", len(text), maxErrorLen, text)
	}
	if !strings.HasPrefix(text, "sdkfinance: ") {
		t.Errorf("error text %q does not start with %q", text, "sdkfinance: ")
	}
	assertNoSecret(t, "error text", text)
}

func TestStatusMapsToSentinel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   error // nil for a status with no sentinel
	}{
		{http.StatusBadRequest, nil},
		{http.StatusUnauthorized, ErrUnauthorized},
		{http.StatusForbidden, ErrForbidden},
		{http.StatusNotFound, ErrNotFound},
		{http.StatusConflict, ErrConflict},
		{http.StatusUnprocessableEntity, nil},
		{http.StatusTooManyRequests, ErrRateLimited},
		{http.StatusInternalServerError, ErrServer},
		{http.StatusNotImplemented, ErrServer},
		{http.StatusBadGateway, ErrServer},
		{http.StatusServiceUnavailable, ErrServer},
		{http.StatusGatewayTimeout, ErrServer},
		{599, ErrServer},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				return jsonReply(tc.status, `{"code":"SOME_CODE","mdcId":"mdc-1"}`)
			})
			c := stub.newClient(t, WithToken(testToken), WithRetry(RetryPolicy{MaxAttempts: 1}))
			page, err := c.ListResetRequests(context.Background(), ListQuery{})
			if page != nil {
				t.Errorf("page = %+v, want nil with an error", page)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			if apiErr.StatusCode != tc.status {
				t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, tc.status)
			}
			for _, s := range allSentinels {
				want := s.err == tc.want
				if got := errors.Is(err, s.err); got != want {
					t.Errorf("errors.Is(err, %s) = %v, want %v (error %v)", s.name, got, want, err)
				}
			}
			assertOneLineError(t, err)
		})
	}
}

func TestStatusMapsToSentinelOnDecisions(t *testing.T) {
	t.Parallel()
	// Statuses that approve and decline do not retry and that mean the
	// request was not processed, so the outcome is the error itself.
	tests := []struct {
		status int
		want   error
	}{
		{http.StatusUnauthorized, ErrUnauthorized},
		{http.StatusForbidden, ErrForbidden},
		{http.StatusNotFound, ErrNotFound},
		{http.StatusTooManyRequests, ErrRateLimited},
		{http.StatusServiceUnavailable, ErrServer},
	}
	actions := []struct {
		name string
		run  func(c *Client) (*ResetResult, error)
	}{
		{"approve", func(c *Client) (*ResetResult, error) {
			return c.ApproveResetRequest(context.Background(), "u1", "r1")
		}},
		{"decline", func(c *Client) (*ResetResult, error) {
			return c.DeclineResetRequest(context.Background(), "u1", "r1")
		}},
	}
	for _, a := range actions {
		for _, tc := range tests {
			t.Run(a.name+"/"+http.StatusText(tc.status), func(t *testing.T) {
				t.Parallel()
				stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
					if r.Operation == a.name {
						return jsonReply(tc.status, `{"code":"SOME_CODE","mdcId":"mdc-1"}`)
					}
					return jsonReply(http.StatusOK, pageJSON(0, 1))
				})
				c := stub.newClient(t, WithToken(testToken), WithRetry(RetryPolicy{MaxAttempts: 1}))
				result, err := a.run(c)
				if result != nil {
					t.Errorf("result = %+v, want nil with an error", result)
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("error = %v, want one matching %v", err, tc.want)
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error = %v (%T), want an *APIError", err, err)
				}
				if apiErr.StatusCode != tc.status {
					t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, tc.status)
				}
				wantPath := "/api/v1/profiles/u1/reset-identification-requests/r1/" + a.name
				if apiErr.Path != wantPath {
					t.Errorf("Path = %q, want %q", apiErr.Path, wantPath)
				}
				if apiErr.Method != http.MethodPost {
					t.Errorf("Method = %q, want POST", apiErr.Method)
				}
				assertOneLineError(t, err)
			})
		}
	}
}

func TestErrorEnvelopeDecoded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		body            string
		wantCode        string
		wantMessage     string
		wantMdcID       string
		wantFieldErrors []FieldError
		wantParameters  []ErrorParameter
	}{
		{
			name: "every field",
			body: `{"code":"REQUEST_ALREADY_PROCESSED","message":"Request already processed",` +
				`"errors":[{"parameter":"id","message":"is not pending"},{"parameter":"userId","message":"is blocked"}],` +
				`"parameters":[{"key":"id","value":"r1"},{"key":"status","value":"APPROVED"}],"mdcId":"mdc-123"}`,
			wantCode:    "REQUEST_ALREADY_PROCESSED",
			wantMessage: "Request already processed",
			wantMdcID:   "mdc-123",
			wantFieldErrors: []FieldError{
				{Parameter: "id", Message: "is not pending"},
				{Parameter: "userId", Message: "is blocked"},
			},
			wantParameters: []ErrorParameter{{Key: "id", Value: "r1"}, {Key: "status", Value: "APPROVED"}},
		},
		{
			name:            "message from field errors",
			body:            `{"code":"VALIDATION","errors":[{"parameter":"id","message":"is not pending"}],"mdcId":"m2"}`,
			wantCode:        "VALIDATION",
			wantMessage:     "id: is not pending",
			wantMdcID:       "m2",
			wantFieldErrors: []FieldError{{Parameter: "id", Message: "is not pending"}},
		},
		{
			name:      "message that is not a string",
			body:      `{"code":"X","message":{"text":"nested"},"mdcId":"m3"}`,
			wantCode:  "X",
			wantMdcID: "m3",
		},
		{
			name:        "message with line breaks",
			body:        `{"code":"X","message":"first\nsecond\r\n\tthird"}`,
			wantCode:    "X",
			wantMessage: "first second third",
		},
		{
			name: "empty envelope",
			body: `{}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				return jsonReply(http.StatusConflict, tc.body)
			})
			c := stub.newClient(t, WithToken(testToken))
			_, err := c.ListResetRequests(context.Background(), ListQuery{})
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			if apiErr.Code != tc.wantCode {
				t.Errorf("Code = %q, want %q", apiErr.Code, tc.wantCode)
			}
			if apiErr.Message != tc.wantMessage {
				t.Errorf("Message = %q, want %q", apiErr.Message, tc.wantMessage)
			}
			if apiErr.MdcID != tc.wantMdcID {
				t.Errorf("MdcID = %q, want %q", apiErr.MdcID, tc.wantMdcID)
			}
			if !equalSlices(apiErr.FieldErrors, tc.wantFieldErrors) {
				t.Errorf("FieldErrors = %+v, want %+v", apiErr.FieldErrors, tc.wantFieldErrors)
			}
			if !equalSlices(apiErr.Parameters, tc.wantParameters) {
				t.Errorf("Parameters = %+v, want %+v", apiErr.Parameters, tc.wantParameters)
			}
			if apiErr.Snippet != "" {
				t.Errorf("Snippet = %q, want none for a JSON envelope", apiErr.Snippet)
			}
			if apiErr.Method != http.MethodPost {
				t.Errorf("Method = %q, want POST", apiErr.Method)
			}
			if apiErr.Path != "/api/v1/profiles/view-reset-identification-requests" {
				t.Errorf("Path = %q, want the list path", apiErr.Path)
			}
			if apiErr.Attempts != 1 {
				t.Errorf("Attempts = %d, want 1", apiErr.Attempts)
			}
			if !errors.Is(err, ErrConflict) {
				t.Errorf("error %v does not match ErrConflict", err)
			}
			if errors.Is(err, ErrInvalidResponse) {
				t.Errorf("error %v matches ErrInvalidResponse, but the envelope was valid", err)
			}
			assertOneLineError(t, err)
			text := err.Error()
			for _, part := range []string{"409", tc.wantCode, tc.wantMdcID} {
				if !strings.Contains(text, part) {
					t.Errorf("error text %q lacks %q", text, part)
				}
			}
		})
	}
}

// equalSlices reports whether two slices hold equal elements, treating nil
// and empty as equal.
func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNonJSONErrorBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantSnippet string
		want        error
	}{
		{
			name:        "gateway HTML page",
			status:      http.StatusBadGateway,
			contentType: "text/html",
			body: "<html>\r\n<head><TITLE>502 Bad Gateway</TITLE></head>\r\n" +
				"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
			wantSnippet: "502 Bad Gateway",
			want:        ErrServer,
		},
		{
			name:        "HTML page without a title",
			status:      http.StatusServiceUnavailable,
			contentType: "text/html",
			body:        "<html><body>\n  <p>Service\tunavailable</p>\n</body></html>",
			wantSnippet: "<html><body> <p>Service unavailable</p> </body></html>",
			want:        ErrServer,
		},
		{
			name:        "unclosed title",
			status:      http.StatusBadGateway,
			contentType: "text/html",
			body:        "<html><title>Bad",
			wantSnippet: "<html><title>Bad",
			want:        ErrServer,
		},
		{
			name:        "plain text",
			status:      http.StatusForbidden,
			contentType: "text/plain",
			body:        "Forbidden by WAF rule 42\n",
			wantSnippet: "Forbidden by WAF rule 42",
			want:        ErrForbidden,
		},
		{
			name:        "invalid UTF-8 and control bytes",
			status:      http.StatusNotFound,
			contentType: "application/octet-stream",
			body:        "bad\xff\xfe\x00bytes\x1b[31m",
			wantSnippet: "bad bytes [31m",
			want:        ErrNotFound,
		},
		{
			name:        "truncated JSON envelope",
			status:      http.StatusConflict,
			contentType: "application/json",
			body:        `{"code":"ALREADY_PROC`,
			wantSnippet: `{"code":"ALREADY_PROC`,
			want:        ErrConflict,
		},
		{
			name:        "JSON array",
			status:      http.StatusInternalServerError,
			contentType: "application/json",
			body:        `["oops"]`,
			wantSnippet: `["oops"]`,
			want:        ErrServer,
		},
		{
			name:        "empty 4xx body",
			status:      http.StatusNotFound,
			contentType: "application/json",
			body:        "",
			want:        ErrNotFound,
		},
		{
			name:        "empty 5xx body",
			status:      http.StatusInternalServerError,
			contentType: "",
			body:        "",
			want:        ErrServer,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				return textReply(tc.status, tc.contentType, tc.body)
			})
			c := stub.newClient(t, WithToken(testToken), WithRetry(RetryPolicy{MaxAttempts: 1}))
			page, err := c.ListResetRequests(context.Background(), ListQuery{})
			if page != nil {
				t.Errorf("page = %+v, want nil with an error", page)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			if apiErr.StatusCode != tc.status {
				t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, tc.status)
			}
			if apiErr.Snippet != tc.wantSnippet {
				t.Errorf("Snippet = %q, want %q", apiErr.Snippet, tc.wantSnippet)
			}
			if apiErr.Code != "" {
				t.Errorf("Code = %q, want none for a body that is not an envelope", apiErr.Code)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v does not match %v", err, tc.want)
			}
			if errors.Is(err, ErrInvalidResponse) {
				t.Errorf("error %v matches ErrInvalidResponse, but only a 2xx body can be invalid", err)
			}
			assertOneLineError(t, err)
		})
	}
}

func TestInvalidSuccessBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"empty", ""},
		{"truncated JSON", `{"request":{"id":"r1","status":"APPR`},
		{"HTML", "<html><title>Welcome</title></html>"},
		{"wrong field types", `{"request":"r1","records":"r1"}`},
	}
	calls := []struct {
		name      string
		operation string
		run       func(c *Client) (any, error)
	}{
		{"approve", "approve", func(c *Client) (any, error) {
			return c.ApproveResetRequest(context.Background(), "u1", "r1")
		}},
		{"decline", "decline", func(c *Client) (any, error) {
			return c.DeclineResetRequest(context.Background(), "u1", "r1")
		}},
		{"list", "list", func(c *Client) (any, error) {
			return c.ListResetRequests(context.Background(), ListQuery{})
		}},
	}
	for _, call := range calls {
		for _, tc := range tests {
			t.Run(call.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				// An unreadable response to an approve or decline leaves its
				// outcome unknown, so the client reads the request back
				// from the list. The list shows it still pending, and with
				// one attempt allowed the client returns the first error.
				stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
					if r.Operation == call.operation {
						return jsonReply(http.StatusOK, tc.body)
					}
					return jsonReply(http.StatusOK, pageJSON(0, 1, resetRecord("r1", "u1", StatusPending)))
				})
				c := stub.newClient(t, WithToken(testToken), WithRetry(RetryPolicy{MaxAttempts: 1}))
				result, err := call.run(c)
				if !isNilResult(result) {
					t.Errorf("result = %+v, want nil with an error", result)
				}
				if !errors.Is(err, ErrInvalidResponse) {
					t.Fatalf("error = %v, want one matching ErrInvalidResponse", err)
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %T is not an *APIError", err)
				}
				if apiErr.StatusCode != http.StatusOK {
					t.Errorf("StatusCode = %d, want 200", apiErr.StatusCode)
				}
				for _, s := range []error{ErrServer, ErrNotFound, ErrConflict, ErrUnauthorized} {
					if errors.Is(err, s) {
						t.Errorf("error %v matches %v, but the status was 200", err, s)
					}
				}
				if n := stub.count(call.operation); n != 1 {
					t.Errorf("sent %d %s requests, want 1", n, call.operation)
				}
				assertOneLineError(t, err)
			})
		}
	}
}

func TestEmptySuccessBodyOfLogout(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
		return textReply(http.StatusOK, "", "")
	})
	c := stub.newClient(t, WithToken(testToken))
	if err := c.Logout(context.Background()); err != nil {
		t.Errorf("Logout with an empty 200 body: %v, want nil because logout reads no body", err)
	}
}

func TestNoNilResultWithNilError(t *testing.T) {
	t.Parallel()
	replies := []struct {
		name  string
		reply stubHandler
	}{
		{"null body", func(*stubRequest) (*http.Response, error) { return jsonReply(http.StatusOK, "null") }},
		{"empty object", func(*stubRequest) (*http.Response, error) { return jsonReply(http.StatusOK, "{}") }},
		{"empty body", func(*stubRequest) (*http.Response, error) { return jsonReply(http.StatusOK, "") }},
		{"truncated body", func(*stubRequest) (*http.Response, error) { return jsonReply(http.StatusOK, `{"rec`) }},
		{"no content", func(*stubRequest) (*http.Response, error) { return textReply(http.StatusNoContent, "", "") }},
		{"server error", func(*stubRequest) (*http.Response, error) { return jsonReply(http.StatusInternalServerError, "{}") }},
		{"broken connection", func(*stubRequest) (*http.Response, error) {
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
		}},
	}
	calls := []struct {
		name string
		run  func(c *Client) (any, error)
	}{
		{"ResetIdentification", func(c *Client) (any, error) {
			return c.ResetIdentification(context.Background(), "u1", "r1")
		}},
		{"ApproveResetRequest", func(c *Client) (any, error) {
			return c.ApproveResetRequest(context.Background(), "u1", "r1")
		}},
		{"DeclineResetRequest", func(c *Client) (any, error) {
			return c.DeclineResetRequest(context.Background(), "u1", "r1")
		}},
		{"ListResetRequests", func(c *Client) (any, error) {
			return c.ListResetRequests(context.Background(), ListQuery{})
		}},
	}
	logins := []struct {
		name string
		opts []Option
	}{
		{"token", []Option{WithToken(testToken)}},
		{"credentials", []Option{WithCredentials(testLogin, testPassword)}},
	}
	for _, login := range logins {
		for _, call := range calls {
			for _, reply := range replies {
				t.Run(login.name+"/"+call.name+"/"+reply.name, func(t *testing.T) {
					t.Parallel()
					stub := newStubAPI(t, reply.reply)
					c := stub.newClient(t, login.opts...)
					result, err := call.run(c)
					if err == nil && isNilResult(result) {
						t.Fatalf("%s returned a nil result and a nil error", call.name)
					}
					if err != nil && !isNilResult(result) {
						t.Errorf("%s returned both %+v and error %v", call.name, result, err)
					}
					if err != nil {
						assertOneLineError(t, err)
					}
				})
			}
		}
	}
}

// isNilResult reports whether v is nil or a nil pointer of a result type.
func isNilResult(v any) bool {
	switch r := v.(type) {
	case nil:
		return true
	case *ResetResult:
		return r == nil
	case *ResetRequestPage:
		return r == nil
	}
	return false
}

func TestErrorTextBoundedWithHugeFields(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	huge := strings.Repeat("C", mib)
	longID := strings.Repeat("i", maxIDLen)
	tests := []struct {
		name        string
		userID, id  string
		status      int
		contentType string
		body        string
		wantCode    bool // whether the text must show the start of the code
		wantMdcID   string
	}{
		{
			name: "huge code and message", userID: "u1", id: "r1",
			status: http.StatusNotFound, contentType: "application/json",
			body:     `{"code":"` + huge + `","message":"` + strings.Repeat("m", mib) + `","mdcId":"mdc-42"}`,
			wantCode: true, wantMdcID: "mdc-42",
		},
		{
			name: "huge code and long ids", userID: longID, id: longID,
			status: http.StatusServiceUnavailable, contentType: "application/json",
			body:     `{"code":"` + huge + `","message":"` + strings.Repeat("m", mib) + `","mdcId":"mdc-43"}`,
			wantCode: true, wantMdcID: "mdc-43",
		},
		{
			name: "line breaks in code and mdcId", userID: "u1", id: "r1",
			status: http.StatusUnauthorized, contentType: "application/json",
			body:     `{"code":"BAD\nCODE\r\n","message":"m","mdcId":"mdc\n-44"}`,
			wantCode: true, wantMdcID: "mdc",
		},
		{
			name: "huge field errors", userID: "u1", id: "r1",
			status: http.StatusForbidden, contentType: "application/json",
			body:     `{"code":"V","errors":[{"parameter":"` + huge + `","message":"` + huge + `"}],"mdcId":"mdc-45"}`,
			wantCode: true, wantMdcID: "mdc-45",
		},
		{
			name: "huge mdcId", userID: "u1", id: "r1",
			status: http.StatusNotFound, contentType: "application/json",
			body:     `{"code":"NF","mdcId":"` + huge + `"}`,
			wantCode: true, wantMdcID: "CCCC",
		},
		{
			name: "huge HTML body", userID: "u1", id: "r1",
			status: http.StatusNotFound, contentType: "text/html",
			body: "<html><title>" + huge + "</title></html>",
		},
		{
			name: "huge text body", userID: "u1", id: "r1",
			status: http.StatusNotFound, contentType: "text/plain",
			body: strings.Repeat("line\n", mib/5),
		},
	}
	// Every status here makes the approve fail for certain, so the error is
	// the approve's own *APIError and not a reconciliation error.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				return textReply(tc.status, tc.contentType, tc.body)
			})
			c := stub.newClient(t, WithToken(testToken), WithRetry(RetryPolicy{MaxAttempts: 1}))
			_, err := c.ApproveResetRequest(context.Background(), tc.userID, tc.id)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			assertOneLineError(t, err)
			text := err.Error()
			if !strings.Contains(text, "POST ") {
				t.Errorf("error text %q lacks the method", text)
			}
			pathStart := "/api/v1/profiles/" + tc.userID[:min(len(tc.userID), 40)]
			if !strings.Contains(text, pathStart) {
				t.Errorf("error text %q lacks the start of the path %q", text, pathStart)
			}
			if status := http.StatusText(tc.status); !strings.Contains(text, status) {
				t.Errorf("error text %q lacks the status %q", text, status)
			}
			if tc.wantCode && !strings.Contains(text, "code "+apiErr.Code[:min(len(apiErr.Code), 3)]) {
				t.Errorf("error text %q lacks the start of the code", text)
			}
			if tc.wantMdcID != "" && !strings.Contains(text, "mdcId "+tc.wantMdcID) {
				t.Errorf("error text %q lacks the mdcId %q", text, tc.wantMdcID)
			}
			if len(apiErr.Snippet) > 120 {
				t.Errorf("Snippet is %d bytes, want at most 120", len(apiErr.Snippet))
			}
			if strings.ContainsAny(apiErr.Snippet, "\r\n") {
				t.Errorf("Snippet spans lines: %q", apiErr.Snippet)
			}
		})
	}
}

func TestErrorTextOfBareAPIError(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", 1<<20)
	tests := []struct {
		name string
		err  *APIError
		want []string
	}{
		{
			name: "zero value",
			err:  &APIError{},
			want: []string{"sdkfinance: "},
		},
		{
			name: "every field huge",
			err: &APIError{StatusCode: 409, Code: huge, Message: huge, MdcID: "mdc-7", Method: "POST",
				Path: "/api/v1/" + huge, Snippet: huge},
			want: []string{"POST /api/v1/", "409 Conflict", "code xxx", "mdcId mdc-7"},
		},
		{
			name: "line breaks everywhere",
			err: &APIError{StatusCode: 404, Code: "A\nB", Message: "m\r\nn", MdcID: "x\ny", Method: "POST",
				Path: "/p", Snippet: "s\ns"},
			want: []string{"POST /p", "404 Not Found"},
		},
		{
			name: "snippet only",
			err:  &APIError{StatusCode: 502, Method: "POST", Path: "/p", Snippet: "502 Bad Gateway"},
			want: []string{`502 Bad Gateway: body "502 Bad Gateway"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assertOneLineError(t, tc.err)
			for _, part := range tc.want {
				if !strings.Contains(tc.err.Error(), part) {
					t.Errorf("error text %q lacks %q", tc.err.Error(), part)
				}
			}
		})
	}
}

func TestBodyOverResponseLimit(t *testing.T) {
	t.Parallel()
	const limit = 1024
	big := `{"code":"` + strings.Repeat("x", 2*limit) + `"}`
	tests := []struct {
		name      string
		status    int
		operation string
		wantClass error // a class the error must also match, or nil
	}{
		{"approve 200", http.StatusOK, "approve", nil},
		{"approve 409", http.StatusConflict, "approve", ErrConflict},
		{"list 200", http.StatusOK, "list", nil},
		{"list 500", http.StatusInternalServerError, "list", ErrServer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The list, which the client reads to reconcile an approve
			// whose response it could not read, shows the request still
			// pending, so the approve's own error comes back.
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				if r.Operation == "list" && tc.operation == "approve" {
					return jsonReply(http.StatusOK, pageJSON(0, 1, resetRecord("r1", "u1", StatusPending)))
				}
				return jsonReply(tc.status, big)
			})
			c := stub.newClient(t, WithToken(testToken), WithMaxResponseBytes(limit),
				WithRetry(RetryPolicy{MaxAttempts: 1}))
			var err error
			if tc.operation == "approve" {
				_, err = c.ApproveResetRequest(context.Background(), "u1", "r1")
			} else {
				_, err = c.ListResetRequests(context.Background(), ListQuery{})
			}
			if !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("error = %v, want one matching ErrInvalidResponse", err)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T is not an *APIError", err)
			}
			if apiErr.StatusCode != tc.status {
				t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, tc.status)
			}
			if tc.wantClass != nil && !errors.Is(err, tc.wantClass) {
				t.Errorf("error %v does not match %v", err, tc.wantClass)
			}
			if !strings.Contains(err.Error(), "size limit") {
				t.Errorf("error text %q does not say the body passed the size limit", err.Error())
			}
			assertOneLineError(t, err)
		})
	}
}

func TestBodyAtResponseLimitAccepted(t *testing.T) {
	t.Parallel()
	const limit = 1024
	const prefix, suffix = `{"status":"ok","message":"`, `"}`
	body := prefix + strings.Repeat("m", limit-len(prefix)-len(suffix)) + suffix
	if len(body) != limit {
		t.Fatalf("test body is %d bytes, want exactly %d", len(body), limit)
	}
	stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
		return jsonReply(http.StatusOK, body)
	})
	c := stub.newClient(t, WithToken(testToken), WithMaxResponseBytes(limit))
	result, err := c.ApproveResetRequest(context.Background(), "u1", "r1")
	if err != nil {
		t.Fatalf("a body of exactly the limit failed: %v", err)
	}
	if result.Status != "ok" {
		t.Errorf("Status = %q, want ok", result.Status)
	}
}

func TestResetIdentificationNotPendingError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		records    []map[string]any
		wantStatus ResetRequestStatus
	}{
		{"absent from the list", []map[string]any{resetRecord("r2", "u1", StatusPending)}, ""},
		{"empty list", nil, ""},
		{"listed as approved", []map[string]any{resetRecord("r1", "u1", StatusApproved)}, StatusApproved},
		{"listed as declined", []map[string]any{resetRecord("r1", "u1", StatusDeclined)}, StatusDeclined},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
				if r.Operation == "list" {
					return jsonReply(http.StatusOK, pageJSON(0, 1, tc.records...))
				}
				return nil, errors.New("stub: only the list is expected")
			})
			c := stub.newClient(t, WithToken(testToken))
			result, err := c.ResetIdentification(context.Background(), "u1", "r1")
			if result != nil {
				t.Errorf("result = %+v, want nil", result)
			}
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("error = %v, want one matching ErrNotFound", err)
			}
			var notPending *NotPendingError
			if !errors.As(err, &notPending) {
				t.Fatalf("error = %v (%T), want a *NotPendingError", err, err)
			}
			if notPending.RequestID != "r1" {
				t.Errorf("RequestID = %q, want r1", notPending.RequestID)
			}
			if notPending.Status != tc.wantStatus {
				t.Errorf("Status = %q, want %q", notPending.Status, tc.wantStatus)
			}
			if !strings.Contains(err.Error(), `"r1"`) {
				t.Errorf("error text %q does not name the request", err.Error())
			}
			if n := stub.count("approve"); n != 0 {
				t.Errorf("sent %d approves, want none", n)
			}
			assertOneLineError(t, err)
		})
	}
}

func TestResetIdentificationUserMismatchError(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
		if r.Operation == "list" {
			return jsonReply(http.StatusOK, pageJSON(0, 1, resetRecord("r1", "u2", StatusPending)))
		}
		return nil, errors.New("stub: only the list is expected")
	})
	c := stub.newClient(t, WithToken(testToken))
	result, err := c.ResetIdentification(context.Background(), "u1", "r1")

	if result != nil {
		t.Errorf("result = %+v, want nil", result)
	}
	if !errors.Is(err, ErrUserMismatch) {
		t.Errorf("error = %v, want one matching ErrUserMismatch", err)
	}
	var mismatch *UserMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("error = %v (%T), want a *UserMismatchError", err, err)
	}
	if mismatch.RequestID != "r1" {
		t.Errorf("RequestID = %q, want r1", mismatch.RequestID)
	}
	if mismatch.UserID != "u1" {
		t.Errorf("UserID = %q, want u1", mismatch.UserID)
	}
	if mismatch.InitiatorUserID != "u2" {
		t.Errorf("InitiatorUserID = %q, want u2", mismatch.InitiatorUserID)
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("error %v matches ErrNotFound, want only ErrUserMismatch", err)
	}

	if n := stub.count("approve"); n != 0 {
		t.Errorf("sent %d approves, want none", n)
	}
	assertOneLineError(t, err)
}

func TestResetIdentificationApprovesFoundRequest(t *testing.T) {
	t.Parallel()
	stub := newStubAPI(t, func(r *stubRequest) (*http.Response, error) {
		switch r.Operation {
		case "list":
			return jsonReply(http.StatusOK, pageJSON(0, 1,
				resetRecord("r0", "u0", StatusPending), resetRecord("r1", "u1", StatusPending)))
		case "approve":
			return jsonReply(http.StatusOK, decisionJSON("r1", "u1", StatusApproved))
		}
		return nil, errors.New("stub: unexpected request")
	})
	c := stub.newClient(t, WithToken(testToken))
	result, err := c.ResetIdentification(context.Background(), "u1", "r1")
	if err != nil {
		t.Fatalf("ResetIdentification: %v", err)
	}
	if result.Request.ID != "r1" {
		t.Errorf("Request.ID = %q, want r1", result.Request.ID)
	}
	if result.Request.Status != StatusApproved {
		t.Errorf("Request.Status = %q, want APPROVED", result.Request.Status)
	}
	if result.Status != "ok" {
		t.Errorf("Status = %q, want ok", result.Status)
	}

	approves := stub.of("approve")
	if len(approves) != 1 {
		t.Fatalf("sent %d approves, want 1", len(approves))
	}
	if want := "/api/v1/profiles/u1/reset-identification-requests/r1/approve"; approves[0].EscapedPath != want {
		t.Errorf("approve path = %s, want %s", approves[0].EscapedPath, want)
	}
	lists := stub.of("list")
	if len(lists) != 1 {
		t.Fatalf("sent %d lists, want 1", len(lists))
	}
	assertJSONEqual(t, "lookup body", lists[0].Body,
		`{"filter":{"status":"PENDING"},"pageNumber":0,"pageSize":100}`)
}
