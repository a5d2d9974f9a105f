package sdkfinance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sdkfinance-go/sdkfinance/internal/api"
)

// fuzzAPIPrefix is the path of the API root on the fuzz servers.
const fuzzAPIPrefix = "/api/v1"

// fuzzToken is the token the fuzz clients send.
const fuzzToken = "fuzz-token"

// fuzzSentinels lists every sentinel error, so that a check can assert
// that an error matches its own class and no other.
var fuzzSentinels = []error{
	ErrInvalidArgument, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict,
	ErrRateLimited, ErrServer, ErrUserMismatch, ErrInvalidResponse, ErrOTPRequired,
	ErrOutcomeUnknown,
}

// lineBreaks lists the vertical white space characters: LF, CR, VT, FF,
// NEL and the Unicode line and paragraph separators.
const lineBreaks = "\n\r\v\f\u0085\u2028\u2029"

// checkErrorText checks what the README promises of every error text: one
// line of valid UTF-8, at most 300 bytes, starting with the package
// prefix.
func checkErrorText(t *testing.T, label string, err error) {
	t.Helper()
	text := err.Error()
	if !strings.HasPrefix(text, "sdkfinance: ") {
		t.Errorf("%s: error text %q does not start with %q", label, text, "sdkfinance: ")
	}
	if strings.ContainsAny(text, lineBreaks) {
		t.Errorf("%s: error text spans lines: %q", label, text)
	}
	if !utf8.ValidString(text) {
		t.Errorf("%s: error text is not valid UTF-8: %q", label, text)
	}
	if len(text) > maxErrorLen {
		t.Errorf("%s: error text is %d bytes, want at most %d: %q", label, len(text), maxErrorLen, text)
	}
}

// classOfStatus returns the sentinel the README's error table gives an
// HTTP error status, or nil for a status without one.
func classOfStatus(status int) error {
	switch {
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500 && status <= 599:
		return ErrServer
	}
	return nil
}

// checkOnlyClass checks that err matches want, which may be nil, and no
// other sentinel.
func checkOnlyClass(t *testing.T, label string, err, want error) {
	t.Helper()
	for _, sentinel := range fuzzSentinels {
		got := errors.Is(err, sentinel)
		if sentinel == want && !got {
			t.Errorf("%s: errors.Is(err, %v) = false, want true; err: %v", label, sentinel, err)
		}
		if sentinel != want && got {
			t.Errorf("%s: errors.Is(err, %v) = true, want false; err: %v", label, sentinel, err)
		}
	}
}

// fuzzStatus maps any int to 200 or to a status from 400 to 599, and
// keeps those values as they are so that corpus files read naturally.
func fuzzStatus(n int) int {
	if n == http.StatusOK || (n >= 400 && n <= 599) {
		return n
	}
	m := n % 201
	if m < 0 {
		m = -m
	}
	if m == 200 {
		return http.StatusOK
	}
	return 400 + m
}

// headerValue replaces the bytes that net/textproto rejects in a header
// value with "_". A server cannot send them either: the client fails to
// read such a response, which this test does not cover.
func headerValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || (r >= 0x20 && r != 0x7f) {
			return r
		}
		return '_'
	}, s)
}

// FuzzErrorBody feeds any status, content type and body to the decoding of
// an approve's response, first directly and then through a client that
// sends to a server on 127.0.0.1. A 4xx or 5xx must give an error of the status's
// class, and a 200 must give a result or an error matching
// ErrInvalidResponse. Every error text must keep the README's promises.
func FuzzErrorBody(f *testing.F) {
	srv := newErrorBodyServer()
	f.Cleanup(srv.close)

	f.Fuzz(func(t *testing.T, rawStatus int, contentType string, body []byte) {
		status := fuzzStatus(rawStatus)
		checkDecodedError(t, status, contentType, body)
		checkClientError(t, srv, status, contentType, body)
	})
}

