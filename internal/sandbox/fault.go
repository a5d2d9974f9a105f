package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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

// OversizedBodyBytes is the size of an OversizedBody response: 8 MiB, twice
// the SDK's default response limit.
const OversizedBodyBytes = 8 << 20

// String returns the constant's name.
func (b FaultBody) String() string {
	switch b {
	case BodyUnchanged:
		return "BodyUnchanged"
	case TruncatedJSON:
		return "TruncatedJSON"
	case EmptyBody:
		return "EmptyBody"
	case HTMLPage:
		return "HTMLPage"
	case OversizedBody:
		return "OversizedBody"
	}
	return fmt.Sprintf("FaultBody(%d)", int(b))
}

// Fault describes how the sandbox misbehaves on one request. The zero
// Fault changes nothing. Unless Process is set, a fault that responds in
// place of the server (Status or CloseConnection) leaves the request
// unprocessed, so an approve then approves nothing.
type Fault struct {
	// Status, when not zero, is the status of the response, sent with the
	// JSON error envelope. The envelope's code is the status text in
	// upper case with underscores, such as BAD_GATEWAY.
	Status int
	// RetryAfter is the value of a Retry-After header sent with Status.
	RetryAfter string
	// Latency is how long the sandbox waits before it handles the
	// request, or, with Process, after it handled the request and before
	// it responds. The wait ends early when the client goes away, and then
	// nothing more is done or sent.
	Latency time.Duration
	// Process makes the sandbox handle the request (an approve really
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

// IsZero reports whether f changes nothing.
func (f Fault) IsZero() bool {
	return f.Status == 0 && f.RetryAfter == "" && f.Latency == 0 && !f.Process &&
		!f.CloseConnection && f.Body == BodyUnchanged && !f.ExpireToken &&
		f.ApproveBefore == 0 && !f.RepeatPreviousPage && f.TotalPages == nil && f.RecordStatus == ""
}

// respondsInPlace reports whether the fault's response replaces the server's.
func (f Fault) respondsInPlace() bool {
	return f.Status != 0 || f.CloseConnection
}

// handlesBeforeAnswer reports whether the request is handled before the
// fault's response is sent.
func (f Fault) handlesBeforeAnswer() bool {
	return f.Process || !f.respondsInPlace()
}

// faultTable stores the faults to inject, by operationId. Its zero value
// holds none.
type faultTable struct {
	// active is set while any fault is queued or any function is set, so
	// that requests pass untouched otherwise.
	active atomic.Bool

	mu     sync.Mutex // guards queues and funcs, and serializes calls of funcs
	queues map[string][]Fault
	funcs  map[string]*faultFunc
}

type faultFunc struct {
	next  func(call int) Fault
	calls int
}

// InjectFaults queues faults for the next requests of operation
// operationID, such as "approveResetIdentification": the first such
// request takes faults[0], the next faults[1], and so on. A zero Fault lets
// its request pass. Queued faults come before a function set by
// SetFaultFunc. A request only counts once its body was decoded and its
// route matched.
func (s *Sandbox) InjectFaults(operationID string, faults ...Fault) {
	t := &s.faults
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.queues == nil {
		t.queues = make(map[string][]Fault)
	}
	t.queues[operationID] = append(t.queues[operationID], faults...)
	t.active.Store(true)
}

// SetFaultFunc makes next choose the fault of every request of operation
// operationID that finds no queued fault. call counts these requests from
// 1. The sandbox calls next for one request at a time, so next may use a
// random source that is not safe for concurrent use, but it must not call
// the sandbox's fault methods. A nil next removes the function.
func (s *Sandbox) SetFaultFunc(operationID string, next func(call int) Fault) {
	t := &s.faults
	t.mu.Lock()
	defer t.mu.Unlock()
	if next == nil {
		delete(t.funcs, operationID)
		t.active.Store(len(t.funcs) > 0 || len(t.queues) > 0)
		return
	}
	if t.funcs == nil {
		t.funcs = make(map[string]*faultFunc)
	}
	t.funcs[operationID] = &faultFunc{next: next}
	t.active.Store(true)
}

// ClearFaults removes every queued fault and fault function.
func (s *Sandbox) ClearFaults() {
	t := &s.faults
	t.mu.Lock()
	defer t.mu.Unlock()
	t.queues = nil
	t.funcs = nil
	t.active.Store(false)
}

// take returns the fault for the next request of operationID, if any.
func (t *faultTable) take(operationID string) (Fault, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if q := t.queues[operationID]; len(q) > 0 {
		f := q[0]
		if len(q) == 1 {
			delete(t.queues, operationID)
		} else {
			t.queues[operationID] = q[1:]
		}
		return f, true
	}
	if fn := t.funcs[operationID]; fn != nil {
		fn.calls++
		return fn.next(fn.calls), true
	}
	return Fault{}, false
}

// faultSlot carries a request's fault from the strict middleware, which
// has the operation id, back to injectFaults, which writes the response.
type faultSlot struct {
	fault Fault
	set   bool
	// abandoned is set when the client went away during a Latency wait.
	abandoned bool
}

type faultSlotKey struct{}

func faultSlotFrom(ctx context.Context) *faultSlot {
	slot, _ := ctx.Value(faultSlotKey{}).(*faultSlot)
	return slot
}

// faultFrom returns the fault of the request that ctx belongs to, or the
// zero Fault.
func faultFrom(ctx context.Context) Fault {
	if slot := faultSlotFrom(ctx); slot != nil && slot.set {
		return slot.fault
	}
	return Fault{}
}

// injectFaults wraps the whole API. While faults are set, it buffers each
// response so that a fault can replace or drop it after the request was
// handled.
func (s *Sandbox) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.faults.active.Load() {
			next.ServeHTTP(w, r)
			return
		}
		slot := &faultSlot{}
		buf := &bufferedWriter{real: w, header: make(http.Header)}
		next.ServeHTTP(buf, r.WithContext(context.WithValue(r.Context(), faultSlotKey{}, slot)))
		s.writeFaultResponse(w, r, slot, buf)
	})
}

