package sdkfinance_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// contractTransport is an http.RoundTripper that validates every request
// it sends and every response it receives against openapi.yaml. It
// buffers both bodies, so the validation leaves them for the SDK to read,
// and records each validation failure instead of failing the test, so
// that a test can also check that a bad exchange is caught.
type contractTransport struct {
	router  routers.Router
	next    http.RoundTripper
	options *openapi3filter.Options

	mu         sync.Mutex
	failures   []string
	operations map[string]int // validated exchanges by operationId
	statuses   map[int]int    // validated responses by status
}

// loadContract loads openapi.yaml, checks that it is a valid OpenAPI
// document, and points its server at apiRoot, because the document's
// server URL is the relative /api/v1.
func loadContract(t *testing.T, apiRoot string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: apiRoot}}
	return doc
}

// newContractTransport returns a validating transport for the API at
// apiRoot that sends through a transport of its own.
func newContractTransport(t *testing.T, apiRoot string) *contractTransport {
	t.Helper()
	router, err := gorillamux.NewRouter(loadContract(t, apiRoot))
	if err != nil {
		t.Fatalf("build the router of openapi.yaml: %v", err)
	}
	next := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(next.CloseIdleConnections)
	return &contractTransport{
		router: router,
		next:   next,
		options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			AuthenticationFunc:    checkTokenHeader,
		},
		operations: make(map[string]int),
		statuses:   make(map[int]int),
	}
}

// checkTokenHeader is the AuthenticationFunc of the validation. The
// document declares an apiKey in the Authorization header, and the SDK
// sends it as "TOKEN <token>".
func checkTokenHeader(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "Authorization" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	header := in.RequestValidationInput.Request.Header.Get("Authorization")
	token, ok := strings.CutPrefix(header, "TOKEN ")
	if !ok || strings.TrimSpace(token) == "" {
		return fmt.Errorf(`Authorization header %q does not read "TOKEN <token>"`, header)
	}
	return nil
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req.Body)
	if err != nil {
		return nil, err
	}
	// Send a clone, because a RoundTripper must not change the request.
	out := req.Clone(req.Context())
	out.Body, out.GetBody = bodyOf(body), func() (io.ReadCloser, error) { return bodyOf(body), nil }

	validated := req.Clone(req.Context())
	validated.Body = bodyOf(body)
	where := req.Method + " " + req.URL.Path
	route, pathParams, err := ct.router.FindRoute(validated)
	if err != nil {
		ct.fail("%s: no operation of openapi.yaml matches: %v", where, err)
		return ct.next.RoundTrip(out)
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    validated,
		PathParams: pathParams,
		Route:      route,
		Options:    ct.options,
	}
	if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
		ct.fail("%s: request (%s) does not match openapi.yaml: %v", where, body, err)
	}

	resp, err := ct.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	respBody, err := readBody(resp.Body)
	if err != nil {
		return nil, err
	}
	resp.Body = bodyOf(respBody)
	check := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                ct.options,
	}
	check.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(req.Context(), check); err != nil {
		ct.fail("%s: response %d (%.300s) does not match openapi.yaml: %v",
			where, resp.StatusCode, respBody, err)
	}
	ct.record(route.Operation.OperationID, resp.StatusCode)
	return resp, nil
}

// readBody reads and closes body, which may be nil.
func readBody(body io.ReadCloser) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	return io.ReadAll(body)
}

// bodyOf returns a fresh reader of b, or http.NoBody for no body.
func bodyOf(b []byte) io.ReadCloser {
	if b == nil {
		return http.NoBody
	}
	return io.NopCloser(bytes.NewReader(b))
}

func (ct *contractTransport) fail(format string, args ...any) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	ct.failures = append(ct.failures, fmt.Sprintf(format, args...))
}

func (ct *contractTransport) record(operationID string, status int) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	ct.operations[operationID]++
	ct.statuses[status]++
}

// takeFailures returns the failures recorded so far and clears the list.
func (ct *contractTransport) takeFailures() []string {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	failures := ct.failures
	ct.failures = nil
	return failures
}

// requireValid fails the test for every validation failure recorded.
func (ct *contractTransport) requireValid(t *testing.T) {
	t.Helper()
	for _, f := range ct.takeFailures() {
		t.Error(f)
	}
}

func (ct *contractTransport) client() *http.Client {
	return &http.Client{Transport: ct}
}

