package sdkfinancetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// send sends a request to target, with an Authorization header unless
// authorization is empty, and decodes the JSON response into out unless
// out is nil. It returns the HTTP status.
func send(method, target, authorization, body string, out any) int {
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, reader)
	if err != nil {
		log.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			log.Fatal(err)
		}
	}
	return resp.StatusCode
}

// mustToken returns the Authorization header value for a token of login.
func mustToken(srv *sdkfinancetest.Server, login string) string {
	token, err := srv.IssueToken(login)
	if err != nil {
		log.Fatal(err)
	}
	return "TOKEN " + token
}

func approveURL(srv *sdkfinancetest.Server, userID, id string) string {
	return srv.URL + "/profiles/" + url.PathEscape(userID) +
		"/reset-identification-requests/" + url.PathEscape(id) + "/approve"
}

func ExampleNewServer() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	body := fmt.Sprintf(`{"login":%q,"password":%q}`, srv.Operator.Login, srv.Operator.Password)
	var auth struct {
		Action  string `json:"action"`
		Members []struct {
			Role        string   `json:"role"`
			Permissions []string `json:"permissions"`
		} `json:"members"`
	}
	status := send(http.MethodPost, srv.URL+"/authorization", "", body, &auth)
	fmt.Println(status, auth.Action, auth.Members[0].Role, auth.Members[0].Permissions)
	// Output: 200 TOKEN_CREATED OPERATOR [RESET_IDENTIFICATION_INITIATOR]
}

func ExampleServer_Close() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	srv.Close()
	srv.Close() // Close is safe to call again.
	fmt.Println("closed")
	// Output: closed
}

func ExampleWithMaxPageSize() {
	srv, err := sdkfinancetest.NewServer(sdkfinancetest.WithMaxPageSize(10))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	var envelope struct {
		Code   string `json:"code"`
		Errors []struct {
			Parameter string `json:"parameter"`
		} `json:"errors"`
	}
	status := send(http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests",
		mustToken(srv, srv.Operator.Login), `{"pageSize":11}`, &envelope)
	fmt.Println(status, envelope.Code, envelope.Errors[0].Parameter)
	// Output: 400 INVALID_REQUEST pageSize
}

func ExampleWithTokenTTL() {
	// A TTL of one nanosecond makes every token expired by its first use.
	srv, err := sdkfinancetest.NewServer(sdkfinancetest.WithTokenTTL(time.Nanosecond))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	var envelope struct{ Code string }
	status := send(http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests",
		mustToken(srv, srv.Operator.Login), "", &envelope)
	fmt.Println(status, envelope.Code)
	// Output: 401 TOKEN_EXPIRED
}

func ExampleWithAuthSchemes() {
	srv, err := sdkfinancetest.NewServer(sdkfinancetest.WithAuthSchemes("TOKEN", "Bearer"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	token, err := srv.IssueToken(srv.Operator.Login)
	if err != nil {
		log.Fatal(err)
	}
	view := srv.URL + "/profiles/view-reset-identification-requests"
	fmt.Println(send(http.MethodPost, view, "Bearer "+token, "", nil))
	fmt.Println(send(http.MethodPost, view, "TOKEN "+token, "", nil))
	fmt.Println(send(http.MethodPost, view, "Basic "+token, "", nil))
	// Output:
	// 200
	// 200
	// 401
}

func ExampleWithLogger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // drop the time so the output is stable
			}
			return a
		},
	}))
	srv, err := sdkfinancetest.NewServer(sdkfinancetest.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	send(http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests", "", "", nil)
	// Output:
	// level=DEBUG msg="sandbox: error response" method=POST path=/api/v1/profiles/view-reset-identification-requests status=401
}

func ExampleServer_AddUser() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Alice")
	fmt.Println(user.ID, user.Name, user.Role, user.IdentificationStatus)
	fmt.Println(user.Login)
	// Output:
	// 00000002-0000-4000-8000-000000000002 Alice INDIVIDUAL APPROVED
	// {user2@sandbox.local REDACTED}
}

func ExampleServer_User() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Rita")
	status := send(http.MethodPost, srv.URL+"/profiles/"+user.ID+"/reset",
		mustToken(srv, srv.Operator.Login), `{"fields":["address"]}`, nil)
	after, _ := srv.User(user.ID)
	fmt.Println(status, after.IdentificationStatus, after.ResetCount, after.FieldsToUpdate)
	// Output: 200 PENDING 1 [address]
}

func ExampleServer_AddOperator() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	viewer := srv.AddOperator("viewer@sandbox.local", "viewer-password")
	var envelope struct{ Code string }
	status := send(http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests",
		mustToken(srv, viewer.Login), "", &envelope)
	fmt.Println(status, envelope.Code)
	// Output: 403 FORBIDDEN
}

func ExampleServer_RequireOTP() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	if err := srv.RequireOTP(srv.Operator.Login, "424242"); err != nil {
		log.Fatal(err)
	}
	var auth struct{ Action string }
	login := fmt.Sprintf(`{"login":%q,"password":%q}`, srv.Operator.Login, srv.Operator.Password)
	send(http.MethodPost, srv.URL+"/authorization", "", login, &auth)
	fmt.Println(auth.Action)

	confirm := fmt.Sprintf(`{"login":%q,"otp":"424242"}`, srv.Operator.Login)
	send(http.MethodPost, srv.URL+"/authorization/confirm", "", confirm, &auth)
	fmt.Println(auth.Action)
	// Output:
	// OTP_SENT
	// TOKEN_CREATED
}

