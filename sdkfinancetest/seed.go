package sdkfinancetest

import (
	"fmt"
	"io"
	"os"

	"github.com/sdkfinance-go/sdkfinance/internal/sandbox"
)

// SeedResult lists what Seed added, in the order of the seed document.
type SeedResult struct {
	// Users contains the seeded end users with their ids and logins.
	Users []User
	// Operators contains the users of the seeded operator logins.
	Operators []User
	// ResetRequests contains the seeded reset requests.
	ResetRequests []ResetRequest
}

// Seed reads a seed document, one JSON object, from r and adds its users,
// operator logins and reset requests to the server:
//
//	{
//	  "users": [
//	    {"ref": "alex", "name": "Alex Example"},
//	    {"id": "user-2", "name": "Sam Example",
//	     "login": "sam@sandbox.local", "password": "sam-password"}
//	  ],
//	  "operators": [
//	    {"login": "viewer@sandbox.local", "password": "viewer-password",
//	     "permissions": []}
//	  ],
//	  "resetRequests": [
//	    {"user": "alex", "id": "request-1", "description": "Passport expired"},
//	    {"user": "user-2", "status": "DECLINED"}
//	  ]
//	}
//
// Every list is optional. The fields of the entries are:
//
//   - users: "name" is required. "id" fixes the user id. "login" and
//     "password" set the user's own login. "ref" is a name that reset
//     requests of the same document use for the user. The defaults are
//     those of AddUser: a generated id, a login user<N>@sandbox.local and
//     a random password.
//   - operators: "login", "password" and "permissions" are required. An
//     empty permissions list makes an operator that gets 403, like
//     AddOperator without PermissionResetIdentification.
//   - resetRequests: "user" is required. It is the ref of a user of the
//     document, or else the id of a user of the document or of the
//     server. "id", "description", "organizationId" and "status" have
//     the defaults of AddResetRequest. A status is an upper-case word,
//     such as PENDING, APPROVED, DECLINED or one the SDK does not know.
//
// Unknown fields, values of the wrong type, and data after the object are
// rejected. So are ids and logins in use, and a ref that is another
// user's id. The error names each bad entry by list and index, such as
// "users[1]: name is required". Seed adds all entries or, on any error,
// none.
func (s *Server) Seed(r io.Reader) (SeedResult, error) {
	result, err := s.seed(r)
	if err != nil {
		return SeedResult{}, fmt.Errorf("sdkfinancetest: invalid seed: %w", err)
	}
	return result, nil
}

// SeedFile calls Seed with the content of the named file.
func (s *Server) SeedFile(name string) (SeedResult, error) {
	f, err := os.Open(name)
	if err != nil {
		return SeedResult{}, fmt.Errorf("sdkfinancetest: %w", err)
	}
	defer f.Close()
	result, err := s.seed(f)
	if err != nil {
		return SeedResult{}, fmt.Errorf("sdkfinancetest: invalid seed file %s: %w", name, err)
	}
	return result, nil
}

func (s *Server) seed(r io.Reader) (SeedResult, error) {
	seed, err := sandbox.DecodeSeed(r)
	if err != nil {
		return SeedResult{}, err
	}
	applied, err := s.sandbox.ApplySeed(seed)
	if err != nil {
		return SeedResult{}, err
	}
	return seedResultFrom(applied), nil
}

func seedResultFrom(applied sandbox.SeedResult) SeedResult {
	var out SeedResult
	for _, u := range applied.Users {
		out.Users = append(out.Users, userFrom(u))
	}
	for _, u := range applied.Operators {
		out.Operators = append(out.Operators, userFrom(u))
	}
	for _, r := range applied.ResetRequests {
		out.ResetRequests = append(out.ResetRequests, ResetRequest(r))
	}
	return out
}
