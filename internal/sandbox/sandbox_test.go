package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer is a sandbox served on a loopback port with one operator token.
type testServer struct {
	sb     *Sandbox
	url    string // API root, ending in BasePath
	header string // Authorization header of an operator with the reset permission
}

func newTestServer(t *testing.T, cfg Config) testServer {
	t.Helper()
	sb, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(sb.Handler())
	t.Cleanup(hs.Close)

	sb.AddOperator("op@sandbox.local", "pw", []string{PermissionResetIdentification})
	token, err := sb.IssueToken("op@sandbox.local")
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	return testServer{sb: sb, url: hs.URL + BasePath, header: "TOKEN " + token}
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// post sends a POST with the operator's token. An empty body sends none.
func (ts testServer) post(t *testing.T, target, body string) result {
	t.Helper()
	return ts.send(t, http.MethodPost, target, body)
}

func (ts testServer) send(t *testing.T, method, target, body string) result {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, reader)
	if err != nil {
		t.Fatalf("new request %s: %v", target, err)
	}
	req.Header.Set("Authorization", ts.header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: raw}
}

// checkEnvelope checks status, Content-Type and code of an error response
// and returns its envelope.
func checkEnvelope(t *testing.T, r result, status int, code string) ErrorResponse {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var env ErrorResponse
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("decode envelope %q: %v", r.body, err)
	}
	if env.Code == nil || *env.Code != code {
		t.Errorf("code = %v, want %q; body %s", env.Code, code, r.body)
	}
	if env.MdcID == nil || *env.MdcID == "" {
		t.Errorf("mdcId missing; body %s", r.body)
	}
	if env.Errors == nil || env.Parameters == nil {
		t.Errorf("errors or parameters absent; body %s", r.body)
	}
	return env
}

func fieldParameters(env ErrorResponse) []string {
	var out []string
	if env.Errors == nil {
		return out
	}
	for _, e := range *env.Errors {
		if e.Parameter != nil {
			out = append(out, *e.Parameter)
		}
	}
	return out
}

func TestEscapedPathIDs(t *testing.T) {
	ts := newTestServer(t, Config{})
	user := ts.sb.AddUser("Escape")
	ids := []string{"a/b", "../x", "..", ".", "%2F", "ü", "a b", "a?b", "a#b", "50%", "x;y=z"}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			if _, err := ts.sb.AddResetRequest(user.ID, Record{ID: id}); err != nil {
				t.Fatal(err)
			}
			target := ts.url + "/profiles/" + url.PathEscape(user.ID) +
				"/reset-identification-requests/" + escapeSegment(id) + "/approve"
			r := ts.post(t, target, "")
			if r.status != http.StatusOK {
				t.Fatalf("approve %q: status %d; body %s", id, r.status, r.body)
			}
			var env ResetRequestEnvelope
			if err := json.Unmarshal(r.body, &env); err != nil {
				t.Fatal(err)
			}
			if env.Request == nil || *env.Request.ID != id {
				t.Errorf("approved request = %s, want id %q", r.body, id)
			}
			if got := ts.sb.ApprovalCount(id); got != 1 {
				t.Errorf("ApprovalCount(%q) = %d, want 1", id, got)
			}
		})
	}
}

// escapeSegment escapes s as one path segment, dots of "." and ".." included.
func escapeSegment(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	return url.PathEscape(s)
}

func TestUnescapedSlashIsAnotherRoute(t *testing.T) {
	ts := newTestServer(t, Config{})
	user := ts.sb.AddUser("Slash")
	if _, err := ts.sb.AddResetRequest(user.ID, Record{ID: "a/b"}); err != nil {
		t.Fatal(err)
	}
	target := ts.url + "/profiles/" + user.ID + "/reset-identification-requests/a/b/approve"
	checkEnvelope(t, ts.post(t, target, ""), http.StatusNotFound, CodeNotFound)
	if got := ts.sb.ApprovalCount("a/b"); got != 0 {
		t.Errorf("ApprovalCount = %d, want 0", got)
	}
}

