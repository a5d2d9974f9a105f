package sdkfinance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sdkfinance-go/sdkfinance/internal/api"
)

// Sentinel errors for errors.Is. An [*APIError] matches the one for its
// HTTP status class; the SDK's own checks return errors that match the
// others. Compare with errors.Is, never with ==.
var (
	// ErrInvalidArgument marks a value the SDK rejected before sending
	// anything; the error is an [*InvalidArgumentError].
	ErrInvalidArgument = errors.New("sdkfinance: invalid argument")

	// ErrUnauthorized marks a 401: the token is missing, expired or revoked,
	// or the login and password are wrong.
	ErrUnauthorized = errors.New("sdkfinance: unauthorized")

	// ErrForbidden marks a 403, or a login none of whose members holds the
	// permission an operation needs.
	ErrForbidden = errors.New("sdkfinance: forbidden")

	// ErrNotFound marks a 404, or a reset request that is not in the
	// pending list.
	ErrNotFound = errors.New("sdkfinance: not found")

	// ErrConflict marks a 409, such as approving a request that was
	// already approved or declined.
	ErrConflict = errors.New("sdkfinance: conflict")

	// ErrRateLimited marks a 429.
	ErrRateLimited = errors.New("sdkfinance: rate limited")

	// ErrServer marks a 5xx.
	ErrServer = errors.New("sdkfinance: server error")

	// ErrUserMismatch marks a pending request that was found but was not
	// initiated by the given user, so nothing was approved.
	ErrUserMismatch = errors.New("sdkfinance: reset request belongs to another user")

	// ErrInvalidResponse marks a response the SDK could not use: a 2xx
	// whose body is not the documented JSON, or a body over the size limit.
	ErrInvalidResponse = errors.New("sdkfinance: invalid response")

	// ErrOTPRequired marks a login for which the server sent the user a
	// one-time password, when no [WithOTP] callback was given to supply it.
	ErrOTPRequired = errors.New("sdkfinance: one-time password required")
)

// APIError is an HTTP response the SDK could not turn into a result: any
// 4xx or 5xx, and a 2xx whose body could not be decoded. Fields the server
// did not send are empty.
type APIError struct {
	// StatusCode is the HTTP status code, such as 409.
	StatusCode int
	// Code is the machine-readable code from the error envelope. The
	// codes SDK.Finance uses are not documented publicly, so classify by
	// StatusCode (or errors.Is) first and keep Code for support.
	Code string
	// Message is a human-readable summary: the envelope's message when the
	// server sent one, else its field errors joined.
	Message string
	// FieldErrors lists the envelope's errors for invalid fields.
	FieldErrors []FieldError
	// Parameters lists the envelope's key and value pairs that fill the
	// server's message.
	Parameters []ErrorParameter
	// MdcID is the correlation id to quote to SDK.Finance support.
	MdcID string
	// Method and Path identify the request, such as "POST" and
	// "/api/v1/profiles/u1/reset-identification-requests/r1/approve".
	Method string
	Path   string
	// Snippet holds the start of a body that was not the JSON envelope,
	// such as a gateway's HTML page, on one line of at most 120 bytes.
	Snippet string
	// RetryAfter is the wait the server asked for in a Retry-After header,
	// or zero.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int

	// err is a decoding failure or a size-limit failure, if any.
	err error
}

// FieldError is one invalid field named in an error envelope.
type FieldError struct {
	Parameter string
	Message   string
}

// ErrorParameter is one key and value from an error envelope.
type ErrorParameter struct {
	Key   string
	Value string
}

const maxErrorLen = 300

// Error returns one line of at most 300 bytes: method, path, status, code,
// message and mdcId. Each field is cut to a share of that length, and the
// mdcId is kept whole up to 60 bytes however long the rest is, because it
// is the id to quote to support.
func (e *APIError) Error() string {
	head := "sdkfinance: " + lineField(e.Method, 16) + " " + lineField(e.Path, 160) + ": "
	return e.format(head, maxErrorLen)
}

// summary returns the status, code, message and mdcId on one line of at
// most limit bytes, without the request, for nesting in other errors.
func (e *APIError) summary(limit int) string {
	return e.format("", limit)
}