// checkDecodedError runs decodeResponse and newAPIError on the response,
// and checks the errors that the client nests them in.
func checkDecodedError(t *testing.T, status int, contentType string, body []byte) {
	t.Helper()
	resp := &response{
		status:   status,
		header:   http.Header{"Content-Type": {contentType}},
		body:     body,
		method:   http.MethodPost,
		path:     fuzzAPIPrefix + "/profiles/u1/reset-identification-requests/r1/approve",
		attempts: 1,
	}

	var env api.ResetRequestEnvelope
	err := decodeResponse(resp, &env)
	want := classOfStatus(status)
	if status == http.StatusOK {
		var probe api.ResetRequestEnvelope
		if json.Unmarshal(body, &probe) == nil {
			if err != nil {
				t.Fatalf("decodeResponse of a 200 with a valid envelope: %v", err)
			}
			err = newAPIError(resp) // still check the text of a bare 200 error
		} else {
			want = ErrInvalidResponse
		}
	}
	if err == nil {
		t.Fatalf("decodeResponse of a %d returned nil error", status)
	}

	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("decodeResponse error is %T, want *APIError: %v", err, err)
	}
	if apiErr.StatusCode != status {
		t.Errorf("APIError.StatusCode = %d, want %d", apiErr.StatusCode, status)
	}
	checkOnlyClass(t, "decodeResponse", err, want)
	checkErrorText(t, "decodeResponse", err)

	// An approve whose outcome is unknown nests the error once or twice.
	unknown := &OutcomeUnknownError{Action: "approve", RequestID: "r1", Err: err, LookupErr: err}
	checkErrorText(t, "OutcomeUnknownError", unknown)
	if want != nil && !errors.Is(unknown, want) {
		t.Errorf("OutcomeUnknownError does not match %v: %v", want, unknown)
	}
	reconcile := &ReconcileError{Action: "approve", RequestID: "r1", Found: true,
		Status: StatusDeclined, Err: err}
	checkErrorText(t, "ReconcileError", reconcile)
	if want != nil && !errors.Is(reconcile, want) {
		t.Errorf("ReconcileError does not match %v: %v", want, reconcile)
	}
}

// errorBodyCase is one fuzz input as the server serves it, with counts of
// the requests it served.
type errorBodyCase struct {
	status      int
	contentType string
	body        []byte
	approves    atomic.Int32
	lists       atomic.Int32
	others      atomic.Int32
}

// errorBodyServer serves every request with the status, content type and
// body of the case that the request's User-Agent names, so that each
// fuzz input has a client of its own on one shared server.
type errorBodyServer struct {
	srv        *httptest.Server
	httpClient *http.Client
	cases      sync.Map // User-Agent to *errorBodyCase
	next       atomic.Int64
}

func newErrorBodyServer() *errorBodyServer {
	s := &errorBodyServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	return s
}

func (s *errorBodyServer) close() {
	s.httpClient.CloseIdleConnections()
	s.srv.Close()
}

func (s *errorBodyServer) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	v, ok := s.cases.Load(r.UserAgent())
	if !ok {
		http.Error(w, "no fuzz case has this User-Agent", http.StatusTeapot)
		return
	}
	c := v.(*errorBodyCase)
	switch {
	case strings.HasSuffix(r.URL.Path, "/approve"):
		c.approves.Add(1)
	case strings.HasSuffix(r.URL.Path, "/view-reset-identification-requests"):
		c.lists.Add(1)
	default:
		c.others.Add(1)
	}
	w.Header().Set("Content-Type", headerValue(c.contentType))
	w.WriteHeader(c.status)
	_, _ = w.Write(c.body)
}

