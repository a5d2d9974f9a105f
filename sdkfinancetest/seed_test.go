package sdkfinancetest_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

const fullSeed = `{
  "users": [
    {"ref": "alex", "name": "Alex Example"},
    {"id": "user-sam", "name": "Sam Example", "login": "sam@sandbox.local", "password": "sam-pw"}
  ],
  "operators": [
    {"login": "viewer@sandbox.local", "password": "viewer-pw", "permissions": []},
    {"login": "second@sandbox.local", "password": "second-pw",
     "permissions": ["RESET_IDENTIFICATION_INITIATOR"]}
  ],
  "resetRequests": [
    {"user": "alex", "id": "request-1", "description": "Passport expired"},
    {"user": "user-sam", "status": "DECLINED", "organizationId": "org-x"},
    {"user": "alex", "status": "IN_REVIEW"}
  ]
}`

func TestSeedAddsEntries(t *testing.T) {
	srv := newServer(t)
	got, err := srv.Seed(strings.NewReader(fullSeed))
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if len(got.Users) != 2 || len(got.Operators) != 2 || len(got.ResetRequests) != 3 {
		t.Fatalf("Seed result has %d users, %d operators, %d requests; want 2, 2, 3",
			len(got.Users), len(got.Operators), len(got.ResetRequests))
	}

	alex, sam := got.Users[0], got.Users[1]
	// The operator is user 1, so the first generated user id counts 2.
	if alex.ID != "00000002-0000-4000-8000-000000000002" {
		t.Errorf("generated user id = %q, want the next generated id", alex.ID)
	}
	if alex.Name != "Alex Example" || alex.Login.Login != "user2@sandbox.local" || alex.Login.Password == "" {
		t.Errorf("alex = %+v, want name, login user2@sandbox.local and a password", alex)
	}
	if sam.ID != "user-sam" || sam.Login.Login != "sam@sandbox.local" || sam.Login.Password != "sam-pw" {
		t.Errorf("sam = %+v, want the fixed id, login and password", sam)
	}
	if stored, ok := srv.User("user-sam"); !ok || stored.IdentificationStatus != sdkfinancetest.StatusApproved {
		t.Errorf("User(user-sam) = %+v, %v; want an approved identification", stored, ok)
	}

	first, second, third := got.ResetRequests[0], got.ResetRequests[1], got.ResetRequests[2]
	want := sdkfinancetest.ResetRequest{
		ID:              "request-1",
		Description:     "Passport expired",
		OrganizationID:  alex.OrganizationID,
		Status:          sdkfinancetest.StatusPending,
		InitiatorUserID: alex.ID,
		InitiatorRole:   alex.Role,
	}
	if first != want {
		t.Errorf("resetRequests[0] = %+v, want %+v", first, want)
	}
	if second.InitiatorUserID != sam.ID || second.Status != sdkfinancetest.StatusDeclined ||
		second.OrganizationID != "org-x" {
		t.Errorf("resetRequests[1] = %+v, want sam's declined request in org-x", second)
	}
	if second.ID != "00000003-0000-4000-8000-000000000001" {
		t.Errorf("resetRequests[1].ID = %q, want the first generated request id", second.ID)
	}
	if third.ID != "00000003-0000-4000-8000-000000000002" || third.Status != "IN_REVIEW" {
		t.Errorf("resetRequests[2] = %+v, want the second generated id and status IN_REVIEW", third)
	}
	if stored, ok := srv.ResetRequest("request-1"); !ok || stored != first {
		t.Errorf("ResetRequest(request-1) = %+v, %v; want %+v", stored, ok, first)
	}

	// The seeded logins work with their passwords.
	for _, c := range []struct{ login, password string }{
		{"sam@sandbox.local", "sam-pw"},
		{alex.Login.Login, alex.Login.Password},
		{"viewer@sandbox.local", "viewer-pw"},
	} {
		body := fmt.Sprintf(`{"login":%q,"password":%q}`, c.login, c.password)
		if r := call(t, http.MethodPost, srv.URL+"/authorization", "", body); r.status != http.StatusOK {
			t.Errorf("login of %s: status %d; body %s", c.login, r.status, r.raw)
		}
	}

	view := srv.URL + "/profiles/view-reset-identification-requests"
	viewer := tokenFor(t, srv, "viewer@sandbox.local")
	checkError(t, call(t, http.MethodPost, view, viewer, "{}"), 403, sdkfinancetest.CodeForbidden)
	if got.Operators[0].Role != "OPERATOR" || got.Operators[0].OrganizationID != srv.OperatorOrganizationID {
		t.Errorf("operators[0] = %+v, want an operator of the operator organization", got.Operators[0])
	}

	secondOperator := tokenFor(t, srv, "second@sandbox.local")
	r := call(t, http.MethodPost, view, secondOperator, `{"filter":{"status":"PENDING"}}`)
	var p page
	r.decode(t, &p)
	if r.status != http.StatusOK || p.Records == nil || len(*p.Records) != 1 || (*p.Records)[0].ID != "request-1" {
		t.Errorf("pending list of the second operator: status %d, body %s; want request-1 alone",
			r.status, r.raw)
	}
	approve := call(t, http.MethodPost, actionURL(srv, alex.ID, "request-1", "approve"), secondOperator, "")
	if approve.status != http.StatusOK {
		t.Errorf("approve request-1: status %d; body %s", approve.status, approve.raw)
	}
}