func ExampleServer_AddResetRequest() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Bob")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(req.ID, req.Status, req.InitiatorUserID == user.ID)

	_, err = srv.AddResetRequest("no-such-user")
	fmt.Println(err)
	// Output:
	// 00000003-0000-4000-8000-000000000001 PENDING true
	// sdkfinancetest: add reset request: user "no-such-user" not found
}

func ExampleWithRequestID() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Eve")
	req, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithRequestID("a/b ü"))
	if err != nil {
		log.Fatal(err)
	}
	// The id must travel as one escaped path segment.
	target := approveURL(srv, user.ID, req.ID)
	fmt.Println(strings.TrimPrefix(target, srv.URL))
	fmt.Println(send(http.MethodPost, target, mustToken(srv, srv.Operator.Login), "", nil))
	// Output:
	// /profiles/00000002-0000-4000-8000-000000000002/reset-identification-requests/a%2Fb%20%C3%BC/approve
	// 200
}

func ExampleWithDescription() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Fay")
	req, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithDescription("new passport"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(req.Description)
	// Output: new passport
}

func ExampleWithOrganizationID() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Gus")
	for _, org := range []string{"org-a", "org-b", "org-a"} {
		if _, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithOrganizationID(org)); err != nil {
			log.Fatal(err)
		}
	}
	var page struct{ TotalRecords int }
	send(http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests",
		mustToken(srv, srv.Operator.Login), `{"filter":{"organizationId":"org-a"}}`, &page)
	fmt.Println(page.TotalRecords)
	// Output: 2
}

func ExampleWithStatus() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Hal")
	req, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithStatus(sdkfinancetest.StatusDeclined))
	if err != nil {
		log.Fatal(err)
	}
	var envelope struct{ Code string }
	status := send(http.MethodPost, approveURL(srv, user.ID, req.ID),
		mustToken(srv, srv.Operator.Login), "", &envelope)
	fmt.Println(status, envelope.Code)
	// Output: 409 ALREADY_PROCESSED
}

func ExampleServer_ResetRequest() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Ida")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		log.Fatal(err)
	}
	header := mustToken(srv, srv.Operator.Login)
	send(http.MethodPost, approveURL(srv, user.ID, req.ID), header, "", nil)
	current, ok := srv.ResetRequest(req.ID)
	fmt.Println(current.Status, ok)
	// Output: APPROVED true
}

func ExampleServer_ApprovalCount() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Jon")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		log.Fatal(err)
	}
	header := mustToken(srv, srv.Operator.Login)
	fmt.Println(send(http.MethodPost, approveURL(srv, user.ID, req.ID), header, "", nil))
	fmt.Println(send(http.MethodPost, approveURL(srv, user.ID, req.ID), header, "", nil))
	fmt.Println(srv.ApprovalCount(req.ID))
	// Output:
	// 200
	// 409
	// 1
}

func ExampleServer_RequestCount() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Kim")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		log.Fatal(err)
	}
	send(http.MethodPost, approveURL(srv, user.ID, req.ID), "", "", nil) // 401, counted
	header := mustToken(srv, srv.Operator.Login)
	send(http.MethodPost, approveURL(srv, user.ID, req.ID), header, "", nil)
	fmt.Println(srv.RequestCount("approveResetIdentification"))
	// Output: 2
}

func ExampleServer_IssueToken() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	token, err := srv.IssueToken(srv.Operator.Login)
	if err != nil {
		log.Fatal(err)
	}
	status := send(http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests",
		"TOKEN "+token, "", nil)
	fmt.Println(status, srv.RequestCount("login"))
	// Output: 200 0
}

func ExampleServer_ExpireTokens() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	header := mustToken(srv, srv.Operator.Login)
	srv.ExpireTokens()
	var envelope struct{ Code string }
	status := send(http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests",
		header, "", &envelope)
	fmt.Println(status, envelope.Code)
	// Output: 401 TOKEN_EXPIRED
}

func ExampleCredentials_String() {
	c := sdkfinancetest.Credentials{Login: "operator@sandbox.local", Password: "secret"}
	fmt.Println(c)
	fmt.Printf("%+v\n", c)
	// Output:
	// {operator@sandbox.local REDACTED}
	// {operator@sandbox.local REDACTED}
}

func ExampleCredentials_GoString() {
	c := sdkfinancetest.Credentials{Login: "operator@sandbox.local", Password: "secret"}
	fmt.Printf("%#v\n", c)
	// Output: sdkfinancetest.Credentials{Login:"operator@sandbox.local", Password:"REDACTED"}
}

func ExampleCredentials_LogValue() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	c := sdkfinancetest.Credentials{Login: "operator@sandbox.local", Password: "secret"}
	logger.Info("login", "credentials", c)
	// Output: level=INFO msg=login credentials.login=operator@sandbox.local credentials.password=REDACTED
}
