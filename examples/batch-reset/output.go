package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/sdkfinance-go/sdkfinance"
)

// Values of the status column of the result CSV.
const (
	statusApproved   = "APPROVED"   // the server confirmed the approve
	statusReconciled = "RECONCILED" // the response was lost, and a read showed the request approved
	statusChecked    = "CHECKED"    // dry run: the request is pending and the user initiated it
	statusNotPending = "NOT_PENDING"
	statusMismatch   = "USER_MISMATCH" // another user initiated the request; nothing was approved
	statusInvalid    = "INVALID"       // an id the SDK rejects, or a repeated request id
	statusUnknown    = "UNKNOWN"       // the approve may have happened; check before acting again
	statusFailed     = "FAILED"        // any other error, such as a failed list read or approve
)

// resultHeader is the first row of the result CSV.
var resultHeader = []string{"userId", "requestId", "status", "error"}

// statusOf returns the status column for a result.
func statusOf(r sdkfinance.BatchResult, dryRun bool) string {
	var notPending *sdkfinance.NotPendingError
	switch {
	case r.Err == nil && dryRun:
		return statusChecked
	case r.Err == nil && r.Result != nil && r.Result.Reconciled:
		return statusReconciled
	case r.Err == nil:
		return statusApproved
	case errors.Is(r.Err, sdkfinance.ErrInvalidArgument):
		return statusInvalid
	case errors.Is(r.Err, sdkfinance.ErrUserMismatch):
		return statusMismatch
	case errors.As(r.Err, &notPending):
		return statusNotPending
	case errors.Is(r.Err, sdkfinance.ErrOutcomeUnknown):
		return statusUnknown
	}
	return statusFailed
}

// succeeded reports whether a status means the target was reset, or in a
// dry run would be.
func succeeded(status string) bool {
	return status == statusApproved || status == statusReconciled || status == statusChecked
}

// writeResults writes the header and one row per result, in input order.
func writeResults(w io.Writer, results []sdkfinance.BatchResult, dryRun bool) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(resultHeader); err != nil {
		return err
	}
	for _, r := range results {
		errText := ""
		if r.Err != nil {
			errText = oneLine(r.Err.Error())
		}
		row := []string{r.Target.UserID, r.Target.RequestID, statusOf(r, dryRun), errText}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// oneLine replaces line breaks with spaces. The SDK's errors are one line
// already; errors from the standard library, such as a context's, are too,
// but a row must never span lines.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// auditLog writes each sdkfinance.AuditEvent as one JSON line. The SDK
// calls the audit hook from many goroutines at once, so record holds a
// lock. A write error stops later writes and is kept for err.
type auditLog struct {
	mu       sync.Mutex
	enc      *json.Encoder
	writeErr error
}

func newAuditLog(w io.Writer) *auditLog {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &auditLog{enc: enc}
}

// record writes one event.
func (a *auditLog) record(ev sdkfinance.AuditEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.writeErr == nil {
		a.writeErr = a.enc.Encode(ev)
	}
}

// err returns the first write error.
func (a *auditLog) err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.writeErr
}
