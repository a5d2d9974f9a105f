package sdkfinance_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sdkfinance-go/sdkfinance"
)

func TestResetRequestsIteratesAllPages(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	want := map[string]bool{}
	for range 11 {
		_, req := addPending(t, srv)
		want[req.ID] = true
	}
	client := newOperatorClient(t, srv)

	got := map[string]bool{}
	q := sdkfinance.ListQuery{Status: sdkfinance.StatusPending, PageSize: 3}
	for r, err := range client.ResetRequests(context.Background(), q) {
		if err != nil {
			t.Fatalf("iteration error: %v", err)
		}
		if got[r.ID] {
			t.Errorf("record %q yielded twice", r.ID)
		}
		got[r.ID] = true
	}
	if len(got) != len(want) {
		t.Errorf("iterated %d records, want %d", len(got), len(want))
	}
	// 11 records in pages of 3 are 4 pages.
	if n := srv.RequestCount("viewResetIdentificationRequests"); n != 4 {
		t.Errorf("list requests = %d, want 4", n)
	}
}

func TestResetRequestsStopsOnBreak(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	for range 10 {
		addPending(t, srv)
	}
	client := newOperatorClient(t, srv)

	count := 0
	for _, err := range client.ResetRequests(context.Background(), sdkfinance.ListQuery{PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		count++
		if count == 3 {
			break
		}
	}
	// The third record is on the second page; no third page is fetched.
	if n := srv.RequestCount("viewResetIdentificationRequests"); n != 2 {
		t.Errorf("list requests = %d, want 2", n)
	}
}

func TestResetRequestsYieldsError(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	clerk := srv.AddOperator("clerk@sandbox.local", "clerk-password-1")
	token, err := srv.IssueToken(clerk.Login)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sdkfinance.NewClient(srv.URL, sdkfinance.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	errs := 0
	for _, err := range client.ResetRequests(context.Background(), sdkfinance.ListQuery{}) {
		if !errors.Is(err, sdkfinance.ErrForbidden) {
			t.Errorf("error = %v, want ErrForbidden", err)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("yielded %d errors, want exactly 1", errs)
	}
}

func TestCheckResetIdentificationApprovesNothing(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)
	other := srv.AddUser("Someone Else")
	client := newOperatorClient(t, srv)
	ctx := context.Background()

	rec, err := client.CheckResetIdentification(ctx, user.ID, req.ID)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if rec.ID != req.ID || rec.Status != sdkfinance.StatusPending {
		t.Errorf("record = %+v, want the pending request %q", rec, req.ID)
	}
	if _, err := client.CheckResetIdentification(ctx, other.ID, req.ID); !errors.Is(err, sdkfinance.ErrUserMismatch) {
		t.Errorf("check for another user: error = %v, want ErrUserMismatch", err)
	}
	if _, err := client.CheckResetIdentification(ctx, user.ID, "missing"); !errors.Is(err, sdkfinance.ErrNotFound) {
		t.Errorf("check of a missing request: error = %v, want ErrNotFound", err)
	}
	if n := srv.RequestCount("approveResetIdentification"); n != 0 {
		t.Errorf("approve requests = %d, want 0", n)
	}
}

func TestAuditHookRecordsDecisions(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)
	_, declined := addPending(t, srv)
	declinedUser := declined.InitiatorUserID

	var mu sync.Mutex
	var events []sdkfinance.AuditEvent
	client := newOperatorClient(t, srv, sdkfinance.WithAuditHook(func(ev sdkfinance.AuditEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	}))
	ctx := context.Background()

	if _, err := client.ResetIdentification(ctx, user.ID, req.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ResetIdentification(ctx, user.ID, req.ID); err == nil {
		t.Fatal("second reset succeeded, want not pending")
	}
	if _, err := client.ResetIdentification(ctx, "", req.ID); err == nil {
		t.Fatal("reset with an empty user id succeeded")
	}
	if _, err := client.DeclineResetRequest(ctx, declinedUser, declined.ID); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		action  string
		outcome sdkfinance.AuditOutcome
	}{
		{"approve", sdkfinance.AuditApproved},
		{"approve", sdkfinance.AuditRefused},
		{"approve", sdkfinance.AuditRefused},
		{"decline", sdkfinance.AuditDeclined},
	}
	if len(events) != len(want) {
		t.Fatalf("got %d audit events, want %d: %+v", len(events), len(want), events)
	}
	for i, w := range want {
		ev := events[i]
		if ev.Action != w.action || ev.Outcome != w.outcome {
			t.Errorf("event %d = %s/%s, want %s/%s", i, ev.Action, ev.Outcome, w.action, w.outcome)
		}
		if ev.Login != srv.Operator.Login {
			t.Errorf("event %d login = %q, want the operator's", i, ev.Login)
		}
		if strings.Contains(ev.Reason, srv.Operator.Password) {
			t.Errorf("event %d reason holds the password", i)
		}
	}
	if events[0].Attempts != 1 || events[0].OrganizationID != srv.OperatorOrganizationID {
		t.Errorf("approved event = %+v, want 1 attempt and the operator's organization", events[0])
	}
	if events[1].Reason == "" {
		t.Errorf("refused event has no reason")
	}
}

func TestHooksSeeEveryAttempt(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)

	var mu sync.Mutex
	var requests []sdkfinance.RequestInfo
	var responses []sdkfinance.ResponseInfo
	client := newOperatorClient(t, srv,
		sdkfinance.WithRequestHook(func(_ context.Context, info sdkfinance.RequestInfo, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			requests = append(requests, info)
			r.Header.Set("X-Trace-Id", "trace-1")
		}),
		sdkfinance.WithResponseHook(func(_ context.Context, info sdkfinance.ResponseInfo) {
			mu.Lock()
			defer mu.Unlock()
			responses = append(responses, info)
		}))

	if _, err := client.ResetIdentification(context.Background(), user.ID, req.ID); err != nil {
		t.Fatal(err)
	}
	ops := make([]string, len(requests))
	for i, r := range requests {
		ops[i] = r.Operation
	}
	wantOps := "login,viewResetIdentificationRequests,approveResetIdentification"
	if strings.Join(ops, ",") != wantOps {
		t.Errorf("request hook saw %v, want %s", ops, wantOps)
	}
	if len(responses) != len(requests) {
		t.Errorf("response hook calls = %d, want one per request (%d)", len(responses), len(requests))
	}
	for _, r := range responses {
		if r.StatusCode != http.StatusOK || r.Err != nil {
			t.Errorf("response %s: status %d, err %v; want 200", r.Operation, r.StatusCode, r.Err)
		}
	}
}

