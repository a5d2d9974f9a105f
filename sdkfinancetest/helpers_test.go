package sdkfinancetest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// response is a decoded HTTP response of the server.
type response struct {
	status int
	header http.Header
	raw    []byte
}

// decode unmarshals the body into v and fails the test when it is not JSON.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.raw, v); err != nil {
		t.Fatalf("decode body %q: %v", r.raw, err)
	}
}

// envelope is the error envelope, with pointers to tell absent lists from empty ones.
type envelope struct {
	Code   string `json:"code"`
	Errors *[]struct {
		Parameter string `json:"parameter"`
		Message   string `json:"message"`
	} `json:"errors"`
	Parameters *[]struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"parameters"`
	MdcID string `json:"mdcId"`
}

// resetRequest is a reset request record as the API sends it.
type resetRequest struct {
	ID              string `json:"id"`
	Description     string `json:"description"`
	OrganizationID  string `json:"organizationId"`
	Status          string `json:"status"`
	InitiatorUserID string `json:"initiatorUserId"`
	InitiatorRole   string `json:"initiatorRole"`
}

type page struct {
	Status       string          `json:"status"`
	Message      string          `json:"message"`
	PageNumber   int             `json:"pageNumber"`
	PageSize     int             `json:"pageSize"`
	TotalRecords int             `json:"totalRecords"`
	TotalPages   int             `json:"totalPages"`
	Records      *[]resetRequest `json:"records"`
}

type requestEnvelope struct {
	Request resetRequest `json:"request"`
	Status  string       `json:"status"`
	Message string       `json:"message"`
}

type token struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
}

type authorization struct {
	Action             string `json:"action"`
	AuthorizationToken *token `json:"authorizationToken"`
	Members            *[]struct {
		Organization struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"organization"`
		Role        string   `json:"role"`
		Permissions []string `json:"permissions"`
		Token       token    `json:"token"`
		User        struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
	} `json:"members"`
}

// newServer starts a server that the test closes when it ends.
func newServer(t *testing.T, opts ...sdkfinancetest.Option) *sdkfinancetest.Server {
	t.Helper()
	srv, err := sdkfinancetest.NewServer(opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request to target. An empty authorization leaves the header
// out, and an empty body sends none.
func call(t *testing.T, method, target, authorization, body string) response {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, reader)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, target, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, target, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, raw: raw}
}

// tokenFor issues a token for login and returns the Authorization header value.
func tokenFor(t *testing.T, srv *sdkfinancetest.Server, login string) string {
	t.Helper()
	tok, err := srv.IssueToken(login)
	if err != nil {
		t.Fatalf("IssueToken(%q): %v", login, err)
	}
	return "TOKEN " + tok
}

// checkError checks the status, the Content-Type, the code and the shape
// of an error envelope, and returns the envelope.
func checkError(t *testing.T, r response, status int, code string) envelope {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var env envelope
	r.decode(t, &env)
	if env.Code != code {
		t.Errorf("code = %q, want %q", env.Code, code)
	}
	if env.MdcID == "" {
		t.Error("mdcId is empty")
	}
	if env.Errors == nil {
		t.Error("errors is absent")
	} else if len(*env.Errors) == 0 || (*env.Errors)[0].Message == "" {
		t.Errorf("errors = %+v, want at least one with a message", *env.Errors)
	}
	if env.Parameters == nil {
		t.Error("parameters is absent")
	}
	return env
}

// hasFieldError reports whether the envelope names parameter in a field error.
func hasFieldError(env envelope, parameter string) bool {
	if env.Errors == nil {
		return false
	}
	for _, e := range *env.Errors {
		if e.Parameter == parameter {
			return true
		}
	}
	return false
}

// actionURL returns the URL of an action, "approve" or "decline", on a
// reset request, with escaped path segments.
func actionURL(srv *sdkfinancetest.Server, userID, id, action string) string {
	return srv.URL + "/profiles/" + escapeSegment(userID) +
		"/reset-identification-requests/" + escapeSegment(id) + "/" + action
}

// escapeSegment escapes s as one path segment. url.PathEscape leaves the
// dots of "." and ".." alone, which a server would treat as path steps.
func escapeSegment(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	return url.PathEscape(s)
}