// beforeHandling takes the request's fault, if any, and applies what
// happens before the request is handled. It reports whether the request
// must be handled.
func (s *Sandbox) beforeHandling(ctx context.Context, operationID string, r *http.Request) bool {
	slot := faultSlotFrom(ctx)
	if slot == nil {
		return true
	}
	slot.fault, slot.set = s.faults.take(operationID)
	f := slot.fault
	if f.Latency > 0 && !f.Process && !waitFor(ctx, f.Latency) {
		slot.abandoned = true
		return false
	}
	if f.ExpireToken {
		s.expireToken(r.Header.Get("Authorization"))
	}
	return f.handlesBeforeAnswer()
}

// writeFaultResponse sends the response that the request's fault calls
// for, or the buffered response of the handler.
func (s *Sandbox) writeFaultResponse(w http.ResponseWriter, r *http.Request, slot *faultSlot,
	buf *bufferedWriter) {
	f := slot.fault
	if slot.abandoned {
		return
	}
	if f.Process && f.Latency > 0 && !waitFor(r.Context(), f.Latency) {
		return
	}
	switch {
	case f.CloseConnection:
		closeConnection(w)
	case f.Status != 0:
		body := errorBody(f.Status)
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeBody(w, f.Status, "application/json", replaceBody(body, f.Body, f.Status))
	case f.Body != BodyUnchanged:
		copyHeader(w.Header(), buf.header)
		status := buf.statusCode()
		writeBody(w, status, buf.header.Get("Content-Type"),
			replaceBody(buf.body.Bytes(), f.Body, status))
	default:
		copyHeader(w.Header(), buf.header)
		w.WriteHeader(buf.statusCode())
		_, _ = buf.body.WriteTo(w)
	}
}

// closeConnection closes the client's connection without a response.
func closeConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// A connection that cannot be hijacked, such as HTTP/2: the
		// server resets it when the handler panics with this value.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// errorBody returns the error envelope of an injected status.
