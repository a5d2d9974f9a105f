package sdkfinancetest_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

const viewPath = "/profiles/view-reset-identification-requests"

// addRequests adds n pending reset requests of a new user and returns their ids.
func addRequests(t *testing.T, srv *sdkfinancetest.Server, n int) []string {
	t.Helper()
	user := srv.AddUser("Paging")
	ids := make([]string, 0, n)
	for range n {
		r, err := srv.AddResetRequest(user.ID)
		if err != nil {
			t.Fatalf("AddResetRequest: %v", err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func viewPage(t *testing.T, srv *sdkfinancetest.Server, header, body string) page {
	t.Helper()
	r := call(t, http.MethodPost, srv.URL+viewPath, header, body)
	if r.status != http.StatusOK {
		t.Fatalf("view %s: status %d; body %s", body, r.status, r.raw)
	}
	var p page
	r.decode(t, &p)
	if p.Records == nil {
		t.Fatalf("view %s: records absent; body %s", body, r.raw)
	}
	return p
}

func TestViewPaging(t *testing.T) {
	srv := newServer(t, sdkfinancetest.WithMaxPageSize(50))
	ids := addRequests(t, srv, 45)
	header := tokenFor(t, srv, srv.Operator.Login)

	tests := []struct {
		name                string
		body                string
		pageNumber, size    int
		totalPages, records int
		firstID             string
	}{
		{"defaults", "", 0, 20, 3, 20, ids[0]},
		{"second page", `{"pageNumber":1}`, 1, 20, 3, 20, ids[20]},
		{"last partial page", `{"pageNumber":2,"pageSize":20}`, 2, 20, 3, 5, ids[40]},
		{"past the end", `{"pageNumber":3}`, 3, 20, 3, 0, ""},
		{"far past the end", `{"pageNumber":2147483647,"pageSize":50}`, 2147483647, 50, 1, 0, ""},
		{"page size 1", `{"pageNumber":44,"pageSize":1}`, 44, 1, 45, 1, ids[44]},
		{"maximum page size", `{"pageSize":50}`, 0, 50, 1, 45, ids[0]},
		{"exact division", `{"pageSize":15}`, 0, 15, 3, 15, ids[0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := viewPage(t, srv, header, tt.body)
			if p.Status != "ok" || p.Message != "processed successfully" {
				t.Errorf("status, message = %q, %q", p.Status, p.Message)
			}
			if p.PageNumber != tt.pageNumber || p.PageSize != tt.size {
				t.Errorf("page %d of size %d, want %d of %d",
					p.PageNumber, p.PageSize, tt.pageNumber, tt.size)
			}
			if p.TotalRecords != 45 {
				t.Errorf("totalRecords = %d, want 45", p.TotalRecords)
			}
			if p.TotalPages != tt.totalPages {
				t.Errorf("totalPages = %d, want %d", p.TotalPages, tt.totalPages)
			}
			if len(*p.Records) != tt.records {
				t.Fatalf("records = %d, want %d", len(*p.Records), tt.records)
			}
			if tt.records > 0 && (*p.Records)[0].ID != tt.firstID {
				t.Errorf("first id = %q, want %q", (*p.Records)[0].ID, tt.firstID)
			}
		})
	}
}

func TestViewEmptyList(t *testing.T) {
	srv := newServer(t)
	p := viewPage(t, srv, tokenFor(t, srv, srv.Operator.Login), "")
	if p.TotalRecords != 0 || p.TotalPages != 0 || len(*p.Records) != 0 {
		t.Errorf("page = %+v, want no records and no pages", p)
	}
}

func TestViewInvalidPaging(t *testing.T) {
	srv := newServer(t, sdkfinancetest.WithMaxPageSize(50))
	header := tokenFor(t, srv, srv.Operator.Login)
	tests := []struct {
		name, body, parameter string
	}{
		{"page size over the maximum", `{"pageSize":51}`, "pageSize"},
		{"page size 0", `{"pageSize":0}`, "pageSize"},
		{"negative page size", `{"pageSize":-1}`, "pageSize"},
		{"negative page number", `{"pageNumber":-1}`, "pageNumber"},
		{"unknown sort direction", `{"sort":{"status":"up"}}`, "sort.status"},
		{"page size beyond int32", `{"pageSize":4294967296}`, "pageSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, http.MethodPost, srv.URL+viewPath, header, tt.body)
			env := checkError(t, r, 400, sdkfinancetest.CodeInvalidRequest)
			if !hasFieldError(env, tt.parameter) {
				t.Errorf("errors = %+v, want one for %q", *env.Errors, tt.parameter)
			}
		})
	}
}

func TestViewFilterAndSort(t *testing.T) {
	srv := newServer(t)
	header := tokenFor(t, srv, srv.Operator.Login)
	user := srv.AddUser("Filter")
	add := func(id, status, org string) {
		t.Helper()
		_, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithRequestID(id),
			sdkfinancetest.WithStatus(status), sdkfinancetest.WithOrganizationID(org))
		if err != nil {
			t.Fatal(err)
		}
	}
	add("r1", sdkfinancetest.StatusPending, "org-b")
	add("r2", sdkfinancetest.StatusApproved, "org-a")
	add("r3", sdkfinancetest.StatusPending, "org-a")
	add("r4", sdkfinancetest.StatusDeclined, "org-b")
	add("r5", sdkfinancetest.StatusApproved, "org-b")

	tests := []struct {
		name string
		body string
		want []string
	}{
		{"no filter", `{}`, []string{"r1", "r2", "r3", "r4", "r5"}},
		{"status APPROVED", `{"filter":{"status":"APPROVED"}}`, []string{"r2", "r5"}},
		{"status PENDING", `{"filter":{"status":"PENDING"}}`, []string{"r1", "r3"}},
		{"unknown status", `{"filter":{"status":"ARCHIVED"}}`, nil},
		{"organization", `{"filter":{"organizationId":"org-a"}}`, []string{"r2", "r3"}},
		{"status and organization",
			`{"filter":{"status":"APPROVED","organizationId":"org-b"}}`, []string{"r5"}},
		{"sort organization asc", `{"sort":{"organizationId":"asc"}}`,
			[]string{"r2", "r3", "r1", "r4", "r5"}},
		{"sort status desc", `{"sort":{"status":"desc"}}`,
			[]string{"r1", "r3", "r4", "r2", "r5"}},
		{"sort both", `{"sort":{"organizationId":"desc","status":"asc"}}`,
			[]string{"r5", "r4", "r1", "r2", "r3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := viewPage(t, srv, header, tt.body)
			var got []string
			for _, r := range *p.Records {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
			if p.TotalRecords != len(tt.want) {
				t.Errorf("totalRecords = %d, want %d", p.TotalRecords, len(tt.want))
			}
		})
	}
}

func TestApproveThenAgain(t *testing.T) {
	srv := newServer(t)
	header := tokenFor(t, srv, srv.Operator.Login)
	user := srv.AddUser("Alice")
	req, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithDescription("new passport"))
	if err != nil {
		t.Fatal(err)
	}

	r := call(t, http.MethodPost, actionURL(srv, user.ID, req.ID, "approve"), header, "")
	if r.status != http.StatusOK {
		t.Fatalf("approve: status %d; body %s", r.status, r.raw)
	}
	var env requestEnvelope
	r.decode(t, &env)
	want := resetRequest{
		ID: req.ID, Description: "new passport", OrganizationID: user.OrganizationID,
		Status: sdkfinancetest.StatusApproved, InitiatorUserID: user.ID, InitiatorRole: user.Role,
	}
	if env.Request != want || env.Status != "ok" || env.Message == "" {
		t.Errorf("approve response = %+v, want request %+v with status ok", env, want)
	}
	if got, _ := srv.User(user.ID); got.IdentificationStatus != sdkfinancetest.StatusPending ||
		got.ResetCount != 1 {
		t.Errorf("user after approval = %+v, want identification PENDING and 1 reset", got)
	}

	again := call(t, http.MethodPost, actionURL(srv, user.ID, req.ID, "approve"), header, "")
	checkError(t, again, 409, sdkfinancetest.CodeAlreadyProcessed)
	if got := srv.ApprovalCount(req.ID); got != 1 {
		t.Errorf("ApprovalCount = %d, want 1", got)
	}
	if got, _ := srv.User(user.ID); got.ResetCount != 1 {
		t.Errorf("ResetCount after a second approval = %d, want 1", got.ResetCount)
	}
}

func TestApproveAndDeclineErrors(t *testing.T) {
	srv := newServer(t)
	header := tokenFor(t, srv, srv.Operator.Login)
	alice, bob := srv.AddUser("Alice"), srv.AddUser("Bob")
	pending, err := srv.AddResetRequest(alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	declined, err := srv.AddResetRequest(alice.ID,
		sdkfinancetest.WithStatus(sdkfinancetest.StatusDeclined))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, userID, id, action string
		status                   int
		code                     string
	}{
		{"approve declined", alice.ID, declined.ID, "approve", 409, sdkfinancetest.CodeAlreadyProcessed},
		{"decline declined", alice.ID, declined.ID, "decline", 409, sdkfinancetest.CodeAlreadyProcessed},
		{"approve unknown id", alice.ID, "no-such-id", "approve", 404, sdkfinancetest.CodeNotFound},
		{"decline unknown id", alice.ID, "no-such-id", "decline", 404, sdkfinancetest.CodeNotFound},
		{"approve for another user", bob.ID, pending.ID, "approve", 404, sdkfinancetest.CodeNotFound},
		{"decline for another user", bob.ID, pending.ID, "decline", 404, sdkfinancetest.CodeNotFound},
		{"approve for unknown user", "nobody", pending.ID, "approve", 404, sdkfinancetest.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, http.MethodPost, actionURL(srv, tt.userID, tt.id, tt.action), header, "")
			checkError(t, r, tt.status, tt.code)
		})
	}
	if got, _ := srv.ResetRequest(pending.ID); got.Status != sdkfinancetest.StatusPending {
		t.Errorf("pending request after errors = %q, want PENDING", got.Status)
	}
	if got := srv.ApprovalCount(pending.ID); got != 0 {
		t.Errorf("ApprovalCount = %d, want 0", got)
	}
}

