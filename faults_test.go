package sdkfinance_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// Operation ids of the sandbox's fault methods.
const (
	opLogin   = "login"
	opList    = "viewResetIdentificationRequests"
	opApprove = "approveResetIdentification"
	opDecline = "declineResetIdentification"
)

// faultRetryAfterCap caps every Retry-After wait in the fault tests, so
// that a server's "Retry-After: 1" costs this long and no more.
const faultRetryAfterCap = 20 * time.Millisecond

// faultAttemptTimeout bounds each attempt in the rows that need a
// timeout. The sandbox's latency in those rows is an hour, so only this
// timeout ends the attempt.
const faultAttemptTimeout = 250 * time.Millisecond

// faultAction is the client call a row makes.
type faultAction int

const (
	actReset   faultAction = iota // ResetIdentification
	actApprove                    // ApproveResetRequest
	actDecline                    // DeclineResetRequest
	actMissing                    // ResetIdentification of an id the server does not hold
)

// faultCase is one row of TestFaults.
type faultCase struct {
	name string
	// pageSize is the client's page size; zero means 100.
	pageSize int
	// before and after are how many other pending requests are seeded
	// before and after the target, to spread the list over pages.
	before, after int
	// faults are queued per operation id before the call.
	faults map[string][]sdkfinancetest.Fault
	// listFault, when not nil, chooses the fault of every list request
	// that finds no queued one.
	listFault func(call int) sdkfinancetest.Fault
	// dialFailures is how many approve or decline requests fail as if the
	// connection could not be made, before any byte is sent.
	dialFailures int
	// attemptTimeout sets RetryPolicy.AttemptTimeout.
	attemptTimeout time.Duration
	// maxResponseBytes sets WithMaxResponseBytes; zero keeps the default.
	maxResponseBytes int64
	// concurrency sets WithLookupConcurrency; zero means 1, so that the
	// list requests, and the queued faults they take, come in page order.
	concurrency int
	action      faultAction

	// Expected outcome. A nil wantErr expects a result.
	wantReconciled bool
	wantErr        []error // every one must match errors.Is
	wantErrAs      func(error) bool
	// wantApproves is how many approve or decline requests reach the
	// server, rejected ones included.
	wantApproves int
	// wantLogins is how many login requests reach the server; zero means 1.
	wantLogins int
	// wantStatus is the target's stored status after the call.
	wantStatus string
	// wantMinDuration is a lower bound of the call's duration, to show
	// that a Retry-After wait happened.
	wantMinDuration time.Duration
	// maxLists, when not zero, bounds the list requests the call makes.
	maxLists int
	// skip, when not empty, skips the row and states the SDK bug.
	skip string
}

func faults(fs ...sdkfinancetest.Fault) []sdkfinancetest.Fault { return fs }

