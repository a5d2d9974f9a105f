package sdkfinance_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// countingLimiter lets every request go and counts the waits.
type countingLimiter struct{ waits atomic.Int64 }

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	return ctx.Err()
}

func TestResetIdentificationsOnePass(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,000 requests; skipped with -short")
	}
	t.Parallel()
	srv := newSandbox(t, sdkfinancetest.WithMaxPageSize(1000))
	const pending, wanted = 10_000, 1_000
	targets := make([]sdkfinance.Target, 0, wanted)
	for i := range pending {
		user, req := addPending(t, srv)
		// Every tenth request, spread over all pages.
		if i%10 == 9 {
			targets = append(targets, sdkfinance.Target{UserID: user.ID, RequestID: req.ID})
		}
	}
	limiter := &countingLimiter{}
	client := newOperatorClient(t, srv, sdkfinance.WithPageSize(1000))

	var reported atomic.Int64
	results, err := client.ResetIdentifications(context.Background(), targets, sdkfinance.BatchOptions{
		Concurrency: 16,
		Limiter:     limiter,
		OnResult:    func(int, sdkfinance.BatchResult) { reported.Add(1) },
	})
	if err != nil {
		t.Fatalf("ResetIdentifications: %v", err)
	}
	if len(results) != wanted {
		t.Fatalf("got %d results, want %d", len(results), wanted)
	}
	for i, r := range results {
		if r.Target != targets[i] {
			t.Fatalf("result %d is for %+v, want %+v: results must keep input order", i, r.Target, targets[i])
		}
		if r.Err != nil || r.Result == nil || r.Result.Request.Status != sdkfinance.StatusApproved {
			t.Errorf("result %d = %+v, want approved", i, r)
		}
		if n := srv.ApprovalCount(r.Target.RequestID); n != 1 {
			t.Errorf("request %s approved %d times, want 1", r.Target.RequestID, n)
		}
	}

	pages := srv.RequestCount("viewResetIdentificationRequests")
	approves := srv.RequestCount("approveResetIdentification")
	logins := srv.RequestCount("login")
	if pages > pending/1000 {
		t.Errorf("list requests = %d, want at most %d: the list is read once", pages, pending/1000)
	}
	if approves != wanted {
		t.Errorf("approve requests = %d, want %d", approves, wanted)
	}
	if total := pages + approves + logins; total > pending/1000+wanted+1 {
		t.Errorf("HTTP requests = %d, want at most pages + targets + login = %d", total, pending/1000+wanted+1)
	}
	if got := limiter.waits.Load(); got != wanted {
		t.Errorf("limiter waits = %d, want one per approve (%d)", got, wanted)
	}
	if got := reported.Load(); got != wanted {
		t.Errorf("OnResult calls = %d, want %d", got, wanted)
	}
}

func TestResetIdentificationsMixedTargets(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, good := addPending(t, srv)
	other := srv.AddUser("Someone Else")
	_, foreign := addPending(t, srv)
	client := newOperatorClient(t, srv)

	targets := []sdkfinance.Target{
		{UserID: user.ID, RequestID: good.ID},
		{UserID: user.ID, RequestID: "missing"},
		{UserID: other.ID, RequestID: foreign.ID},
		{UserID: "", RequestID: "x"},
		{UserID: user.ID, RequestID: good.ID},
	}
	results, err := client.ResetIdentifications(context.Background(), targets, sdkfinance.BatchOptions{})
	if err != nil {
		t.Fatalf("ResetIdentifications: %v", err)
	}
	checks := []struct {
		name string
		want error
	}{
		{"pending request", nil},
		{"missing request", sdkfinance.ErrNotFound},
		{"another user's request", sdkfinance.ErrUserMismatch},
		{"empty user id", sdkfinance.ErrInvalidArgument},
		{"repeated target", sdkfinance.ErrInvalidArgument},
	}
	for i, c := range checks {
		got := results[i].Err
		if c.want == nil && got != nil {
			t.Errorf("%s: error = %v, want none", c.name, got)
		}
		if c.want != nil && !errors.Is(got, c.want) {
			t.Errorf("%s: error = %v, want %v", c.name, got, c.want)
		}
	}
	if n := srv.ApprovalCount(good.ID); n != 1 {
		t.Errorf("approvals of the pending request = %d, want 1", n)
	}
	if n := srv.ApprovalCount(foreign.ID); n != 0 {
		t.Errorf("approvals of another user's request = %d, want 0", n)
	}
}