func errorBody(status int) []byte {
	code := strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_"))
	if code == "" {
		code = fmt.Sprintf("STATUS_%d", status)
	}
	var buf bytes.Buffer
	// Encoding cannot fail because the envelope contains only strings.
	_ = json.NewEncoder(&buf).Encode(newError(status, code, "", "injected fault").envelope())
	return buf.Bytes()
}

// replaceBody returns the body that kind calls for in place of body.
func replaceBody(body []byte, kind FaultBody, status int) []byte {
	switch kind {
	case TruncatedJSON:
		return body[:len(body)/2]
	case EmptyBody:
		return nil
	case HTMLPage:
		title := fmt.Sprintf("%d %s", status, http.StatusText(status))
		return []byte("<!DOCTYPE html>\n<html><head><title>" + title + "</title></head>\n" +
			"<body><h1>" + title + "</h1><hr><p>sandbox gateway</p></body></html>\n")
	case OversizedBody:
		padding := bytes.Repeat([]byte{' '}, max(OversizedBodyBytes-len(body), 0))
		return append(slices.Clip(body), padding...)
	}
	return body
}

// writeBody writes a response whose body kind may differ from the one the
// header was made for: an HTML page gets text/html.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	if bytes.HasPrefix(body, []byte("<!DOCTYPE html>")) {
		contentType = "text/html; charset=utf-8"
	}
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func copyHeader(dst, src http.Header) {
	for key, values := range src {
		dst[key] = slices.Clone(values)
	}
}

// waitFor waits for d and reports whether ctx was still live at its end.
func waitFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// expireToken expires the session of the token in an Authorization
// header, if the header names a known one.
func (s *Sandbox) expireToken(header string) {
	_, token, _ := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)

	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.st.sessions[token]; ok {
		sess.expired = true
	}
}

// faultedPage returns the page for q, changed by the list faults of the
// request that ctx belongs to.
func (s *Sandbox) faultedPage(ctx context.Context, q pageQuery) ResetRequestPage {
	f := faultFrom(ctx)
	if f.ApproveBefore > 0 {
		s.approveBefore(q, f.ApproveBefore)
	}
	if f.RepeatPreviousPage && q.pageNumber > 0 {
		q.pageNumber--
	}
	p := s.page(q)
	if f.TotalPages != nil {
		pages := int32(*f.TotalPages)
		p.TotalPages = &pages
	}
	if f.RecordStatus != "" && p.Records != nil {
		for i := range *p.Records {
			status := f.RecordStatus
			(*p.Records)[i].Status = &status
		}
	}
	return p
}

// approveBefore approves, as another operator would, up to n pending
// records that match q's filter and sort before q's page.
func (s *Sandbox) approveBefore(q pageQuery, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()

	var records []*Record
	for _, id := range s.st.recordOrder {
		r := s.st.records[id]
		if q.filter.Status != nil && r.Status != *q.filter.Status {
			continue
		}
		if q.filter.OrganizationID != nil && r.OrganizationID != *q.filter.OrganizationID {
			continue
		}
		records = append(records, r)
	}
	slices.SortStableFunc(records, func(a, b *Record) int {
		if c := compareIn(q.sort.OrganizationID, a.OrganizationID, b.OrganizationID); c != 0 {
			return c
		}
		return compareIn(q.sort.Status, a.Status, b.Status)
	})

	start := min(q.pageNumber*q.pageSize, len(records))
	for _, r := range records[:start] {
		if n == 0 {
			return
		}
		if r.Status != StatusPending {
			continue
		}
		r.Status = StatusApproved
		s.st.approvals[r.ID]++
		if u, ok := s.st.users[r.InitiatorUserID]; ok {
			u.resetIdentification(nil)
		}
		n--
	}
}

// bufferedWriter keeps a response in memory until the fault decides what
// to send.
type bufferedWriter struct {
	real   http.ResponseWriter
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (b *bufferedWriter) Unwrap() http.ResponseWriter { return b.real }

func (b *bufferedWriter) statusCode() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}