// repeatFault returns n copies of f.
func repeatFault(f sdkfinancetest.Fault, n int) []sdkfinancetest.Fault {
	out := make([]sdkfinancetest.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func isAPIErrorWithSnippet(err error) bool {
	var ae *sdkfinance.APIError
	return errors.As(err, &ae) && strings.Contains(ae.Snippet, "502 Bad Gateway")
}

func isTransportError(err error) bool {
	var te *sdkfinance.TransportError
	return errors.As(err, &te)
}

func isReconcileError(status sdkfinance.ResetRequestStatus, found bool) func(error) bool {
	return func(err error) bool {
		var re *sdkfinance.ReconcileError
		return errors.As(err, &re) && re.Found == found && re.Status == status
	}
}

func isOutcomeUnknownError(err error) bool {
	var oe *sdkfinance.OutcomeUnknownError
	return errors.As(err, &oe)
}

func isNotPendingError(status sdkfinance.ResetRequestStatus) func(error) bool {
	return func(err error) bool {
		var ne *sdkfinance.NotPendingError
		return errors.As(err, &ne) && ne.Status == status
	}
}

type sf = sdkfinancetest.Fault

var faultCases = []faultCase{
	// Failures that show the request was not processed are retried.
	{name: "approve dial error retried", dialFailures: 1,
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve dial error exhausted", dialFailures: 4,
		wantErrAs: isTransportError, wantApproves: 0, wantStatus: sdkfinancetest.StatusPending},
	{name: "approve 429 retried",
		faults:       map[string][]sf{opApprove: faults(sf{Status: 429})},
		wantApproves: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 429 exhausted",
		faults:  map[string][]sf{opApprove: repeatFault(sf{Status: 429}, 4)},
		wantErr: []error{sdkfinance.ErrRateLimited}, wantApproves: 4,
		wantStatus: sdkfinancetest.StatusPending},
	{name: "approve 503 retried",
		faults:       map[string][]sf{opApprove: faults(sf{Status: 503})},
		wantApproves: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 503 Retry-After honoured",
		faults:       map[string][]sf{opApprove: faults(sf{Status: 503, RetryAfter: "1"})},
		wantApproves: 2, wantStatus: sdkfinancetest.StatusApproved,
		wantMinDuration: faultRetryAfterCap},
	{name: "approve 503 exhausted",
		faults:  map[string][]sf{opApprove: repeatFault(sf{Status: 503}, 4)},
		wantErr: []error{sdkfinance.ErrServer}, wantApproves: 4,
		wantStatus: sdkfinancetest.StatusPending},

	// Failures with an unknown outcome are reconciled from the list.
	{name: "approve 500 unprocessed sent again",
		faults:       map[string][]sf{opApprove: faults(sf{Status: 500})},
		wantApproves: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 500 processed reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{Status: 500, Process: true})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 502 unprocessed sent again",
		faults:       map[string][]sf{opApprove: faults(sf{Status: 502})},
		wantApproves: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 502 processed reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{Status: 502, Process: true})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 504 processed reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{Status: 504, Process: true})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve HTML 502 processed reconciled",
		faults: map[string][]sf{opApprove: faults(
			sf{Status: 502, Body: sdkfinancetest.HTMLPage, Process: true})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 500 on every send",
		faults:  map[string][]sf{opApprove: repeatFault(sf{Status: 500}, 4)},
		wantErr: []error{sdkfinance.ErrServer}, wantApproves: 4,
		wantStatus: sdkfinancetest.StatusPending},
	{name: "approve closed unprocessed sent again",
		faults:       map[string][]sf{opApprove: faults(sf{CloseConnection: true})},
		wantApproves: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve closed processed reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{CloseConnection: true, Process: true})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve timeout unprocessed sent again", attemptTimeout: faultAttemptTimeout,
		faults:       map[string][]sf{opApprove: faults(sf{Latency: time.Hour})},
		wantApproves: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve timeout processed reconciled", attemptTimeout: faultAttemptTimeout,
		faults:         map[string][]sf{opApprove: faults(sf{Latency: time.Hour, Process: true})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve truncated 2xx reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{Body: sdkfinancetest.TruncatedJSON})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve empty 2xx reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{Body: sdkfinancetest.EmptyBody})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve HTML 2xx reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{Body: sdkfinancetest.HTMLPage})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve oversized 2xx reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{Body: sdkfinancetest.OversizedBody})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 409 after lying 503 reconciled",
		faults:         map[string][]sf{opApprove: faults(sf{Status: 503, Process: true})},
		wantReconciled: true, wantApproves: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve 409 on first send",
		faults:  map[string][]sf{opApprove: faults(sf{Status: 409})},
		wantErr: []error{sdkfinance.ErrConflict}, wantApproves: 1,
		wantStatus: sdkfinancetest.StatusPending},
	{name: "approve 403", faults: map[string][]sf{opApprove: faults(sf{Status: 403})},
		wantErr: []error{sdkfinance.ErrForbidden}, wantApproves: 1,
		wantStatus: sdkfinancetest.StatusPending},
	{name: "approve 404", faults: map[string][]sf{opApprove: faults(sf{Status: 404})},
		wantErr: []error{sdkfinance.ErrNotFound}, wantApproves: 1,
		wantStatus: sdkfinancetest.StatusPending},
	{name: "direct approve 504 reconciled", action: actApprove,
		faults:         map[string][]sf{opApprove: faults(sf{Status: 504, Process: true})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "decline 502 processed reconciled", action: actDecline,
		faults:         map[string][]sf{opDecline: faults(sf{Status: 502, Process: true})},
		wantReconciled: true, wantApproves: 1, wantStatus: sdkfinancetest.StatusDeclined},
	{name: "decline closed unprocessed sent again", action: actDecline,
		faults:       map[string][]sf{opDecline: faults(sf{CloseConnection: true})},
		wantApproves: 2, wantStatus: sdkfinancetest.StatusDeclined},

	// Reconciliation that finds another state, or cannot read the list.
	{name: "reconcile finds DECLINED",
		faults: map[string][]sf{opApprove: faults(sf{Status: 502}),
			opList: faults(sf{}, sf{RecordStatus: "DECLINED"})},
		wantErr:      []error{sdkfinance.ErrConflict},
		wantErrAs:    isReconcileError(sdkfinance.StatusDeclined, true),
		wantApproves: 1, wantStatus: sdkfinancetest.StatusPending},
	{name: "reconcile finds unknown status",
		faults: map[string][]sf{opApprove: faults(sf{Status: 502}),
			opList: faults(sf{}, sf{RecordStatus: "ON_HOLD"})},
		wantErr:      []error{sdkfinance.ErrConflict},
		wantErrAs:    isReconcileError("ON_HOLD", true),
		wantApproves: 1, wantStatus: sdkfinancetest.StatusPending},
	{name: "reconcile finds request missing", pageSize: 2, before: 2,
		// Page 0 of the lookup reports totalPages 1, so the target on
		// page 1 is never read.
		faults: map[string][]sf{opApprove: faults(sf{Status: 502}),
			opList: faults(sf{}, sf{}, sf{TotalPages: new(1)})},
		wantErr:      []error{sdkfinance.ErrNotFound},
		wantErrAs:    isReconcileError("", false),
		wantApproves: 1, wantStatus: sdkfinancetest.StatusPending},
	{name: "reconcile list unreachable",
		faults: map[string][]sf{opApprove: faults(sf{Status: 502}),
			opList: append(faults(sf{}), repeatFault(sf{Status: 503}, 4)...)},
		wantErr: []error{sdkfinance.ErrOutcomeUnknown}, wantErrAs: isOutcomeUnknownError,
		wantApproves: 1, wantStatus: sdkfinancetest.StatusPending},
	{name: "reconcile list closes connections",
		faults: map[string][]sf{opApprove: faults(sf{Status: 504, Process: true}),
			opList: append(faults(sf{}), repeatFault(sf{CloseConnection: true}, 4)...)},
		wantErr: []error{sdkfinance.ErrOutcomeUnknown}, wantErrAs: isOutcomeUnknownError,
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},

	// Faults of the list that ResetIdentification pages through.
	{name: "list 429 retried", faults: map[string][]sf{opList: faults(sf{Status: 429})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list 502 retried", faults: map[string][]sf{opList: faults(sf{Status: 502})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list 503 retried", faults: map[string][]sf{opList: faults(sf{Status: 503})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list 504 retried", faults: map[string][]sf{opList: faults(sf{Status: 504})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list closed connection retried",
		faults:       map[string][]sf{opList: faults(sf{CloseConnection: true})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list timeout retried", attemptTimeout: faultAttemptTimeout,
		faults:       map[string][]sf{opList: faults(sf{Latency: time.Hour})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list 429 Retry-After honoured",
		faults:       map[string][]sf{opList: faults(sf{Status: 429, RetryAfter: "1"})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved,
		wantMinDuration: faultRetryAfterCap},
	{name: "list 500 not retried", faults: map[string][]sf{opList: faults(sf{Status: 500})},
		wantErr: []error{sdkfinance.ErrServer}, wantApproves: 0,
		wantStatus: sdkfinancetest.StatusPending},
	{name: "list HTML 502 exhausted",
		faults: map[string][]sf{opList: repeatFault(
			sf{Status: 502, Body: sdkfinancetest.HTMLPage}, 4)},
		wantErr: []error{sdkfinance.ErrServer}, wantErrAs: isAPIErrorWithSnippet,
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending},
	{name: "list oversized body exhausted",
		faults: map[string][]sf{opList: repeatFault(
			sf{Body: sdkfinancetest.OversizedBody}, 4)},
		wantErr:      []error{sdkfinance.ErrInvalidResponse},
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending},
	{name: "list oversized body under small limit", maxResponseBytes: 1 << 20,
		faults: map[string][]sf{opList: repeatFault(
			sf{Body: sdkfinancetest.OversizedBody}, 4)},
		wantErr:      []error{sdkfinance.ErrInvalidResponse},
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending},
	{name: "list truncated body invalid",
		faults:       map[string][]sf{opList: faults(sf{Body: sdkfinancetest.TruncatedJSON})},
		wantErr:      []error{sdkfinance.ErrInvalidResponse},
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending},
	{name: "records shift during paging", pageSize: 2, before: 6, after: 2,
		// Before page 2 is served, the first three requests are approved,
		// so the target moves from page 3 to page 1, which was read.
		faults:       map[string][]sf{opList: faults(sf{}, sf{}, sf{ApproveBefore: 3})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list repeats previous page", pageSize: 2, before: 4,
		faults:       map[string][]sf{opList: faults(sf{}, sf{RepeatPreviousPage: true})},
		wantErr:      []error{sdkfinance.ErrInvalidResponse},
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending, maxLists: 2},
	{name: "list totalPages zero with records", pageSize: 2, before: 4,
		listFault:    func(int) sf { return sf{TotalPages: new(0)} },
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list totalPages too large", pageSize: 2, before: 4, action: actMissing,
		// Page 3 is empty although totalPages promises 1000 pages.
		listFault: func(int) sf { return sf{TotalPages: new(1000)} },
		wantErr:   []error{sdkfinance.ErrNotFound}, wantErrAs: isNotPendingError(""),
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending, maxLists: 8},
	{name: "list totalPages too small", pageSize: 2, before: 4,
		listFault: func(int) sf { return sf{TotalPages: new(1)} },
		wantErr:   []error{sdkfinance.ErrNotFound}, wantErrAs: isNotPendingError(""),
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending, maxLists: 2},
	{name: "concurrent pages records shift", pageSize: 2, before: 6, after: 2, concurrency: 8,
		// Whichever page takes the fault, some requests shift and the
		// total changes, so the lookup reads the list again.
		faults:       map[string][]sf{opList: faults(sf{}, sf{}, sf{ApproveBefore: 3})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "concurrent pages repeated page", pageSize: 2, before: 4, concurrency: 8,
		action:       actMissing,
		faults:       map[string][]sf{opList: faults(sf{}, sf{RepeatPreviousPage: true})},
		wantErr:      []error{sdkfinance.ErrInvalidResponse},
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending, maxLists: 4},
	{name: "concurrent pages 503 retried", pageSize: 2, before: 6, concurrency: 8,
		faults:       map[string][]sf{opList: faults(sf{}, sf{Status: 503}, sf{Status: 503})},
		wantApproves: 1, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list unknown status", faults: map[string][]sf{opList: faults(sf{RecordStatus: "ON_HOLD"})},
		wantErr: []error{sdkfinance.ErrNotFound}, wantErrAs: isNotPendingError("ON_HOLD"),
		wantApproves: 0, wantStatus: sdkfinancetest.StatusPending},

	// Login and token faults.
	{name: "approve token expired", faults: map[string][]sf{opApprove: faults(sf{ExpireToken: true})},
		wantApproves: 2, wantLogins: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "list token expired", faults: map[string][]sf{opList: faults(sf{ExpireToken: true})},
		wantApproves: 1, wantLogins: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "approve token expired twice",
		faults:  map[string][]sf{opApprove: faults(sf{ExpireToken: true}, sf{ExpireToken: true})},
		wantErr: []error{sdkfinance.ErrUnauthorized}, wantApproves: 2, wantLogins: 2,
		wantStatus: sdkfinancetest.StatusPending},
	{name: "login 503 retried", faults: map[string][]sf{opLogin: faults(sf{Status: 503})},
		wantApproves: 1, wantLogins: 2, wantStatus: sdkfinancetest.StatusApproved},
	{name: "login 500", faults: map[string][]sf{opLogin: faults(sf{Status: 500})},
		wantErr: []error{sdkfinance.ErrServer}, wantApproves: 0,
		wantStatus: sdkfinancetest.StatusPending},
}

// TestFaults drives the client against a sandbox that fails on purpose.
// Every row checks the outcome and that no request was approved twice.
func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			runFaultCase(t, tc)
		})
	}
}

func runFaultCase(t *testing.T, tc faultCase) {
	srv := newSandbox(t)
	user := srv.AddUser("Target User")
	other := srv.AddUser("Other User")
	var ids []string
	addRequests := func(userID string, n int) {
		for range n {
			r, err := srv.AddResetRequest(userID)
			if err != nil {
				t.Fatalf("AddResetRequest: %v", err)
			}
			ids = append(ids, r.ID)
		}
	}
	addRequests(other.ID, tc.before)
	target, err := srv.AddResetRequest(user.ID)
	if err != nil {
		t.Fatalf("AddResetRequest: %v", err)
	}
	ids = append(ids, target.ID)
	addRequests(other.ID, tc.after)

	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	var roundTripper http.RoundTripper = transport
	if tc.dialFailures > 0 {
		roundTripper = &dialFailer{next: transport, remaining: int32(tc.dialFailures)}
	}
	opts := []sdkfinance.Option{
		sdkfinance.WithHTTPClient(&http.Client{Transport: roundTripper}),
		sdkfinance.WithRetry(sdkfinance.RetryPolicy{
			BaseDelay:      time.Millisecond,
			MaxDelay:       2 * time.Millisecond,
			MaxRetryAfter:  faultRetryAfterCap,
			AttemptTimeout: tc.attemptTimeout,
		}),
	}
	if tc.pageSize > 0 {
		opts = append(opts, sdkfinance.WithPageSize(tc.pageSize))
	}
	opts = append(opts, sdkfinance.WithLookupConcurrency(max(tc.concurrency, 1)))
	if tc.maxResponseBytes > 0 {
		opts = append(opts, sdkfinance.WithMaxResponseBytes(tc.maxResponseBytes))
	}
	client := newOperatorClient(t, srv, opts...)

	for operation, fs := range tc.faults {
		srv.InjectFaults(operation, fs...)
	}
	if tc.listFault != nil {
		srv.SetFaultFunc(opList, tc.listFault)
	}

	start := time.Now()
	var res *sdkfinance.ResetResult
	ctx := context.Background()
	switch tc.action {
	case actReset:
		res, err = client.ResetIdentification(ctx, user.ID, target.ID)
	case actApprove:
		res, err = client.ApproveResetRequest(ctx, user.ID, target.ID)
	case actDecline:
		res, err = client.DeclineResetRequest(ctx, user.ID, target.ID)
	case actMissing:
		res, err = client.ResetIdentification(ctx, user.ID, "no-such-request")
	}
	elapsed := time.Since(start)

	checkFaultOutcome(t, tc, target.ID, res, err)
	if elapsed < tc.wantMinDuration {
		t.Errorf("call took %v, want at least %v (the capped Retry-After)", elapsed, tc.wantMinDuration)
	}

	approveOp := opApprove
	if tc.action == actDecline {
		approveOp = opDecline
	}
	if got := srv.RequestCount(approveOp); got != tc.wantApproves {
		t.Errorf("%s requests = %d, want %d", approveOp, got, tc.wantApproves)
	}
	wantLogins := max(tc.wantLogins, 1)
	if got := srv.RequestCount(opLogin); got != wantLogins {
		t.Errorf("login requests = %d, want %d", got, wantLogins)
	}
	if tc.maxLists > 0 {
		if got := srv.RequestCount(opList); got > tc.maxLists {
			t.Errorf("list requests = %d, want at most %d", got, tc.maxLists)
		}
	}
	stored, ok := srv.ResetRequest(target.ID)
	if !ok {
		t.Fatalf("target %s is gone from the sandbox", target.ID)
	}
	if stored.Status != tc.wantStatus {
		t.Errorf("stored status = %s, want %s", stored.Status, tc.wantStatus)
	}
	for _, id := range ids {
		if got := srv.ApprovalCount(id); got > 1 {
			t.Errorf("request %s approved %d times", id, got)
		}
	}
	wantApprovals := 0
	if tc.wantStatus == sdkfinancetest.StatusApproved {
		wantApprovals = 1
	}
	if got := srv.ApprovalCount(target.ID); got != wantApprovals {
		t.Errorf("ApprovalCount(target) = %d, want %d", got, wantApprovals)
	}
}

func checkFaultOutcome(t *testing.T, tc faultCase, targetID string, res *sdkfinance.ResetResult, err error) {
	t.Helper()
	if tc.wantErr == nil && tc.wantErrAs == nil {
		if err != nil {
			t.Fatalf("error = %v, want a result", err)
		}
		if res == nil {
			t.Fatal("nil result with nil error")
		}
		if res.Request.ID != targetID {
			t.Errorf("result request id = %s, want %s", res.Request.ID, targetID)
		}
		if string(res.Request.Status) != tc.wantStatus {
			t.Errorf("result status = %s, want %s", res.Request.Status, tc.wantStatus)
		}
		if res.Reconciled != tc.wantReconciled {
			t.Errorf("Reconciled = %v, want %v", res.Reconciled, tc.wantReconciled)
		}
		return
	}
	if err == nil {
		t.Fatalf("got result %+v, want an error", res)
	}
	if res != nil {
		t.Errorf("got result %+v beside error %v", res, err)
	}
	for _, want := range tc.wantErr {
		if !errors.Is(err, want) {
			t.Errorf("error %v does not match %v", err, want)
		}
	}
	if tc.wantErrAs != nil && !tc.wantErrAs(err) {
		t.Errorf("error %v (%T) is not of the expected type or content", err, err)
	}
}

// dialFailer fails the first approve or decline requests as a refused
// connection does, before any byte reaches the server.
type dialFailer struct {
	next      http.RoundTripper
	remaining int32 // accessed atomically
}

func (d *dialFailer) RoundTrip(req *http.Request) (*http.Response, error) {
	decides := strings.HasSuffix(req.URL.Path, "/approve") || strings.HasSuffix(req.URL.Path, "/decline")
	if decides && atomic.AddInt32(&d.remaining, -1) >= 0 {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return d.next.RoundTrip(req)
}