const contractSeed = `{
  "users": [
    {"ref": "alex", "name": "Alex Example"},
    {"ref": "sam", "name": "Sam Example"},
    {"ref": "kim", "name": "Kim Example"},
    {"ref": "lee", "name": "Lee Example", "login": "lee@sandbox.local", "password": "lee-pw"},
    {"ref": "otp", "name": "Otto Example", "login": "otto@sandbox.local", "password": "otto-pw"}
  ],
  "operators": [
    {"login": "viewer@sandbox.local", "password": "viewer-pw", "permissions": []}
  ],
  "resetRequests": [
    {"user": "alex", "id": "request-alex", "description": "Passport expired"},
    {"user": "sam", "id": "request-sam", "description": "Name changed"},
    {"user": "kim", "id": "request-kim"},
    {"user": "kim", "id": "request-kim-old", "status": "DECLINED"}
  ]
}`

// contractSandbox starts a seeded sandbox with a page size limit of 50.
func contractSandbox(t *testing.T) (*sdkfinancetest.Server, sdkfinancetest.SeedResult) {
	t.Helper()
	srv, err := sdkfinancetest.NewServer(sdkfinancetest.WithMaxPageSize(50))
	if err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	t.Cleanup(srv.Close)
	seeded, err := srv.Seed(strings.NewReader(contractSeed))
	if err != nil {
		t.Fatalf("seed the sandbox: %v", err)
	}
	return srv, seeded
}

