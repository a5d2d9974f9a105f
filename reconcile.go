package sdkfinance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// decide sends an approve or decline so that the server processes it at
// most once, and reports success only when it happened.
//
// SDK.Finance documents no idempotency key, so when an attempt's outcome
// is unknown (a timeout or a broken connection after the request was
// written, a 500, 502 or 504, an unreadable 2xx, or a 409 to a resent
// request), decide reads the request's state back from the list:
// the target state means success, PENDING means the attempt did not
// happen and it is sent again, anything else is an error that says so. A
// second request is never sent unless a read showed the request pending.
func (c *Client) decide(ctx context.Context, d decision, userID, id string) (*ResetResult, error) {
	if err := c.auth.requirePermission(ctx, PermissionResetIdentification); err != nil {
		return nil, err
	}
	attempts := 0
	for sends := 1; ; sends++ {
		res, err := c.sendDecision(ctx, d, userID, id)
		if err == nil {
			res.Attempts += attempts
			return res, nil
		}
		attempts += attemptsOf(err)
		if !outcomeUnknown(err, sends) {
			return nil, err
		}

		rec, lookupErr := c.lookupRequest(ctx, id)
		if lookupErr != nil {
			return nil, &OutcomeUnknownError{Action: d.verb, RequestID: id, Err: err, LookupErr: lookupErr}
		}
		switch {
		case rec != nil && rec.Status == d.target:
			c.logger.InfoContext(ctx, "sdkfinance: reconciled an uncertain request",
				"operation", d.name, "status", string(rec.Status), "cause", err.Error())
			return &ResetResult{Request: *rec, Reconciled: true, Attempts: attempts}, nil
		case rec != nil && rec.Status == StatusPending && sends < c.retry.MaxAttempts:
			c.logger.WarnContext(ctx, "sdkfinance: request still pending after an uncertain attempt, "+
				"sending again", "operation", d.name, "send", sends, "cause", err.Error())
			continue
		case rec != nil && rec.Status == StatusPending:
			return nil, err
		}
		return nil, &ReconcileError{Action: d.verb, RequestID: id, Found: rec != nil,
			Status: statusOf(rec), Err: err}
	}
}

// attemptsOf returns how many requests a failed send made, from its error.
func attemptsOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Attempts
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.Attempts
	}
	return 0
}

func statusOf(rec *ResetRequest) ResetRequestStatus {
	if rec == nil {
		return ""
	}
	return rec.Status
}

// outcomeUnknown reports whether a failed approve or decline may have
// been processed by the server, so that its state must be read back.
// sends counts the approve or decline requests decide has sent so far.
func outcomeUnknown(err error, sends int) bool {
	var te *TransportError
	if errors.As(err, &te) {
		// The send loop already retried a dial error; it never reached
		// the server. Anything else may have.
		return !isDialError(te.Err)
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	if ae.err != nil {
		return true
	}
	switch ae.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		// A 409 to the first request means the request was not pending
		// before this call. To a resent request it may mean that an
		// earlier attempt succeeded.
		return sends > 1 || ae.Attempts > 1
	}
	return false
}

// lookupRequest reads the whole list, without a status filter, to find
// request id in whatever state it is. It returns nil when no page holds
// it. Approving or declining a request does not take it off the
// unfiltered list, so the offsets stay put while this scan runs.
func (c *Client) lookupRequest(ctx context.Context, id string) (*ResetRequest, error) {
	rec, _, _, err := c.scan(ctx, ListQuery{PageSize: c.pageSize}, id)
	return rec, err
}

// ErrOutcomeUnknown marks an approve or decline whose outcome could not be
// learned: the response was lost and reading the request's state back
// failed too. Check the request's state before acting again.
var ErrOutcomeUnknown = errors.New("sdkfinance: outcome unknown")

// OutcomeUnknownError reports an approve or decline that may or may not
// have happened. It matches [ErrOutcomeUnknown].
type OutcomeUnknownError struct {
	// Action is "approve" or "decline".
	Action    string
	RequestID string
	// Err is the failure of the approve or decline.
	Err error
	// LookupErr is the failure of reading the state back.
	LookupErr error
}

// Error states what is unknown and what to do.
func (e *OutcomeUnknownError) Error() string {
	// The instruction comes before the causes, so a cut to the length
	// limit takes the end of a cause, never what to do. Each cause keeps
	// its mdcId.
	return truncate(fmt.Sprintf("sdkfinance: %s of reset request %s may or may not have happened; "+
		"check it before acting again: %s; reading it back: %s",
		e.Action, quoteValue(e.RequestID, 48), causeText(e.Err, 75),
		causeText(e.LookupErr, 70)), maxErrorLen)
}

// Is reports whether target is [ErrOutcomeUnknown].
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Unwrap returns both failures.
func (e *OutcomeUnknownError) Unwrap() []error { return []error{e.Err, e.LookupErr} }

// ReconcileError reports an approve or decline whose response was lost and
// whose request, read back, is neither in the target state nor pending:
// another operator decided it, or it is gone. It matches [ErrConflict]
// when the request was found and [ErrNotFound] when it was not.
type ReconcileError struct {
	// Action is "approve" or "decline".
	Action    string
	RequestID string
	// Found reports whether the list holds the request; Status is its state
	// when it does.
	Found  bool
	Status ResetRequestStatus
	// Err is the failure of the approve or decline.
	Err error
}

// Error names the request and the state it was found in.
func (e *ReconcileError) Error() string {
	state := "not in the list"
	if e.Found {
		state = quoteValue(string(e.Status), 48)
	}
	return truncate(fmt.Sprintf("sdkfinance: %s of reset request %s was not confirmed (%s), and "+
		"the request is now %s", e.Action, quoteValue(e.RequestID, 80),
		causeText(e.Err, 120), state), maxErrorLen)
}

// Is reports whether target is [ErrConflict] for a request found in
// another state or [ErrNotFound] for a missing one.
func (e *ReconcileError) Is(target error) bool {
	if e.Found {
		return target == ErrConflict
	}
	return target == ErrNotFound
}

// Unwrap returns the failure of the approve or decline.
func (e *ReconcileError) Unwrap() error { return e.Err }