func TestRequestIdentificationResetByUser(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user := srv.AddUser("Self Service")
	client, err := sdkfinance.NewClient(srv.URL,
		sdkfinance.WithCredentials(user.Login.Login, user.Login.Password))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	res, err := client.RequestIdentificationReset(ctx)
	if err != nil {
		t.Fatalf("RequestIdentificationReset: %v", err)
	}
	if res.Request.Status != sdkfinance.StatusPending || res.Request.InitiatorUserID != user.ID {
		t.Errorf("request = %+v, want a pending request of %q", res.Request, user.ID)
	}
	if _, err := client.RequestIdentificationReset(ctx); !errors.Is(err, sdkfinance.ErrConflict) {
		t.Errorf("second request: error = %v, want ErrConflict", err)
	}

	operator := newOperatorClient(t, srv)
	if _, err := operator.ResetIdentification(ctx, user.ID, res.Request.ID); err != nil {
		t.Errorf("operator reset of the new request: %v", err)
	}
}

func TestResetIdentificationWithRemarks(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user := srv.AddUser("Needs Update")
	client := newOperatorClient(t, srv)
	ctx := context.Background()

	res, err := client.ResetIdentificationWithRemarks(ctx, user.ID, []string{"address", "passport"})
	if err != nil {
		t.Fatalf("ResetIdentificationWithRemarks: %v", err)
	}
	if res.Status != "ok" {
		t.Errorf("status = %q, want ok", res.Status)
	}
	after, _ := srv.User(user.ID)
	if strings.Join(after.FieldsToUpdate, ",") != "address,passport" {
		t.Errorf("fields to update = %v, want address,passport", after.FieldsToUpdate)
	}
	if _, err := client.ResetIdentificationWithRemarks(ctx, user.ID, nil); !errors.Is(err, sdkfinance.ErrInvalidArgument) {
		t.Errorf("no fields: error = %v, want ErrInvalidArgument", err)
	}
	if _, err := client.ResetIdentificationWithRemarks(ctx, "missing-user", []string{"x"}); !errors.Is(err, sdkfinance.ErrNotFound) {
		t.Errorf("unknown user: error = %v, want ErrNotFound", err)
	}
}