func TestSeedEmptyLists(t *testing.T) {
	srv := newServer(t)
	for _, doc := range []string{`{}`, `{"users":[],"operators":[],"resetRequests":[]}`, " {}\n"} {
		got, err := srv.Seed(strings.NewReader(doc))
		if err != nil {
			t.Errorf("Seed(%q): %v", doc, err)
		}
		if len(got.Users)+len(got.Operators)+len(got.ResetRequests) != 0 {
			t.Errorf("Seed(%q) = %+v, want nothing added", doc, got)
		}
	}
}

func TestSeedRejectsInvalidDocuments(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // parts of the error text
	}{
		{"empty input", "", []string{"the seed is empty"}},
		{"null", "null", []string{"the seed is null"}},
		{"array", `[]`, []string{"the seed must be a JSON object, not an array"}},
		{"syntax error", `{"users": [}`, []string{"invalid JSON at byte 12"}},
		{"truncated", `{"users": [`, []string{"ends in the middle of a value"}},
		{"data after the object", `{} {}`, []string{"unexpected data after the seed's JSON object"}},
		{"unknown top-level field", `{"user": []}`, []string{`unknown field "user"`}},
		{"list of wrong type", `{"users": {}}`, []string{"users must be an array, not an object"}},
		{"unknown user field", `{"users": [{"name": "a"}, {"nmae": "b"}]}`,
			[]string{`users[1]: unknown field "nmae"`}},
		{"null user", `{"users": [null]}`, []string{"users[0]: the entry is null"}},
		{"user of wrong type", `{"users": ["Alex"]}`,
			[]string{"users[0]: the entry must be a JSON object, not a string"}},
		{"user field of wrong type", `{"users": [{"name": 7}]}`,
			[]string{"users[0]: name must be a string, not a number"}},
		{"missing name", `{"users": [{"name": "a"}, {"id": "x"}]}`,
			[]string{"users[1]: name is required"}},
		{"duplicate user id", `{"users": [{"name": "a", "id": "x"}, {"name": "b", "id": "x"}]}`,
			[]string{`users[1]: id "x" is already used by users[0]`}},
		{"user id in use", `{"users": [{"name": "a", "id": "00000002-0000-4000-8000-000000000001"}]}`,
			[]string{`users[0]: id "00000002-0000-4000-8000-000000000001" is already in use`}},
		{"duplicate ref", `{"users": [{"name": "a", "ref": "r"}, {"name": "b", "ref": "r"}]}`,
			[]string{`users[1]: ref "r" is already used by users[0]`}},
		{"ref is another user's id", `{"users": [{"name": "a", "id": "x"}, {"name": "b", "ref": "x"}]}`,
			[]string{`users[1]: ref "x" is the id of users[0]`}},
		{"ref is an existing user's id",
			`{"users": [{"name": "a", "ref": "00000002-0000-4000-8000-000000000001"}]}`,
			[]string{"users[0]: ref \"00000002-0000-4000-8000-000000000001\" is the id of an existing user"}},
		{"login in use", `{"users": [{"name": "a", "login": "operator@sandbox.local"}]}`,
			[]string{`users[0]: login "operator@sandbox.local" is already in use`}},
		{"login used twice", `{"users": [{"name": "a", "login": "l"}],
			"operators": [{"login": "l", "password": "p", "permissions": []}]}`,
			[]string{`operators[0]: login "l" is already used by users[0]`}},
		{"operator without permissions", `{"operators": [{"login": "l", "password": "p"}]}`,
			[]string{"operators[0]: permissions is required"}},
		{"operator without login and password", `{"operators": [{"permissions": []}]}`,
			[]string{"operators[0]: login is required", "operators[0]: password is required"}},
		{"permission with a space", `{"operators": [{"login": "l", "password": "p",
			"permissions": ["RESET IDENTIFICATION"]}]}`,
			[]string{`operators[0]: permissions[0] "RESET IDENTIFICATION" must be one word`}},
		{"permissions of wrong type", `{"operators": [{"login": "l", "password": "p", "permissions": "X"}]}`,
			[]string{"operators[0]: permissions must be an array, not a string"}},
		{"request without user", `{"resetRequests": [{"id": "r"}]}`,
			[]string{"resetRequests[0]: user is required"}},
		{"request of unknown user", `{"resetRequests": [{"user": "nobody"}]}`,
			[]string{`resetRequests[0]: user "nobody" not found`}},
		{"duplicate request id", `{"users": [{"name": "a", "ref": "a"}],
			"resetRequests": [{"user": "a", "id": "r"}, {"user": "a", "id": "r"}]}`,
			[]string{`resetRequests[1]: id "r" is already used by resetRequests[0]`}},
		{"lower-case status", `{"users": [{"name": "a", "ref": "a"}],
			"resetRequests": [{"user": "a", "status": "pending"}]}`,
			[]string{`resetRequests[0]: invalid status "pending"`}},
		{"unknown request field", `{"resetRequests": [{"user": "x", "userId": "x"}]}`,
			[]string{`resetRequests[0]: unknown field "userId"`}},
		{"several bad entries", `{"users": [{"name": ""}, {"name": "b"}, {}],
			"resetRequests": [{"user": "nobody"}]}`,
			[]string{"users[0]: name is required", "users[2]: name is required",
				`resetRequests[0]: user "nobody" not found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			got, err := srv.Seed(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("Seed returned nil error and %+v", got)
			}
			if !strings.HasPrefix(err.Error(), "sdkfinancetest: invalid seed: ") {
				t.Errorf("error %q does not start with the package and the reason", err)
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
			if strings.Contains(err.Error(), "sandbox.Seed") || strings.Contains(err.Error(), "Go struct") {
				t.Errorf("error %q names Go types", err)
			}
		})
	}
}

func TestSeedAddsNothingOnError(t *testing.T) {
	srv := newServer(t)
	doc := `{
	  "users": [{"id": "kept-out", "name": "A", "login": "a@sandbox.local", "password": "pw"}],
	  "operators": [{"login": "op2@sandbox.local", "password": "pw", "permissions": []}],
	  "resetRequests": [{"user": "kept-out", "id": "r1"}, {"user": "nobody"}]
	}`
	if _, err := srv.Seed(strings.NewReader(doc)); err == nil {
		t.Fatal("Seed with an unknown user returned nil error")
	}
	if u, ok := srv.User("kept-out"); ok {
		t.Errorf("User(kept-out) = %+v after a failed seed, want none", u)
	}
	if r, ok := srv.ResetRequest("r1"); ok {
		t.Errorf("ResetRequest(r1) = %+v after a failed seed, want none", r)
	}
	if _, err := srv.IssueToken("op2@sandbox.local"); err == nil {
		t.Error("the operator login of a failed seed exists")
	}

	// The same document without the bad entry seeds the same ids.
	fixed := strings.Replace(doc, `, {"user": "nobody"}`, "", 1)
	if _, err := srv.Seed(strings.NewReader(fixed)); err != nil {
		t.Fatalf("Seed after removing the bad entry: %v", err)
	}
	if _, ok := srv.ResetRequest("r1"); !ok {
		t.Error("ResetRequest(r1) not found after a good seed")
	}
}

func TestSeedTwice(t *testing.T) {
	srv := newServer(t)
	first, err := srv.Seed(strings.NewReader(`{"users": [{"name": "A"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	userID := first.Users[0].ID

	// A later document names users of the server by id.
	doc := fmt.Sprintf(`{"resetRequests": [{"user": %q, "id": "r"}]}`, userID)
	second, err := srv.Seed(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	if second.ResetRequests[0].InitiatorUserID != userID {
		t.Errorf("initiator = %q, want %q", second.ResetRequests[0].InitiatorUserID, userID)
	}
	_, err = srv.Seed(strings.NewReader(doc))
	if err == nil || !strings.Contains(err.Error(), `resetRequests[0]: id "r" is already in use`) {
		t.Errorf("seeding request id r again: error %v, want one naming the id in use", err)
	}
}

// TestSeedFixedIDsStayUnique seeds ids and logins in the form that the
// server generates, then adds more users and requests, which must get
// other ids and logins.
func TestSeedFixedIDsStayUnique(t *testing.T) {
	srv := newServer(t)
	seeded, err := srv.Seed(strings.NewReader(`{
	  "users": [
	    {"name": "Generated"},
	    {"name": "Fixed", "id": "00000002-0000-4000-8000-000000000005", "login": "user7@sandbox.local"}
	  ],
	  "resetRequests": [
	    {"user": "00000002-0000-4000-8000-000000000005"},
	    {"user": "00000002-0000-4000-8000-000000000005", "id": "00000003-0000-4000-8000-000000000004"}
	  ]
	}`))
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	// The counter moves past the fixed values before it generates any.
	if got := seeded.Users[0].ID; got != "00000002-0000-4000-8000-000000000008" {
		t.Errorf("generated user id = %q, want count 8, past the fixed id and login", got)
	}
	if got := seeded.Users[0].Login.Login; got != "user8@sandbox.local" {
		t.Errorf("generated login = %q, want user8@sandbox.local", got)
	}
	if got := seeded.ResetRequests[0].ID; got != "00000003-0000-4000-8000-000000000005" {
		t.Errorf("generated request id = %q, want count 5, past the fixed id", got)
	}

	ids := []string{seeded.Users[0].ID, seeded.Users[1].ID}
	logins := []string{seeded.Users[0].Login.Login, seeded.Users[1].Login.Login, srv.Operator.Login}
	for i := range 6 {
		u := srv.AddUser(fmt.Sprintf("Later %d", i))
		if slices.Contains(ids, u.ID) || slices.Contains(logins, u.Login.Login) {
			t.Errorf("AddUser after Seed reused id %q or login %q", u.ID, u.Login.Login)
		}
		ids, logins = append(ids, u.ID), append(logins, u.Login.Login)
	}
	if fixed, ok := srv.User("00000002-0000-4000-8000-000000000005"); !ok || fixed.Name != "Fixed" {
		t.Errorf("seeded user after AddUser = %+v, %v; want it unchanged", fixed, ok)
	}
	for i := range 6 {
		if _, err := srv.AddResetRequest(seeded.Users[0].ID); err != nil {
			t.Errorf("AddResetRequest %d after Seed: %v", i, err)
		}
	}
}

func TestSeedFile(t *testing.T) {
	srv := newServer(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(fullSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"users": [{}]}`), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := srv.SeedFile(good)
	if err != nil {
		t.Fatalf("SeedFile: %v", err)
	}
	if len(got.ResetRequests) != 3 {
		t.Errorf("SeedFile added %d reset requests, want 3", len(got.ResetRequests))
	}

	_, err = srv.SeedFile(bad)
	if err == nil {
		t.Fatal("SeedFile(bad) returned nil error")
	}
	if !strings.Contains(err.Error(), bad) {
		t.Errorf("SeedFile(bad) error = %v, want the file name", err)
	}
	if !strings.Contains(err.Error(), "users[0]: name is required") {
		t.Errorf("SeedFile(bad) error = %v, want the bad entry", err)
	}
	missing := filepath.Join(dir, "missing.json")
	_, err = srv.SeedFile(missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SeedFile(missing) error = %v, want fs.ErrNotExist", err)
	} else if !strings.Contains(err.Error(), missing) {
		t.Errorf("SeedFile(missing) error = %v, want the file name", err)
	}
}
