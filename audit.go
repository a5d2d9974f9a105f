package sdkfinance

import (
	"errors"
	"time"
)

// AuditOutcome is the end state of an approve or decline decision.
type AuditOutcome string

// Audit outcomes.
const (
	// AuditApproved and AuditDeclined mean the server confirmed the
	// decision.
	AuditApproved AuditOutcome = "approved"
	AuditDeclined AuditOutcome = "declined"
	// AuditReconciled means the response was lost and reading the request
	// back showed that the decision happened.
	AuditReconciled AuditOutcome = "reconciled"
	// AuditRefused means the SDK sent no approve or decline: an invalid
	// argument, a request not pending, another user's request, or a
	// missing permission.
	AuditRefused AuditOutcome = "refused"
	// AuditFailed means the approve or decline failed, or its outcome is
	// unknown. Reason gives the error text.
	AuditFailed AuditOutcome = "failed"
)

// AuditEvent records one approve or decline decision for a compliance
// trail. It never holds a token or password. The JSON names suit a
// JSON-lines audit file.
type AuditEvent struct {
	Time time.Time `json:"time"`
	// Action is "approve" or "decline".
	Action string `json:"action"`
	// Login and OrganizationID identify the operator when the client logs
	// in with WithCredentials; with WithToken they are empty.
	Login          string       `json:"login,omitempty"`
	OrganizationID string       `json:"organizationId,omitempty"`
	UserID         string       `json:"userId"`
	RequestID      string       `json:"requestId"`
	Outcome        AuditOutcome `json:"outcome"`
	// Reason is the error text for a refusal or failure.
	Reason string `json:"reason,omitempty"`
	// MdcID is the server's correlation id of the last response, if any.
	MdcID string `json:"mdcId,omitempty"`
	// Attempts is how many approve or decline requests were sent.
	Attempts int           `json:"attempts"`
	Duration time.Duration `json:"durationNs"`
}

// WithAuditHook sets a function that receives one [AuditEvent] for every
// approve or decline decision, refusals before any request included. It
// runs on the calling goroutine, after the decision, and must not block
// for long.
func WithAuditHook(fn func(AuditEvent)) Option {
	return func(cfg *config) error {
		if fn == nil {
			return invalidOption("WithAuditHook", "got a nil function")
		}
		cfg.auditHook = fn
		return nil
	}
}

// audit sends the event for one decision to the audit hook, if any.
func (c *Client) audit(action, userID, id string, start time.Time,
	res *ResetResult, err error) {
	if c.auditHook == nil {
		return
	}
	ev := AuditEvent{
		Time:      start,
		Action:    action,
		UserID:    userID,
		RequestID: id,
		Duration:  time.Since(start),
	}
	ev.Login, ev.OrganizationID = c.auth.identity()
	if err == nil {
		ev.Attempts = res.Attempts
		ev.Outcome = AuditApproved
		if action == "decline" {
			ev.Outcome = AuditDeclined
		}
		if res.Reconciled {
			ev.Outcome = AuditReconciled
		}
		c.auditHook(ev)
		return
	}
	ev.Reason = err.Error()
	ev.Attempts = attemptsOf(err)
	ev.Outcome = AuditFailed
	if refused(err) {
		ev.Outcome = AuditRefused
	}
	var ae *APIError
	if errors.As(err, &ae) {
		ev.MdcID = ae.MdcID
	}
	c.auditHook(ev)
}

// refused reports whether err is a check the SDK made before sending an
// approve or decline.
func refused(err error) bool {
	var (
		notPending *NotPendingError
		mismatch   *UserMismatchError
		permission *PermissionError
	)
	return errors.Is(err, ErrInvalidArgument) || errors.As(err, &notPending) ||
		errors.As(err, &mismatch) || errors.As(err, &permission)
}
