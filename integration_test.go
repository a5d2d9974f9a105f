package sdkfinance_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// newSandbox starts a sandbox that stops when the test ends.
func newSandbox(t *testing.T, opts ...sdkfinancetest.Option) *sdkfinancetest.Server {
	t.Helper()
	srv, err := sdkfinancetest.NewServer(opts...)
	if err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// newOperatorClient returns a client that logs in as the sandbox operator.
func newOperatorClient(t *testing.T, srv *sdkfinancetest.Server, opts ...sdkfinance.Option) *sdkfinance.Client {
	t.Helper()
	opts = append([]sdkfinance.Option{
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password),
		sdkfinance.WithRetry(sdkfinance.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}),
	}, opts...)
	c, err := sdkfinance.NewClient(srv.URL, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// addPending seeds a user with one pending reset request.
func addPending(t *testing.T, srv *sdkfinancetest.Server, opts ...sdkfinancetest.RequestOption) (
	sdkfinancetest.User, sdkfinancetest.ResetRequest) {
	t.Helper()
	user := srv.AddUser("Test User")
	req, err := srv.AddResetRequest(user.ID, opts...)
	if err != nil {
		t.Fatalf("AddResetRequest: %v", err)
	}
	return user, req
}

func TestResetIdentificationFlow(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv, sdkfinancetest.WithDescription("documents expired"))
	client := newOperatorClient(t, srv)

	got, err := client.ResetIdentification(context.Background(), user.ID, req.ID)
	if err != nil {
		t.Fatalf("ResetIdentification: %v", err)
	}
	if got.Status != "ok" {
		t.Errorf("result Status = %q, want ok", got.Status)
	}
	if got.Request.Status != sdkfinance.StatusApproved {
		t.Errorf("result Request.Status = %q, want APPROVED", got.Request.Status)
	}
	if got.Request.ID != req.ID || got.Request.InitiatorUserID != user.ID {
		t.Errorf("result Request = %+v, want id %q of user %q", got.Request, req.ID, user.ID)
	}
	if got.Request.Description != "documents expired" {
		t.Errorf("result Request.Description = %q, want the seeded one", got.Request.Description)
	}
	if n := srv.ApprovalCount(req.ID); n != 1 {
		t.Errorf("sandbox approved the request %d times, want 1", n)
	}
	stored, _ := srv.ResetRequest(req.ID)
	if stored.Status != "APPROVED" {
		t.Errorf("sandbox status = %q, want APPROVED", stored.Status)
	}
	after, _ := srv.User(user.ID)
	if after.ResetCount != 1 {
		t.Errorf("user ResetCount = %d, want 1", after.ResetCount)
	}
	if n := srv.RequestCount("login"); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
}

func TestResetIdentificationFindsDeepRequest(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	var last sdkfinancetest.ResetRequest
	var lastUser sdkfinancetest.User
	for range 25 {
		lastUser, last = addPending(t, srv)
	}
	// One page at a time, so the count of list requests is exact.
	client := newOperatorClient(t, srv, sdkfinance.WithPageSize(4), sdkfinance.WithLookupConcurrency(1))

	if _, err := client.ResetIdentification(context.Background(), lastUser.ID, last.ID); err != nil {
		t.Fatalf("ResetIdentification of the last of 25 requests: %v", err)
	}
	// 25 records in pages of 4 are 7 pages; the target is on the last.
	if n := srv.RequestCount("viewResetIdentificationRequests"); n != 7 {
		t.Errorf("list requests = %d, want 7", n)
	}
}

func TestResetIdentificationNotPending(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, _ := addPending(t, srv)
	declined, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithStatus("DECLINED"))
	if err != nil {
		t.Fatal(err)
	}
	client := newOperatorClient(t, srv)

	for _, id := range []string{"no-such-request", declined.ID} {
		_, err := client.ResetIdentification(context.Background(), user.ID, id)
		if !errors.Is(err, sdkfinance.ErrNotFound) {
			t.Errorf("ResetIdentification(%q) error = %v, want ErrNotFound", id, err)
		}
		var np *sdkfinance.NotPendingError
		if !errors.As(err, &np) || np.RequestID != id {
			t.Errorf("ResetIdentification(%q) error = %#v, want *NotPendingError for the id", id, err)
		}
	}
	if n := srv.RequestCount("approveResetIdentification"); n != 0 {
		t.Errorf("approve requests = %d, want 0", n)
	}
}