// contractClient returns a client that sends through ct without retries,
// so that every request the test causes is validated once.
func contractClient(t *testing.T, srv *sdkfinancetest.Server, ct *contractTransport,
	opts ...sdkfinance.Option) *sdkfinance.Client {
	t.Helper()
	opts = append([]sdkfinance.Option{
		sdkfinance.WithHTTPClient(ct.client()),
		sdkfinance.WithRetry(sdkfinance.RetryPolicy{MaxAttempts: 1}),
	}, opts...)
	c, err := sdkfinance.NewClient(srv.URL, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func TestContractFlow(t *testing.T) {
	srv, seeded := contractSandbox(t)
	alex, sam, kim, lee, otp := seeded.Users[0], seeded.Users[1], seeded.Users[2],
		seeded.Users[3], seeded.Users[4]
	ct := newContractTransport(t, srv.URL)
	ctx := t.Context()
	operator := contractClient(t, srv, ct,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithPageSize(50))

	// Log in and list with every filter, sort key and paging field.
	page, err := operator.ListResetRequests(ctx, sdkfinance.ListQuery{
		Status:               sdkfinance.StatusPending,
		SortByOrganizationID: sdkfinance.SortAscending,
		SortByStatus:         sdkfinance.SortDescending,
		PageNumber:           1,
		PageSize:             2,
	})
	if err != nil {
		t.Fatalf("ListResetRequests: %v", err)
	}
	if page.TotalRecords != 3 || page.PageNumber != 1 || len(page.Records) != 1 {
		t.Errorf("page = %+v, want page 1 with the last of 3 pending requests", page)
	}
	page, err = operator.ListResetRequests(ctx, sdkfinance.ListQuery{OrganizationID: kim.OrganizationID})
	if err != nil {
		t.Fatalf("ListResetRequests by organization: %v", err)
	}
	if page.TotalRecords != 2 {
		t.Errorf("requests of kim's organization = %d, want 2", page.TotalRecords)
	}
	var pending []string
	for rec, err := range operator.ResetRequests(ctx, sdkfinance.ListQuery{
		Status: sdkfinance.StatusPending, PageSize: 1}) {
		if err != nil {
			t.Fatalf("ResetRequests: %v", err)
		}
		pending = append(pending, rec.ID)
	}
	if !slices.Equal(pending, []string{"request-alex", "request-sam", "request-kim"}) {
		t.Errorf("ResetRequests = %v, want the three pending requests", pending)
	}

	// Approve, decline, and reset with remarks.
	if _, err := operator.CheckResetIdentification(ctx, alex.ID, "request-alex"); err != nil {
		t.Errorf("CheckResetIdentification: %v", err)
	}
	if res, err := operator.ResetIdentification(ctx, alex.ID, "request-alex"); err != nil {
		t.Errorf("ResetIdentification: %v", err)
	} else if res.Request.Status != sdkfinance.StatusApproved {
		t.Errorf("ResetIdentification status = %q, want APPROVED", res.Request.Status)
	}
	if res, err := operator.DeclineResetRequest(ctx, sam.ID, "request-sam"); err != nil {
		t.Errorf("DeclineResetRequest: %v", err)
	} else if res.Request.Status != sdkfinance.StatusDeclined {
		t.Errorf("DeclineResetRequest status = %q, want DECLINED", res.Request.Status)
	}
	if _, err := operator.ResetIdentificationWithRemarks(ctx, kim.ID, []string{"address", "passport"}); err != nil {
		t.Errorf("ResetIdentificationWithRemarks: %v", err)
	}

	// A user requests a reset of their own identification, which the
	// operator approves.
	user := contractClient(t, srv, ct, sdkfinance.WithCredentials(lee.Login.Login, lee.Login.Password))
	own, err := user.RequestIdentificationReset(ctx)
	if err != nil {
		t.Fatalf("RequestIdentificationReset: %v", err)
	}
	if _, err := operator.ApproveResetRequest(ctx, lee.ID, own.Request.ID); err != nil {
		t.Errorf("ApproveResetRequest of the user's own request: %v", err)
	}

	// A login with a one-time password confirms it.
	if err := srv.RequireOTP(otp.Login.Login, "123456"); err != nil {
		t.Fatal(err)
	}
	otpUser := contractClient(t, srv, ct,
		sdkfinance.WithCredentials(otp.Login.Login, otp.Login.Password),
		sdkfinance.WithOTP(func(context.Context, string) (string, error) { return "123456", nil }))
	if _, err := otpUser.RequestIdentificationReset(ctx); err != nil {
		t.Errorf("RequestIdentificationReset after a one-time password: %v", err)
	}

	// Error responses.
	var apiErr *sdkfinance.APIError
	_, err = operator.ListResetRequests(ctx, sdkfinance.ListQuery{PageSize: 51})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("ListResetRequests over the page size limit: %v, want a 400 APIError", err)
	}
	if _, err := operator.ApproveResetRequest(ctx, alex.ID, "request-alex"); !errors.Is(err, sdkfinance.ErrConflict) {
		t.Errorf("approving twice: %v, want ErrConflict", err)
	}
	if _, err := user.RequestIdentificationReset(ctx); err != nil {
		t.Errorf("second own request after the approval: %v", err)
	}
	if _, err := user.RequestIdentificationReset(ctx); !errors.Is(err, sdkfinance.ErrConflict) {
		t.Errorf("own request while one is pending: %v, want ErrConflict", err)
	}
	if _, err := operator.ApproveResetRequest(ctx, alex.ID, "no-such-request"); !errors.Is(err, sdkfinance.ErrNotFound) {
		t.Errorf("approving an unknown request: %v, want ErrNotFound", err)
	}
	if _, err := operator.DeclineResetRequest(ctx, "no-such-user", "request-kim"); !errors.Is(err, sdkfinance.ErrNotFound) {
		t.Errorf("declining for another user: %v, want ErrNotFound", err)
	}
	_, err = operator.ResetIdentificationWithRemarks(ctx, "no-such-user", []string{"address"})
	if !errors.Is(err, sdkfinance.ErrNotFound) {
		t.Errorf("reset with remarks of an unknown user: %v, want ErrNotFound", err)
	}

	wrongPassword := contractClient(t, srv, ct, sdkfinance.WithCredentials(srv.Operator.Login, "wrong"))
	if _, err := wrongPassword.ListResetRequests(ctx, sdkfinance.ListQuery{}); !errors.Is(err, sdkfinance.ErrUnauthorized) {
		t.Errorf("login with a wrong password: %v, want ErrUnauthorized", err)
	}
	unknownToken := contractClient(t, srv, ct, sdkfinance.WithToken("00ff"))
	if _, err := unknownToken.ListResetRequests(ctx, sdkfinance.ListQuery{}); !errors.Is(err, sdkfinance.ErrUnauthorized) {
		t.Errorf("list with an unknown token: %v, want ErrUnauthorized", err)
	}
	viewerToken, err := srv.IssueToken("viewer@sandbox.local")
	if err != nil {
		t.Fatal(err)
	}
	viewer := contractClient(t, srv, ct, sdkfinance.WithToken(viewerToken))
	if _, err := viewer.ListResetRequests(ctx, sdkfinance.ListQuery{}); !errors.Is(err, sdkfinance.ErrForbidden) {
		t.Errorf("list without the permission: %v, want ErrForbidden", err)
	}
	if _, err := viewer.DeclineResetRequest(ctx, kim.ID, "request-kim"); !errors.Is(err, sdkfinance.ErrForbidden) {
		t.Errorf("decline without the permission: %v, want ErrForbidden", err)
	}

	// Log out, after which the revoked token gets 401.
	if err := user.Logout(ctx); err != nil {
		t.Errorf("Logout: %v", err)
	}
	if err := viewer.Logout(ctx); err != nil {
		t.Errorf("Logout of the viewer: %v", err)
	}
	if _, err := viewer.ListResetRequests(ctx, sdkfinance.ListQuery{}); !errors.Is(err, sdkfinance.ErrUnauthorized) {
		t.Errorf("list after logout: %v, want ErrUnauthorized", err)
	}

	ct.requireValid(t)
	doc := loadContract(t, srv.URL)
	operations := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			operations++
			if ct.operations[op.OperationID] == 0 {
				t.Errorf("no validated exchange of %s %s (operationId %s)", method, path, op.OperationID)
			}
		}
	}
	if operations != 8 {
		t.Errorf("openapi.yaml has %d operations, want the 8 this test covers", operations)
	}
	for _, status := range []int{200, 400, 401, 403, 404, 409} {
		if ct.statuses[status] == 0 {
			t.Errorf("no validated response with status %d", status)
		}
	}
}

