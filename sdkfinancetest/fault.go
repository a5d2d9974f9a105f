package sdkfinancetest

import (
	"time"

	"github.com/sdkfinance-go/sdkfinance/internal/sandbox"
)

// FaultBody names a replacement for the body of a response.
type FaultBody int

// Body replacements of a Fault.
const (
	// BodyUnchanged keeps the body. It is the zero value.
	BodyUnchanged FaultBody = iota
	// TruncatedJSON sends the first half of the JSON body.
	TruncatedJSON
	// EmptyBody sends no body at all.
	EmptyBody
	// HTMLPage sends a gateway's HTML error page as text/html.
	HTMLPage
	// OversizedBody sends the JSON body padded with trailing spaces to
	// OversizedBodyBytes, which is still valid JSON.
	OversizedBody
)

// OversizedBodyBytes is the size of an OversizedBody response: 8 MiB,
// twice the SDK's default response limit.
const OversizedBodyBytes = sandbox.OversizedBodyBytes

// String returns the constant's name.
func (b FaultBody) String() string { return sandbox.FaultBody(b).String() }

// Fault describes how the server misbehaves on one request. The zero
// Fault changes nothing. Unless Process is set, a fault that responds in
// place of the server (Status or CloseConnection) leaves the request
// unprocessed, so an approve then approves nothing. With Process, an
// approve whose response is lost still counts in ApprovalCount.
type Fault struct {
	// Status, when not zero, is the status of the response, sent with the
	// JSON error envelope. The envelope's code is the status text in
	// upper case with underscores, such as BAD_GATEWAY.
	Status int
	// RetryAfter is the value of a Retry-After header sent with Status.
	RetryAfter string
	// Latency is how long the server waits before it handles the
	// request, or, with Process, after it handled the request and before
	// it responds. The wait ends early when the client goes away, and then
	// nothing more is done or sent.
	Latency time.Duration
	// Process makes the server handle the request (an approve really
	// approves) before it sends the fault's response.
	Process bool
	// CloseConnection closes the connection without sending any response.
	CloseConnection bool
	// Body replaces the response body. Without Status, the real response's
	// body is replaced, so the request is processed.
	Body FaultBody
	// ExpireToken expires the request's token before it is checked, so
	// the request and every later one with that token get 401 with
	// CodeTokenExpired.
	ExpireToken bool

	// The fields below apply to viewResetIdentificationRequests only.

	// ApproveBefore makes another operator approve up to this many pending
	// records that sort before the requested page, just before the page is
	// read. The records after them move up, so on an offset-paged list one
	// slips from this page to the one already read.
	ApproveBefore int
	// RepeatPreviousPage serves the page before the requested one, as a
	// server that ignores pageNumber does. Page 0 is served as it is.
	RepeatPreviousPage bool
	// TotalPages, when not nil, replaces the page's totalPages.
	TotalPages *int
	// RecordStatus, when not empty, replaces the status of every record on
	// the page in the response. The stored records keep their status.
	RecordStatus string
}

func (f Fault) toSandbox() sandbox.Fault {
	return sandbox.Fault{
		Status:             f.Status,
		RetryAfter:         f.RetryAfter,
		Latency:            f.Latency,
		Process:            f.Process,
		CloseConnection:    f.CloseConnection,
		Body:               sandbox.FaultBody(f.Body),
		ExpireToken:        f.ExpireToken,
		ApproveBefore:      f.ApproveBefore,
		RepeatPreviousPage: f.RepeatPreviousPage,
		TotalPages:         f.TotalPages,
		RecordStatus:       f.RecordStatus,
	}
}

// InjectFaults queues faults for the next requests of operation
// operationID, as in the OpenAPI document, such as "login",
// "viewResetIdentificationRequests" or "approveResetIdentification". The
// first such request takes faults[0], the next faults[1], and so on. A
// zero Fault lets its request pass. Queued faults come before a function
// set by SetFaultFunc. A request takes a fault only once its route matched
// and its body was decoded.
func (s *Server) InjectFaults(operationID string, faults ...Fault) {
	converted := make([]sandbox.Fault, len(faults))
	for i, f := range faults {
		converted[i] = f.toSandbox()
	}
	s.sandbox.InjectFaults(operationID, converted...)
}

// SetFaultFunc makes next choose the fault of every request of operation
// operationID that finds no queued fault, for example at random in a soak
// test. call counts these requests from 1. The server calls next for one
// request at a time, so next may use a random source that is not safe for
// concurrent use, but it must not call the server's fault methods. A nil
// next removes the function.
func (s *Server) SetFaultFunc(operationID string, next func(call int) Fault) {
	if next == nil {
		s.sandbox.SetFaultFunc(operationID, nil)
		return
	}
	s.sandbox.SetFaultFunc(operationID, func(call int) sandbox.Fault {
		return next(call).toSandbox()
	})
}

// ClearFaults removes every queued fault and fault function.
func (s *Server) ClearFaults() {
	s.sandbox.ClearFaults()
}