func TestRouteErrors(t *testing.T) {
	ts := newTestServer(t, Config{})
	tests := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"unknown path", http.MethodPost, BasePath + "/nothing", 404, CodeNotFound},
		{"path outside the root", http.MethodGet, "/other", 404, CodeNotFound},
		{"wrong method", http.MethodGet, BasePath + "/authorization", 405, CodeMethodNotAllowed},
		{"wrong method with parameters", http.MethodGet,
			BasePath + "/profiles/u/reset-identification-requests/r/approve", 405,
			CodeMethodNotAllowed},
	}
	root := strings.TrimSuffix(ts.url, BasePath)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.send(t, tt.method, root+tt.path, "")
			checkEnvelope(t, r, tt.status, tt.code)
			if tt.status == 405 && r.header.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

func TestInvalidBodies(t *testing.T) {
	ts := newTestServer(t, Config{})
	user := ts.sb.AddUser("Body")
	view := ts.url + "/profiles/view-reset-identification-requests"
	tests := []struct {
		name, target, body, parameter string
	}{
		{"malformed JSON", view, "{", "body"},
		{"pageSize as a word", view, `{"pageSize":"ten"}`, "pageSize"},
		{"pageNumber as a fraction", view, `{"pageNumber":1.5}`, "pageNumber"},
		{"filter as a list", view, `{"filter":[]}`, "filter"},
		{"fields as a string", ts.url + "/profiles/" + user.ID + "/reset", `{"fields":"a"}`,
			"fields"},
		{"missing reset body", ts.url + "/profiles/" + user.ID + "/reset", "", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := checkEnvelope(t, ts.post(t, tt.target, tt.body), 400, CodeInvalidRequest)
			if got := fieldParameters(env); len(got) == 0 || got[0] != tt.parameter {
				t.Errorf("field errors name %v, want %q", got, tt.parameter)
			}
		})
	}
}

func TestViewEmptyBody(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, body := range []string{"", "  \n", "{}"} {
		r := ts.post(t, ts.url+"/profiles/view-reset-identification-requests", body)
		if r.status != http.StatusOK {
			t.Fatalf("body %q: status %d; body %s", body, r.status, r.body)
		}
		var p ResetRequestPage
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		if *p.PageNumber != 0 || *p.PageSize != DefaultPageSize {
			t.Errorf("body %q: page %d of size %d, want 0 of %d",
				body, *p.PageNumber, *p.PageSize, DefaultPageSize)
		}
		if p.Records == nil {
			t.Errorf("body %q: records absent, want an empty list", body)
		}
	}
}

func TestDefaultPageSizeCappedByMax(t *testing.T) {
	ts := newTestServer(t, Config{MaxPageSize: 5})
	r := ts.post(t, ts.url+"/profiles/view-reset-identification-requests", "")
	var p ResetRequestPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.PageSize == nil || *p.PageSize != 5 {
		t.Errorf("pageSize = %v, want 5; body %s", p.PageSize, r.body)
	}
}

func TestApproveConcurrentExactlyOnce(t *testing.T) {
	ts := newTestServer(t, Config{})
	user := ts.sb.AddUser("Race")
	rec, err := ts.sb.AddResetRequest(user.ID, Record{})
	if err != nil {
		t.Fatal(err)
	}
	target := ts.url + "/profiles/" + user.ID + "/reset-identification-requests/" + rec.ID + "/approve"

	const callers = 16
	statuses := make(chan int, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			statuses <- ts.post(t, target, "").status
		})
	}
	wg.Wait()
	close(statuses)

	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[200] != 1 || counts[409] != callers-1 {
		t.Errorf("statuses = %v, want one 200 and %d 409", counts, callers-1)
	}
	if got := ts.sb.ApprovalCount(rec.ID); got != 1 {
		t.Errorf("ApprovalCount = %d, want 1", got)
	}
	if u, _ := ts.sb.User(user.ID); u.ResetCount != 1 {
		t.Errorf("ResetCount = %d, want 1", u.ResetCount)
	}
}