func TestResetIdentificationsDryRun(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)
	client := newOperatorClient(t, srv)

	results, err := client.ResetIdentifications(context.Background(),
		[]sdkfinance.Target{{UserID: user.ID, RequestID: req.ID}, {UserID: user.ID, RequestID: "missing"}},
		sdkfinance.BatchOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Err != nil || r.Request == nil || r.Result != nil {
		t.Errorf("dry run of a pending request = %+v, want its record and no result", r)
	}
	if !errors.Is(results[1].Err, sdkfinance.ErrNotFound) {
		t.Errorf("dry run of a missing request: error = %v, want ErrNotFound", results[1].Err)
	}
	if n := srv.RequestCount("approveResetIdentification"); n != 0 {
		t.Errorf("approve requests in a dry run = %d, want 0", n)
	}
}

func TestResetIdentificationsMissingPermission(t *testing.T) {
	t.Parallel()
	srv := newSandbox(t)
	user, req := addPending(t, srv)
	clerk := srv.AddOperator("clerk@sandbox.local", "clerk-password-1")
	client, err := sdkfinance.NewClient(srv.URL, sdkfinance.WithCredentials(clerk.Login, clerk.Password))
	if err != nil {
		t.Fatal(err)
	}

	results, err := client.ResetIdentifications(context.Background(),
		[]sdkfinance.Target{{UserID: user.ID, RequestID: req.ID}}, sdkfinance.BatchOptions{})
	if !errors.Is(err, sdkfinance.ErrForbidden) {
		t.Errorf("batch error = %v, want ErrForbidden", err)
	}
	if len(results) != 1 || !errors.Is(results[0].Err, sdkfinance.ErrForbidden) {
		t.Errorf("results = %+v, want the target failed with ErrForbidden", results)
	}
}

func TestLookupConcurrencyMatchesSequential(t *testing.T) {
	t.Parallel()
	for _, concurrency := range []int{1, 8} {
		srv := newSandbox(t)
		var last sdkfinance.Target
		for range 50 {
			user, req := addPending(t, srv)
			last = sdkfinance.Target{UserID: user.ID, RequestID: req.ID}
		}
		client := newOperatorClient(t, srv, sdkfinance.WithPageSize(1),
			sdkfinance.WithLookupConcurrency(concurrency))
		ctx := context.Background()

		rec, err := client.CheckResetIdentification(ctx, last.UserID, last.RequestID)
		if err != nil {
			t.Fatalf("concurrency %d: check of the last of 50 pages: %v", concurrency, err)
		}
		if rec.ID != last.RequestID {
			t.Errorf("concurrency %d: found %q, want %q", concurrency, rec.ID, last.RequestID)
		}
		// One at a time reads all 50 pages. Concurrently, pages still in
		// flight when the target turns up are cancelled, and some of them
		// never reach the server.
		n := srv.RequestCount("viewResetIdentificationRequests")
		if concurrency == 1 && n != 50 {
			t.Errorf("concurrency 1: list requests = %d, want 50", n)
		}
		if n > 50 {
			t.Errorf("concurrency %d: list requests = %d, want at most 50", concurrency, n)
		}
		_, err = client.CheckResetIdentification(ctx, last.UserID, "missing")
		var np *sdkfinance.NotPendingError
		if !errors.As(err, &np) || np.PagesRead != 50 {
			t.Errorf("concurrency %d: missing request error = %v, want *NotPendingError after 50 pages",
				concurrency, err)
		}
	}
}