func TestResetIdentificationUserMismatch(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	_, req := addPending(t, srv)
	other := srv.AddUser("Someone Else")
	client := newOperatorClient(t, srv)

	_, err := client.ResetIdentification(context.Background(), other.ID, req.ID)
	if !errors.Is(err, sdkfinance.ErrUserMismatch) {
		t.Fatalf("error = %v, want ErrUserMismatch", err)
	}
	var mm *sdkfinance.UserMismatchError
	if !errors.As(err, &mm) || mm.UserID != other.ID || mm.InitiatorUserID != req.InitiatorUserID {
		t.Errorf("error = %#v, want *UserMismatchError naming both users", err)
	}
	if n := srv.RequestCount("approveResetIdentification"); n != 0 {
		t.Errorf("approve requests = %d, want 0", n)
	}
	if stored, _ := srv.ResetRequest(req.ID); stored.Status != "PENDING" {
		t.Errorf("request status = %q, want it still PENDING", stored.Status)
	}
}

func TestResetIdentificationMissingPermission(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)
	clerk := srv.AddOperator("clerk@sandbox.local", "clerk-password-1")

	t.Run("credentials", func(t *testing.T) {
		client, err := sdkfinance.NewClient(srv.URL,
			sdkfinance.WithCredentials(clerk.Login, clerk.Password))
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.ResetIdentification(context.Background(), user.ID, req.ID)
		if !errors.Is(err, sdkfinance.ErrForbidden) {
			t.Fatalf("error = %v, want ErrForbidden", err)
		}
		var pe *sdkfinance.PermissionError
		if !errors.As(err, &pe) || pe.Permission != sdkfinance.PermissionResetIdentification {
			t.Errorf("error = %#v, want *PermissionError naming the permission", err)
		}
	})
	t.Run("token", func(t *testing.T) {
		token, err := srv.IssueToken(clerk.Login)
		if err != nil {
			t.Fatal(err)
		}
		client, err := sdkfinance.NewClient(srv.URL, sdkfinance.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.ResetIdentification(context.Background(), user.ID, req.ID)
		var apiErr *sdkfinance.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
			t.Fatalf("error = %v, want an *APIError with status 403", err)
		}
		if !errors.Is(err, sdkfinance.ErrForbidden) {
			t.Errorf("error = %v, want it to match ErrForbidden", err)
		}
		if apiErr.MdcID == "" || apiErr.Code == "" {
			t.Errorf("APIError = %+v, want the envelope's code and mdcId", apiErr)
		}
	})
	if n := srv.ApprovalCount(req.ID); n != 0 {
		t.Errorf("approvals = %d, want 0", n)
	}
}

func TestApproveTwiceConflicts(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)
	client := newOperatorClient(t, srv)
	ctx := context.Background()

	if _, err := client.ApproveResetRequest(ctx, user.ID, req.ID); err != nil {
		t.Fatalf("first approve: %v", err)
	}
	_, err := client.ApproveResetRequest(ctx, user.ID, req.ID)
	if !errors.Is(err, sdkfinance.ErrConflict) {
		t.Fatalf("second approve error = %v, want ErrConflict", err)
	}
	var apiErr *sdkfinance.APIError
	if !errors.As(err, &apiErr) || apiErr.Attempts != 1 {
		t.Errorf("second approve error = %#v, want one attempt, not retried", err)
	}
	_, err = client.ResetIdentification(ctx, user.ID, req.ID)
	if !errors.Is(err, sdkfinance.ErrNotFound) {
		t.Errorf("ResetIdentification of an approved request: error = %v, want ErrNotFound", err)
	}
	if n := srv.ApprovalCount(req.ID); n != 1 {
		t.Errorf("approvals = %d, want 1", n)
	}
}

func TestDeclineThenApproveConflicts(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)
	client := newOperatorClient(t, srv)
	ctx := context.Background()

	got, err := client.DeclineResetRequest(ctx, user.ID, req.ID)
	if err != nil {
		t.Fatalf("decline: %v", err)
	}
	if got.Request.Status != sdkfinance.StatusDeclined {
		t.Errorf("declined status = %q, want DECLINED", got.Request.Status)
	}
	_, err = client.ApproveResetRequest(ctx, user.ID, req.ID)
	if !errors.Is(err, sdkfinance.ErrConflict) {
		t.Errorf("approve after decline: error = %v, want ErrConflict", err)
	}
}

func TestApproveUnknownRequest(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user := srv.AddUser("Test User")
	client := newOperatorClient(t, srv)

	_, err := client.ApproveResetRequest(context.Background(), user.ID, "missing")
	if !errors.Is(err, sdkfinance.ErrNotFound) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
	var apiErr *sdkfinance.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("error = %#v, want an *APIError with status 404", err)
	}
}

func TestResetIdentificationEscapedIDs(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	client := newOperatorClient(t, srv)
	for _, id := range []string{"a/b", "../x", "%2F", "ü", "a?b=c", "a#b", "a b", "..%2F..", ";x"} {
		user := srv.AddUser("Test User")
		if _, err := srv.AddResetRequest(user.ID, sdkfinancetest.WithRequestID(id)); err != nil {
			t.Fatalf("AddResetRequest(%q): %v", id, err)
		}
		got, err := client.ResetIdentification(context.Background(), user.ID, id)
		if err != nil {
			t.Errorf("ResetIdentification(%q): %v", id, err)
			continue
		}
		if got.Request.ID != id {
			t.Errorf("result id = %q, want %q", got.Request.ID, id)
		}
		if n := srv.ApprovalCount(id); n != 1 {
			t.Errorf("approvals of %q = %d, want 1", id, n)
		}
	}
}