func TestDecline(t *testing.T) {
	srv := newServer(t)
	header := tokenFor(t, srv, srv.Operator.Login)
	user := srv.AddUser("Dora")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		t.Fatal(err)
	}

	r := call(t, http.MethodPost, actionURL(srv, user.ID, req.ID, "decline"), header, "")
	var env requestEnvelope
	r.decode(t, &env)
	if r.status != http.StatusOK || env.Request.Status != sdkfinancetest.StatusDeclined {
		t.Fatalf("decline: status %d; body %s", r.status, r.raw)
	}
	if got, _ := srv.ResetRequest(req.ID); got.Status != sdkfinancetest.StatusDeclined {
		t.Errorf("stored status = %q, want DECLINED", got.Status)
	}
	if got := srv.ApprovalCount(req.ID); got != 0 {
		t.Errorf("ApprovalCount = %d, want 0", got)
	}
	if got, _ := srv.User(user.ID); got.IdentificationStatus != sdkfinancetest.StatusApproved {
		t.Errorf("identification after decline = %q, want APPROVED", got.IdentificationStatus)
	}
}

func TestRequestOwnReset(t *testing.T) {
	srv := newServer(t)
	user := srv.AddUser("Uma")
	header := tokenFor(t, srv, user.Login.Login)
	target := srv.URL + "/profiles/my/reset-identification"

	r := call(t, http.MethodPost, target, header, "")
	if r.status != http.StatusOK {
		t.Fatalf("first request: status %d; body %s", r.status, r.raw)
	}
	var env requestEnvelope
	r.decode(t, &env)
	got := env.Request
	if got.ID == "" || got.Status != sdkfinancetest.StatusPending ||
		got.InitiatorUserID != user.ID || got.InitiatorRole != user.Role ||
		got.OrganizationID != user.OrganizationID {
		t.Errorf("created request = %+v, want a PENDING one of user %+v", got, user)
	}
	if stored, ok := srv.ResetRequest(got.ID); !ok || stored.Status != sdkfinancetest.StatusPending {
		t.Errorf("stored request = %+v, %v", stored, ok)
	}

	env409 := checkError(t, call(t, http.MethodPost, target, header, ""), 409,
		sdkfinancetest.CodeAlreadyPending)
	if env409.Parameters == nil || len(*env409.Parameters) == 0 ||
		(*env409.Parameters)[0].Value != got.ID {
		t.Errorf("parameters = %+v, want the pending id %q", env409.Parameters, got.ID)
	}

	// Once the pending request is approved, the user may ask again.
	operator := tokenFor(t, srv, srv.Operator.Login)
	approval := call(t, http.MethodPost, actionURL(srv, user.ID, got.ID, "approve"), operator, "")
	if approval.status != http.StatusOK {
		t.Fatalf("approve: status %d; body %s", approval.status, approval.raw)
	}
	if again := call(t, http.MethodPost, target, header, ""); again.status != http.StatusOK {
		t.Errorf("request after approval: status %d; body %s", again.status, again.raw)
	}
}

