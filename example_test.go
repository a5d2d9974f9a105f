package sdkfinance_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// startExampleSandbox starts a sandbox with one user and one pending reset
// request. Real code points NewClient at an installation's API root.
func startExampleSandbox() (*sdkfinancetest.Server, sdkfinancetest.User, sdkfinancetest.ResetRequest) {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	user := srv.AddUser("Alex Example")
	req, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithDescription("passport expired"))
	if err != nil {
		log.Fatal(err)
	}
	return srv, user, req
}

func ExampleNewClient() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()

	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.BaseURL() == srv.URL)
	// Output: true
}

func ExampleClient_ResetIdentification() {
	srv, user, req := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	result, err := client.ResetIdentification(context.Background(), user.ID, req.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(result.Status, result.Request.Status, result.Request.Description)
	// Output: ok APPROVED passport expired
}

func ExampleClient_ResetIdentification_errors() {
	srv, user, _ := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.ResetIdentification(context.Background(), user.ID, "no-such-request")
	switch {
	case errors.Is(err, sdkfinance.ErrNotFound):
		fmt.Println("not pending:", err)
	case errors.Is(err, sdkfinance.ErrUserMismatch):
		fmt.Println("another user's request:", err)
	case err != nil:
		fmt.Println("failed:", err)
	}
	// Output: not pending: sdkfinance: no pending reset request with id "no-such-request" (pending list pages read: 1)
}

func ExampleClient_ListResetRequests() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	page, err := client.ListResetRequests(context.Background(), sdkfinance.ListQuery{
		Status:   sdkfinance.StatusPending,
		PageSize: 50,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("page %d of %d, %d records\n", page.PageNumber+1, page.TotalPages, page.TotalRecords)
	for _, r := range page.Records {
		fmt.Println(r.Status, r.Description)
	}
	// Output:
	// page 1 of 1, 1 records
	// PENDING passport expired
}

func ExampleClient_ApproveResetRequest() {
	srv, user, req := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	if _, err := client.ApproveResetRequest(ctx, user.ID, req.ID); err != nil {
		log.Fatal(err)
	}
	// A second approve finds the request no longer pending.
	_, err = client.ApproveResetRequest(ctx, user.ID, req.ID)
	fmt.Println(errors.Is(err, sdkfinance.ErrConflict))
	// Output: true
}

func ExampleClient_DeclineResetRequest() {
	srv, user, req := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	result, err := client.DeclineResetRequest(context.Background(), user.ID, req.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(result.Request.Status)
	// Output: DECLINED
}

func ExampleWithToken() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()
	token, err := srv.IssueToken(srv.Operator.Login)
	if err != nil {
		log.Fatal(err)
	}

	client, err := sdkfinance.NewClient(srv.URL, sdkfinance.WithToken(token))
	if err != nil {
		log.Fatal(err)
	}
	// Neither fmt nor log/slog ever shows the token.
	fmt.Println(strings.Contains(fmt.Sprintf("%v %+v %#v", client, client, client), token))
	page, err := client.ListResetRequests(context.Background(), sdkfinance.ListQuery{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Records))
	// Output:
	// false
	// 1
}

func ExampleWithRetry() {
	// Five attempts in all, waiting from 100ms up to 2s between them.
	_, err := sdkfinance.NewClient("https://sdkfinance.example/api/v1",
		sdkfinance.WithToken("token"),
		sdkfinance.WithRetry(sdkfinance.RetryPolicy{
			MaxAttempts: 5,
			BaseDelay:   100 * time.Millisecond,
			MaxDelay:    2 * time.Second,
		}))
	fmt.Println(err)
	// Output: <nil>
}

func ExampleAPIError() {
	srv, user, _ := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.ApproveResetRequest(context.Background(), user.ID, "no-such-request")
	var apiErr *sdkfinance.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.MdcID != "")
	}
	// Output: 404 NOT_FOUND true
}

func ExampleClient_ResetRequests() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	q := sdkfinance.ListQuery{Status: sdkfinance.StatusPending}
	for r, err := range client.ResetRequests(context.Background(), q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r.Status, r.Description)
	}
	// Output: PENDING passport expired
}

func ExampleClient_CheckResetIdentification() {
	srv, user, req := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	// A dry run: the lookup alone, approving nothing.
	rec, err := client.CheckResetIdentification(context.Background(), user.ID, req.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Status, srv.ApprovalCount(req.ID))
	// Output: PENDING 0
}

func ExampleWithAuditHook() {
	srv, user, req := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithAuditHook(func(ev sdkfinance.AuditEvent) {
			fmt.Println(ev.Action, ev.Outcome, ev.Login, ev.Attempts)
		}))
	if err != nil {
		log.Fatal(err)
	}

	if _, err := client.ResetIdentification(context.Background(), user.ID, req.ID); err != nil {
		log.Fatal(err)
	}
	// Output: approve approved operator@sandbox.local 1
}