func (e *APIError) format(head string, limit int) string {
	var tail string
	if e.MdcID != "" {
		tail = " (mdcId " + lineField(e.MdcID, 60) + ")"
	}

	var b strings.Builder
	b.WriteString(head)
	b.WriteString(strconv.Itoa(e.StatusCode))
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteByte(' ')
		b.WriteString(text)
	}
	if e.Code != "" {
		b.WriteString(": code ")
		b.WriteString(lineField(e.Code, 60))
	}
	switch {
	case e.err != nil:
		b.WriteString(": ")
		b.WriteString(lineField(e.err.Error(), 100))
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(lineField(e.Message, 100))
	case e.Snippet != "":
		b.WriteString(": body ")
		b.WriteString(quoteValue(e.Snippet, 76))
	}
	return truncate(b.String(), max(limit-len(tail), 0)) + tail
}

// causeText returns a one-line account of err of at most limit bytes, for
// nesting in another error's text: an *APIError's summary, or err's text
// without the package prefix.
func causeText(err error, limit int) string {
	if err == nil {
		return "<nil>"
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.summary(limit)
	}
	return lineField(strings.TrimPrefix(err.Error(), "sdkfinance: "), limit)
}

// lineField cuts s to at most n bytes and folds it onto one line, since
// server-sent fields such as the code may contain line breaks.
func lineField(s string, n int) string {
	return oneLine(truncate(s, n))
}

// Unwrap returns the decoding or size-limit failure, if any.
func (e *APIError) Unwrap() error { return e.err }

// Is reports whether target is the sentinel for the error's class, so that
// errors.Is(err, ErrConflict) holds for any 409.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidResponse:
		return e.err != nil
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	return target == sentinelForStatus(e.StatusCode) && target != nil
}

func sentinelForStatus(code int) error {
	switch code {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrConflict
	case http.StatusTooManyRequests:
		return ErrRateLimited
	}
	return nil
}

// newAPIError builds the error for a response that was not a usable 2xx.
// It never fails: a body that is not the JSON envelope becomes a Snippet.
func newAPIError(r *response) *APIError {
	e := &APIError{
		StatusCode: r.status,
		Method:     r.method,
		Path:       r.path,
		RetryAfter: r.retryAfter,
		Attempts:   r.attempts,
	}
	var env api.ErrorResponse
	if looksLikeJSON(r.body) && json.Unmarshal(r.body, &env) == nil {
		e.fillFromEnvelope(&env, r.body)
		return e
	}
	e.Snippet = snippet(r.body)
	return e
}

// invalidResponse builds the error for a 2xx whose body could not be used.
func invalidResponse(r *response, cause error) *APIError {
	e := newAPIError(r)
	e.Snippet = snippet(r.body)
	e.err = fmt.Errorf("%w: %w", ErrInvalidResponse, cause)
	return e
}

func (e *APIError) fillFromEnvelope(env *api.ErrorResponse, body []byte) {
	e.Code = deref(env.Code)
	e.MdcID = deref(env.MdcID)
	if env.Errors != nil {
		for _, fe := range *env.Errors {
			e.FieldErrors = append(e.FieldErrors,
				FieldError{Parameter: deref(fe.Parameter), Message: deref(fe.Message)})
		}
	}
	if env.Parameters != nil {
		for _, p := range *env.Parameters {
			e.Parameters = append(e.Parameters, ErrorParameter{Key: deref(p.Key), Value: deref(p.Value)})
		}
	}
	// The documented envelope has no message field, but some installations
	// send one; read it without failing when it is absent or not a string.
	var extra struct {
		Message any `json:"message"`
	}
	if json.Unmarshal(body, &extra) == nil {
		if s, ok := extra.Message.(string); ok {
			e.Message = oneLine(s)
		}
	}
	if e.Message == "" && len(e.FieldErrors) > 0 {
		parts := make([]string, 0, len(e.FieldErrors))
		for _, fe := range e.FieldErrors {
			part := fe.Message
			if fe.Parameter != "" {
				part = fe.Parameter + ": " + fe.Message
			}
			parts = append(parts, oneLine(part))
		}
		e.Message = strings.Join(parts, "; ")
	}
}