func TestRebootIdentification(t *testing.T) {
	srv := newServer(t)
	header := tokenFor(t, srv, srv.Operator.Login)
	user := srv.AddUser("Rita")
	resetURL := func(userID string) string {
		return srv.URL + "/profiles/" + escapeSegment(userID) + "/reset"
	}

	r := call(t, http.MethodPost, resetURL(user.ID), header, `{"fields":["address","birthDate"]}`)
	var status struct{ Status, Message string }
	r.decode(t, &status)
	if r.status != http.StatusOK || status.Status != "ok" {
		t.Fatalf("reset: status %d; body %s", r.status, r.raw)
	}
	got, _ := srv.User(user.ID)
	if got.IdentificationStatus != sdkfinancetest.StatusPending || got.ResetCount != 1 ||
		!slices.Equal(got.FieldsToUpdate, []string{"address", "birthDate"}) {
		t.Errorf("user after reset = %+v", got)
	}

	tests := []struct {
		name, userID, body, parameter string
		status                        int
		code                          string
	}{
		{"empty fields", user.ID, `{"fields":[]}`, "fields", 400, sdkfinancetest.CodeInvalidRequest},
		{"null fields", user.ID, `{"fields":null}`, "fields", 400, sdkfinancetest.CodeInvalidRequest},
		{"no fields", user.ID, `{}`, "fields", 400, sdkfinancetest.CodeInvalidRequest},
		{"empty field name", user.ID, `{"fields":["a",""]}`, "fields[1]", 400,
			sdkfinancetest.CodeInvalidRequest},
		{"unknown user", "no/such user", `{"fields":["a"]}`, "userId", 404, sdkfinancetest.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := checkError(t, call(t, http.MethodPost, resetURL(tt.userID), header, tt.body),
				tt.status, tt.code)
			if !hasFieldError(env, tt.parameter) {
				t.Errorf("errors = %+v, want one for %q", *env.Errors, tt.parameter)
			}
		})
	}
}