func TestSortRecordsStable(t *testing.T) {
	asc, desc := Asc, Desc
	records := []Record{
		{ID: "1", OrganizationID: "b", Status: "PENDING"},
		{ID: "2", OrganizationID: "a", Status: "PENDING"},
		{ID: "3", OrganizationID: "b", Status: "APPROVED"},
		{ID: "4", OrganizationID: "a", Status: "APPROVED"},
		{ID: "5", OrganizationID: "b", Status: "PENDING"},
	}
	tests := []struct {
		name  string
		order ResetRequestSort
		want  string
	}{
		{"none", ResetRequestSort{}, "12345"},
		{"organization asc", ResetRequestSort{OrganizationID: &asc}, "24135"},
		{"organization desc", ResetRequestSort{OrganizationID: &desc}, "13524"},
		{"status desc", ResetRequestSort{Status: &desc}, "12534"},
		{"organization asc, status asc", ResetRequestSort{OrganizationID: &asc, Status: &asc},
			"42315"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := append([]Record(nil), records...)
			sortRecords(got, tt.order)
			var ids strings.Builder
			for _, r := range got {
				ids.WriteString(r.ID)
			}
			if ids.String() != tt.want {
				t.Errorf("order = %s, want %s", ids.String(), tt.want)
			}
		})
	}
}

func TestOperationIDFromName(t *testing.T) {
	tests := map[string]string{
		"ApproveResetIdentification": "approveResetIdentification",
		"approveResetIdentification": "approveResetIdentification",
		"Login":                      "login",
		"":                           "",
	}
	for name, want := range tests {
		if got := operationIDFromName(name); got != want {
			t.Errorf("operationIDFromName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := map[string]Config{
		"negative max page size": {MaxPageSize: -1},
		"negative token TTL":     {TokenTTL: -time.Second},
		"empty scheme":           {AuthSchemes: []string{""}},
		"scheme with a space":    {AuthSchemes: []string{"TOKEN X"}},
	}
	for name, cfg := range tests {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New returned nil error", name)
		}
	}
}

func TestGeneratedIDs(t *testing.T) {
	uuidShape := regexp.MustCompile(
		`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	sb, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	u := sb.AddUser("Ids")
	r, err := sb.AddResetRequest(u.ID, Record{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{sb.OperatorOrganizationID(), u.ID, u.OrganizationID, r.ID,
		randomUUID()} {
		if !uuidShape.MatchString(id) {
			t.Errorf("id %q is not UUID-shaped", id)
		}
	}
	if r.ID != "00000003-0000-4000-8000-000000000001" {
		t.Errorf("first request id = %q, want the deterministic first id", r.ID)
	}
	if first, second := randomUUID(), randomUUID(); first == second {
		t.Errorf("randomUUID returned %q twice", first)
	}
}

func TestGeneratedIDsSkipChosenOnes(t *testing.T) {
	sb, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	u := sb.AddUser("Chooser")
	// The next generated record id, chosen by a caller first.
	taken := "00000003-0000-4000-8000-000000000001"
	if _, err := sb.AddResetRequest(u.ID, Record{ID: taken}); err != nil {
		t.Fatal(err)
	}
	r, err := sb.AddResetRequest(u.ID, Record{Status: StatusDeclined})
	if err != nil {
		t.Fatalf("generated id collided with a chosen one: %v", err)
	}
	if r.ID == taken {
		t.Errorf("generated id %q repeats the chosen one", r.ID)
	}
}

func TestAddUserKeepsOperatorLogin(t *testing.T) {
	sb, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Take every login AddUser could generate next.
	taken := map[string]bool{}
	for n := 1; n <= 10; n++ {
		login := fmt.Sprintf("user%d@sandbox.local", n)
		sb.AddOperator(login, "operator-password", nil)
		taken[login] = true
	}
	u := sb.AddUser("Late User")
	if taken[u.Login] {
		t.Errorf("AddUser took the operator login %q", u.Login)
	}
	for login := range taken {
		if _, err := sb.IssueToken(login); err != nil {
			t.Errorf("operator login %s lost: %v", login, err)
		}
	}
}