func looksLikeJSON(body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// snippet returns the start of a body as one printable line: the title of
// an HTML page, or the first bytes with runs of white space folded.
func snippet(body []byte) string {
	const limit = 120
	if len(body) > 4096 {
		body = body[:4096]
	}
	text := string(body)
	if title, ok := htmlTitle(text); ok {
		text = title
	}
	return truncate(oneLine(text), limit)
}

func htmlTitle(text string) (string, bool) {
	// asciiLower keeps every byte offset, unlike strings.ToLower, which
	// changes the length of invalid UTF-8 and of some letters.
	lower := asciiLower(text)
	start := strings.Index(lower, "<title>")
	if start < 0 {
		return "", false
	}
	start += len("<title>")
	end := strings.Index(lower[start:], "</title>")
	if end < 0 {
		return "", false
	}
	return text[start : start+end], true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// oneLine replaces control characters and runs of white space with single
// spaces and drops invalid UTF-8, so a value cannot break a log line.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < len("...") {
		return strings.Repeat(".", max(n, 0))
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// InvalidArgumentError reports a value the SDK rejected before sending any
// request. It matches [ErrInvalidArgument].
type InvalidArgumentError struct {
	// Name is the argument or option, such as "userID" or "WithPageSize".
	Name string
	// Value is the rejected value, whole. Error shows at most 64 bytes of
	// it, quoted.
	Value string
	// Reason states what is wrong and what to pass instead.
	Reason string
}

// Error names the argument, shows the start of its value and explains
// why it was rejected.
func (e *InvalidArgumentError) Error() string {
	if e.Value == "" {
		return truncate(fmt.Sprintf("sdkfinance: invalid %s: %s", lineField(e.Name, 40), e.Reason),
			maxErrorLen)
	}
	return truncate(fmt.Sprintf("sdkfinance: invalid %s %s: %s",
		lineField(e.Name, 40), quoteValue(e.Value, 80), e.Reason), maxErrorLen)
}

// quoteValue returns v as a Go-quoted string of at most limit bytes,
// cutting v shorter when escapes make the quoted form long.
func quoteValue(v string, limit int) string {
	for n := limit; n > 0; n /= 2 {
		if q := strconv.Quote(truncate(v, n)); len(q) <= limit {
			return q
		}
	}
	return `"..."`
}

// Is reports whether target is [ErrInvalidArgument].
func (e *InvalidArgumentError) Is(target error) bool { return target == ErrInvalidArgument }

func invalidArgument(name, value, reason string) error {
	return &InvalidArgumentError{Name: name, Value: value, Reason: reason}
}

func invalidOption(name, reason string) error {
	return &InvalidArgumentError{Name: name, Reason: reason}
}

// NotPendingError reports that no pending reset request has the given id.
// It matches [ErrNotFound].
type NotPendingError struct {
	RequestID string
	// Status is the request's state when the list showed it in a state
	// other than pending, else empty.
	Status ResetRequestStatus
	// PagesRead is how many pages of the pending list were read.
	PagesRead int
	// ListChanged is true when the list's total changed during every
	// read, so records kept moving between pages and the request may
	// still be pending. A later call may find it.
	ListChanged bool
}

// Error names the request id.
func (e *NotPendingError) Error() string {
	id := quoteValue(e.RequestID, 80)
	if e.Status != "" {
		return fmt.Sprintf("sdkfinance: reset request %s is %s, not pending",
			id, quoteValue(string(e.Status), 48))
	}
	if e.ListChanged {
		return fmt.Sprintf("sdkfinance: no pending reset request with id %s found while the "+
			"list kept changing (pages read: %d); try again", id, e.PagesRead)
	}
	return fmt.Sprintf("sdkfinance: no pending reset request with id %s "+
		"(pending list pages read: %d)", id, e.PagesRead)
}

// Is reports whether target is [ErrNotFound].
func (e *NotPendingError) Is(target error) bool { return target == ErrNotFound }

// UserMismatchError reports a pending reset request that another user
// initiated. Nothing was approved. It matches [ErrUserMismatch].
type UserMismatchError struct {
	RequestID       string
	UserID          string
	InitiatorUserID string
}

// Error names the request and both users.
func (e *UserMismatchError) Error() string {
	return truncate(fmt.Sprintf("sdkfinance: reset request %s was initiated by user %s, not %s; "+
		"nothing was approved", quoteValue(e.RequestID, 64), quoteValue(e.InitiatorUserID, 64),
		quoteValue(e.UserID, 64)), maxErrorLen)
}

// Is reports whether target is [ErrUserMismatch].
func (e *UserMismatchError) Is(target error) bool { return target == ErrUserMismatch }

// PermissionError reports a login none of whose members holds a permission
// an operation needs. No request was sent for the operation. It matches
// [ErrForbidden].
type PermissionError struct {
	Permission string
	Login      string
}

// Error names the missing permission and the login.
func (e *PermissionError) Error() string {
	return fmt.Sprintf("sdkfinance: login %s holds no member with permission %s; "+
		"ask an administrator to grant it", quoteValue(e.Login, 80), e.Permission)
}

// Is reports whether target is [ErrForbidden].
func (e *PermissionError) Is(target error) bool { return target == ErrForbidden }