func TestRequestCount(t *testing.T) {
	srv := newServer(t)
	header := tokenFor(t, srv, srv.Operator.Login)
	user := srv.AddUser("Cora")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		t.Fatal(err)
	}
	approve := actionURL(srv, user.ID, req.ID, "approve")
	call(t, http.MethodPost, approve, "", "")     // 401
	call(t, http.MethodPost, approve, header, "") // 200
	call(t, http.MethodPost, approve, header, "") // 409
	call(t, http.MethodPost, srv.URL+viewPath, header, "")
	call(t, http.MethodPost, srv.URL+viewPath, header, "{") // not counted: invalid body

	tests := map[string]int{
		"approveResetIdentification":      3,
		"ApproveResetIdentification":      3,
		"viewResetIdentificationRequests": 1,
		"declineResetIdentification":      0,
		"login":                           0,
		"noSuchOperation":                 0,
	}
	for op, want := range tests {
		if got := srv.RequestCount(op); got != want {
			t.Errorf("RequestCount(%q) = %d, want %d", op, got, want)
		}
	}
	if got := srv.ApprovalCount(req.ID); got != 1 {
		t.Errorf("ApprovalCount = %d, want 1", got)
	}
}

func TestAddResetRequestErrors(t *testing.T) {
	srv := newServer(t)
	user := srv.AddUser("Err")
	if _, err := srv.AddResetRequest("no-such-user"); err == nil {
		t.Error("unknown user: got nil error")
	}
	if _, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithRequestID("dup")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithRequestID("dup")); err == nil {
		t.Error("duplicate id: got nil error")
	}
}

func TestEscapedRequestIDs(t *testing.T) {
	srv := newServer(t)
	header := tokenFor(t, srv, srv.Operator.Login)
	user := srv.AddUser("Escape")
	for _, id := range []string{"a/b", "../x", "..", "%2F", "ü", "a b", "a?b", "日本"} {
		t.Run(id, func(t *testing.T) {
			if _, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithRequestID(id)); err != nil {
				t.Fatal(err)
			}
			r := call(t, http.MethodPost, actionURL(srv, user.ID, id, "approve"), header, "")
			if r.status != http.StatusOK {
				t.Fatalf("status %d; body %s", r.status, r.raw)
			}
			if got := srv.ApprovalCount(id); got != 1 {
				t.Errorf("ApprovalCount = %d, want 1", got)
			}
		})
	}
}

func TestNewServerInvalidOptions(t *testing.T) {
	tests := map[string]sdkfinancetest.Option{
		"negative max page size": sdkfinancetest.WithMaxPageSize(-1),
		"negative token TTL":     sdkfinancetest.WithTokenTTL(-1),
		"empty auth scheme":      sdkfinancetest.WithAuthSchemes(""),
	}
	for name, opt := range tests {
		srv, err := sdkfinancetest.NewServer(opt)
		if err == nil {
			srv.Close()
			t.Errorf("%s: NewServer returned nil error", name)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/authorization", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("request after Close: status %d, want a connection error", resp.StatusCode)
	}
}

func TestCredentialsHidePassword(t *testing.T) {
	c := sdkfinancetest.Credentials{Login: "op@sandbox.local", Password: "s3cret-pass"}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(format, c)
		if !strings.Contains(out, "op@sandbox.local") || strings.Contains(out, "s3cret-pass") {
			t.Errorf("Sprintf(%q) = %s, want the login and no password", format, out)
		}
	}
	wrapped := fmt.Sprintf("%+v", struct{ C sdkfinancetest.Credentials }{c})
	if strings.Contains(wrapped, "s3cret-pass") {
		t.Errorf("nested %%+v shows the password: %s", wrapped)
	}
}