func ExampleWithRequestHook() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithRequestHook(func(_ context.Context, info sdkfinance.RequestInfo, r *http.Request) {
			r.Header.Set("X-Request-Id", "example-1") // set again on every retry
			fmt.Println(info.Operation, info.Attempt)
		}))
	if err != nil {
		log.Fatal(err)
	}

	if _, err := client.ListResetRequests(context.Background(), sdkfinance.ListQuery{}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// login 1
	// viewResetIdentificationRequests 1
}

func ExampleClient_RequestIdentificationReset() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	user := srv.AddUser("Alex Example")

	// The user asks for a reset with their own login.
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(user.Login.Login, user.Login.Password))
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.RequestIdentificationReset(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Request.Status, res.Request.InitiatorUserID == user.ID)
	// Output: PENDING true
}

func ExampleClient_ResetIdentificationWithRemarks() {
	srv, user, _ := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	res, err := client.ResetIdentificationWithRemarks(context.Background(), user.ID,
		[]string{"address"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status)
	// Output: ok
}

func ExampleClient_Logout() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.ListResetRequests(ctx, sdkfinance.ListQuery{}); err != nil {
		log.Fatal(err)
	}

	// Logout revokes the token; the next call logs in again.
	if err := client.Logout(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := client.ListResetRequests(ctx, sdkfinance.ListQuery{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.RequestCount("login"))
	// Output: 2
}

func ExampleWithInsecureHTTP() {
	// http:// to a host that is not loopback needs an explicit opt-in.
	_, err := sdkfinance.NewClient("http://sdkfinance.internal/api/v1")
	fmt.Println(errors.Is(err, sdkfinance.ErrInvalidArgument))

	_, err = sdkfinance.NewClient("http://sdkfinance.internal/api/v1", sdkfinance.WithInsecureHTTP())
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}

func ExampleClient_ResetIdentifications() {
	srv, user, req := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}

	targets := []sdkfinance.Target{
		{UserID: user.ID, RequestID: req.ID},
		{UserID: user.ID, RequestID: "no-such-request"},
	}
	results, err := client.ResetIdentifications(context.Background(), targets,
		sdkfinance.BatchOptions{Concurrency: 4})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Println(r.Target.RequestID, "failed:", errors.Is(r.Err, sdkfinance.ErrNotFound))
			continue
		}
		fmt.Println(r.Target.RequestID == req.ID, r.Result.Request.Status)
	}
	// Output:
	// true APPROVED
	// no-such-request failed: true
}

func ExampleWithCredentials() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()

	// The client logs in on its first call and reuses the token.
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := client.ListResetRequests(ctx, sdkfinance.ListQuery{}); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("logins:", srv.RequestCount("login"))
	// Output: logins: 1
}

func ExampleWithOTP() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()
	if err := srv.RequireOTP(srv.Operator.Login, "424242"); err != nil {
		log.Fatal(err)
	}

	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithOTP(func(ctx context.Context, login string) (string, error) {
			// Real code prompts the person, or reads the code from a mailbox.
			return "424242", nil
		}))
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.ListResetRequests(context.Background(), sdkfinance.ListQuery{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(page.TotalRecords)
	// Output: 1
}

func ExampleWithLogger() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()

	// Log logins and retries as text, without the time so the output is
	// stable. The SDK never logs a token or password.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "expires_at" {
				return slog.Attr{}
			}
			return a
		},
	}))
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.ListResetRequests(context.Background(), sdkfinance.ListQuery{}); err != nil {
		log.Fatal(err)
	}
	// Output: level=INFO msg="sdkfinance: logged in" organization_id=00000001-0000-4000-8000-000000000001
}

func ExampleWithHTTPClient() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()

	// A caller's client, for example one whose transport adds tracing.
	httpClient := &http.Client{Timeout: 30 * time.Second}
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithHTTPClient(httpClient),
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.ListResetRequests(context.Background(), sdkfinance.ListQuery{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Records))
	// Output: 1
}

func ExampleWithAuthScheme() {
	srv, err := sdkfinancetest.NewServer(sdkfinancetest.WithAuthSchemes("Bearer"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// An installation that takes "Authorization: Bearer <token>".
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithAuthScheme("Bearer"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.ListResetRequests(context.Background(), sdkfinance.ListQuery{})
	fmt.Println(err)
	// Output: <nil>
}

func ExampleWithResponseHook() {
	srv, _, _ := startExampleSandbox()
	defer srv.Close()
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithResponseHook(func(_ context.Context, info sdkfinance.ResponseInfo) {
			// Count requests by operation and status, e.g. in a metrics library.
			fmt.Println(info.Operation, info.Attempt, info.StatusCode)
		}))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.ListResetRequests(context.Background(), sdkfinance.ListQuery{}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// login 1 200
	// viewResetIdentificationRequests 1 200
}