func TestListResetRequestsPaging(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	for range 5 {
		addPending(t, srv)
	}
	client := newOperatorClient(t, srv)
	ctx := context.Background()

	seen := map[string]bool{}
	for n := 0; n < 3; n++ {
		page, err := client.ListResetRequests(ctx, sdkfinance.ListQuery{
			Status: sdkfinance.StatusPending, PageNumber: n, PageSize: 2,
		})
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		if page.PageNumber != n || page.TotalRecords != 5 || page.TotalPages != 3 {
			t.Errorf("page %d header = %d/%d records/%d pages, want %d/5/3",
				n, page.PageNumber, page.TotalRecords, page.TotalPages, n)
		}
		for _, r := range page.Records {
			if seen[r.ID] {
				t.Errorf("record %q on two pages", r.ID)
			}
			seen[r.ID] = true
		}
	}
	if len(seen) != 5 {
		t.Errorf("saw %d distinct records over 3 pages, want 5", len(seen))
	}
}

func TestTokenExpiryLogsInAgain(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)
	client := newOperatorClient(t, srv)
	ctx := context.Background()

	if _, err := client.ListResetRequests(ctx, sdkfinance.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()
	if _, err := client.ResetIdentification(ctx, user.ID, req.ID); err != nil {
		t.Fatalf("ResetIdentification after the token expired: %v", err)
	}
	if n := srv.RequestCount("login"); n != 2 {
		t.Errorf("logins = %d, want 2", n)
	}
}

func TestWithTokenExpiredIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	token, err := srv.IssueToken(srv.Operator.Login)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sdkfinance.NewClient(srv.URL, sdkfinance.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()
	_, err = client.ListResetRequests(context.Background(), sdkfinance.ListQuery{})
	if !errors.Is(err, sdkfinance.ErrUnauthorized) {
		t.Errorf("error = %v, want ErrUnauthorized", err)
	}
}

func TestWrongPasswordIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, "wrong-password-42"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.ListResetRequests(context.Background(), sdkfinance.ListQuery{})
	if !errors.Is(err, sdkfinance.ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
	if n := srv.RequestCount("login"); n != 1 {
		t.Errorf("logins = %d, want 1: a 401 from login is not retried", n)
	}
}

func TestOTPLogin(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	if err := srv.RequireOTP(srv.Operator.Login, "123456"); err != nil {
		t.Fatal(err)
	}
	user, req := addPending(t, srv)

	without, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(srv.Operator.Login, srv.Operator.Password))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := without.ResetIdentification(context.Background(), user.ID, req.ID); !errors.Is(err, sdkfinance.ErrOTPRequired) {
		t.Errorf("without WithOTP: error = %v, want ErrOTPRequired", err)
	}

	with := newOperatorClient(t, srv, sdkfinance.WithOTP(func(context.Context, string) (string, error) {
		return "123456", nil
	}))
	if _, err := with.ResetIdentification(context.Background(), user.ID, req.ID); err != nil {
		t.Errorf("with WithOTP: %v", err)
	}
}

func TestConcurrentResetsLogInOnce(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	const n = 20
	type target struct{ user, id string }
	targets := make([]target, n)
	for i := range targets {
		user, req := addPending(t, srv)
		targets[i] = target{user.ID, req.ID}
	}
	client := newOperatorClient(t, srv)

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, tg := range targets {
		wg.Go(func() {
			if _, err := client.ResetIdentification(context.Background(), tg.user, tg.id); err != nil {
				errs <- fmt.Errorf("reset %s: %w", tg.id, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := srv.RequestCount("login"); got != 1 {
		t.Errorf("logins = %d, want 1", got)
	}
	for _, tg := range targets {
		if c := srv.ApprovalCount(tg.id); c != 1 {
			t.Errorf("approvals of %s = %d, want 1", tg.id, c)
		}
	}
}

func TestAuthSchemeBearer(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t, sdkfinancetest.WithAuthSchemes("Bearer"))
	addPending(t, srv)

	tokenScheme := newOperatorClient(t, srv)
	if _, err := tokenScheme.ListResetRequests(context.Background(), sdkfinance.ListQuery{}); !errors.Is(err, sdkfinance.ErrUnauthorized) {
		t.Errorf("TOKEN scheme against a Bearer-only server: error = %v, want ErrUnauthorized", err)
	}
	bearer := newOperatorClient(t, srv, sdkfinance.WithAuthScheme("Bearer"))
	if _, err := bearer.ListResetRequests(context.Background(), sdkfinance.ListQuery{}); err != nil {
		t.Errorf("Bearer scheme: %v", err)
	}
}