// checkClientError sends an approve whose response, and the response to
// any list request that reads its state back, is the fuzz input.
func checkClientError(t *testing.T, s *errorBodyServer, status int, contentType string, body []byte) {
	t.Helper()
	userAgent := fmt.Sprintf("fuzz-case-%d", s.next.Add(1))
	c := &errorBodyCase{status: status, contentType: contentType, body: body}
	s.cases.Store(userAgent, c)
	defer s.cases.Delete(userAgent)

	client, err := NewClient(s.srv.URL+fuzzAPIPrefix,
		WithToken(fuzzToken),
		WithRetry(RetryPolicy{MaxAttempts: 1}),
		WithHTTPClient(s.httpClient),
		WithUserAgent(userAgent))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	res, err := client.ApproveResetRequest(context.Background(), "u1", "r1")

	if n := c.approves.Load(); n != 1 {
		t.Errorf("server got %d approve requests, want 1", n)
	}
	if n := c.others.Load(); n != 0 {
		t.Errorf("server got %d requests that are neither approve nor list", n)
	}
	// Only an approve whose outcome is unknown has its state read back.
	var probe api.ResetRequestEnvelope
	unknownOutcome := status == http.StatusInternalServerError || status == http.StatusBadGateway ||
		status == http.StatusGatewayTimeout || (status == http.StatusOK && json.Unmarshal(body, &probe) != nil)
	if n := c.lists.Load(); unknownOutcome && n == 0 {
		t.Errorf("server got no list request after a %d to the approve", status)
	} else if !unknownOutcome && n != 0 {
		t.Errorf("server got %d list requests after a %d to the approve, want 0", n, status)
	}
	if res == nil && err == nil {
		t.Fatalf("ApproveResetRequest returned a nil result and a nil error")
	}
	if res != nil && err != nil {
		t.Errorf("ApproveResetRequest returned both a result and the error %v", err)
	}
	if err == nil {
		if status != http.StatusOK {
			t.Errorf("ApproveResetRequest succeeded on a %d", status)
		}
		return
	}

	want := classOfStatus(status)
	if status == http.StatusOK {
		want = ErrInvalidResponse
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("ApproveResetRequest error does not match %v: %v", want, err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("ApproveResetRequest error is %T with no *APIError inside: %v", err, err)
	} else if apiErr.StatusCode != status {
		t.Errorf("APIError.StatusCode = %d, want %d", apiErr.StatusCode, status)
	}
	checkErrorText(t, "ApproveResetRequest", err)
}

// FuzzPathEscaping sends an approve for any pair of ids to a Go 1.22
// ServeMux on 127.0.0.1. Either validation rejects an id and nothing is
// sent, or the mux reads back exactly the ids that were passed, from a
// path of exactly seven segments.
func FuzzPathEscaping(f *testing.F) {
	srv := newPathServer()
	f.Cleanup(srv.close)

	f.Fuzz(func(t *testing.T, userID, id string) {
		seen, err := srv.approve(t, userID, id)

		wantName := ""
		switch {
		case idRejectReason(userID) != "":
			wantName = "userID"
		case idRejectReason(id) != "":
			wantName = "id"
		}
		if wantName != "" {
			checkRejectedID(t, wantName, err, seen)
			return
		}
		checkSentPath(t, userID, id, err, seen)
	})
}

// idRejectReason returns the README's reason to reject an id before
// sending, or "" for an id that must be sent.
func idRejectReason(id string) string {
	switch {
	case id == "":
		return "empty"
	case len(id) > maxIDLen:
		return "too long"
	case strings.ContainsFunc(id, unicode.IsControl):
		return "control character"
	case !utf8.ValidString(id):
		return "invalid UTF-8"
	case id == "." || id == "..":
		return "dot segment"
	}
	return ""
}

func checkRejectedID(t *testing.T, wantName string, err error, seen *pathCase) {
	t.Helper()
	if n := seen.requests.Load(); n != 0 {
		t.Errorf("server got %d requests for a rejected %s, want 0", n, wantName)
	}
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("ApproveResetRequest error = %v, want one matching ErrInvalidArgument", err)
	}
	var argErr *InvalidArgumentError
	if !errors.As(err, &argErr) {
		t.Fatalf("ApproveResetRequest error is %T, want *InvalidArgumentError", err)
	}
	if argErr.Name != wantName {
		t.Errorf("InvalidArgumentError.Name = %q, want %q", argErr.Name, wantName)
	}
	checkErrorText(t, "InvalidArgumentError", err)
}

