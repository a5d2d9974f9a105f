package sdkfinancetest_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

func ExampleServer_Seed() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	result, err := srv.Seed(strings.NewReader(`{
	  "users": [{"ref": "alex", "id": "user-1", "name": "Alex Example"}],
	  "operators": [{"login": "viewer@sandbox.local", "password": "pw", "permissions": []}],
	  "resetRequests": [
	    {"user": "alex", "id": "request-1", "description": "Passport expired"},
	    {"user": "alex", "status": "DECLINED"}
	  ]
	}`))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range result.ResetRequests {
		fmt.Println(r.ID, r.Status, r.InitiatorUserID)
	}
	fmt.Println(result.Operators[0].Login.Login)

	// An invalid document adds nothing, and the error names the entry.
	_, err = srv.Seed(strings.NewReader(`{"users": [{"name": "B"}, {"nmae": "C"}]}`))
	fmt.Println(err)
	// Output:
	// request-1 PENDING user-1
	// 00000003-0000-4000-8000-000000000001 DECLINED user-1
	// viewer@sandbox.local
	// sdkfinancetest: invalid seed: users[1]: unknown field "nmae"
}

func ExampleServer_SeedFile() {
	dir, err := os.MkdirTemp("", "seed")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "seed.json")
	doc := `{"users": [{"id": "user-1", "name": "Alex Example"}],
	         "resetRequests": [{"user": "user-1", "id": "request-1"}]}`
	if err := os.WriteFile(name, []byte(doc), 0o600); err != nil {
		log.Fatal(err)
	}

	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	result, err := srv.SeedFile(name)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(result.Users[0].Name, result.ResetRequests[0].ID)
	// Output: Alex Example request-1
}