// TestContractCatchesBadResponses checks that the validation fails on
// responses that break openapi.yaml, so that TestContractFlow can fail.
func TestContractCatchesBadResponses(t *testing.T) {
	tests := []struct {
		name  string
		fault sdkfinancetest.Fault
		want  string
	}{
		{"truncated JSON", sdkfinancetest.Fault{Body: sdkfinancetest.TruncatedJSON}, "response 200"},
		{"HTML error page", sdkfinancetest.Fault{Status: http.StatusBadGateway, Body: sdkfinancetest.HTMLPage},
			"response 502"},
		{"empty body", sdkfinancetest.Fault{Body: sdkfinancetest.EmptyBody}, "response 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := contractSandbox(t)
			ct := newContractTransport(t, srv.URL)
			client := contractClient(t, srv, ct,
				sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
			srv.InjectFaults("viewResetIdentificationRequests", tt.fault)

			if _, err := client.ListResetRequests(t.Context(), sdkfinance.ListQuery{}); err == nil {
				t.Error("ListResetRequests returned nil error for a bad response")
			}
			failures := ct.takeFailures()
			if len(failures) != 1 || !strings.Contains(failures[0], tt.want) {
				t.Errorf("failures = %q, want one for the %s", failures, tt.want)
			}
		})
	}
}

// TestContractCatchesBadRequests sends requests that break openapi.yaml
// through the validating transport.
func TestContractCatchesBadRequests(t *testing.T) {
	srv, _ := contractSandbox(t)
	token, err := srv.IssueToken(srv.Operator.Login)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, authorization, body, want string
	}{
		{"page size below minimum", http.MethodPost, "/profiles/view-reset-identification-requests",
			"TOKEN " + token, `{"pageSize":0}`, "pageSize"},
		{"unknown sort direction", http.MethodPost, "/profiles/view-reset-identification-requests",
			"TOKEN " + token, `{"sort":{"status":"up"}}`, "sort"},
		{"missing Authorization header", http.MethodPost, "/profiles/view-reset-identification-requests",
			"", `{}`, "Authorization"},
		{"Bearer scheme", http.MethodPost, "/profiles/view-reset-identification-requests",
			"Bearer " + token, `{}`, "TOKEN <token>"},
		{"login without password", http.MethodPost, "/authorization", "", `{"login":"x"}`, "password"},
		{"reset without fields", http.MethodPost, "/profiles/u/reset", "TOKEN " + token, `{}`, "fields"},
		{"unknown path", http.MethodGet, "/profiles/nothing-here", "TOKEN " + token, "",
			"no operation of openapi.yaml matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := newContractTransport(t, srv.URL)
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			resp, err := ct.client().Do(req)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			resp.Body.Close()

			failures := ct.takeFailures()
			if len(failures) == 0 {
				t.Fatal("the validation passed a request that breaks openapi.yaml")
			}
			if !strings.Contains(failures[0], tt.want) {
				t.Errorf("failure %q does not name %q", failures[0], tt.want)
			}
		})
	}
}