func checkSentPath(t *testing.T, userID, id string, err error, seen *pathCase) {
	t.Helper()
	if err != nil {
		t.Fatalf("ApproveResetRequest(%q, %q): %v", userID, id, err)
	}
	if n := seen.requests.Load(); n != 1 {
		t.Fatalf("server got %d requests, want 1", n)
	}
	switch {
	case !seen.unmatched.Load():
		if seen.userID != userID {
			t.Errorf("PathValue(userId) = %q, want %q", seen.userID, userID)
		}
		if seen.id != id {
			t.Errorf("PathValue(id) = %q, want %q", seen.id, id)
		}
	case userID == "/" || id == "/":
		// ServeMux (checked on Go 1.26) unescapes a segment before it
		// matches a wildcard and takes a segment of "/" for a trailing
		// slash, which no {name} matches. The segments are checked below.
	default:
		t.Fatalf("request target %q did not match the approve pattern", seen.requestURI)
	}

	// api, v1, profiles, userId, reset-identification-requests, id and
	// approve, counted in the request target as it was sent.
	const wantSegments = 7
	if strings.ContainsAny(seen.requestURI, "?#") {
		t.Errorf("request target %q has a query or fragment", seen.requestURI)
	}
	segments := strings.Split(strings.TrimPrefix(seen.requestURI, "/"), "/")
	if len(segments) != wantSegments {
		t.Fatalf("request target %q has %d segments, want %d", seen.requestURI, len(segments), wantSegments)
	}
	for i, want := range map[int]string{3: userID, 5: id} {
		got, err := url.PathUnescape(segments[i])
		if err != nil {
			t.Errorf("segment %d %q does not unescape: %v", i, segments[i], err)
			continue
		}
		if got != want {
			t.Errorf("segment %d %q unescapes to %q, want %q", i, segments[i], got, want)
		}
	}
}

// pathCase is what the server saw of the requests of one fuzz input.
type pathCase struct {
	requests   atomic.Int32
	unmatched  atomic.Bool
	userID     string
	id         string
	requestURI string
}

// pathServer routes approves with the path template of openapi.yaml and
// records what each fuzz input's requests carried, keyed by User-Agent.
type pathServer struct {
	srv        *httptest.Server
	httpClient *http.Client
	cases      sync.Map // User-Agent to *pathCase
	next       atomic.Int64
	mu         sync.Mutex // guards the string fields of every pathCase
}

func newPathServer() *pathServer {
	s := &pathServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+fuzzAPIPrefix+"/profiles/{userId}/reset-identification-requests/{id}/approve",
		func(w http.ResponseWriter, r *http.Request) {
			c := s.caseOf(r)
			if c == nil {
				http.Error(w, "no fuzz case has this User-Agent", http.StatusTeapot)
				return
			}
			c.requests.Add(1)
			s.mu.Lock()
			c.userID, c.id, c.requestURI = r.PathValue("userId"), r.PathValue("id"), r.RequestURI
			s.mu.Unlock()
			writeApproved(w)
		})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if c := s.caseOf(r); c != nil {
			c.requests.Add(1)
			c.unmatched.Store(true)
			s.mu.Lock()
			c.requestURI = r.RequestURI
			s.mu.Unlock()
		}
		writeApproved(w)
	})
	s.srv = httptest.NewServer(mux)
	s.httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	return s
}

// writeApproved writes the response to a successful approve.
func writeApproved(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"request":{"id":"r1","status":"APPROVED"},`+
		`"status":"ok","message":"processed successfully"}`)
}

func (s *pathServer) close() {
	s.httpClient.CloseIdleConnections()
	s.srv.Close()
}

func (s *pathServer) caseOf(r *http.Request) *pathCase {
	v, ok := s.cases.Load(r.UserAgent())
	if !ok {
		return nil
	}
	return v.(*pathCase)
}

// approve sends one approve for userID and id with a client of its own
// and returns what the server saw of it.
func (s *pathServer) approve(t *testing.T, userID, id string) (*pathCase, error) {
	t.Helper()
	userAgent := fmt.Sprintf("fuzz-case-%d", s.next.Add(1))
	c := &pathCase{}
	s.cases.Store(userAgent, c)
	defer s.cases.Delete(userAgent)

	client, err := NewClient(s.srv.URL+fuzzAPIPrefix,
		WithToken(fuzzToken),
		WithRetry(RetryPolicy{MaxAttempts: 1}),
		WithHTTPClient(s.httpClient),
		WithUserAgent(userAgent))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	_, err = client.ApproveResetRequest(context.Background(), userID, id)

	// The handler wrote these fields before it wrote the response, so they
	// are final here. The lock lets the race detector know that too.
	s.mu.Lock()
	defer s.mu.Unlock()
	snapshot := &pathCase{userID: c.userID, id: c.id, requestURI: c.requestURI}
	snapshot.requests.Store(c.requests.Load())
	snapshot.unmatched.Store(c.unmatched.Load())
	return snapshot, err
}
